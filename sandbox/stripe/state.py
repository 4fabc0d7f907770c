"""The Stripe stand-in's memory: Checkout Sessions, idempotent replies, events and webhook deliveries.

Answers like Stripe's API (objects, `{"error": {...}}` bodies, Idempotency-Key replay) for the part
Frontport uses, and signs webhooks exactly as Stripe does: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256
of "<t>.<raw body>">` with the endpoint secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

API_VERSION = "2025-10-29.clover"
ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "isk", "ugx", "xaf", "xof", "pyg", "rwf", "kmf", "gnf", "bif", "djf"}
MINIMUM_AMOUNT = 50  # Stripe refuses card charges under about 0.50 of a two-decimal currency


class StripeApiError(Exception):
    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": type_}}
        if code:
            self.body["error"]["code"] = code
        if param:
            self.body["error"]["param"] = param


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


@dataclass
class Delivery:
    event_id: str
    type: str
    status: int | None  # HTTP status the app answered, None when it could not be reached
    error: str = ""


@dataclass
class StandinState:
    api_key: str
    webhook_secret: str
    webhook_url: str | None = None
    base_url: str = ""
    delivery_attempts: int = 3
    retry_delay_s: float = 0.2
    # Strict (docs/vendor-guesses.md, Stripe): sessions are paid through Adaptive Pricing and events are
    # rendered as webhook endpoints on API versions before 2025-03-31 see them: `currency` and
    # `amount_total` in the customer's currency, ours under `currency_conversion`.
    strict: bool = False
    sessions: dict[str, dict] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    _idempotency: dict[str, tuple[str, int, dict]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # --- API --------------------------------------------------------------------------------
    def idempotent(self, key: str | None, fingerprint: str, action) -> tuple[int, dict, bool]:
        """Run `action` once per Idempotency-Key; a replay returns the first answer (same params only)."""
        if not key:
            status, body = action()
            return status, body, False
        with self.lock:
            if key in self._idempotency:
                first_fingerprint, status, body = self._idempotency[key]
                if first_fingerprint != fingerprint:
                    raise StripeApiError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
                        type_="idempotency_error",
                    )
                return status, body, True
            status, body = action()
            self._idempotency[key] = (fingerprint, status, body)
            return status, body, False

    def create_session(self, params: dict) -> dict:
        mode = params.get("mode")
        if not mode:
            raise StripeApiError(400, "Missing required param: mode.", code="parameter_missing", param="mode")
        if mode != "payment":
            raise StripeApiError(400, f"The stand-in supports mode=payment only, not {mode!r}.", param="mode")
        if not params.get("success_url"):
            raise StripeApiError(400, "Missing required param: success_url.", code="parameter_missing",
                                 param="success_url")
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            raise StripeApiError(400, "Missing required param: line_items.", code="parameter_missing",
                                 param="line_items")
        currency, total, lines = None, 0, []
        for index, item in enumerate(items):
            price = item.get("price_data") or {}
            name = (price.get("product_data") or {}).get("name")
            try:
                unit, quantity = int(price["unit_amount"]), int(item.get("quantity", 1))
            except (KeyError, ValueError):
                raise StripeApiError(400, f"Missing required param: line_items[{index}][price_data][unit_amount].",
                                     code="parameter_missing",
                                     param=f"line_items[{index}][price_data][unit_amount]") from None
            if not price.get("currency") or not name:
                raise StripeApiError(400, f"Missing required param: line_items[{index}][price_data][currency] or "
                                     "[product_data][name].", code="parameter_missing",
                                     param=f"line_items[{index}][price_data]")
            if currency and price["currency"].lower() != currency:
                raise StripeApiError(400, "All line items must use the same currency.", param="line_items")
            currency = price["currency"].lower()
            total += unit * quantity
            lines.append({"description": name, "quantity": quantity, "amount_total": unit * quantity})
        if currency not in ZERO_DECIMAL and total < MINIMUM_AMOUNT:
            raise StripeApiError(400, "The Checkout Session's total amount due must add up to at least $0.50 usd",
                                 code="amount_too_small", param="line_items")
        now = int(time.time())
        session_id = new_id("cs_test")
        session = {
            "id": session_id, "object": "checkout.session", "mode": "payment", "livemode": False,
            "status": "open", "payment_status": "unpaid", "currency": currency,
            "amount_subtotal": total, "amount_total": total,
            "success_url": params["success_url"], "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"), "customer_details": None,
            "metadata": params.get("metadata") or {}, "payment_intent": None,
            "created": now, "expires_at": int(params.get("expires_at") or now + 24 * 3600),
            "url": f"{self.base_url}/c/pay/{session_id}",
        }
        with self.lock:
            self.sessions[session_id] = {**session, "_lines": lines}
        return self.public(session_id)

    def public(self, session_id: str) -> dict:
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise StripeApiError(404, f"No such checkout.session: '{session_id}'", code="resource_missing",
                                     param="session")
            return {k: v for k, v in session.items() if not k.startswith("_")}

    def lines(self, session_id: str) -> list[dict]:
        with self.lock:
            return list(self.sessions.get(session_id, {}).get("_lines", []))

    # --- What the hosted page and tests do -----------------------------------------------------
    def pay(self, session_id: str, *, email: str = "customer@example.com") -> dict:
        """The customer pays: the session completes and a signed `checkout.session.completed` is delivered."""
        with self.lock:
            self.public(session_id)
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise StripeApiError(400, f"This Checkout Session is {session['status']}.", param="session")
            session.update(status="complete", payment_status="paid", payment_intent=new_id("pi"),
                           customer_details={"email": session.get("customer_email") or email})
            if self.strict:
                self._present_in_customer_currency(session)
            snapshot = self.public(session_id)
        self.send_event("checkout.session.completed", snapshot)
        return snapshot

    def _present_in_customer_currency(self, session: dict) -> None:
        """Adaptive Pricing as older API versions show it: the customer paid in another currency."""
        source_currency, source_total = session["currency"], session["amount_total"]
        fx_rate = "0.9137"
        presented = "eur" if source_currency != "eur" else "usd"
        converted = int(round(source_total * float(fx_rate)))
        session.update(currency=presented, amount_subtotal=converted, amount_total=converted,
                       currency_conversion={"amount_subtotal": source_total, "amount_total": source_total,
                                            "fx_rate": fx_rate, "source_currency": source_currency})

    def expire(self, session_id: str) -> dict:
        with self.lock:
            self.public(session_id)
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise StripeApiError(400, 'Only Checkout Sessions with a status in ["open"] can be expired.',
                                     param="session")
            session.update(status="expired", url=None)
            snapshot = self.public(session_id)
        self.send_event("checkout.session.expired", snapshot)
        return snapshot

    def build_event(self, type_: str, obj: dict) -> dict:
        event = {
            "id": new_id("evt"), "object": "event", "api_version": API_VERSION, "created": int(time.time()),
            "type": type_, "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "data": {"object": obj},
        }
        with self.lock:
            self.events.append(event)
        return event

    def send_event(self, type_: str, obj: dict) -> dict:
        event = self.build_event(type_, obj)
        self.deliver(event)
        return event

    def deliver(self, event: dict, *, timestamp: int | None = None, secret: str | None = None) -> Delivery:
        """POST the event to the webhook URL, signed; retried a few times while the app fails."""
        payload = json.dumps(event).encode()
        delivery = Delivery(event["id"], event["type"], None, "no webhook URL configured")
        for attempt in range(max(self.delivery_attempts, 1) if self.webhook_url else 0):
            header = sign(payload, secret or self.webhook_secret, timestamp)
            request = urllib.request.Request(  # noqa: S310 - the operator/test's own webhook URL
                self.webhook_url, data=payload, method="POST",
                headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header,
                         "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    delivery = Delivery(event["id"], event["type"], response.status)
            except urllib.error.HTTPError as exc:
                delivery = Delivery(event["id"], event["type"], exc.code, exc.read()[:200].decode(errors="replace"))
            except OSError as exc:
                delivery = Delivery(event["id"], event["type"], None, str(exc))
            if delivery.status is not None and 200 <= delivery.status < 300:
                break
            if attempt + 1 < self.delivery_attempts:
                time.sleep(self.retry_delay_s)
        with self.lock:
            self.deliveries.append(delivery)
        return delivery

    def dump(self) -> dict:
        with self.lock:
            return {
                "sessions": [self.public(sid) for sid in self.sessions],
                "events": [{"id": e["id"], "type": e["type"]} for e in self.events],
                "deliveries": [d.__dict__ for d in self.deliveries],
            }
