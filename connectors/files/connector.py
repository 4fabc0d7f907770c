"""SourceConnector over an uploaded export (key "files"): config `{"path": "/absolute/export.zip"}`.

The connector never parses the files while a run streams: it reads the index the validator built next
to the ZIP (`<zip>.index.sqlite3`, rebuilt when missing or out of date) one page at a time, so memory
stays flat whatever the size. A refused export cannot be opened at all: nothing is migrated from it.
Attachments stream from the ZIP member they name, after the same path checks as at validation.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from filelock import FileLock

from connectors.base import (
    Agent,
    Attachment,
    CheckResult,
    ConfigField,
    Contact,
    InvalidConfig,
    Message,
    NotFound,
    Skipped,
    SourceConnector,
    Ticket,
    TicketPage,
    VendorError,
)
from connectors.files import staging
from connectors.files.archive import Archive
from connectors.files.mistakes import Report
from connectors.files.spec import Limits
from connectors.files.validate import VERSION, file_stamp, validate_export
from connectors.files.values import micros

DEFAULT_PAGE_SIZE = 200
ORGANIZATION_FIELD = "Organization"


def sidecars(zip_path: Path) -> tuple[Path, Path, Path]:
    """(index, report, lock) kept next to the export."""
    return (zip_path.with_name(zip_path.name + ".index.sqlite3"), zip_path.with_name(zip_path.name + ".report.json"),
            zip_path.with_name(zip_path.name + ".lock"))


def current_report(zip_path: Path) -> Report | None:
    """The saved report when it still describes this file (same size, date and validator version)."""
    index, report_path, _lock = sidecars(zip_path)
    report = Report.load(report_path)
    if report is None or report.version != VERSION:
        return None
    try:
        if report.stamp != file_stamp(zip_path):
            return None
    except OSError:
        return None
    if not report.refused and not index.exists():
        return None
    return report


def ensure_checked(zip_path: Path, *, limits: Limits | None = None) -> Report:
    """The export's report, validating it (and building its index) first when needed. One builder at a time."""
    zip_path = Path(zip_path)
    report = current_report(zip_path)
    if report is not None:
        return report
    index, report_path, lock = sidecars(zip_path)
    with FileLock(str(lock)):
        report = current_report(zip_path)
        if report is None:
            report = validate_export(zip_path, index_path=index, report_path=report_path,
                                     limits=limits or Limits.from_settings())
    return report


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


class FileExportConnector(SourceConnector):
    key: ClassVar[str] = "files"
    label: ClassVar[str] = "File export (CSV/JSON)"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("path", "Export file (ZIP)", kind="file",
                    help_text="A ZIP of CSV or JSON Lines files in Frontport's import format."),
    )
    features: ClassVar[frozenset[str]] = frozenset({"mailboxes", "file_upload"})

    def __init__(self, config: dict[str, Any]) -> None:
        cleaned = self.validate_config(config)
        super().__init__(cleaned)
        self.path = Path(cleaned["path"])
        try:
            self.page_size = max(1, min(5000, int(config.get("page_size") or DEFAULT_PAGE_SIZE)))
        except (TypeError, ValueError):
            raise InvalidConfig("Page size must be a whole number.") from None
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._report: Report | None = None
        self._archive: Archive | None = None
        self._agents: dict[str, Agent] | None = None

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        raw = str(config.get("path") or "").strip()
        if not raw:
            raise InvalidConfig("Upload the export file (a ZIP) first.")
        path = Path(raw)
        if not path.is_absolute():
            raise InvalidConfig("The export file's path must be absolute.")
        if not path.is_file():
            raise InvalidConfig("The export file is no longer there: upload it again.")
        cleaned: dict[str, Any] = {"path": str(path)}
        if config.get("name"):
            cleaned["name"] = str(config["name"])[:200]
        return cleaned

    # ---- opening -------------------------------------------------------------------------------
    def report(self) -> Report:
        if self._report is None:
            self._report = ensure_checked(self.path)
        return self._report

    def _open(self) -> sqlite3.Connection:
        with self._lock:
            if self._db is None:
                report = self.report()
                if report.refused:
                    raise InvalidConfig(report.summary())
                self._db = staging.connect(sidecars(self.path)[0], readonly=True)
            return self._db

    def _rows(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        db = self._open()
        with self._lock:
            return db.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            if self._archive is not None:
                self._archive.close()
                self._archive = None

    # ---- the interface -------------------------------------------------------------------------
    def check(self) -> CheckResult:
        report = self.report()
        if report.refused:
            raise InvalidConfig(report.summary())
        name = self.config.get("name") or self.path.name
        n = report.counts.get("tickets", 0)
        left_out = sum(report.left_out.values())
        account = f"{name}: {n} ticket{'s' if n != 1 else ''}"
        if left_out:
            account += f", {left_out} line{'s' if left_out != 1 else ''} left out"
        # A file names no account: every upload of this migration is its one source (a later upload is a
        # delta), and the record counts, taken again at each upload, decide the price.
        return CheckResult(account_name=account, details={"verdict": report.verdict, "mistakes": report.mistake_count},
                           account_id="file export")

    def count(self, what: str, *, filter: dict[str, Any] | None = None) -> int:
        if what == "tickets":
            where, params = self._filter_sql(filter)
            return self._rows(f"SELECT count(*) FROM tickets WHERE deleted=0{where}", params)[0][0]  # noqa: S608
        if what == "contacts":
            return self._rows("SELECT count(*) FROM contacts")[0][0]
        if what == "agents":
            return len(self._agent_map())
        raise ValueError(f"cannot count {what!r}")

    def agents(self) -> list[Agent]:
        return list(self._agent_map().values())

    def _agent_map(self) -> dict[str, Agent]:
        if self._agents is None:
            rows = self._rows("SELECT id, email, name, active, deleted FROM agents ORDER BY line")
            self._agents = {r[0]: Agent(source_id=r[0], email=r[1], name=r[2], active=bool(r[3]), deleted=bool(r[4]))
                            for r in rows}
        return self._agents

    def mailboxes(self) -> list[tuple[str, str]]:
        rows = self._rows("SELECT DISTINCT mailbox FROM tickets WHERE mailbox IS NOT NULL AND mailbox != '' "
                          "ORDER BY mailbox")
        return [(r[0], r[0]) for r in rows]

    def statuses(self) -> list[str]:
        """The export's own status names, most used first (the tickets step maps each)."""
        rows = self._rows("SELECT status FROM tickets WHERE deleted=0 GROUP BY status ORDER BY count(*) DESC, status")
        return [r[0] for r in rows]

    @staticmethod
    def _filter_sql(filter: dict[str, Any] | None) -> tuple[str, list[Any]]:
        where, params = "", []
        if filter and filter.get("mailbox_id"):
            where += " AND mailbox = ?"
            params.append(str(filter["mailbox_id"]))
        if filter and filter.get("tags"):
            where += " AND EXISTS (SELECT 1 FROM json_each(tickets.tags) t WHERE t.value IN (SELECT value FROM json_each(?)))"
            params.append(json.dumps([str(t) for t in filter["tags"]]))
        return where, params

    def tickets(
        self,
        *,
        since: datetime | None = None,
        ids: list[str] | None = None,
        filter: dict[str, Any] | None = None,
        cursor: dict[str, Any] | None = None,
    ) -> Iterator[TicketPage]:
        fp = self.report().fingerprint
        if cursor and cursor.get("export") != fp:
            raise InvalidConfig("The export file changed while this run was under way: start the run again.")
        if ids is not None:
            yield from self._by_ids(ids, cursor, fp)
            return
        where, params = self._filter_sql(filter)
        if since is not None:
            where += " AND updated_us >= ?"
            params.append(micros(since))
        after = tuple(cursor["after"]) if cursor else None
        while True:
            sql = f"SELECT seq, id, deleted, mailbox, status, tags, data, updated_us FROM tickets WHERE 1=1{where}"  # noqa: S608 - fixed clauses, values bound
            args = list(params)
            if after:
                sql += " AND (updated_us, seq) > (?, ?)"
                args += list(after)
            rows = self._rows(sql + " ORDER BY updated_us, seq LIMIT ?", [*args, self.page_size])  # noqa: S608
            if not rows:
                yield TicketPage(tickets=[], cursor=None)
                return
            tickets = self._build(rows)
            after = (rows[-1][7], rows[-1][0])
            done = len(rows) < self.page_size
            yield TicketPage(tickets=tickets, cursor=None if done else {"after": list(after), "export": fp},
                             deleted_ticket_ids=[t.source_id for t in tickets if t.deleted])
            if done:
                return

    def _by_ids(self, ids: list[str], cursor: dict[str, Any] | None, fp: str) -> Iterator[TicketPage]:
        offset = int(cursor["ids_offset"]) if cursor else 0
        if offset >= len(ids):
            yield TicketPage(tickets=[], cursor=None)
        while offset < len(ids):
            chunk = [str(i) for i in ids[offset:offset + self.page_size]]
            offset += len(chunk)
            rows = self._rows("SELECT seq, id, deleted, mailbox, status, tags, data FROM tickets "
                              "WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(chunk),))
            by_id = {t.source_id: t for t in self._build(rows)}
            found = [by_id[i] for i in dict.fromkeys(chunk) if i in by_id]
            yield TicketPage(tickets=found, cursor={"ids_offset": offset, "export": fp} if offset < len(ids) else None,
                             deleted_ticket_ids=[t.source_id for t in found if t.deleted])

    def download(self, attachment: Attachment) -> Iterator[bytes]:
        member = (attachment.url or "").removeprefix("zip:")
        with self._lock:
            if self._archive is None:
                self._archive = Archive(self.path, Limits.from_settings())
            archive = self._archive
        if archive.problems or member not in archive.files:
            raise NotFound(f"The attachment {attachment.filename!r} is not in the export file.")
        return self._stream(archive, member, attachment.filename)

    @staticmethod
    def _stream(archive: Archive, member: str, filename: str) -> Iterator[bytes]:
        try:
            yield from archive.stream(member)
        except Exception as exc:  # noqa: BLE001 - zipfile raises BadZipFile, zlib.error, OSError...
            raise VendorError(f"The attachment {filename!r} is damaged in the ZIP ({type(exc).__name__}).") from exc

    # ---- building canonical tickets ---------------------------------------------------------------
    def _build(self, rows: list[tuple]) -> list[Ticket]:
        seqs = json.dumps([r[0] for r in rows])
        tickets = [(r[0], r[1], bool(r[2]), r[3], r[4], json.loads(r[5]), json.loads(r[6])) for r in rows]
        entries = self._rows("SELECT seq, source, id, ticket_seq, data FROM entries WHERE ticket_seq IN "
                             "(SELECT value FROM json_each(?)) ORDER BY ticket_seq, created_us, seq", (seqs,))
        files = self._rows(
            "SELECT a.entry_seq, a.id, a.data FROM attachments a JOIN entries e ON e.seq = a.entry_seq "
            "WHERE e.ticket_seq IN (SELECT value FROM json_each(?)) ORDER BY a.seq", (seqs,))
        skipped = self._rows("SELECT ticket_seq, kind, source_id, reason FROM skipped WHERE ticket_seq IN "
                             "(SELECT value FROM json_each(?))", (seqs,))
        contact_ids: set[str] = set()
        for *_rest, data in tickets:
            contact_ids.update(filter(None, [data.get("requester_id"), *(data.get("cc_ids") or [])]))
        parsed_entries = [(e[0], e[1], e[2], e[3], json.loads(e[4])) for e in entries]
        contact_ids.update(d["author_id"] for _s, src, _i, _t, d in parsed_entries
                           if src == "m" and d.get("author_type") == "customer" and d.get("author_id"))
        contacts = self._contacts(contact_ids)
        org_ids = {d.get("organization_id") for *_r, d in tickets} | {c[1] for c in contacts.values()}
        orgs = dict(self._rows("SELECT id, name FROM organizations WHERE id IN (SELECT value FROM json_each(?))",
                               (json.dumps([o for o in org_ids if o]),))) if any(org_ids) else {}
        by_entry: dict[int, list[Attachment]] = {}
        for entry_seq, att_id, data in files:
            d = json.loads(data)
            by_entry.setdefault(entry_seq, []).append(Attachment(
                source_id=att_id, filename=d["filename"], content_type=d["content_type"], size=d["size"],
                url=f"zip:{d['member']}", inline=bool(d.get("inline")), content_id=d.get("content_id"),
                kind="inline_image" if d.get("inline") else "file"))
        by_ticket: dict[int, list[Message]] = {}
        agents = self._agent_map()
        for seq, source, entry_id, ticket_seq, d in parsed_entries:
            by_ticket.setdefault(ticket_seq, []).append(
                self._message(source, entry_id, d, by_entry.get(seq, []), contacts, agents))
        lost: dict[int, list[Skipped]] = {}
        for ticket_seq, kind, source_id, reason in skipped:
            lost.setdefault(ticket_seq, []).append(Skipped(source_id=source_id, kind=kind, reason=reason))
        return [self._ticket(t, contacts, orgs, by_ticket, lost) for t in tickets]

    def _contacts(self, ids: set[str]) -> dict[str, tuple[Contact, str | None]]:
        if not ids:
            return {}
        rows = self._rows("SELECT id, data FROM contacts WHERE id IN (SELECT value FROM json_each(?))",
                          (json.dumps(sorted(ids)),))
        out = {}
        for cid, data in rows:
            d = json.loads(data)
            out[cid] = (Contact(source_id=cid, name=d.get("name"), emails=d.get("emails") or [],
                                phones=d.get("phones") or []), d.get("organization_id"))
        return out

    @staticmethod
    def _message(source: str, entry_id: str, d: dict[str, Any], attachments: list[Attachment],
                 contacts: dict[str, tuple[Contact, str | None]], agents: dict[str, Agent]) -> Message:
        created = _when(d["created_at"])
        if source == "n":
            agent = agents.get(d.get("author_id") or "")
            return Message(source_id=entry_id, kind="private_note", created_at=created, body=d.get("body") or "",
                           body_format=d.get("body_format") or "html", author_agent_id=d.get("author_id"),
                           author_name=d.get("author_name") or (agent.name if agent else None),
                           author_email=agent.email if agent else None, attachments=attachments)
        customer = d.get("author_type") == "customer"
        author_id = d.get("author_id")
        contact = contacts.get(author_id or "", (None, None))[0] if customer else None
        agent = None if customer else agents.get(author_id or "")
        person_email = (contact.emails[0] if contact and contact.emails else None) if customer else \
            (agent.email if agent else None)
        return Message(
            source_id=entry_id, kind=d.get("kind") or "reply", created_at=created, body=d.get("body") or "",
            body_format=d.get("body_format") or "html",
            author_agent_id=None if customer else author_id, author_contact_id=author_id if customer else None,
            author_name=d.get("author_name") or (contact.name if contact else agent.name if agent else None),
            author_email=d.get("author_email") or person_email, inbound=customer,
            to=d.get("to") or [], cc=d.get("cc") or [], bcc=d.get("bcc") or [], subject=d.get("subject"),
            attachments=attachments,
        )

    def _ticket(self, row: tuple, contacts: dict[str, tuple[Contact, str | None]], orgs: dict[str, str], by_ticket: dict[int, list[Message]],
                lost: dict[int, list[Skipped]]) -> Ticket:
        seq, ticket_id, deleted, mailbox, status, tags, d = row
        requester, requester_org = contacts.get(d.get("requester_id") or "", (None, None))
        fields = dict(d.get("custom_fields") or {})
        org = orgs.get(d.get("organization_id") or requester_org or "")
        if org and ORGANIZATION_FIELD not in fields:
            fields[ORGANIZATION_FIELD] = org
        return Ticket(
            source_id=ticket_id, subject=d.get("subject") or "", status="deleted" if deleted else status,
            created_at=_when(d["created_at"]), updated_at=_when(d["updated_at"]), requester=requester,
            assignee_agent_id=d.get("assignee_id"),
            cc_contacts=[contacts[c][0] for c in d.get("cc_ids") or [] if c in contacts],
            tags=tags, custom_fields=fields, messages=[] if deleted else by_ticket.get(seq, []),
            deleted=deleted, mailbox_id=mailbox, url=d.get("url"), skipped=[] if deleted else lost.get(seq, []),
        )

