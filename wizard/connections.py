"""The wizard's doorway to the outside world: source connectors and the Front client.

Every call to a vendor made on behalf of a page goes through here, so errors always come back as a
sentence a person can act on (never a stack trace, never a credential), and every one ends within
VENDOR_CALL_DEADLINE_SECONDS (connectors/deadline.py: retries and Retry-After waits included) instead of
holding the web worker while a vendor asks us to wait; past it the person reads "try again in a
minute".
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.utils.translation import gettext as _

from connectors.base import ConnectorError, SourceConnector
from connectors.deadline import DeadlineExceeded, deadline
from connectors.front import FrontClient, Preflight
from connectors.front.oauth import OAuthSession
from connectors.registry import SOURCES, get_connector
from wizard.models import Migration
from wizard.models import oauth_session_for as oauth_session_for_grant

log = logging.getLogger(__name__)


class ConnectionProblem(Exception):
    """A failure to show the user as it is (plain words, no secrets)."""


@dataclass(frozen=True)
class Platform:
    key: str
    label: str
    connector_cls: type[SourceConnector]

    @property
    def features(self) -> frozenset[str]:
        return getattr(self.connector_cls, "features", frozenset())


def platforms() -> list[Platform]:
    """Source platforms from the connector registry (one line per connector there)."""
    return [Platform(key, getattr(cls, "label", key), cls) for key, cls in SOURCES.items()]


def platform(key: str) -> Platform | None:
    return next((p for p in platforms() if p.key == key), None)


P = ParamSpec("P")
R = TypeVar("R")


def within_deadline(call: Callable[P, R]) -> Callable[P, R]:
    """The vendor calls inside `call` end within VENDOR_CALL_DEADLINE_SECONDS."""

    @functools.wraps(call)
    def bounded(*args: P.args, **kwargs: P.kwargs) -> R:
        with deadline(float(settings.VENDOR_CALL_DEADLINE_SECONDS)):
            return call(*args, **kwargs)

    return bounded


def _plain(exc: Exception, *, what: str) -> ConnectionProblem:
    if isinstance(exc, DeadlineExceeded):
        return ConnectionProblem(
            _("%(what)s did not answer in time (it is busy or slow). Please try again in a minute.") % {"what": what}
        )
    if isinstance(exc, ConnectorError):
        return ConnectionProblem(str(exc))
    log.warning("Unexpected %s error: %s", what, type(exc).__name__)
    return ConnectionProblem(
        _("Something unexpected went wrong while contacting %(what)s. Please try again in a minute.") % {"what": what}
    )


# --- Source ------------------------------------------------------------------------------------


def source_connector(*, source_type: str, config: dict[str, Any]) -> SourceConnector:
    p = platform(source_type)
    if p is None:
        raise ConnectionProblem(_("Choose the help desk you are moving from."))
    try:
        return get_connector(source_type, config)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence for the user
        raise _plain(exc, what=p.label) from exc


@dataclass(frozen=True)
class SourceCheck:
    account_name: str  # shown to the user
    account_id: str  # "<platform>:<the connector's stable account identity>" (billing freezes it)


@within_deadline
def check_source(*, source_type: str, config: dict[str, Any]) -> SourceCheck:
    """Run the connector's cheap authenticated call; return the account's name and identity."""
    connector = source_connector(source_type=source_type, config=config)
    try:
        result = connector.check()
    except Exception as exc:  # noqa: BLE001
        raise _plain(exc, what=platform(source_type).label) from exc
    finally:
        connector.close()
    # A connector that cannot tell accounts apart is identified by the name it shows.
    return SourceCheck(account_name=result.account_name,
                       account_id=f"{source_type}:{getattr(result, 'account_id', '') or result.account_name}")


@within_deadline
def with_source(migration: Migration, fn):
    """Call fn(connector) on the migration's saved source connection; errors become ConnectionProblem."""
    connector = source_connector(source_type=migration.source_type, config=migration.source_config or {})
    try:
        return fn(connector)
    except ConnectionProblem:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _plain(exc, what=platform(migration.source_type).label) from exc
    finally:
        connector.close()


# --- Front -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrontCheck:
    company_name: str
    inboxes: list[dict]


def front_fields() -> tuple:
    """The Front connection's declared fields (an address and a secret), like a connector's config_fields."""
    return FrontClient.config_fields


def front_client(*, token: str, api_url: str):
    try:
        return FrontClient(token=token, api_url=api_url or settings.FRONT_API_URL)
    except Exception as exc:  # noqa: BLE001 - e.g. InvalidConfig for a private URL
        raise _plain(exc, what="Front") from exc


@within_deadline
def _preflight(client: FrontClient) -> Preflight:
    """The client's preflight in plain words when it fails; the client is closed either way."""
    try:
        return client.preflight()
    except Exception as exc:  # noqa: BLE001
        raise _plain(exc, what="Front") from exc
    finally:
        _close(client)


def check_front(*, token: str, api_url: str) -> FrontCheck:
    if not token:
        raise ConnectionProblem(_("Paste a Front API token (Front: Settings → Developers → API tokens)."))
    pre = _preflight(front_client(token=token, api_url=api_url))
    if pre.missing_scopes:
        raise ConnectionProblem(
            _("This Front token works but cannot read what the migration needs: %(scopes)s. Create a token with "
              "these permissions (and the permissions to write tags, contacts, messages, comments and "
              "conversations, which the demo uses).")
            % {"scopes": ", ".join(pre.missing_scopes)}
        )
    return FrontCheck(company_name=pre.company_name, inboxes=list(pre.inboxes))


def oauth_session_for(migration: Migration) -> OAuthSession | None:
    """The migration's usable Front OAuth connection (None without one, revoked, or when the operator has no app)."""
    return oauth_session_for_grant(migration.pk)


def front_client_for(migration: Migration, *, token: str | None = None, api_url: str | None = None):
    """A Front client on the migration's connections: the API token and/or the OAuth connection."""
    token = migration.front_token if token is None else token
    oauth = oauth_session_for(migration)
    if oauth is None:
        return front_client(token=token, api_url=api_url or migration.front_api_url)
    try:
        return FrontClient(token=token, api_url=api_url or migration.front_api_url or settings.FRONT_OAUTH_API_URL,
                           oauth=oauth)
    except Exception as exc:  # noqa: BLE001
        raise _plain(exc, what="Front") from exc


@within_deadline
def check_front_oauth(*, migration: Migration, api_url: str) -> FrontCheck:
    """The connection check of a migration connected through Front's OAuth (no API token typed)."""
    pre = _preflight(front_client_for(migration, token="", api_url=api_url))
    return FrontCheck(company_name=pre.company_name, inboxes=list(pre.inboxes))


@within_deadline
def with_front(migration: Migration, fn):
    client = front_client_for(migration)
    try:
        return fn(client)
    except ConnectionProblem:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _plain(exc, what="Front") from exc
    finally:
        _close(client)


def _on_token(client, fn):
    """fn's calls on the API token alone (what Front's OAuth cannot reach: knowledge bases)."""
    with client.token_only():
        return fn()


def _close(client) -> None:
    close = getattr(client, "close", None)
    if callable(close):
        close()


# --- Offline sandbox ---------------------------------------------------------------------------


def sandbox_front() -> tuple[str, str] | None:
    """(url, token) of the offline Front stand-in when the embedded launcher started one."""
    url = getattr(settings, "SANDBOX_FRONT_URL", "")
    token = os.environ.get("SANDBOX_FRONT_TOKEN", "")
    return (url, token) if url and token else None


def knowledge_bases(migration: Migration) -> tuple[list[dict[str, Any]] | None, str | None]:
    """(Front's knowledge bases, why they could not be listed) for the inbox step; (None, None) when the
    source has no help center. Always through the migration's API token: Front's OAuth cannot reach
    knowledge bases (connectors/front/knowledge.py)."""
    from connectors.front.knowledge import FrontKnowledge

    source = SOURCES.get(migration.source_type)
    if source is None or not source.has_knowledge_base():
        return None, None
    try:
        return with_front(migration, lambda c: _on_token(c, lambda: FrontKnowledge(c).knowledge_bases())), None
    except ConnectionProblem as exc:
        return [], str(exc)
