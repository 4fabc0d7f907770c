"""Organizations (-> Front accounts) in the price: free by default (no line, no count awaited), charged per
the operator's BILLING_PRICE_TIERS["organizations"] when set."""

from __future__ import annotations

import pytest

from billing import selectors
from billing.plans import get_plan
from billing.pricing import charged_entities, priced_counts, quote
from wizard.models import Migration

COUNTS = {"tickets": 100, "contacts": 50, "agents": 2, "organizations": 40}


def test_organizations_are_free_by_default():
    assert "organizations" not in charged_entities()
    assert priced_counts(COUNTS) == {"tickets": 100, "contacts": 50, "agents": 2}
    q = quote(plan=get_plan("basic"), counts=priced_counts(COUNTS))
    assert not [line for line in q.lines if line.get("entity") == "organizations"]


def test_an_operator_can_price_organizations(settings):
    settings.BILLING_PRICE_TIERS = {"organizations": [[10, 1_000], [None, 500]]}
    assert charged_entities()[-1] == "organizations"
    q = quote(plan=get_plan("basic"), counts=priced_counts(COUNTS))
    lines = [(x["first"], x["last"], x["amount"]) for x in q.lines if x.get("entity") == "organizations"]
    assert lines == [(1, 10, 100), (11, 40, 150)]
    # Not chosen on the objects step: not charged.
    assert priced_counts(COUNTS, {"tickets": True, "organizations": False})["organizations"] == 0


@pytest.mark.django_db
def test_a_price_waits_for_the_organization_count_only_when_it_is_charged(settings):
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.create_user("o", "o@example.com", "x" * 12)
    migration = Migration.objects.create(owner=owner, name="m", record_counts={"tickets": 5, "contacts": 2, "agents": 1})
    assert selectors.counts_known(migration=migration)
    settings.BILLING_PRICE_TIERS = {"organizations": [[None, 100]]}
    assert selectors.missing_counts(migration=migration) == ["organizations"]
    migration.record_counts = {**migration.record_counts, "organizations": 3}
    assert selectors.counts_known(migration=migration)


def test_articles_are_free_by_default_and_priced_when_the_operator_says(settings):
    counts = {**COUNTS, "articles": 30}
    assert "articles" not in charged_entities()
    assert "articles" not in priced_counts(counts)
    settings.BILLING_PRICE_TIERS = {"articles": [[None, 1_000]]}
    assert charged_entities()[-1] == "articles"
    q = quote(plan=get_plan("basic"), counts=priced_counts(counts))
    assert [(x["first"], x["last"], x["amount"]) for x in q.lines if x.get("entity") == "articles"] == [(1, 30, 300)]
