"""The Stripe stand-in's HTTP server (stdlib only, no Django): `/v1/checkout/sessions...` and `/c/pay/<id>`."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from sandbox.stripe.constants import SANDBOX_SECRET_KEY, SANDBOX_WEBHOOK_SECRET
from sandbox.stripe.formdata import decode_form
from sandbox.stripe.page import checkout_page
from sandbox.stripe.state import StandinState, StripeApiError, new_id

SESSIONS = "/v1/checkout/sessions"


class Handler(BaseHTTPRequestHandler):
    server_version = "StripeStandin/1.0"
    state: StandinState  # set on the per-server subclass

    def log_message(self, format, *args) -> None:  # noqa: A002 - quiet: tests and the launcher have their own logs
        pass

    # --- plumbing -----------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", new_id("req"))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: dict, extra: dict | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", extra)

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        key = ""
        if header.startswith("Bearer "):
            key = header[7:]
        elif header.startswith("Basic "):
            key = base64.b64decode(header[6:]).decode(errors="replace").split(":", 1)[0]
        if key == self.state.api_key:
            return True
        if not key:
            message = "You did not provide an API key. You need to provide your API key in the Authorization header."
        else:
            message = f"Invalid API Key provided: {key[:7]}{'*' * 4}{key[-4:]}"
        self._json(401, {"error": {"message": message, "type": "invalid_request_error"}})
        return False

    def _route(self, method: str) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        try:
            if path.startswith("/c/pay/"):
                return self._hosted(method, path.removeprefix("/c/pay/"))
            if path == "/_standin/state" and method == "GET":
                return self._json(200, self.state.dump())
            if path.startswith("/v1/") and not self._authorized():
                return None
            if path == SESSIONS and method == "POST":
                return self._create()
            if path == SESSIONS and method == "GET":
                data = [self.state.public(sid) for sid in list(self.state.sessions)][::-1]
                return self._json(200, {"object": "list", "data": data, "has_more": False, "url": SESSIONS})
            if path.startswith(SESSIONS + "/"):
                rest = path.removeprefix(SESSIONS + "/").split("/")
                if len(rest) == 1 and method == "GET":
                    return self._json(200, self.state.public(rest[0]))
                if len(rest) == 2 and rest[1] == "expire" and method == "POST":
                    return self._json(200, self.state.expire(rest[0]))
            raise StripeApiError(404, f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs")
        except StripeApiError as exc:
            self._json(exc.status, exc.body)

    def _create(self) -> None:
        raw = self._body()
        try:
            params = decode_form(raw)
        except ValueError as exc:
            raise StripeApiError(400, f"Invalid request body: {exc}") from None
        fingerprint = hashlib.sha256(raw).hexdigest()
        status, body, replayed = self.state.idempotent(
            self.headers.get("Idempotency-Key"), fingerprint, lambda: (200, self.state.create_session(params))
        )
        self._json(status, body, {"Idempotent-Replayed": "true"} if replayed else None)

    def _hosted(self, method: str, session_id: str) -> None:
        try:
            session = self.state.public(session_id)
        except StripeApiError:
            return self._send(404, b"<h1>This checkout does not exist.</h1>", "text/html; charset=utf-8")
        if method == "POST":
            form = parse_qs(self._body().decode())
            email = (form.get("email") or [""])[0] or "customer@example.com"
            if session["status"] == "open":
                session = self.state.pay(session_id, email=email)
                target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
                return self._send(303, b"", "text/html", {"Location": target})
        page = checkout_page(session, self.state.lines(session_id))
        self._send(200, page.encode(), "text/html; charset=utf-8")

    def do_GET(self) -> None:  # noqa: N802 - http.server's names
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")


class StripeStandin:
    """A running stand-in: `with StripeStandin(webhook_url=...) as stripe_standin: stripe_standin.url`."""

    def __init__(self, *, api_key: str = SANDBOX_SECRET_KEY, webhook_secret: str = SANDBOX_WEBHOOK_SECRET,
                 webhook_url: str | None = None, host: str = "127.0.0.1", port: int = 0,
                 delivery_attempts: int = 3, retry_delay_s: float = 0.2, strict: bool = False):
        # strict=True takes the other reading of every Stripe guess in docs/vendor-guesses.md.
        self.state = StandinState(api_key=api_key, webhook_secret=webhook_secret, webhook_url=webhook_url,
                                  delivery_attempts=delivery_attempts, retry_delay_s=retry_delay_s, strict=strict)
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.state.base_url = self.url
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_key(self) -> str:
        return self.state.api_key

    @property
    def webhook_secret(self) -> str:
        return self.state.webhook_secret

    @property
    def webhook_url(self) -> str | None:
        return self.state.webhook_url

    @webhook_url.setter
    def webhook_url(self, value: str | None) -> None:
        self.state.webhook_url = value

    def start(self) -> StripeStandin:
        # A short poll interval keeps stop() quick (tests start and stop many stand-ins).
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="stripe-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> StripeStandin:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # Conveniences for tests: the same actions as the hosted page and Stripe's dashboard.
    def state_dump(self) -> dict:
        return self.state.dump()

    def session(self, session_id: str) -> dict:
        return self.state.public(session_id)

    def pay(self, session_id: str, **kwargs) -> dict:
        return self.state.pay(session_id, **kwargs)

    def expire(self, session_id: str) -> dict:
        return self.state.expire(session_id)

    @property
    def deliveries(self):
        return list(self.state.deliveries)

    @property
    def events(self) -> list[dict]:
        return list(self.state.events)
