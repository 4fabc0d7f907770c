"""Price of a migration: record counts through non-linear (graduated) tiers, plus the plan.

Amounts are integer minor units of `settings.BILLING_CURRENCY` (cents for USD). Tier prices are in
hundredths of a minor unit per record so sub-cent prices stay exact; each line is rounded up once.
Replies, notes and attachments are free. A quote is a list of structured lines (no text), so a frozen
order can be shown later in any language.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from billing.plans import Plan

PRICED_ENTITIES = ("tickets", "contacts", "agents", "organizations", "articles")

# [up to this many records (None = no limit), hundredths of a minor unit per record]; later records cost less.
# Organizations (-> Front accounts) and articles (-> the Front knowledge base) are free unless the operator
# prices them (BILLING_PRICE_TIERS).
DEFAULT_TIERS: dict[str, list[list[int | None]]] = {
    "tickets": [[1_000, 2_000], [10_000, 1_000], [100_000, 400], [None, 150]],
    "contacts": [[10_000, 100], [100_000, 50], [None, 20]],
    "agents": [[10, 50_000], [50, 20_000], [None, 10_000]],
    "organizations": [[None, 0]],
    "articles": [[None, 0]],  # help-center articles: free unless the operator prices them
}


@dataclass
class Quote:
    plan_key: str
    currency: str
    counts: dict[str, int]
    lines: list[dict] = field(default_factory=list)
    full_price: int = 0  # what the plan and counts cost, before credits
    credit: int = 0  # already paid for this migration (earlier orders), never more than full_price
    total: int = 0  # what is left to pay

    def as_dict(self) -> dict:
        return {
            "plan_key": self.plan_key,
            "currency": self.currency,
            "counts": self.counts,
            "lines": self.lines,
            "full_price": self.full_price,
            "credit": self.credit,
            "total": self.total,
        }


def tiers() -> dict[str, list[list[int | None]]]:
    configured = getattr(settings, "BILLING_PRICE_TIERS", None) or {}
    return {entity: configured.get(entity, DEFAULT_TIERS[entity]) for entity in PRICED_ENTITIES}


def charged_entities() -> tuple[str, ...]:
    """The entities a price depends on: those with a non-zero tier (free ones neither cost nor wait for a
    count: with the defaults, organizations)."""
    all_tiers = tiers()
    return tuple(e for e in PRICED_ENTITIES if any(int(unit or 0) > 0 for _up_to, unit in all_tiers[e]))


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def record_lines(entity: str, count: int, entity_tiers: list[list[int | None]]) -> list[dict]:
    """One line per tier the count reaches: records first..last at that tier's unit price."""
    lines = []
    done = 0
    for up_to, unit in entity_tiers:
        if done >= count:
            break
        last = count if up_to is None else min(count, int(up_to))
        quantity = last - done
        if quantity <= 0:
            continue
        lines.append(
            {
                "kind": "records",
                "entity": entity,
                "first": done + 1,
                "last": last,
                "quantity": quantity,
                "unit_hundredths": int(unit),
                "amount": _ceil_div(quantity * int(unit), 100),
            }
        )
        done = last
    return lines


def priced_counts(record_counts: dict, selected_objects: dict | None = None) -> dict[str, int]:
    """The counts that are charged: only objects chosen for the migration (all when nothing is chosen)."""
    selected = selected_objects or {}
    counts = {}
    for entity in charged_entities():
        chosen = selected.get(entity, True) if selected else True
        raw = record_counts.get(entity) or 0
        counts[entity] = max(int(raw), 0) if chosen else 0
    return counts


def quote(*, plan: Plan, counts: dict[str, int], credit: int = 0) -> Quote:
    currency = settings.BILLING_CURRENCY
    result = Quote(plan_key=plan.key, currency=currency, counts=dict(counts))
    all_tiers = tiers()
    for entity in charged_entities():
        result.lines.extend(record_lines(entity, counts.get(entity, 0), all_tiers[entity]))
    result.lines.append({"kind": "free", "amount": 0})
    result.lines.append({"kind": "plan", "plan": plan.key, "name": plan.name, "amount": plan.price})
    subtotal = sum(line["amount"] for line in result.lines)
    minimum = int(settings.BILLING_MINIMUM_CHARGE)
    if subtotal < minimum:
        result.lines.append({"kind": "minimum", "amount": minimum - subtotal})
        subtotal = minimum
    result.full_price = subtotal
    result.credit = min(max(credit, 0), subtotal)
    if result.credit:
        result.lines.append({"kind": "credit", "amount": -result.credit})
    result.total = subtotal - result.credit
    return result
