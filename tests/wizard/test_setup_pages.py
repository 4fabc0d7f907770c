"""Setup pages that need no Front: connect form from config_fields, htmx tests, validation messages."""

import pytest
from django.urls import reverse

from connectors.base import Agent
from wizard.forms import OptionsForm
from wizard.models import Migration
from wizard.services import auto_match

Step = Migration.Step
pytestmark = pytest.mark.django_db


def test_dashboard_lists_migrations_and_creates_with_a_name(owner_client, migration):
    page = owner_client.get(reverse("wizard:dashboard")).content.decode()
    assert "Zendesk to Front" in page
    response = owner_client.post(reverse("wizard:create"), {"name": "  Help Scout → Front  "})
    created = Migration.objects.get(name="Help Scout → Front")
    assert response["Location"] == reverse("wizard:connect", args=[created.pk])


def test_create_without_a_name_says_what_to_fix(owner_client):
    page = owner_client.post(reverse("wizard:create"), {"name": ""}).content.decode()
    assert "Give the migration a name" in page


def test_rename(owner_client, migration):
    owner_client.post(reverse("wizard:rename", args=[migration.pk]), {"name": "Support history"})
    migration.refresh_from_db()
    assert migration.name == "Support history"


def test_connect_renders_the_platform_list_and_the_chosen_connectors_fields(owner_client, migration):
    page = owner_client.get(reverse("wizard:connect", args=[migration.pk]) + "?platform=sample").content.decode()
    assert 'data-testid="platform-sample"' in page
    assert 'name="source-tickets"' in page and 'name="source-seed"' in page
    assert 'name="front-token"' in page
    assert 'class="fp-steps"' in page


def test_htmx_source_test_reports_success_and_plain_errors(owner_client, migration):
    url = reverse("wizard:connect_test", args=[migration.pk, "source"])
    ok = owner_client.post(url, {"platform": "sample", "source-tickets": "30"}, HTTP_HX_REQUEST="true")
    assert "Connected to Sample help desk (30 tickets" in ok.content.decode()
    bad = owner_client.post(url, {"platform": "sample", "source-tickets": "lots"}, HTTP_HX_REQUEST="true")
    assert "Number of tickets must be a whole number." in bad.content.decode()
    assert "Traceback" not in bad.content.decode()


def test_saved_front_token_is_never_echoed(owner_client, migration):
    migration.front_token = "tok_very_secret_123"
    migration.source_type = "sample"
    migration.save()
    page = owner_client.get(reverse("wizard:connect", args=[migration.pk])).content.decode()
    assert "tok_very_secret_123" not in page
    assert "leave empty to keep it" in page


def test_viewer_level_cannot_post_setup_steps(client, other_user, migration):
    client.force_login(other_user)
    assert client.post(reverse("wizard:connect", args=[migration.pk]), {}).status_code == 404


def test_auto_match_pairs_by_email_then_name():
    agents = [Agent("1", "Ana@Example.com", "Ana"), Agent("2", None, "José Pérez"), Agent("3", "x@y.z", "Nobody")]
    teammates = [
        {"id": "tea_a", "email": "ana@example.com", "first_name": "A", "last_name": "B"},
        {"id": "tea_j", "email": "jose@corp.com", "first_name": "Jose", "last_name": "Perez"},
    ]
    assert auto_match(agents=agents, teammates=teammates) == {"1": "tea_a", "2": "tea_j"}


def test_options_form_refuses_more_than_20_demo_ids_and_long_tags():
    form = OptionsForm({"demo_ids": " ".join(str(i) for i in range(21)), "tag": "x" * 65}, call_recordings=False)
    assert not form.is_valid()
    assert "you listed 21. Remove 1." in str(form.errors["demo_ids"])
    assert "at most 64 characters" in str(form.errors["tag"])
    ok = OptionsForm({"demo_ids": "5, 7;7 9", "tag": "migrated"}, call_recordings=False)
    assert ok.is_valid() and ok.cleaned_data["demo_ids"] == ["5", "7", "9"]


def test_options_page_saves_and_opens_the_demo(owner_client, migration):
    migration.furthest_step = Step.OPTIONS
    migration.source_type = "sample"
    migration.save()
    response = owner_client.post(reverse("wizard:options", args=[migration.pk]),
                                 {"tag": "from-zendesk", "skip_attachments": "on", "demo_ids": "3 4"})
    assert response["Location"] == reverse("wizard:demo", args=[migration.pk])
    migration.refresh_from_db()
    assert migration.options["tag"] == "from-zendesk" and migration.options["skip_attachments"] is True
    assert migration.demo_ids == ["3", "4"] and migration.furthest_step == Step.DEMO


def test_tickets_page_maps_statuses(owner_client, migration):
    migration.furthest_step = Step.TICKETS
    migration.source_type = "sample"
    migration.save()
    page = owner_client.get(reverse("wizard:tickets", args=[migration.pk])).content.decode()
    assert "solved" in page
    data = {"custom_fields": "comment", "status_tag": "on"}
    data |= {f"status_{i}": "archived" for i in range(10)}
    owner_client.post(reverse("wizard:tickets", args=[migration.pk]), data)
    migration.refresh_from_db()
    assert migration.status_map["solved"] == "archived" and migration.status_tag
    assert migration.furthest_step == Step.OPTIONS


def test_saved_source_secrets_are_never_echoed_and_kept_when_left_empty(owner_client, migration):
    from connectors.registry import SOURCES
    from wizard.forms import merged_source_config, source_form_class

    migration.source_type = "zendesk"
    migration.source_config = {"url": "https://acme.zendesk.com", "email": "a@acme.test", "token": "zd_secret_42"}
    migration.save()
    page = owner_client.get(reverse("wizard:connect", args=[migration.pk])).content.decode()
    assert "zd_secret_42" not in page
    assert 'value="https://acme.zendesk.com"' in page and 'type="password"' in page
    cls = SOURCES["zendesk"]
    form = source_form_class(cls, migration.source_config)(
        {"source-url": "https://acme.zendesk.com", "source-email": "a@acme.test", "source-token": ""}, prefix="source")
    assert form.is_valid(), form.errors
    assert merged_source_config(cls, form.cleaned_data, migration.source_config)["token"] == "zd_secret_42"
