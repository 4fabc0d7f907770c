"""The plan-and-payment pages over HTTP, and the whole pay flow: app -> stand-in -> signed webhook -> app."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from billing.gate import run_refusal
from billing.models import Order


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def press_pay_on_the_standin(checkout_url: str) -> str:
    """What the customer does on the hosted page; returns where the stand-in sends the browser back."""
    opener = urllib.request.build_opener(_NoRedirect)
    assert b"standin-pay" in urllib.request.urlopen(checkout_url).read()
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(urllib.request.Request(checkout_url, data=b"email=owner%40example.com", method="POST"))
    assert redirect.value.code == 303
    return redirect.value.headers["Location"]


@pytest.mark.django_db(transaction=True)
def test_pay_flow_through_the_standin_and_a_live_webhook(client, stripe_live_billing, migration, owner):
    client.force_login(owner)
    plan_url = reverse("billing:plan", args=[migration.pk])
    page = client.get(plan_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="pay-button"' in html and 'data-testid="price-breakdown"' in html
    assert 'data-testid="count-tickets">2,500<' in html

    response = client.post(reverse("billing:checkout", args=[migration.pk]), {"plan": "signature"})
    assert response.status_code == 302 and response["Location"].startswith(stripe_live_billing.url + "/c/pay/")
    order = Order.objects.get()
    assert order.plan == "signature" and order.status == Order.Status.PENDING
    migration.refresh_from_db()  # checkout counted the connected (sample) source again before pricing
    assert order.counts["tickets"] == migration.record_counts["tickets"] != 2_500
    assert run_refusal(migration=migration, kind="full") is not None

    back = press_pay_on_the_standin(response["Location"])
    assert stripe_live_billing.deliveries[-1].status == 200  # the live app accepted the signed event
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.customer_email == "owner@example.com"
    assert run_refusal(migration=migration, kind="full") is None
    assert run_refusal(migration=migration, kind="delta") is None

    success = client.get(back.replace("http://testserver", ""))
    assert b'data-status="paid"' in success.content
    assert b'data-testid="billing-paid"' in client.get(plan_url).content
    history = client.get(reverse("billing:history", args=[migration.pk])).content.decode()
    assert 'data-status="paid"' in history
    receipt = client.get(reverse("billing:receipt", args=[migration.pk, order.pk])).content.decode()
    assert "Signature" in receipt and order.stripe_payment_intent in receipt


def test_success_page_before_the_webhook_says_waiting(client, stripe_billing, migration, owner):
    client.force_login(owner)
    response = client.post(reverse("billing:checkout", args=[migration.pk]), {"plan": "basic"})
    order = Order.objects.get()
    success = client.get(reverse("billing:success", args=[migration.pk]), {"session_id": order.stripe_session_id})
    assert b'data-status="pending"' in success.content and b'hx-trigger="every 2s"' in success.content
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and response.status_code == 302
    status = client.get(reverse("billing:order_status", args=[migration.pk, order.pk]))
    assert b'data-status="pending"' in status.content
    assert b"nothing was charged" in client.get(reverse("billing:cancel", args=[migration.pk])).content


def test_htmx_plan_change_returns_only_the_breakdown(client, stripe_billing, migration, owner):
    client.force_login(owner)
    response = client.get(reverse("billing:plan", args=[migration.pk]),
                          {"plan": "signature", "partial": "breakdown"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="price-breakdown"') and 'data-plan="signature"' in html
    assert "<html" not in html


def test_billing_off_page_says_so_and_offers_no_payment(client, settings, migration, owner):
    settings.STRIPE_SECRET_KEY = ""
    client.force_login(owner)
    html = client.get(reverse("billing:plan", args=[migration.pk])).content.decode()
    assert 'data-testid="billing-disabled"' in html and "pay-button" not in html
    response = client.post(reverse("billing:checkout", args=[migration.pk]), {"plan": "basic"})
    assert response.status_code == 302 and not Order.objects.exists()


def test_unknown_counts_block_payment(client, stripe_billing, migration, owner):
    # Checkout counts again first (issue 14); a source that cannot be counted yields no order.
    migration.record_counts = {}
    migration.source_type = "zendesk"
    migration.source_config = {"url": "http://127.0.0.1:9", "email": "a@acme.test", "token": "t"}
    migration.save()
    client.force_login(owner)
    html = client.get(reverse("billing:plan", args=[migration.pk])).content.decode()
    assert 'data-testid="counts-unknown"' in html and 'id="pay-button"' not in html
    response = client.post(reverse("billing:checkout", args=[migration.pk]), {"plan": "basic"}, follow=True)
    assert not Order.objects.exists()
    assert "could not be counted just now" in response.content.decode()


def test_strangers_get_404_everywhere(client, stripe_billing, migration):
    stranger = get_user_model().objects.create_user(username="x", email="x@example.com", password="pw-0123456789")
    client.force_login(stranger)
    for name in ("billing:plan", "billing:history", "billing:cancel"):
        assert client.get(reverse(name, args=[migration.pk])).status_code == 404
    assert client.post(reverse("billing:checkout", args=[migration.pk]), {"plan": "basic"}).status_code == 404
    assert not Order.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, migration):
    response = client.get(reverse("billing:plan", args=[migration.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_stripe_being_down_shows_plain_words(client, stripe_billing, settings, migration, owner):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    client.force_login(owner)
    response = client.post(reverse("billing:checkout", args=[migration.pk]), {"plan": "basic"}, follow=True)
    html = response.content.decode()
    assert "could not be opened" in html and "Traceback" not in html and stripe_billing.api_key not in html
    assert Order.objects.get().status == Order.Status.FAILED


def test_plan_page_speaks_french(client, stripe_billing, migration, owner):
    client.force_login(owner)
    html = client.get(reverse("billing:plan", args=[migration.pk]), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Offre et paiement" in html and "Payer avec Stripe" in html and "Détail du prix" in html


@pytest.mark.django_db(transaction=True)
def test_the_same_event_delivered_concurrently_pays_once(stripe_live_billing, migration, owner):
    from concurrent.futures import ThreadPoolExecutor

    from billing.models import StripeEvent
    from billing.services import start_checkout

    order = start_checkout(migration=migration, plan_key="basic", user=owner,
                           success_url="http://testserver/ok", cancel_url="http://testserver/no")
    webhook_url, stripe_live_billing.webhook_url = stripe_live_billing.webhook_url, None
    stripe_live_billing.pay(order.stripe_session_id)  # builds the event without delivering it
    stripe_live_billing.webhook_url = webhook_url
    event = stripe_live_billing.events[-1]
    with ThreadPoolExecutor(max_workers=4) as pool:
        deliveries = list(pool.map(lambda _: stripe_live_billing.state.deliver(event), range(4)))
    assert all(d.status == 200 for d in deliveries)
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_after_payment_the_page_offers_only_upgrades(client, stripe_billing, migration, owner):
    from billing.plans import get_plan
    from billing.services import create_order

    order = create_order(migration=migration, plan=get_plan("basic"))
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    migration.plan = "basic"
    migration.save()
    client.force_login(owner)
    url = reverse("billing:plan", args=[migration.pk])
    basic = client.get(url).content.decode()
    assert 'data-testid="billing-paid"' in basic and 'data-testid="nothing-to-pay"' in basic
    assert 'id="pay-button"' not in basic
    upgrade = client.get(url, {"plan": "signature"}).content.decode()
    assert 'id="pay-button"' in upgrade and 'data-kind="credit"' in upgrade
    assert 'data-total="14900"' in upgrade  # only the Signature plan's price is left to pay
