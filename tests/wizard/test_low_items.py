"""Issue 14's low items in the wizard: the inbox refusal names no other migration, a far schedule is a
plain form error (not a 500), and the admin cannot change a migration's owner or addresses."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from migrations_engine import services as engine
from migrations_engine.models import Run
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from wizard.models import Migration

Step = Migration.Step
pytestmark = pytest.mark.django_db
SECRET_NAME = "Rival Corp — acquisition of Acme (confidential)"


def _ready(owner, front_url: str, **fields) -> Migration:
    values = {"name": "Mine", "source_type": "sample", "source_config": {"tickets": 5, "seed": 1},
              "front_api_url": front_url, "front_token": FRONT_TEST_TOKEN, "furthest_step": Step.FULL}
    return Migration.objects.create(owner=owner, **(values | fields))


def test_the_inbox_refusal_never_names_another_accounts_migration(owner_client, owner, front_standin):
    mine = _ready(owner, front_standin.url, furthest_step=Step.INBOX)
    page = owner_client.get(reverse("wizard:inbox", args=[mine.pk])).content.decode()
    inbox_id = page.split('name="inbox" value="')[1].split('"')[0]
    stranger = get_user_model().objects.create_user(username="rival", email="rival@rival.test", password="x" * 12)
    theirs = _ready(stranger, front_standin.url, name=SECRET_NAME, front_inbox_id=inbox_id)
    Run.objects.create(migration=theirs, kind="full", state="completed", lineage="r0")

    page = owner_client.get(reverse("wizard:inbox", args=[mine.pk])).content.decode()
    refused = owner_client.post(reverse("wizard:inbox", args=[mine.pk]), {"inbox": inbox_id})
    assert refused.status_code == 422
    for html in (page, refused.content.decode()):
        assert "Rival Corp" not in html and "acquisition" not in html
    assert "already received a full migration from another migration" in refused.content.decode()

    # The engine's own refusal (shown when a full run is started) names nobody either.
    Migration.objects.filter(pk=mine.pk).update(front_inbox_id=inbox_id)
    mine.refresh_from_db()
    with pytest.raises(engine.RunRefused) as refusal:
        engine.start_run(migration=mine, kind="full", user=owner)
    assert "another migration" in refusal.value.reason and "Rival" not in refusal.value.reason


@pytest.mark.parametrize(("start_at", "zone", "message"), [
    ("9999-12-31T23:59", "Etc/GMT+12", "within the next year"),
    ("9999-12-31T23:59", "Etc/GMT-14", "within the next year"),
])
def test_a_schedule_out_of_range_is_a_plain_form_error(owner_client, owner, front_standin, start_at, zone, message):
    migration = _ready(owner, front_standin.url, time_zone="Europe/Paris", front_inbox_id="inb_1")
    Run.objects.create(migration=migration, kind="demo", state="completed", lineage="d0")
    owner_client.raise_request_exception = False  # a crash must show up as the 500 a user would get
    response = owner_client.post(reverse("wizard:full", args=[migration.pk]), {
        "when": "later", "start_at": start_at, "time_zone": zone, "confirm": "on"})
    assert response.status_code == 422
    assert message in response.content.decode()
    migration.refresh_from_db()
    assert migration.time_zone == "Europe/Paris"  # nothing saved
    assert not Run.objects.filter(migration=migration, kind="full").exists()


class _Inputs(HTMLParser):
    """The values a browser would post back from the admin's change form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data[name] = "on"
            else:
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def test_the_admin_cannot_change_a_migrations_owner_or_addresses(client, owner):
    superuser = get_user_model().objects.create_superuser(username="root", email="root@ops.test", password="x" * 12)
    migration = _ready(owner, "https://api2.frontapp.com", front_inbox_id="inb_1")
    client.force_login(superuser)
    url = reverse("admin:wizard_migration_change", args=[migration.pk])
    page = client.get(url).content.decode()
    assert FRONT_TEST_TOKEN not in page
    parser = _Inputs()
    parser.feed(page)
    data = parser.data | {"name": "Renamed by staff", "owner": str(superuser.pk),
                          "front_api_url": "https://attacker.example", "source_type": "zendesk",
                          "front_inbox_id": "inb_other", "_save": "Save"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    migration.refresh_from_db()
    assert migration.name == "Renamed by staff"  # the form itself works
    assert (migration.owner, migration.front_api_url, migration.source_type, migration.front_inbox_id) == (
        owner, "https://api2.frontapp.com", "sample", "inb_1")
