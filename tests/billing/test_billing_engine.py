"""Through the engine's own services (skipped until the engine is merged): payment unlocks start_run."""

from __future__ import annotations

import pytest

from billing.models import Order
from billing.services import start_checkout

from .test_billing_webhook import completed_event, post

engine = pytest.importorskip("migrations_engine.services")


@pytest.fixture
def ready(migration):
    migration.source_type = "sample"
    migration.source_config = {"tickets": 5, "seed": 1}
    migration.front_token = "t"
    migration.front_api_url = "http://127.0.0.1:9"
    migration.front_inbox_id = "inb_billing"
    migration.save()
    return migration


def test_start_run_refuses_a_full_run_until_the_webhook_pays(client, stripe_billing, ready, owner):
    with pytest.raises(engine.RunRefused) as refused:
        engine.start_run(migration=ready, kind="full", user=owner)
    assert "paid plan" in str(refused.value)
    order = start_checkout(migration=ready, plan_key="basic", user=owner,
                           success_url="http://testserver/ok", cancel_url="http://testserver/no")
    with pytest.raises(engine.RunRefused):
        engine.start_run(migration=ready, kind="full", user=owner)
    assert post(client, completed_event(stripe_billing, order), stripe_billing.webhook_secret).status_code == 200
    assert Order.objects.get().status == Order.Status.PAID
    run = engine.start_run(migration=ready, kind="full", user=owner)
    assert run.kind == "full"


def test_basic_plan_refuses_delta_through_the_engine(stripe_billing, ready, owner):
    from billing.plans import get_plan
    from billing.services import create_order

    order = create_order(migration=ready, plan=get_plan("basic"))
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    with pytest.raises(engine.RunRefused) as refused:
        engine.start_run(migration=ready, kind="delta", user=owner)
    assert "Signature" in str(refused.value)


def test_billing_off_lets_the_engine_start_a_full_run(settings, ready, owner):
    settings.STRIPE_SECRET_KEY = ""
    assert engine.start_run(migration=ready, kind="full", user=owner).kind == "full"
