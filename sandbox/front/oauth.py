"""Front's OAuth server as the stand-in plays it (DESIGN.md §8; guesses in docs/vendor-guesses.md).

- GET /oauth/authorize?response_type=code&client_id&redirect_uri&state: a page where a teammate of the
  company (picked from a list: the stand-in has no login) approves or declines. Only admins may approve;
  anyone else reads Front's words "You need to be an administrator of your Front instance to authorize
  this request." Approval redirects to redirect_uri with `code` and `state`; declining with
  `error=access_denied` and `state`.
- POST /oauth/token, HTTP Basic auth with the client id and secret, form body: `grant_type=
  authorization_code` (code, redirect_uri) or `grant_type=refresh_token` (refresh_token). Answers
  {access_token, refresh_token, expires_at, token_type: "Bearer"}; a refresh rotates the refresh token
  (the old one stops working) unless strict (then no new one is returned and the old one stays valid).
- Access tokens live `token_ttl` seconds on the stand-in's clock (`clock_offset` moves it forward).
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

NOT_ADMIN = "You need to be an administrator of your Front instance to authorize this request."
PRIVATE_REFUSAL = "OAuth applications cannot access a teammate's private resources or knowledge bases."


@dataclass
class OAuthServer:
    client_id: str = "sandbox-oauth-client"
    client_secret: str = "sandbox-oauth-secret"  # noqa: S105 - the stand-in's own
    token_ttl: float = 3600.0
    strict: bool = False
    clock_offset: float = 0.0
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    access: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> {expires_at, teammate}
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> teammate
    counters: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def now(self) -> float:
        return time.time() + self.clock_offset

    def count(self, name: str) -> None:
        self.counters[name] = self.counters.get(name, 0) + 1

    # --- the API side ---------------------------------------------------------------------------
    def teammate_of(self, token: str) -> str | None:
        """The teammate behind a live access token; None when unknown or expired."""
        with self.lock:
            entry = self.access.get(token)
            if entry is None:
                return None
            if entry["expires_at"] <= self.now():
                self.count("expired_token_calls")
                return None
            return entry["teammate"]

    def is_access_token(self, token: str) -> bool:
        return token in self.access

    def revoke(self) -> None:
        """The admin removed the app in Front: every token of it stops working."""
        with self.lock:
            self.access.clear()
            self.refresh.clear()
            self.count("revocations")

    def control(self, data: dict) -> dict:
        if data.get("revoke"):
            self.revoke()
        if "advance_s" in data:
            self.clock_offset += float(data["advance_s"])
        if "token_ttl" in data:
            self.token_ttl = float(data["token_ttl"])
        return self.as_dict()

    def as_dict(self) -> dict:
        with self.lock:
            return {"client_id": self.client_id, "token_ttl": self.token_ttl, "clock_offset": self.clock_offset,
                    "live_access_tokens": sum(1 for a in self.access.values() if a["expires_at"] > self.now()),
                    "refresh_tokens": len(self.refresh), **self.counters}

    # --- /oauth/authorize -------------------------------------------------------------------------
    def authorize_page(self, query: dict[str, str], teammates: dict[str, dict]) -> tuple[int, bytes, str, dict]:
        problem = self._check_client(query)
        if problem:
            return _page(400, "Invalid request", f"<p>{html.escape(problem)}</p>")
        options = "".join(
            f'<option value="{html.escape(tid)}">{html.escape(t["first_name"])} {html.escape(t["last_name"])} '
            f'({html.escape(t["email"])}){" - admin" if t["is_admin"] else ""}</option>'
            for tid, t in teammates.items())
        hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(query.get(k, ""))}">'
                         for k in ("client_id", "redirect_uri", "state"))
        body = (f"<p>Frontport (sandbox OAuth app) wants to access your Front company.</p>"
                f'<form method="post" action="/oauth/authorize">{hidden}'
                f'<label for="teammate">Signed in as</label> <select id="teammate" name="teammate">{options}</select>'
                f'<p><button type="submit" name="decision" value="approve">Authorize</button> '
                f'<button type="submit" name="decision" value="decline">Decline</button></p></form>')
        return _page(200, "Authorize Frontport", body)

    def authorize_post(self, form: dict[str, str], teammates: dict[str, dict]) -> tuple[int, bytes, str, dict]:
        problem = self._check_client(form)
        if problem:
            return _page(400, "Invalid request", f"<p>{html.escape(problem)}</p>")
        redirect, state = form["redirect_uri"], form.get("state", "")
        sep = "&" if "?" in redirect else "?"
        if form.get("decision") != "approve":
            self.count("declined")
            location = f"{redirect}{sep}{urlencode({'error': 'access_denied', 'state': state})}"
            return 302, b"", "text/html", {"Location": location}
        teammate = teammates.get(form.get("teammate", ""))
        if not teammate or not teammate["is_admin"]:
            self.count("refused_not_admin")
            return _page(403, "Authorization refused", f'<p role="alert">{NOT_ADMIN}</p>')
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {"redirect_uri": redirect, "teammate": teammate["id"], "expires_at": self.now() + 600}
            self.count("codes_issued")
        return 302, b"", "text/html", {"Location": f"{redirect}{sep}{urlencode({'code': code, 'state': state})}"}

    def _check_client(self, params: dict[str, str]) -> str | None:
        if params.get("client_id") != self.client_id:
            return "Unknown client_id."
        if not params.get("redirect_uri", "").startswith(("http://", "https://")):
            return "redirect_uri must be an absolute http(s) URL."
        return None

    # --- /oauth/token -----------------------------------------------------------------------------
    def token(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str, dict]:
        if not self._basic_ok(headers.get("authorization", "")):
            self.count("token_bad_client")
            return _json(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _json(400, {"error": "invalid_request", "error_description": "Expected a form-encoded body"})
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        grant = form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                entry = self.codes.pop(form.get("code", ""), None)  # a code works once
                if not entry or entry["expires_at"] < self.now() or entry["redirect_uri"] != form.get("redirect_uri"):
                    return _json(400, {"error": "invalid_grant", "error_description": "Invalid authorization code"})
                self.count("codes_exchanged")
                return _json(200, self._issue(entry["teammate"], None))
            if grant == "refresh_token":
                old = form.get("refresh_token", "")
                teammate = self.refresh.get(old)
                if teammate is None:
                    self.count("refresh_refused")
                    return _json(400, {"error": "invalid_grant", "error_description": "Invalid refresh token"})
                self.count("refreshes")
                return _json(200, self._issue(teammate, old))
        return _json(400, {"error": "unsupported_grant_type"})

    def _issue(self, teammate: str, old_refresh: str | None) -> dict:
        access = f"fo_{secrets.token_urlsafe(24)}"
        expires_at = self.now() + self.token_ttl
        self.access[access] = {"expires_at": expires_at, "teammate": teammate}
        answer: dict[str, Any] = {"access_token": access, "token_type": "Bearer",
                                  # strict: milliseconds (Front does not say which unit)
                                  "expires_at": int(expires_at * 1000) if self.strict else int(expires_at)}
        if old_refresh and self.strict:
            return answer  # strict: no rotation, the old refresh token stays valid
        if old_refresh:
            del self.refresh[old_refresh]  # rotation: the old refresh token stops working now
        refresh = f"fr_{secrets.token_urlsafe(24)}"
        self.refresh[refresh] = teammate
        answer["refresh_token"] = refresh
        return answer

    def _basic_ok(self, header: str) -> bool:
        if not header.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except ValueError:
            return False
        return secrets.compare_digest(user, self.client_id) and secrets.compare_digest(password, self.client_secret)


def _json(status: int, payload: dict) -> tuple[int, bytes, str, dict]:
    return status, json.dumps(payload).encode(), "application/json", {"Cache-Control": "no-store"}


def _page(status: int, title: str, body: str) -> tuple[int, bytes, str, dict]:
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
            f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>")
    return status, page.encode(), "text/html; charset=utf-8", {}
