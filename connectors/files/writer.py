"""Writing exports in the import format: the template ZIP, and the sample help desk as an export.

`ExportWriter` streams: each table goes to a temporary file first (a ZIP holds one open member at a
time), attachments go straight into the ZIP, so exports of any size are written with flat memory.
`write_sample_export` turns `SampleDataset(...)` into an export (contract tests, end-to-end tests, the
benchmark); `template_zip` is the small example the wizard offers for download.
"""

from __future__ import annotations

import csv
import io
import json
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.base import Message
from connectors.files.spec import BY_NAME, CUSTOM_FIELD_PREFIX, LIST_SEPARATOR
from connectors.files.values import valid_email
from connectors.sample.generator import CUSTOM_FIELDS, SampleDataset


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


class ExportWriter:
    """Writes one export ZIP. `fmt`: "csv" or "jsonl"; `custom_fields`: the tickets' `cf:` CSV columns."""

    def __init__(self, path: Path, *, fmt: str = "jsonl", custom_fields: Iterable[str] = (), root: str = "") -> None:
        self.fmt, self.root = fmt, root
        self.custom_fields = list(custom_fields)
        self._tmp = tempfile.TemporaryDirectory(prefix="frontport-export-")
        self._files: dict[str, tuple[Any, Any]] = {}
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True)

    def _header(self, entity: str) -> list[str]:
        names = [c.name for c in BY_NAME[entity].columns]
        if BY_NAME[entity].custom_fields:
            names += [CUSTOM_FIELD_PREFIX + f for f in self.custom_fields]
        return names

    def row(self, entity: str, values: dict[str, Any]) -> None:
        if entity not in self._files:
            fh = open(Path(self._tmp.name) / f"{entity}.{self.fmt}", "w", encoding="utf-8", newline="")  # noqa: SIM115
            writer = csv.writer(fh) if self.fmt == "csv" else None
            if writer:
                writer.writerow(self._header(entity))
            self._files[entity] = (fh, writer)
        fh, writer = self._files[entity]
        if writer is None:
            fh.write(json.dumps({k: v for k, v in values.items() if v is not None}, ensure_ascii=False) + "\n")
            return
        flat = dict(values)
        for name, value in (flat.pop("custom_fields", None) or {}).items():
            flat[CUSTOM_FIELD_PREFIX + name] = value
        writer.writerow([_cell(flat.get(name)) for name in self._header(entity)])

    def attachment(self, relative: str, chunks: Iterable[bytes]) -> None:
        info = zipfile.ZipInfo(self.root + relative, date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED  # files are usually compressed already
        with self.zip.open(info, "w", force_zip64=True) as out:
            for chunk in chunks:
                out.write(chunk)

    def raw(self, name: str, data: bytes) -> None:
        self.zip.writestr(self.root + name, data)

    def close(self) -> None:
        for entity, (fh, _writer) in self._files.items():
            fh.close()
            self.zip.write(fh.name, f"{self.root}{entity}.{self.fmt}")
        self.zip.close()
        self._tmp.cleanup()


# ---- the sample help desk as an export --------------------------------------------------------------


def _iso(value: datetime) -> str:
    return value.isoformat()


def write_sample_export(dataset: SampleDataset, path: Path, *, fmt: str = "jsonl",
                        attachment_cap: int | None = None) -> Path:
    """`dataset` as an export at `path`. Invalid emails of the sample are left out (the format refuses
    them). `attachment_cap` shortens attachment files (benchmarks: 26 MB videos cost time, not insight)."""
    writer = ExportWriter(Path(path), fmt=fmt, custom_fields=CUSTOM_FIELDS)
    for agent in dataset.agents():
        writer.row("agents", {"id": agent.source_id, "email": agent.email, "name": agent.name,
                              "active": agent.active, "deleted": agent.deleted})
    for contact in dataset.contacts():
        writer.row("contacts", {"id": contact.source_id, "name": contact.name,
                                "emails": [e for e in contact.emails if valid_email(e)], "phones": contact.phones})
    for i in range(1, dataset.total_ticket_ids() + 1):
        ticket = dataset.ticket(i)
        writer.row("tickets", {
            "id": ticket.source_id, "subject": ticket.subject, "status": ticket.status,
            "created_at": _iso(ticket.created_at), "updated_at": _iso(ticket.updated_at),
            "requester_id": ticket.requester.source_id if ticket.requester else None,
            "assignee_id": ticket.assignee_agent_id, "cc_ids": [c.source_id for c in ticket.cc_contacts],
            "tags": ticket.tags, "mailbox": ticket.mailbox_id, "deleted": ticket.deleted, "url": ticket.url,
            "custom_fields": ticket.custom_fields,
        })
        for message in ticket.messages:
            _write_message(writer, dataset, ticket.source_id, message, attachment_cap)
    writer.close()
    return Path(path)


def _write_message(writer: ExportWriter, dataset: SampleDataset, ticket_id: str, m: Message, cap: int | None) -> None:
    if m.kind == "private_note":
        writer.row("notes", {"id": m.source_id, "ticket_id": ticket_id, "created_at": _iso(m.created_at),
                             "author_id": m.author_agent_id, "body": m.body, "body_format": m.body_format})
        owner = {"note_id": m.source_id}
    else:
        writer.row("messages", {
            "id": m.source_id, "ticket_id": ticket_id, "created_at": _iso(m.created_at),
            "author_type": "customer" if m.inbound else "agent",
            "author_id": m.author_contact_id if m.inbound else m.author_agent_id,
            "kind": m.kind, "body": m.body, "body_format": m.body_format, "subject": m.subject,
            "to": [e for e in m.to if valid_email(e)], "cc": [e for e in m.cc if valid_email(e)],
            "bcc": [e for e in m.bcc if valid_email(e)],
        })
        owner = {"message_id": m.source_id}
    for a in m.attachments:
        relative = f"attachments/{a.source_id}/{a.filename}"
        size = (a.size or 0) if cap is None else min(a.size or 0, cap)
        writer.attachment(relative, dataset.attachment_bytes(a.source_id, size))
        writer.row("attachments", {"id": a.source_id, **owner, "path": relative, "filename": a.filename,
                                   "content_type": a.content_type, "inline": a.inline, "content_id": a.content_id})


# ---- the template ---------------------------------------------------------------------------------


def _tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x1f\x6f\xb4")) + \
        chunk(b"IEND", b"")


TEMPLATE_README = """Frontport import template
=========================

Replace the example lines with your own and upload the ZIP in the wizard (platform "File export").
Each table may be a .csv file (UTF-8, a header line naming the columns) or a .jsonl file (one JSON
object per line). Dates are ISO 8601 with a UTC offset, e.g. 2024-03-01T14:05:00+01:00. Lists in a
CSV cell are separated by ";". Custom fields: columns named cf:<field name> in tickets.csv.
Attachments sit in the ZIP; attachments.csv gives each one's path relative to this folder.

The full description of every column: docs/import-format.md (or the link on the wizard page).
"""


def template_zip() -> bytes:
    """A small, valid export showing every table and column (CSV), built in memory (a few KB)."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "template.zip"
        w = ExportWriter(target, fmt="csv", custom_fields=["Order number", "Product"], root="frontport-import/")
        w.row("agents", {"id": "a1", "email": "alice@yourcompany.com", "name": "Alice Martin", "active": True})
        w.row("agents", {"id": "a2", "email": "bob@yourcompany.com", "name": "Bob Okafor", "active": False,
                         "deleted": True})
        w.row("organizations", {"id": "o1", "name": "Acme Corp", "domains": ["acme.example"]})
        w.row("contacts", {"id": "c1", "name": "Chloé Dubois", "emails": ["chloe@acme.example"],
                           "phones": ["+33 1 23 45 67 89"], "organization_id": "o1"})
        w.row("contacts", {"id": "c2", "name": "Dmitri Ivanov", "emails": ["dmitri@example.org"]})
        w.row("tickets", {"id": "1001", "subject": "Where is my order?", "status": "solved",
                          "created_at": "2024-03-01T09:15:00+01:00", "updated_at": "2024-03-02T16:40:00+01:00",
                          "requester_id": "c1", "assignee_id": "a1", "cc_ids": ["c2"], "tags": ["shipping", "vip"],
                          "mailbox": "Support", "url": "https://helpdesk.example/tickets/1001",
                          "custom_fields": {"Order number": "ORD-12345", "Product": "Widget"}})
        w.row("tickets", {"id": "1002", "subject": "Invoice copy", "status": "open",
                          "created_at": "2024-03-05T11:00:00Z", "updated_at": "2024-03-05T11:00:00Z",
                          "requester_id": "c2", "tags": ["billing"], "mailbox": "Billing"})
        w.row("messages", {"id": "m1", "ticket_id": "1001", "created_at": "2024-03-01T09:15:00+01:00",
                           "author_type": "customer", "author_id": "c1", "body": "<p>Hello, my order has not "
                           "arrived yet.</p>", "body_format": "html", "cc": ["dmitri@example.org"]})
        w.row("messages", {"id": "m2", "ticket_id": "1001", "created_at": "2024-03-01T10:02:00+01:00",
                           "author_type": "agent", "author_id": "a1", "body": "Hi Chloé,\nit left our warehouse "
                           "today.\nAlice", "body_format": "text"})
        w.row("messages", {"id": "m3", "ticket_id": "1002", "created_at": "2024-03-05T11:00:00Z",
                           "author_type": "customer", "author_id": "c2", "body": "<p>Could I get a copy of my "
                           "invoice?</p>"})
        w.row("notes", {"id": "n1", "ticket_id": "1001", "created_at": "2024-03-01T09:40:00+01:00",
                        "author_id": "a1", "body": "Checked with the carrier: delivered tomorrow.",
                        "body_format": "text"})
        w.row("attachments", {"id": "f1", "message_id": "m1", "path": "attachments/m1/screenshot.png",
                              "filename": "screenshot.png", "content_type": "image/png"})
        w.attachment("attachments/m1/screenshot.png", [_tiny_png()])
        w.raw("README.txt", TEMPLATE_README.encode())
        w.close()
        buffer.write(target.read_bytes())
    return buffer.getvalue()
