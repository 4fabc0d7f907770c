"""Connecting Front through its OAuth (DESIGN.md §8): "Connect with Front", the callback, reconnecting.

The `state` sent to Front is random, kept in the user's session bound to the migration; the callback only
accepts a state it finds there (once), for a migration the user may still edit (wizard/access.py). The
code is exchanged with Basic auth (connectors/front/oauth.py), the company is read with the new token, and
the grant is stored encrypted (wizard/oauth_models.py). Runs paused for "Reconnect Front" resume.
"""

from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from connectors.base import ConnectorError
from connectors.front import FrontClient
from connectors.front.budgets import PARTNER, BudgetPair, company_budget
from connectors.front.oauth import MemoryTokenStore, OAuthApp, OAuthSession, OAuthTokens
from wizard import connections, run_services
from wizard.access import Level, get_migration_for
from wizard.models import FrontOAuthGrant, Migration, save_grant
from wizard.steps import Step, step_url

SESSION_KEY = "front_oauth_states"
STATE_TTL = 15 * 60  # seconds an authorization may take


def configured() -> bool:
    return bool(settings.FRONT_OAUTH_CLIENT_ID and settings.FRONT_OAUTH_CLIENT_SECRET)


def redirect_uri() -> str:
    return f"{settings.SITE_URL}/front/oauth/callback/"


def oauth_app() -> OAuthApp:
    return OAuthApp(client_id=settings.FRONT_OAUTH_CLIENT_ID, client_secret=settings.FRONT_OAUTH_CLIENT_SECRET,
                    oauth_url=settings.FRONT_OAUTH_URL)


def grant_of(migration: Migration) -> FrontOAuthGrant | None:
    return FrontOAuthGrant.objects.filter(migration=migration).first()


@require_POST
@login_required
def start(request, pk: int):
    migration, _level = get_migration_for(request.user, pk, level=Level.EDITOR)
    if not configured():
        messages.error(request, _("Connecting with Front is not set up on this installation: use an API token."))
        return redirect(step_url(migration, Step.CONNECT))
    state = secrets.token_urlsafe(24)
    states = {k: v for k, v in request.session.get(SESSION_KEY, {}).items() if v["at"] > time.time() - STATE_TTL}
    states[state] = {"migration": migration.pk, "at": time.time(), "next": request.POST.get("next", "")}
    request.session[SESSION_KEY] = states
    app = oauth_app()
    try:
        return redirect(app.authorize_url(redirect_uri=redirect_uri(), state=state))
    finally:
        app.close()


def _check_with(tokens: OAuthTokens, api_url: str) -> tuple[str, str]:
    """(company name, company id) read with the new token: proves it works before anything is stored."""
    session = OAuthSession(oauth_app(), MemoryTokenStore(tokens))
    client = FrontClient(token="", api_url=api_url, oauth=session,
                         budget=BudgetPair({PARTNER: company_budget(f"oauth-check-{secrets.token_hex(6)}", PARTNER)}))
    try:
        me = client.me()
    finally:
        client.close()
        session.app.close()
    return me.get("name", ""), me.get("id", "")


@require_GET
@login_required
def callback(request):
    states = request.session.get(SESSION_KEY, {})
    entry = states.pop(request.GET.get("state", ""), None)
    request.session[SESSION_KEY] = states
    if entry is None or entry["at"] < time.time() - STATE_TTL:
        messages.error(request, _("Front's answer did not match a connection started here (or it came too "
                                  "late). Nothing was changed: click “Connect with Front” again."))
        return redirect("wizard:dashboard")
    migration, _level = get_migration_for(request.user, entry["migration"], level=Level.EDITOR)
    back = entry.get("next") or step_url(migration, Step.CONNECT)
    if not back.startswith("/"):
        back = step_url(migration, Step.CONNECT)
    if request.GET.get("error") or not request.GET.get("code"):
        messages.error(request, _("Front did not authorize Frontport, so nothing was connected. Only an "
                                  "administrator of your Front company can approve it: ask one to click “Connect "
                                  "with Front”, or use an API token instead."))
        return redirect(back)
    api_url = migration.front_api_url or settings.FRONT_OAUTH_API_URL
    app = oauth_app()
    try:
        tokens = app.exchange(code=request.GET["code"], redirect_uri=redirect_uri())
        company, company_id = connections.within_deadline(_check_with)(tokens, api_url)
    except (ConnectorError, connections.ConnectionProblem) as exc:
        messages.error(request, _("Front could not be connected: %(why)s") % {"why": exc})
        return redirect(back)
    finally:
        app.close()
    with transaction.atomic():
        save_grant(migration_id=migration.pk, tokens=tokens, company_id=company_id, user_id=request.user.pk)
        migration.front_api_url = api_url
        migration.front_company_name = company or migration.front_company_name
        migration.save(update_fields=["front_api_url", "front_company_name", "updated_at"])
        resumed = run_services.resume_after_front_reconnect(migration=migration)
    if resumed:
        messages.success(request, _("Front is connected again: the paused run resumes where it stopped."))
    else:
        messages.success(request, _("Connected to %(company)s with Front's OAuth.") % {"company": company})
    return redirect(back)
