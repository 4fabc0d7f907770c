"""Building a run's context: clients from the migration's (encrypted) credentials, and the facts read
once per run (teammates, agents, inbox address, custom field names, totals) kept in `Run.context`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from connectors.budget import SharedBudget
from connectors.front import FrontClient
from connectors.http import RetryPolicy
from connectors.registry import get_connector
from migrations_engine import accounts, fidelity, mapping, people, records
from migrations_engine.budgets import EngineBudget, company_budget_key
from migrations_engine.journal import RunContext
from migrations_engine.models import EngineState, Run

if TYPE_CHECKING:
    from wizard.models import Migration


def retry_base_delay() -> float:
    """First back-off step after a 5xx / dropped connection (doubles each time, with jitter)."""
    return float(getattr(settings, "ENGINE_RETRY_BASE_DELAY", 0.5))


def front_client(migration: Migration, *, retry: RetryPolicy | None = None,
                 budget: SharedBudget | None = None, priority: bool = False) -> FrontClient:
    """A Front client on the migration's company budget (budgets.py). `priority`: a demo's (the lane)."""
    api_url = migration.front_api_url or settings.FRONT_API_URL
    # One budget per Front company: the company when known, else the token itself.
    key = company_budget_key(api_url=api_url, company=migration.front_company_name or migration.front_token)
    budget = budget or EngineBudget(key, default_limit=50, priority=priority)
    if retry is None:
        retry = RetryPolicy(base_delay=retry_base_delay())
    return FrontClient(token=migration.front_token, api_url=api_url, budget_key=key.removeprefix("front:"),
                       retry=retry, budget=budget)


def build(run: Run) -> RunContext:
    migration = run.migration
    state, _ = EngineState.objects.get_or_create(migration=migration)
    client = front_client(migration, priority=run.kind == Run.Kind.DEMO)
    # Comments are not deduplicated by Front: their client never retries by itself (finish.py, _post_once).
    comment_client = front_client(migration, retry=RetryPolicy(max_attempts=1, base_delay=retry_base_delay()),
                                  budget=client.budget)
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
