"""The real `stripe` package talks to the stand-in; the stand-in answers and signs like Stripe."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest
import stripe

from sandbox.stripe import StripeStandin

PARAMS = {
    "mode": "payment",
    "line_items": [{"price_data": {"currency": "usd", "unit_amount": 12_345,
                                   "product_data": {"name": "Frontport Basic: Acme"}}, "quantity": 1}],
    "success_url": "http://app.test/ok?session_id={CHECKOUT_SESSION_ID}",
    "cancel_url": "http://app.test/no",
    "client_reference_id": "42",
    "metadata": {"order_id": "42"},
}


@pytest.fixture
def client(stripe_standin):
    return stripe.StripeClient(stripe_standin.api_key, base_addresses={"api": stripe_standin.url},
                               max_network_retries=0)


def test_create_retrieve_list_and_expire(client, stripe_standin):
    session = client.v1.checkout.sessions.create(params=PARAMS)
    assert session.object == "checkout.session" and session.id.startswith("cs_test_")
    assert session.amount_total == 12_345 and session.currency == "usd"
    assert session.status == "open" and session.payment_status == "unpaid"
    assert session.metadata["order_id"] == "42" and session.client_reference_id == "42"
    assert session.url == f"{stripe_standin.url}/c/pay/{session.id}"
    assert client.v1.checkout.sessions.retrieve(session.id).id == session.id
    assert [s.id for s in client.v1.checkout.sessions.list().data] == [session.id]
    assert client.v1.checkout.sessions.expire(session.id).status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


def test_idempotency_key_replays_and_refuses_other_params(client):
    first = client.v1.checkout.sessions.create(params=PARAMS, options={"idempotency_key": "order-1"})
    again = client.v1.checkout.sessions.create(params=PARAMS, options={"idempotency_key": "order-1"})
    assert again.id == first.id
    other = {**PARAMS, "client_reference_id": "43"}
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(params=other, options={"idempotency_key": "order-1"})
    assert client.v1.checkout.sessions.create(params=other).id != first.id


def test_errors_look_like_stripe(client, stripe_standin):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert missing.value.code == "resource_missing" and missing.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as bad:
        client.v1.checkout.sessions.create(params={k: v for k, v in PARAMS.items() if k != "success_url"})
    assert bad.value.param == "success_url" and bad.value.code == "parameter_missing"
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("sk_test_wrong", base_addresses={"api": stripe_standin.url}).v1.checkout.sessions.list()


class _Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, self.headers["Stripe-Signature"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_hosted_page_pays_and_delivers_a_webhook_stripe_accepts(client, stripe_standin):
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        stripe_standin.webhook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        session = client.v1.checkout.sessions.create(params=PARAMS)
        page = urllib.request.urlopen(session.url).read().decode()
        assert 'data-testid="standin-pay"' in page.replace("'", '"') and "123.45 USD" in page

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(urllib.request.Request(session.url, data=b"email=payer%40example.com", method="POST"))
        assert redirect.value.code == 303
        assert redirect.value.headers["Location"] == f"http://app.test/ok?session_id={session.id}"
        body, header = _Receiver.received[-1]
        event = stripe.Webhook.construct_event(body, header, stripe_standin.webhook_secret)
        assert event.type == "checkout.session.completed"
        assert event.data.object.id == session.id and event.data.object.payment_status == "paid"
        assert event.data.object.customer_details.email == "payer@example.com"
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body, header, "whsec_other")
        assert client.v1.checkout.sessions.retrieve(session.id).status == "complete"
        assert stripe_standin.deliveries[-1].status == 200
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_command_line_server_starts_and_answers(tmp_path):
    with StripeStandin() as probe:  # find a free port, then release it for the subprocess
        port = int(probe.url.rsplit(":", 1)[1])
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.stripe", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        client = stripe.StripeClient("sk_test_frontport_sandbox", base_addresses={"api": f"http://127.0.0.1:{port}"},
                                     max_network_retries=0)
        for _ in range(100):
            try:
                assert client.v1.checkout.sessions.create(params=PARAMS).status == "open"
                break
            except stripe.APIConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("the stand-in did not start")
        state = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_standin/state").read())
        assert len(state["sessions"]) == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
