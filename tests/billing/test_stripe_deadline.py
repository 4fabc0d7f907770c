"""Issue 14 item 5 for Stripe: opening checkout happens while the owner waits, so each attempt gets a third
of VENDOR_CALL_DEADLINE_SECONDS (the SDK tries three times and never waits on a Retry-After). A Stripe
that never answers costs three short attempts and a plain sentence, not three 80-second timeouts."""

from __future__ import annotations

import threading

import pytest

from billing.models import Order
from billing.services import BillingError, start_checkout
from tests.connectors.rawserver import Conn, RawServer

pytestmark = pytest.mark.django_db


@pytest.mark.timeout(60)  # without the deadline each attempt waits 80 s for an answer that never comes
def test_a_stripe_that_never_answers_ends_in_a_plain_sentence_after_three_attempts(
        stripe_billing, settings, migration, owner):
    release = threading.Event()

    def never_answers(conn: Conn, index: int) -> None:
        conn.read_head()
        release.wait(120)  # no answer until the test is over

    settings.VENDOR_CALL_DEADLINE_SECONDS = 0.9  # 0.3 s per attempt
    with RawServer(never_answers) as server:
        settings.STRIPE_API_BASE = server.url
        try:
            with pytest.raises(BillingError, match="could not be opened"):
                start_checkout(migration=migration, plan_key="basic", user=owner,
                               success_url="http://testserver/ok", cancel_url="http://testserver/no")
            assert server.connections == 3  # the first try and the SDK's two retries, each cut short
        finally:
            release.set()
    assert Order.objects.get(migration=migration).status == Order.Status.FAILED
