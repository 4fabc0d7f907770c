"""Building a run's context: clients from the migration's (encrypted) credentials, and the facts read
once per run (teammates, agents, inbox address, custom field names, totals) kept in `Run.context`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from connectors.budget import SharedBudget
from connectors.front import FrontClient, InvalidConfig
from connectors.front.budgets import PARTNER, TOKEN, BudgetPair, company_budget
from connectors.front.oauth import OAuthSession
from connectors.http import RetryPolicy
from connectors.registry import get_connector
from migrations_engine import accounts, fidelity, mapping, people, records
from migrations_engine.budgets import EngineBudget, company_key
from migrations_engine.journal import RunContext
from migrations_engine.models import EngineState, Run
from wizard.models import oauth_session_for

if TYPE_CHECKING:
    from wizard.models import Migration


def retry_base_delay() -> float:
    """First back-off step after a 5xx / dropped connection (doubles each time, with jitter)."""
    return float(getattr(settings, "ENGINE_RETRY_BASE_DELAY", 0.5))


def token_share(snapshot: dict[str, Any] | None) -> float:
    """The part of the company's API-token budget a run may spend (0..1; the setting is a percentage)."""
    default = int(getattr(settings, "FRONT_TOKEN_SHARE_DEFAULT", 80))
    value = (snapshot or {}).get("token_share")
    return max(0, min(100, int(default if value is None else value))) / 100


def oauth_session(migration: Migration) -> OAuthSession | None:
    """The migration's Front OAuth connection; a revoked one raises ReconnectNeeded (the run pauses)."""
    return oauth_session_for(migration.pk, revoked_raises=True)


def _engine_budget(company_key: str, kind: str, *, share: float = 1.0, priority: bool = False) -> EngineBudget:
    budget = company_budget(company_key, kind, share=share, cls=EngineBudget)
    assert isinstance(budget, EngineBudget)
    budget.priority = priority
    return budget


def front_client(migration: Migration, *, retry: RetryPolicy | None = None,
                 budget: SharedBudget | BudgetPair | None = None, snapshot: dict[str, Any] | None = None,
                 oauth: OAuthSession | None = None, priority: bool = False) -> FrontClient:
    """The run's Front client: on the API token, the OAuth connection, or both (then its calls are spread
    over the company budget, up to the run's token share, and the partner budget: connectors/front/budgets.py).
    A private target inbox takes the API token alone: OAuth cannot reach it. `priority`: a demo's calls
    go first in its company's budgets (the demo lane, migrations_engine/budgets.py)."""
    api_url = migration.front_api_url or (settings.FRONT_OAUTH_API_URL if oauth else settings.FRONT_API_URL)
    # One budget per Front company: the company when known, else the token itself.
    key = migration.front_company_name or migration.front_token
    budget_key = company_key(api_url=api_url, company=key)
    if budget is None:
        budgets: dict[str, SharedBudget] = {}
        if migration.front_token:
            budgets[TOKEN] = _engine_budget(budget_key, TOKEN, share=token_share(snapshot), priority=priority)
        if oauth is not None:
            budgets[PARTNER] = _engine_budget(budget_key, PARTNER, priority=priority)
        if not budgets:  # e.g. knowledge bases (articles.py) on a migration connected through OAuth alone
            raise InvalidConfig("This needs a Front API token: Front's OAuth connection cannot reach it (a "
                                "teammate's private inbox, knowledge bases). Add an API token on the connect step.")
        budget = BudgetPair(budgets)
    if retry is None:
        retry = RetryPolicy(base_delay=retry_base_delay())
    return FrontClient(token=migration.front_token, api_url=api_url, budget_key=budget_key, retry=retry,
                       budget=budget, oauth=oauth)


def build(run: Run) -> RunContext:
    migration = run.migration
    state, _ = EngineState.objects.get_or_create(migration=migration)
    # A teammate's private inbox is out of OAuth's reach: such a run goes on the API token alone.
    oauth = None if migration.front_inbox_private and migration.front_token else oauth_session(migration)
    client = front_client(migration, snapshot=run.settings, oauth=oauth, priority=run.kind == Run.Kind.DEMO)
    # Comments are not deduplicated by Front: their client never retries by itself (finish.py, _post_once).
    comment_client = front_client(migration, retry=RetryPolicy(max_attempts=1, base_delay=retry_base_delay()),
                                  budget=client.budget, snapshot=run.settings, oauth=oauth)
    source_config: dict[str, Any] = migration.source_config  # an encrypted JSON column, decoded
    source = get_connector(run.settings.get("source_type") or migration.source_type, source_config)
    c = run.context or {}
    ctx = RunContext(
        run=run, migration=migration, snapshot=run.settings, client=client, comment_client=comment_client,
        source=source, namespace=state.namespace, lineage=run.lineage,
        teammates=c.get("teammates", {}), default_teammate=c.get("default_teammate", ""),
        teammate_emails=c.get("teammate_emails", {}), inbox_address=c.get("inbox_address", ""),
        front_custom_fields=set(c.get("custom_fields", [])), agent_names=c.get("agent_names", {}),
        retry_delay=retry_base_delay(),
    )
    fidelity.remember_run_tags(ctx)
    return ctx


def prepare(ctx: RunContext) -> None:
    """Read once per run what every ticket needs; record the agents; set the totals."""
    run, snap = ctx.run, ctx.snapshot
    teammates = ctx.client.teammates()
    agents = ctx.source.agents()
    mapping_, default, how = mapping.resolve_teammates(agents=agents, teammates=teammates, snapshot=snap)
    counters = run.counters or records.empty_counters()
    if snap["objects"].get("agents", True):
        counters["agents"] = records.record_agents(run=run, agents=agents, mapping_=mapping_, how=how)
    inbox_address = ""
    try:
        channels = ctx.client.inbox_channels(snap["inbox_id"])
        inbox_address = next((c["address"] for c in channels if c.get("address")), "")
    except Exception:  # noqa: BLE001 - a missing scope here only costs the default "to" address
        inbox_address = ""
    fidelity.read_run_tags(ctx)  # once per run: imports then name only tags that exist (fidelity.py)
    custom_fields: list[str] = []
    if snap["custom_fields"] == "fields":
        custom_fields = [f["name"] for f in ctx.client.conversation_custom_fields()]
    if run.kind == Run.Kind.DEMO:
        total = len(run.ids or snap["demo_ids"]) or 20
    elif run.kind == Run.Kind.RETRY:
        total = len(run.ids)
    elif run.kind == Run.Kind.DELTA:
        total = 0  # unknown until the stream ends: progress shows what was handled
    else:  # only a progress total: a source that cannot count still migrates (a warning says so)
        total = int(ctx.source.optional("The ticket count", lambda: ctx.source.count(
            "tickets", filter=snap["source_filter"] or None), 0,
            without="progress shows the tickets handled until the stream ends."))
    counters["tickets"]["total"] = total
    run.counters = counters
    run.context = {
        **(run.context or {}),
        "teammates": mapping_,
        "default_teammate": default,
        "teammate_emails": {t["id"]: t.get("email") or "" for t in teammates},
        "agent_names": {a.source_id: a.name or a.email or a.source_id for a in agents},
        "inbox_address": inbox_address or f"inbox-{snap['inbox_id']}@frontport.invalid",
        "custom_fields": custom_fields,
        **accounts.prepare(ctx),  # Front's account and contact custom fields: read once per run
        **people.prepare(ctx),
    }
