"""Price and the full-run gate follow the source account actually connected (issue 14, item 2).

Paying for a 5-ticket account and then reconnecting the same platform to a 2,970-ticket one must not
unlock the full migration: counts are taken again whenever the source connection changes and right
before an order is created, the order freezes the account it priced, and the gate compares.
The source is the sample help desk (its seed is the account), Front the real stand-in.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.gate import run_refusal
from billing.models import Order
from billing.plans import get_plan
from billing.services import create_order, start_checkout
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from wizard.models import Migration
from wizard.services import counts_refresh

pytestmark = pytest.mark.django_db


def _connect(client, migration, front_url, *, seed: int, tickets: int):
    response = client.post(reverse("wizard:connect", args=[migration.pk]), {
        "platform": "sample", "source-tickets": str(tickets), "source-seed": str(seed),
        "front-api_url": front_url, "front-token": FRONT_TEST_TOKEN})
    assert response.status_code == 302, response.content.decode()[-2000:]
    migration.refresh_from_db()
    return migration


def _pay(migration) -> Order:
    order = create_order(migration=migration, plan=get_plan("basic"))
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    order.refresh_from_db()
    return order


@pytest.fixture
def small_paid(client, owner, stripe_billing, front_standin):
    """A migration connected to a 5-ticket account (seed 1), paid for."""
    client.force_login(owner)
    migration = Migration.objects.create(owner=owner, name="Acme")
    _connect(client, migration, front_standin.url, seed=1, tickets=5)
    counts_refresh(migration=migration)  # what the objects step does
    assert migration.record_counts["tickets"] <= 5
    order = _pay(migration)
    assert run_refusal(migration=migration, kind="full") is None
    return migration, order


def test_reconnecting_to_a_bigger_account_counts_again_and_the_gate_refuses(client, small_paid, front_standin):
    migration, order = small_paid
    _connect(client, migration, front_standin.url, seed=2, tickets=2_970)
    assert migration.record_counts["tickets"] > 2_900  # taken again at once, not the cached 5
    reason = run_refusal(migration=migration, kind="full")
    assert reason and "The payment was for the help desk account" in reason
    assert "seed 1" in reason and "seed 2" in reason  # both accounts named, in plain words
    # Back to the account that was paid for: allowed again.
    _connect(client, migration, front_standin.url, seed=1, tickets=5)
    assert run_refusal(migration=migration, kind="full") is None


def test_the_same_account_grown_past_the_paid_counts_is_refused(client, small_paid, front_standin):
    migration, order = small_paid
    _connect(client, migration, front_standin.url, seed=1, tickets=2_970)
    assert migration.record_counts["tickets"] > 2_900
    assert "more records than were paid for" in run_refusal(migration=migration, kind="full")


def test_the_order_freezes_counts_taken_at_checkout_and_the_account(client, owner, stripe_billing, front_standin):
    client.force_login(owner)
    migration = Migration.objects.create(owner=owner, name="Acme")
    _connect(client, migration, front_standin.url, seed=1, tickets=2_970)
    # A stale cache (what a reconnection used to leave behind) never reaches the price.
    Migration.objects.filter(pk=migration.pk).update(record_counts={"tickets": 5, "contacts": 6, "agents": 4})
    migration.refresh_from_db()
    order = start_checkout(migration=migration, plan_key="basic", user=owner,
                           success_url="http://testserver/ok", cancel_url="http://testserver/no")
    assert order.counts["tickets"] > 2_900
    assert order.source_account == "sample:seed 1" and order.source_account_name.startswith("Sample help desk")


def test_unknown_counts_never_pass_the_gate(client, small_paid):
    migration, _order = small_paid
    Migration.objects.filter(pk=migration.pk).update(record_counts={}, counts_updated_at=None)
    migration.refresh_from_db()
    reason = run_refusal(migration=migration, kind="full")
    assert reason and "not known" in reason


def test_orders_paid_before_identities_were_recorded_are_kept_for_the_account_seen_first(
        client, small_paid, front_standin):
    """An install upgraded with paid orders that froze no account: the first connection check binds them to
    the account it sees, so the owner does not pay again; switching accounts afterwards is refused as usual."""
    migration, order = small_paid
    Order.objects.filter(pk=order.pk).update(source_account="", source_account_name="")
    Migration.objects.filter(pk=migration.pk).update(source_account_id="", source_account_name="")
    migration.refresh_from_db()
    _connect(client, migration, front_standin.url, seed=1, tickets=5)  # the same account, re-saved
    order.refresh_from_db()
    assert order.source_account == migration.source_account_id != ""
    assert run_refusal(migration=migration, kind="full") is None
    _connect(client, migration, front_standin.url, seed=2, tickets=5)  # now another account
    assert "The payment was for the help desk account" in run_refusal(migration=migration, kind="full")
