"""A migration's Front OAuth grant: its tokens (encrypted at rest) and the one compare-and-swap that renews them.

Several workers (threads and processes) may find the access token stale at the same moment. `GrantTokenStore
.renew` lets exactly one of them refresh: it claims the row with an UPDATE ... WHERE version = <the stale
version> AND nobody is renewing (atomic on SQLite and PostgreSQL alike), calls Front, and saves the new
access token and the rotated refresh token in one UPDATE that bumps the version. The others wait for the
version to move and read the new pair. A refresh Front refuses (revoked or expired grant) marks the grant
revoked: the run pauses with "Reconnect Front" (connectors/front/oauth.py, ReconnectNeeded).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone

from config.crypto import EncryptedTextField
from connectors.base import Unreachable
from connectors.front.oauth import RECONNECT_MESSAGE, OAuthApp, OAuthSession, OAuthTokens, ReconnectNeeded

RENEWAL_LEASE_SECONDS = 30.0  # a renewer that died holding the claim is replaced after this long


class FrontOAuthGrant(models.Model):
    migration = models.OneToOneField("wizard.Migration", on_delete=models.CASCADE, related_name="front_oauth")
    access_token = EncryptedTextField(blank=True, default="")
    refresh_token = EncryptedTextField(blank=True, default="")
    expires_at = models.FloatField(default=0.0)  # UNIX time
    issued_at = models.FloatField(default=0.0)
    version = models.PositiveIntegerField(default=0)
    renewing_until = models.FloatField(default=0.0)  # a worker's claim to renew (UNIX time it lapses)
    company_id = models.CharField(max_length=64, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "wizard"

    def __str__(self) -> str:
        return f"Front OAuth grant of migration {self.migration_id}"

    def __repr__(self) -> str:  # never show tokens
        return f"<FrontOAuthGrant migration={self.migration_id} v{self.version}{' revoked' if self.revoked_at else ''}>"

    @property
    def usable(self) -> bool:
        return bool(self.refresh_token) and self.revoked_at is None

    def tokens(self) -> OAuthTokens:
        return OAuthTokens(access_token=self.access_token, refresh_token=self.refresh_token,
                           expires_at=self.expires_at, issued_at=self.issued_at, version=self.version)


def save_grant(*, migration_id: int, tokens: OAuthTokens, company_id: str = "", user_id: int | None = None) -> None:
    """A fresh grant (connect or reconnect): replaces the tokens, clears a revocation, bumps the version."""
    grant, created = FrontOAuthGrant.objects.get_or_create(migration_id=migration_id)
    grant.access_token, grant.refresh_token = tokens.access_token, tokens.refresh_token
    grant.expires_at, grant.issued_at = tokens.expires_at, tokens.issued_at
    grant.version = 0 if created else grant.version + 1
    grant.renewing_until, grant.revoked_at = 0.0, None
    grant.company_id = company_id or grant.company_id
    grant.connected_by_id = user_id
    grant.save()


def oauth_session_for(migration_id: int, *, revoked_raises: bool = False) -> OAuthSession | None:
    """The migration's Front OAuth connection, when it has one and the operator configured the app.
    A revoked grant gives None (the wizard offers "Reconnect Front"), or with `revoked_raises` (a run)
    ReconnectNeeded, so the run pauses with that message."""
    grant = FrontOAuthGrant.objects.filter(migration_id=migration_id).first()
    if grant is None or not grant.refresh_token or not settings.FRONT_OAUTH_CLIENT_ID:
        return None
    if grant.revoked_at is not None:
        if revoked_raises:
            raise ReconnectNeeded(RECONNECT_MESSAGE)
        return None
    app = OAuthApp(client_id=settings.FRONT_OAUTH_CLIENT_ID, client_secret=settings.FRONT_OAUTH_CLIENT_SECRET,
                   oauth_url=settings.FRONT_OAUTH_URL)
    return OAuthSession(app, GrantTokenStore(grant.pk))


class GrantTokenStore:
    """connectors.front.oauth.TokenStore over a FrontOAuthGrant row."""

    def __init__(self, grant_id: int, *, wait_seconds: float = 60.0) -> None:
        self.grant_id = grant_id
        self.wait_seconds = wait_seconds

    def _row(self) -> FrontOAuthGrant:
        return FrontOAuthGrant.objects.get(pk=self.grant_id)

    def current(self) -> OAuthTokens:
        row = self._row()
        if row.revoked_at is not None:
            raise ReconnectNeeded(RECONNECT_MESSAGE)
        return row.tokens()

    def renew(self, stale: OAuthTokens, refresh: Callable[[str], OAuthTokens]) -> OAuthTokens:
        give_up = time.monotonic() + self.wait_seconds
        rows = FrontOAuthGrant.objects.filter(pk=self.grant_id)
        while True:
            row = self._row()
            if row.revoked_at is not None:
                raise ReconnectNeeded(RECONNECT_MESSAGE)
            if row.version != stale.version:
                return row.tokens()  # another worker renewed it meanwhile
            now = time.time()
            if rows.filter(version=stale.version, renewing_until__lt=now).update(
                    renewing_until=now + RENEWAL_LEASE_SECONDS):
                return self._refresh(row, refresh)
            if time.monotonic() > give_up:
                raise Unreachable("Front's OAuth connection could not be renewed in time; the run will try again.")
            time.sleep(0.05)

    def _refresh(self, row: FrontOAuthGrant, refresh: Callable[[str], OAuthTokens]) -> OAuthTokens:
        rows = FrontOAuthGrant.objects.filter(pk=self.grant_id, version=row.version)
        try:
            new = refresh(row.refresh_token)
        except ReconnectNeeded:
            rows.update(revoked_at=timezone.now(), renewing_until=0.0)
            raise
        except BaseException:
            rows.update(renewing_until=0.0)
            raise
        # One UPDATE: access token, rotated refresh token and version move together (or not at all); the
        # fields encrypt what update() writes as they do on save().
        rows.update(access_token=new.access_token, refresh_token=new.refresh_token,
                    expires_at=new.expires_at, issued_at=new.issued_at, version=F("version") + 1,
                    renewing_until=0.0, updated_at=timezone.now())
        return OAuthTokens(access_token=new.access_token, refresh_token=new.refresh_token,
                           expires_at=new.expires_at, issued_at=new.issued_at, version=row.version + 1)
