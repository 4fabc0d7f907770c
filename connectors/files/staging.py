"""The export's index: a SQLite file built once by the validator, read page by page by the connector.

CSV and JSON Lines files can list messages in any order, so joining them to their tickets needs an index;
SQLite (standard library) keeps it on disk with a bounded cache, so 50,000 or 5 million tickets cost the
same memory. Each accepted line is one row; lines left out are remembered only by id (`rejected`), and
what a known ticket lost is kept in `skipped` so the run report can list it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 3

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE agents(id TEXT PRIMARY KEY, line INT, email TEXT, name TEXT, active INT, deleted INT);
CREATE TABLE organizations(id TEXT PRIMARY KEY, line INT, name TEXT);
CREATE TABLE contacts(id TEXT PRIMARY KEY, line INT, data TEXT);
CREATE TABLE tickets(seq INTEGER PRIMARY KEY, id TEXT UNIQUE, line INT, updated_us INT, deleted INT,
                     mailbox TEXT, status TEXT, tags TEXT, data TEXT);
CREATE TABLE entries(seq INTEGER PRIMARY KEY, source TEXT, id TEXT, line INT, ticket_seq INT, created_us INT,
                     data TEXT, UNIQUE(source, id));
CREATE TABLE attachments(seq INTEGER PRIMARY KEY, id TEXT UNIQUE, line INT, entry_seq INT, data TEXT);
CREATE TABLE rejected(entity TEXT, id TEXT, PRIMARY KEY(entity, id));
CREATE TABLE skipped(ticket_seq INT, kind TEXT, source_id TEXT, reason TEXT);
"""
INDEXES = """
CREATE INDEX tickets_order ON tickets(updated_us, seq);
CREATE INDEX entries_ticket ON entries(ticket_seq, created_us, seq);
CREATE INDEX attachments_entry ON attachments(entry_seq);
CREATE INDEX skipped_ticket ON skipped(ticket_seq);
"""
# entity -> (table, key column filter) for id lookups
TABLES = {"agents": "agents", "organizations": "organizations", "contacts": "contacts", "tickets": "tickets"}
ENTRY_SOURCE = {"messages": "m", "notes": "n"}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    if readonly:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA query_only=ON")
    else:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=OFF")  # built once into a temporary file, then renamed
        db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-8000")  # at most ~8 MB of pages in memory
    return db


class Builder:
    """Writes the index while the validator reads the files (one transaction, indexes at the end)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.unlink(missing_ok=True)
        self.db = connect(path, readonly=False)
        self.db.executescript(SCHEMA)
        self.db.execute("BEGIN")

    # ---- lookups during validation ---------------------------------------------------------------
    def line_of(self, entity: str, record_id: str) -> int | None:
        """The line that defined `record_id` (accepted), or None."""
        if entity in ENTRY_SOURCE:
            row = self.db.execute("SELECT line FROM entries WHERE source=? AND id=?",
                                  (ENTRY_SOURCE[entity], record_id)).fetchone()
        elif entity == "attachments":
            row = self.db.execute("SELECT line FROM attachments WHERE id=?", (record_id,)).fetchone()
        else:
            row = self.db.execute(f"SELECT line FROM {TABLES[entity]} WHERE id=?", (record_id,)).fetchone()  # noqa: S608
        return row[0] if row else None

    def ticket_seq(self, ticket_id: str) -> int | None:
        row = self.db.execute("SELECT seq FROM tickets WHERE id=?", (ticket_id,)).fetchone()
        return row[0] if row else None

    def entry(self, entity: str, entry_id: str) -> tuple[int, int] | None:
        """(entry seq, ticket seq) of a message or note."""
        row = self.db.execute("SELECT seq, ticket_seq FROM entries WHERE source=? AND id=?",
                              (ENTRY_SOURCE[entity], entry_id)).fetchone()
        return (row[0], row[1]) if row else None

    def is_rejected(self, entity: str, record_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM rejected WHERE entity=? AND id=?", (entity, record_id)).fetchone() is not None

    def ticket_deleted(self, seq: int) -> bool:
        return bool(self.db.execute("SELECT deleted FROM tickets WHERE seq=?", (seq,)).fetchone()[0])

    # ---- writes ------------------------------------------------------------------------------------
    def reject(self, entity: str, record_id: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO rejected(entity, id) VALUES (?, ?)", (entity, record_id))

    def skip(self, ticket_seq: int, kind: str, source_id: str, reason: str) -> None:
        self.db.execute("INSERT INTO skipped VALUES (?, ?, ?, ?)", (ticket_seq, kind, source_id, reason))

    def add_agent(self, line: int, v: dict[str, Any]) -> None:
        self.db.execute("INSERT INTO agents VALUES (?, ?, ?, ?, ?, ?)",
                        (v["id"], line, v["email"], v.get("name"), int(v["active"]), int(v["deleted"])))

    def add_organization(self, line: int, v: dict[str, Any]) -> None:
        self.db.execute("INSERT INTO organizations VALUES (?, ?, ?)", (v["id"], line, v["name"]))

    def add_contact(self, line: int, v: dict[str, Any]) -> None:
        data = {k: v.get(k) for k in ("name", "emails", "phones", "organization_id")}
        self.db.execute("INSERT INTO contacts VALUES (?, ?, ?)", (v["id"], line, dumps(data)))

    def add_ticket(self, line: int, v: dict[str, Any], *, updated_us: int) -> None:
        data = {k: v.get(k) for k in ("subject", "status", "requester_id", "assignee_id", "cc_ids",
                                      "organization_id", "url", "custom_fields")}
        data["created_at"] = v["created_at"].isoformat()
        data["updated_at"] = v["updated_at"].isoformat()
        self.db.execute(
            "INSERT INTO tickets(id, line, updated_us, deleted, mailbox, status, tags, data) VALUES (?,?,?,?,?,?,?,?)",
            (v["id"], line, updated_us, int(v["deleted"]), v.get("mailbox"), v["status"], dumps(v["tags"]),
             dumps(data)))

    def add_entry(self, entity: str, line: int, v: dict[str, Any], *, ticket_seq: int, created_us: int) -> None:
        data = {k: val for k, val in v.items()
                if k not in ("id", "ticket_id", "created_at") and not k.startswith("_") and val not in (None, [])}
        data["created_at"] = v["created_at"].isoformat()
        self.db.execute("INSERT INTO entries(source, id, line, ticket_seq, created_us, data) VALUES (?,?,?,?,?,?)",
                        (ENTRY_SOURCE[entity], v["id"], line, ticket_seq, created_us, dumps(data)))

    def add_attachment(self, line: int, v: dict[str, Any], *, entry_seq: int) -> None:
        data = {k: v.get(k) for k in ("member", "filename", "content_type", "size", "inline", "content_id")}
        self.db.execute("INSERT INTO attachments(id, line, entry_seq, data) VALUES (?,?,?,?)",
                        (v["id"], line, entry_seq, dumps(data)))

    def count(self, table: str, where: str = "") -> int:
        return self.db.execute(f"SELECT count(*) FROM {table} {where}").fetchone()[0]  # noqa: S608

    def finish(self, meta: dict[str, Any]) -> None:
        self.db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, dumps(v)) for k, v in meta.items()])
        self.db.execute("COMMIT")
        self.db.executescript(INDEXES)
        self.db.execute("ANALYZE")
        self.db.close()

    def abandon(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)
