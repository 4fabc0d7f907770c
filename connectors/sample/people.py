"""The sample help desk's organizations and its contacts' extra details, as pure functions of the data set.

Organizations are numbered 1..N (ids ORGANIZATION_ID_OFFSET + k). Contact j belongs to organization
`contact_organization(j)` (a quarter belong to none). Every vendor stand-in serves these in its own shapes
(Zendesk organizations and user fields, Freshdesk companies and contact fields, Help Scout organizations
and customer properties), and the end-to-end tests compare Front's accounts and contacts with them.

Awkward on purpose: an organization without domains, one with two, unicode names, a custom field value
that does not fit Front's field ("Legacy" is no option of the "Account tier" enum), empty values.
Revision r changes about a third of the organizations (notes, seats) and adds one new organization.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from connectors.base import Organization

if TYPE_CHECKING:
    from connectors.sample.generator import SampleDataset

ORGANIZATION_ID_OFFSET = 5_000_000
ORGANIZATION_FIELDS = ("Account tier", "Seats", "Industry", "Renewal date")
ACCOUNT_TIERS = ("Free", "Standard", "Premium", "Legacy")
INDUSTRIES = ("Retail", "Software", "Healthcare", "Finance", "Education")
COMPANY_WORDS = ("Globex", "Initech", "Umbrella", "Société Générale", "Hooli", "Stark", "株式会社ソニー", "Wayne",
                 "Soylent", "Acme Widgets", "Tyrell", "Cyberdyne")
COMPANY_SUFFIXES = ("Ltd", "Inc.", "GmbH", "SARL", "Corp")

CONTACT_FIELDS = ("Plan", "Loyalty points", "Language", "Newsletter")
PLANS = ("Free", "Pro", "Enterprise")
LANGUAGES = ("English", "Français", "日本語", "Español")
NEWSLETTERS = ("Weekly", "Monthly")


BASE_TIME = datetime(2019, 1, 1, tzinfo=UTC)  # the generator's base time (organizations predate tickets)


def _unit(*parts: object) -> int:
    """A stable number 0..9999 (the generator's recipe: same inputs, same answer in every process)."""
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 10_000


def _pick(options: tuple[str, ...], *parts: object) -> str:
    return options[_unit(*parts) % len(options)]


def base_organization_count(ds: SampleDataset) -> int:
    return max(7, ds.contact_count // 6)


def organization_count(ds: SampleDataset) -> int:
    """Organizations existing at the data set's revision: the base ones plus one new per revision."""
    return base_organization_count(ds) + ds.revision


def organization_born_in(ds: SampleDataset, k: int) -> int:
    base = base_organization_count(ds)
    return 0 if k <= base else k - base


def organization_changed_in(ds: SampleDataset, k: int, r: int) -> bool:
    return r > organization_born_in(ds, k) and _unit(ds.seed, "org-change", k, r) < 3500


def organization_last_touched(ds: SampleDataset, k: int) -> int:
    last = organization_born_in(ds, k)
    for r in range(last + 1, ds.revision + 1):
        if organization_changed_in(ds, k, r):
            last = r
    return last


def organization_updated_at(ds: SampleDataset, k: int) -> datetime:
    r = organization_last_touched(ds, k)
    if r == 0:
        return BASE_TIME - timedelta(days=30) + timedelta(minutes=k)
    return ds.revision_time(r) + timedelta(seconds=k)


def organization(ds: SampleDataset, k: int) -> Organization:
    """Organization k (1-based) as of the data set's revision."""
    if not 1 <= k <= organization_count(ds):
        raise KeyError(k)
    word = COMPANY_WORDS[(k * 5 + ds.seed) % len(COMPANY_WORDS)]
    name = f"{word} {k} {COMPANY_SUFFIXES[k % len(COMPANY_SUFFIXES)]}"
    domains: list[str] = [] if k % 7 == 0 else [f"org{k}.example.com"]
    if k % 3 == 0:
        domains.append(f"org{k}-mail.example.com")
    seats: int | None = None if k % 5 == 0 else 5 + (k * 13) % 200
    notes = f"Key account since {2010 + k % 10}." if k % 2 == 1 else None
    for r in range(organization_born_in(ds, k) + 1, ds.revision + 1):
        if organization_changed_in(ds, k, r):
            notes = f"Revised in round {r}."
            seats = (seats or 0) + r
    fields: dict[str, Any] = {
        "Account tier": _pick(ACCOUNT_TIERS, ds.seed, "tier", k),
        "Seats": seats,
        "Industry": None if k % 4 == 0 else _pick(INDUSTRIES, ds.seed, "industry", k),
        "Renewal date": f"202{k % 7}-0{1 + k % 9}-15",
    }
    return Organization(
        source_id=str(ORGANIZATION_ID_OFFSET + k), name=name, domains=domains,
        details=None if k % 4 == 0 else f"{k} Main Street, Springfield", notes=notes,
        custom_fields={key: value for key, value in fields.items() if value is not None},
        updated_at=organization_updated_at(ds, k), url=f"https://sample.invalid/organizations/{k}",
    )


def organization_index(source_id: str) -> int | None:
    k = int(source_id) - ORGANIZATION_ID_OFFSET if str(source_id).isdigit() else 0
    return k if k > 0 else None


def contact_organization(ds: SampleDataset, j: int) -> int | None:
    """The organization contact j belongs to (a base one: contacts predate revisions), or None."""
    if j % 4 == 0:
        return None
    return _unit(ds.seed, "member", j) % base_organization_count(ds) + 1


def contact_extras(ds: SampleDataset, j: int) -> tuple[list[str], dict[str, Any], str | None]:
    """(organization ids, custom fields by name, notes) of contact j."""
    k = contact_organization(ds, j)
    fields: dict[str, Any] = {
        "Plan": _pick(PLANS, ds.seed, "plan", j),
        "Loyalty points": None if j % 6 == 0 else (j * 37) % 1000,
        "Language": _pick(LANGUAGES, ds.seed, "language", j),
        "Newsletter": None if j % 2 == 0 else _pick(NEWSLETTERS, ds.seed, "newsletter", j),
    }
    notes = f"Prefers email. Customer since {2015 + j % 8}." if j % 3 == 0 else None
    return ([str(ORGANIZATION_ID_OFFSET + k)] if k else [],
            {key: value for key, value in fields.items() if value is not None}, notes)
