"""allauth adapter: the client address behind a proxy, sign-in throttling that cannot lock out the real
user, and the share confirmation after sign-in.

Failed sign-ins are limited three ways (ACCOUNT_RATE_LIMITS, docs/configuration.md "Sign-in throttling"):
- per client address (`login_failed` "10/m/ip"): one address cannot guess across many accounts;
- per account *and* client address (`login_failed` ".../key", the key includes the address): whoever
  keeps failing on an account slows down only their own address, never the account's owner elsewhere;
- per account across every address (`login_failed_account`): a guesser spread over many addresses is
  stopped too. Past that limit the account still opens from a browser where it signed in before (a
  signed "known device" cookie set at each sign-in) and after a password reset by email, which clears
  the count ("unlock by email"). Nobody can shut the owner out of their account from elsewhere.
"""

from __future__ import annotations

import hashlib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core import signing
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config.client_ip import client_ip

KNOWN_DEVICE_COOKIE = "fp_known_device"
KNOWN_DEVICE_SALT = "frontport.known-device"
KNOWN_DEVICE_MAX_AGE = 365 * 24 * 3600
KNOWN_DEVICE_MAX_ACCOUNTS = 8
ACCOUNT_WIDE_ACTION = "login_failed_account"


def _login_of(credentials: dict[str, Any]) -> str:
    return (credentials.get("email") or credentials.get("username") or "").strip().lower()


def _account_digest(login: str) -> str:
    return hashlib.sha256(login.encode()).hexdigest()[:32]


def known_device_accounts(request: HttpRequest) -> list[str]:
    """Digests of the accounts that signed in from this browser before (empty when none or tampered)."""
    raw = request.COOKIES.get(KNOWN_DEVICE_COOKIE)
    if not raw:
        return []
    try:
        value = signing.loads(raw, salt=KNOWN_DEVICE_SALT, max_age=KNOWN_DEVICE_MAX_AGE)
    except signing.BadSignature:
        return []
    return [str(item) for item in value] if isinstance(value, list) else []


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_throttled": _(
            "This account has had too many failed sign-ins from elsewhere. Sign in from a browser you have "
            "used before, or reset your password (we send you an email) to unlock it."
        ),
    }

    # --- the client's address: the one resolved behind TRUSTED_PROXY_COUNT (config/client_ip.py) ---
    def get_client_ip(self, request: HttpRequest) -> str:
        return client_ip(request)

    # --- throttling ---------------------------------------------------------------------------------
    def _account_key(self, request: HttpRequest, **credentials: Any) -> str:
        return f"{get_current_site(request).domain}:{_login_of(credentials)}"

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth's per-key limit, keyed by the account *and* the client: it slows the guesser only.
        return f"{self._account_key(request, **credentials)}:{client_ip(request)}"

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        self._account_wide_usage = None
        super().pre_authenticate(request, **credentials)
        login = _login_of(credentials)
        if login and _account_digest(login) in known_device_accounts(request):
            return  # the owner's own browser: failures elsewhere never stop it
        self._account_wide_usage = allauth_ratelimit.consume(
            request, app="allauth.account", action=ACCOUNT_WIDE_ACTION, key=self._account_key(request, **credentials)
        )
        if not self._account_wide_usage:
            self._rollback_login_failed_rl_usage()  # this attempt was refused, not failed
            raise self.validation_error("account_throttled")

    def _rollback_login_failed_rl_usage(self) -> None:
        super()._rollback_login_failed_rl_usage()
        usage = getattr(self, "_account_wide_usage", None)
        if usage:
            usage.rollback()

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials: Any) -> None:
        # A password reset (proof of the mailbox) unlocks the account for every address.
        super()._delete_login_attempts_cached_email(request, **credentials)
        allauth_ratelimit.clear(
            request, app="allauth.account", action=ACCOUNT_WIDE_ACTION, key=self._account_key(request, **credentials)
        )

    # --- after sign-in --------------------------------------------------------------------------
    def post_login(self, request: HttpRequest, user, *, redirect_url: str | None = None, **kwargs: Any):
        from wizard.sharing import SESSION_PENDING_TOKEN

        pending = request.session.pop(SESSION_PENDING_TOKEN, None) if hasattr(request, "session") else None
        if pending:
            # A share link opened while signed out: ask before accepting it (never accept silently).
            redirect_url = reverse("wizard:share_accept", kwargs={"token": pending})
        response = super().post_login(request, user, redirect_url=redirect_url, **kwargs)
        self._remember_device(request, response, user)
        return response

    def _remember_device(self, request: HttpRequest, response, user) -> None:
        if not isinstance(response, HttpResponseRedirect):
            return
        emails = {(user.email or "").lower()} | {
            address.email.lower() for address in user.emailaddress_set.filter(verified=True)
        }
        mine = [_account_digest(email) for email in sorted(emails) if email]
        others = [digest for digest in known_device_accounts(request) if digest not in mine]
        accounts = (mine + others)[:KNOWN_DEVICE_MAX_ACCOUNTS]
        response.set_cookie(
            KNOWN_DEVICE_COOKIE,
            signing.dumps(accounts, salt=KNOWN_DEVICE_SALT),
            max_age=KNOWN_DEVICE_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
