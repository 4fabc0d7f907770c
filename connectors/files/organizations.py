"""The file import's organizations (-> Front accounts) and contact details, read from the export's index.

The validator keeps each organization's domains, details, notes and custom fields, and each contact's
organization, notes and custom fields (connectors/files/staging.py); these methods page through them like
the tickets (rowid order, `page_size` a page, the cursor is the last rowid) so memory stays flat.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol

from connectors.base import Contact, Organization, OrganizationPage


class _Index(Protocol):
    page_size: int

    def _rows(self, sql: str, params: tuple | list = ()) -> list[tuple]: ...


def organization_from(oid: str, name: str, data: str | None) -> Organization:
    d = json.loads(data or "{}")
    return Organization(source_id=oid, name=name, domains=list(d.get("domains") or []), details=d.get("details"),
                        notes=d.get("notes"), custom_fields={k: v for k, v in (d.get("custom_fields") or {}).items()
                                                             if v not in (None, "")})


def contact_from(cid: str, data: dict[str, Any]) -> Contact:
    org = data.get("organization_id")
    return Contact(source_id=cid, name=data.get("name"), emails=data.get("emails") or [],
                   phones=data.get("phones") or [], organization_ids=[org] if org else [], notes=data.get("notes"),
                   custom_fields={k: v for k, v in (data.get("custom_fields") or {}).items() if v not in (None, "")})


class FileOrganizations:
    """Mixed into FileExportConnector."""

    def organizations(self: _Index, *, cursor: dict[str, Any] | None = None) -> Iterator[OrganizationPage]:
        after = int((cursor or {}).get("after", 0))
        while True:
            rows = self._rows("SELECT rowid, id, name, data FROM organizations WHERE rowid > ? ORDER BY rowid LIMIT ?",
                              (after, self.page_size))
            orgs = [organization_from(oid, name, data) for _r, oid, name, data in rows]
            done = len(rows) < self.page_size
            yield OrganizationPage(organizations=orgs, cursor=None if done else {"after": rows[-1][0]})
            if done:
                return
            after = rows[-1][0]

    def organization(self: _Index, source_id: str) -> Organization | None:
        rows = self._rows("SELECT id, name, data FROM organizations WHERE id = ?", (source_id,))
        return organization_from(*rows[0]) if rows else None

    def count_organizations(self: _Index) -> int:
        return int(self._rows("SELECT count(*) FROM organizations")[0][0])

    def contact_field_names(self: _Index) -> list[str]:
        rows = self._rows("SELECT DISTINCT f.key FROM contacts, json_each(json_extract(contacts.data, '$.custom_fields')) "
                          "AS f ORDER BY f.key")
        return [r[0] for r in rows]
