"""After payment (issue 15, acceptance 2): the return page follows the order's state, and once the webhook
confirmed the payment its link leads straight to the full-run step."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.models import Order
from migrations_engine.models import Run
from wizard.models import Migration

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_plan_step(migration):
    migration.furthest_step = Migration.Step.PLAN
    migration.save()
    return migration


def _order(migration, status, **extra) -> Order:
    return Order.objects.create(migration=migration, plan="signature", currency="usd", total=64900,
                                counts={"tickets": 2_500, "contacts": 1_200, "agents": 12}, status=status,
                                stripe_session_id=f"cs_test_{status}", **extra)


def _success(client, migration, order) -> str:
    return client.get(reverse("billing:success", args=[migration.pk]),
                      {"session_id": order.stripe_session_id}).content.decode()


def test_paid_after_a_demo_links_straight_to_the_full_step(client, stripe_billing, at_plan_step, owner):
    Run.objects.create(migration=at_plan_step, kind="demo", state="completed", lineage="d1")
    order = _order(at_plan_step, Order.Status.PAID)
    client.force_login(owner)
    html = _success(client, at_plan_step, order)
    full_url = reverse("wizard:full", args=[at_plan_step.pk])
    assert 'data-status="paid"' in html and f'href="{full_url}" data-testid="continue-full"' in html
    assert "hx-trigger" not in html  # nothing left to wait for
    at_plan_step.refresh_from_db()
    assert at_plan_step.furthest_step == Migration.Step.FULL
    # One click: the full step itself opens (no detour through the plan step).
    page = client.get(full_url)
    assert page.status_code == 200 and b'data-testid="start-full"' in page.content


def test_the_polled_fragment_turns_into_the_link_when_the_webhook_lands(client, stripe_billing, at_plan_step, owner):
    Run.objects.create(migration=at_plan_step, kind="demo", state="completed", lineage="d1")
    order = _order(at_plan_step, Order.Status.PENDING)
    client.force_login(owner)
    html = _success(client, at_plan_step, order)
    assert 'data-status="pending"' in html and 'hx-trigger="every 2s"' in html and "Waiting for Stripe" in html
    assert "continue-full" not in html
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)  # what the webhook does
    fragment = client.get(reverse("billing:order_status", args=[at_plan_step.pk, order.pk])).content.decode()
    assert 'data-status="paid"' in fragment and "continue-full" in fragment and "hx-trigger" not in fragment


def test_paid_without_a_demo_says_what_is_missing(client, stripe_billing, at_plan_step, owner):
    Migration.objects.filter(pk=at_plan_step.pk).update(furthest_step=Migration.Step.OPTIONS)
    order = _order(at_plan_step, Order.Status.PAID)
    client.force_login(owner)
    html = _success(client, at_plan_step, order)
    assert "continue-full" not in html and 'data-testid="continue-blocked"' in html
    assert "demo" in html and reverse("wizard:options", args=[at_plan_step.pk]) in html
    at_plan_step.refresh_from_db()
    assert at_plan_step.furthest_step == Migration.Step.OPTIONS


def test_paid_for_fewer_records_than_now_says_pay_the_difference(client, stripe_billing, at_plan_step, owner):
    Run.objects.create(migration=at_plan_step, kind="demo", state="completed", lineage="d1")
    order = _order(at_plan_step, Order.Status.PAID)
    Order.objects.filter(pk=order.pk).update(counts={"tickets": 100, "contacts": 1_200, "agents": 12})
    client.force_login(owner)
    html = _success(client, at_plan_step, order)
    assert "continue-full" not in html and 'data-testid="continue-blocked"' in html
    assert reverse("wizard:plan", args=[at_plan_step.pk]) in html
    at_plan_step.refresh_from_db()
    assert at_plan_step.furthest_step == Migration.Step.PLAN


@pytest.mark.parametrize("status", [Order.Status.EXPIRED, Order.Status.FAILED])
def test_expired_or_failed_says_nothing_was_charged_and_offers_to_pay_again(client, stripe_billing, at_plan_step,
                                                                             owner, status):
    order = _order(at_plan_step, status)
    client.force_login(owner)
    html = _success(client, at_plan_step, order)
    assert f'data-status="{status}"' in html and "Nothing was charged" in html and "hx-trigger" not in html
    assert f'href="{reverse("billing:plan", args=[at_plan_step.pk])}" data-testid="pay-again"' in html
    at_plan_step.refresh_from_db()
    assert at_plan_step.furthest_step == Migration.Step.PLAN
