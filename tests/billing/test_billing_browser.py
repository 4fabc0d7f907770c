"""Headless Chromium: plan page -> Pay -> the stand-in's hosted page -> Pay -> back, paid by the webhook."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from billing.gate import run_refusal
from billing.models import Order

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium"),
    pytest.mark.django_db(transaction=True),
]


def test_owner_pays_in_the_browser(page, client, stripe_live_billing, live_server, migration, owner):
    client.force_login(owner)
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])
    page.goto(live_server.url + reverse("billing:plan", args=[migration.pk]))
    basic_total = page.get_by_test_id("price-total").inner_text()
    page.get_by_test_id("plan-signature").click()  # htmx swaps the breakdown
    page.wait_for_selector('[data-testid="price-breakdown"][data-plan="signature"]')
    assert page.get_by_test_id("price-total").inner_text() != basic_total
    if os.environ.get("ARTIFACTS_DIR"):
        page.screenshot(path=str(Path(os.environ["ARTIFACTS_DIR"]) / "billing-plan.png"), full_page=True)
    page.get_by_test_id("pay-button").click()

    page.wait_for_selector('[data-testid="standin-pay"]')
    assert page.url.startswith(stripe_live_billing.url)
    page.get_by_test_id("standin-pay").click()

    page.wait_for_selector('[data-testid="order-status"][data-status="paid"]')
    order = Order.objects.get()
    assert order.status == Order.Status.PAID and order.plan == "signature"
    migration.refresh_from_db()  # checkout counted the source again (issue 14): the order froze those counts
    assert order.counts["tickets"] == migration.record_counts["tickets"]
    assert run_refusal(migration=migration, kind="full") is None
