"""The objects step counts each object on its own (issues 13 item 4 and 15 item 3): one failed count
leaves the others shown, says why with a retry button, and pricing waits only for the counts it needs."""

import pytest
from django.urls import reverse

from sandbox.helpscout import HelpScoutStandin
from wizard.models import Migration

pytestmark = pytest.mark.django_db


@pytest.fixture
def helpscout():
    with HelpScoutStandin(tickets=30, seed=3) as standin:
        standin.app.refuse("/v2/customers", 403)  # an app that may not list customers
        yield standin


@pytest.fixture
def counted_migration(owner, helpscout, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_counts"  # billing on: the plan page prices the counts
    return Migration.objects.create(owner=owner, name="Help Scout to Front", source_type="helpscout",
                                    source_config=helpscout.config, furthest_step=Migration.Step.PLAN,
                                    selected_objects={"tickets": True, "contacts": True, "agents": True})


def test_one_failed_count_leaves_the_others_and_retry_fills_it(owner_client, counted_migration, helpscout):
    url = reverse("wizard:objects", args=[counted_migration.pk])
    page = owner_client.get(url).content.decode()
    assert 'data-testid="count-tickets">30<' in page and 'data-testid="count-agents">3<' in page
    # Organizations (-> Front accounts) and contact fields are counted on their own too (issue 18).
    assert 'data-testid="count-organizations">7<' in page and 'data-testid="count-contact_fields">4<' in page
    assert 'data-testid="count-problem-contacts"' in page and "GET /v2/customers" in page
    assert 'data-testid="retry-contacts"' in page
    assert "We could not reach one of your systems" not in page  # not the whole step
    counted_migration.refresh_from_db()
    assert counted_migration.record_counts["tickets"] == 30 and "contacts" not in counted_migration.record_counts

    plan = owner_client.get(reverse("billing:plan", args=[counted_migration.pk])).content.decode()
    assert 'data-testid="missing-contacts"' in plan and "GET /v2/customers" in plan
    assert 'id="pay-button"' not in plan  # the price waits for the contacts count

    helpscout.app.refuse("/v2/customers", 0)  # the admin fixed the app's permissions
    asked = helpscout.app.calls["GET /v2/conversations"]
    fragment = owner_client.post(url, {"retry": "contacts"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="count-contacts">10<' in fragment and "count-problem" not in fragment
    assert helpscout.app.calls["GET /v2/conversations"] == asked  # only the failed count was asked again
    counted_migration.refresh_from_db()
    assert counted_migration.record_counts == {"tickets": 30, "contacts": 10, "agents": 3, "organizations": 7,
                                               "contact_fields": 4, "articles": 5}
    plan = owner_client.get(reverse("billing:plan", args=[counted_migration.pk])).content.decode()
    assert "missing-contacts" not in plan and 'id="pay-button"' in plan


def test_pricing_needs_only_the_chosen_objects(owner_client, counted_migration):
    owner_client.get(reverse("wizard:objects", args=[counted_migration.pk]))  # contacts cannot be counted
    counted_migration.refresh_from_db()
    counted_migration.selected_objects = {"tickets": True, "contacts": False, "agents": True}
    counted_migration.save()
    plan = owner_client.get(reverse("billing:plan", args=[counted_migration.pk])).content.decode()
    assert "missing-contacts" not in plan and 'id="pay-button"' in plan


def test_retry_without_javascript_renders_the_page(owner_client, counted_migration, helpscout):
    url = reverse("wizard:objects", args=[counted_migration.pk])
    owner_client.get(url)
    helpscout.app.refuse("/v2/customers", 0)
    page = owner_client.post(url, {"retry": "contacts"}).content.decode()
    assert 'data-testid="count-contacts">10<' in page and 'data-testid="count-tickets">30<' in page
