"""Zendesk organizations and custom user/organization fields -> canonical records (docs/connectors.md).

Organizations come from `/api/v2/organizations.json` (offset `next_page` or cursor `links.next`, whichever
Zendesk answers with: docs/vendor-guesses.md Z4); the resume cursor is the next page's address. Custom
fields are keyed by `key` in `organization_fields` / `user_fields`; their titles and dropdown option names
come from `/organization_fields` and `/user_fields` (read once; without them, values stay under their keys
with a warning).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from connectors.base import Organization, OrganizationPage, as_object
from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.mapping import ident, items, parse_time, text

ORGANIZATION_PAGE = 100


class KeyedFields:
    """Custom field key -> title, and dropdown option tags -> option names, for user or organization fields."""

    def __init__(self, fields: list[dict[str, Any]], *, available: bool = True) -> None:
        self.available = available
        self.titles: dict[str, str] = {}
        self.options: dict[str, dict[str, str]] = {}
        for f in fields:
            key = text(f.get("key")) if isinstance(f, dict) else None
            if key is None or f.get("active") is False:
                continue
            self.titles[key] = text(f.get("title")) or key
            options = [o for o in items(f.get("custom_field_options")) if isinstance(o, dict)]
            if options:
                self.options[key] = {str(o.get("value")): str(o.get("name") or o.get("value")) for o in options}

    def named(self, values: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in as_object(values).items():
            if value in (None, "") or (key not in self.titles and self.available):
                continue  # empty, or a field deleted since: nothing to show
            names = self.options.get(key)
            if names and isinstance(value, str):
                value = names.get(value, value)
            out[self.titles.get(key, key)] = value
        return out


def to_organization(raw: dict[str, Any], fields: KeyedFields, base_url: str) -> Organization | None:
    oid = ident(raw.get("id"))
    if oid is None:
        return None
    return Organization(
        source_id=oid, name=text(raw.get("name")) or f"Organization {oid}",
        domains=[d for d in items(raw.get("domain_names")) if isinstance(d, str) and d.strip()],
        details=text(raw.get("details")), notes=text(raw.get("notes")),
        custom_fields=fields.named(raw.get("organization_fields")),
        updated_at=parse_time(raw.get("updated_at")) if raw.get("updated_at") else None,
        url=f"{base_url}/agent/organizations/{oid}",
    )


def _next(data: dict[str, Any], client: ZendeskClient) -> str | None:
    meta, links = as_object(data.get("meta")), as_object(data.get("links"))
    url = data.get("next_page") or (links.get("next") if meta.get("has_more") else None)
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)  # keep the account's own address (a proxy or a stand-in may answer another host)
    return client.base_url + parts.path + (f"?{parts.query}" if parts.query else "")


def organization_pages(client: ZendeskClient, fields: KeyedFields, *, cursor: dict[str, Any] | None,
                       per_page: int = ORGANIZATION_PAGE) -> Iterator[OrganizationPage]:
    url = (cursor or {}).get("next") or "/api/v2/organizations.json"
    params: dict[str, Any] | None = None if cursor else {"per_page": min(ORGANIZATION_PAGE, per_page)}
    while True:
        data = client.get(url, params, what="the organizations")
        orgs = [o for o in (to_organization(r, fields, client.base_url) for r in items(data.get("organizations"))
                            if isinstance(r, dict)) if o is not None]
        nxt = _next(data, client)
        yield OrganizationPage(organizations=orgs, cursor={"next": nxt} if nxt else None)
        if not nxt:
            return
        url, params = nxt, None
