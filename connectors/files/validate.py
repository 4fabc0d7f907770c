"""Validate an export line by line and build its index, before any run (docs/import-format.md).

Rules, in the order the files are read (agents, organizations, contacts, tickets, messages, notes,
attachments, so every reference points at something already read):

* a problem with the ZIP itself, a missing tickets file or a missing required column refuses the file;
* a line with a mistake is left out and named (file, line, column, what is wrong); so is, silently but
  counted, everything that depends on it (the messages of a left-out ticket, tickets pointing at a
  left-out contact...);
* reading stops after `Limits.max_mistakes` mistakes, and the file is refused, saying so.

Nothing is migrated from a refused file: the connector refuses to open it (connector.py).
"""

from __future__ import annotations

import hashlib
import mimetypes
import posixpath
import zipfile
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.files.archive import Archive, DataFile
from connectors.files.mistakes import Mistake, Report
from connectors.files.rows import Unreadable, open_rows
from connectors.files.spec import BY_NAME, CUSTOM_FIELD_PREFIX, ENTITIES, Entity, Limits
from connectors.files.staging import SCHEMA_VERSION, Builder
from connectors.files.values import Problem, custom_fields, micros, parse_value

VERSION = SCHEMA_VERSION * 100 + 1  # a report or index of another version is rebuilt


class TooMany(Exception):
    pass


class Collector:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: list[Mistake] = []
        self.refused = False

    def add(self, mistake: Mistake) -> None:
        if len(self.items) >= self.limit:
            raise TooMany
        self.items.append(mistake)
        self.refused = self.refused or mistake.effect == "refused"


def file_stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def validate_export(zip_path: Path, *, index_path: Path, report_path: Path, limits: Limits | None = None) -> Report:
    """Check the export, build its index (for an accepted or partial file) and save the report."""
    limits = limits or Limits()
    zip_path = Path(zip_path)
    stamp, fp = file_stamp(zip_path), fingerprint(zip_path)
    collector = Collector(limits.max_mistakes)
    archive = Archive(zip_path, limits)
    tmp_index = index_path.with_name(index_path.name + ".building")
    check = _Check(archive, collector, limits)
    try:
        if archive.problems:
            for problem in archive.problems:
                collector.add(problem)
        else:
            check.builder = Builder(tmp_index)
            for entity in ENTITIES:
                if entity.name in archive.data:
                    check.table(entity, archive.data[entity.name])
            if not collector.refused and check.builder.count("tickets") == 0:
                collector.add(Mistake("no_tickets", file=archive.data["tickets"].member))
    except TooMany:
        check.stopped = True
        collector.items.append(Mistake("too_many_mistakes", params={"limit": limits.max_mistakes}))
        collector.refused = True
    finally:
        archive.close()
    counts = check.counts()
    refused = collector.refused
    if check.builder is not None:
        if refused:
            check.builder.abandon()
        else:
            check.builder.finish({"fingerprint": fp, "root": archive.root, "counts": counts, "version": VERSION})
            tmp_index.replace(index_path)
    if refused:
        index_path.unlink(missing_ok=True)
    found = len(collector.items) - (1 if check.stopped else 0)
    report = Report(
        verdict="refused" if refused else "partial" if collector.items else "accepted",
        mistakes=collector.items, mistake_count=found, counts=counts, left_out=dict(check.left_out),
        stopped_early=check.stopped, fingerprint=fp, stamp=stamp, version=VERSION,
    )
    report.save(report_path)
    return report


class _Check:
    """Reads the tables one after another; `builder` is the index being written."""

    def __init__(self, archive: Archive, collector: Collector, limits: Limits) -> None:
        self.archive, self.collector, self.limits = archive, collector, limits
        self.builder: Builder | None = None
        self.left_out: dict[str, int] = {}
        self.unreadable: set[str] = set()  # tables refused as a whole: references to them are not listed
        self.stopped = False


    @property
    def index(self) -> Builder:
        """The index being written (open from the first table on)."""
        assert self.builder is not None
        return self.builder
    def counts(self) -> dict[str, int]:
        if self.builder is None or self.builder.db is None:
            return {}
        try:
            b = self.index
            return {
                "tickets": b.count("tickets", "WHERE deleted=0"), "deleted_tickets": b.count("tickets", "WHERE deleted=1"),
                "messages": b.count("entries", "WHERE source='m'"), "notes": b.count("entries", "WHERE source='n'"),
                "attachments": b.count("attachments"), "contacts": b.count("contacts"), "agents": b.count("agents"),
                "organizations": b.count("organizations"),
            }
        except Exception:  # noqa: BLE001 - an abandoned index has nothing to count
            return {}

    def _leave_out(self, entity: str) -> None:
        self.left_out[entity] = self.left_out.get(entity, 0) + 1

    # ---- one table ------------------------------------------------------------------------------
    def table(self, entity: Entity, df: DataFile) -> None:
        try:
            self._read_table(entity, df)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:  # a damaged member (CRC, deflate)
            self.unreadable.add(entity.name)
            self.collector.add(Mistake("corrupt", file=df.member, params={"detail": str(exc) or type(exc).__name__}))

    def _read_table(self, entity: Entity, df: DataFile) -> None:
        add = self.collector.add
        with self.archive.open_member(df.member) as stream:
            try:
                rows = open_rows(stream, file=df.member, fmt=df.fmt, limit=self.limits.max_line_bytes, report=add)
            except Unreadable:
                self.unreadable.add(entity.name)
                return
            if rows.header is not None and not self._header_ok(entity, df, rows.header):
                self.unreadable.add(entity.name)
                return
            unknown_seen: set[str] = set()
            try:
                for line, row in rows:
                    if row is None:
                        self._leave_out(entity.name)
                        continue
                    if df.fmt == "jsonl":
                        self._unknown_keys(entity, df, line, row, unknown_seen)
                    self._line(entity, df, line, row)
            except Unreadable:
                self.unreadable.add(entity.name)
                return

    def _header_ok(self, entity: Entity, df: DataFile, header: list[str]) -> bool:
        ok = True
        seen: set[str] = set()
        for name in header:
            if name in seen:
                self.collector.add(Mistake("duplicate_column", file=df.member, line=1, column=name,
                                           params={"column": name}))
                ok = False
            seen.add(name)
        for name in entity.required_columns:
            if name not in seen:
                self.collector.add(Mistake("missing_column", file=df.member, line=1, column=name,
                                           params={"column": name}))
                ok = False
        for name in header:
            known = entity.column(name) or (entity.custom_fields and name.startswith(CUSTOM_FIELD_PREFIX))
            if not known and name:
                self.collector.add(Mistake("unknown_column", file=df.member, line=1, column=name[:80],
                                           params={"column": name[:80]}))
        return ok

    def _unknown_keys(self, entity: Entity, df: DataFile, line: int, row: dict, seen: set[str]) -> None:
        for key in row:
            known = entity.column(key) or (entity.custom_fields and key == "custom_fields")
            if not known and key not in seen:
                seen.add(key)
                self.collector.add(Mistake("unknown_column", file=df.member, line=line, column=key[:80],
                                           params={"column": key[:80]}))

    def _line(self, entity: Entity, df: DataFile, line: int, row: dict[str, Any]) -> None:
        values: dict[str, Any] = {}
        mistakes: list[Mistake] = []
        for column in entity.columns:
            try:
                values[column.name] = parse_value(column, row.get(column.name))
            except Problem as p:
                mistakes.append(Mistake(p.code, file=df.member, line=line, column=column.name, params=p.params))
        if entity.custom_fields:
            try:
                values["custom_fields"] = custom_fields(entity, row)
            except Problem as p:
                mistakes.append(Mistake(p.code, file=df.member, line=line, column="custom_fields", params=p.params))
        depends_on_left_out = self._references(entity, df, line, values, mistakes)
        ticket_seq = values.get("_ticket_seq")
        if mistakes or depends_on_left_out:
            for m in mistakes:
                self.collector.add(m)
            self._leave_out(entity.name)
            if isinstance(values.get("id"), str):
                self.index.reject(entity.name, values["id"])
            if ticket_seq is not None:
                kind = "attachment" if entity.name == "attachments" else "message"
                label = {"messages": "Message", "notes": "Note", "attachments": "Attachment"}[entity.name]
                why = str(mistakes[0]) if mistakes else "a line it depends on has a mistake"
                self.index.skip(ticket_seq, kind, values.get("id") or f"line {line}",
                                  f"{label} {values.get('id') or ''} left out of the export file: {why}.")
            return
        self._store(entity, line, values, ticket_seq)

    def _references(self, entity: Entity, df: DataFile, line: int, values: dict[str, Any],
                    mistakes: list[Mistake]) -> bool:
        """Add reference mistakes; True when the line points at a line that was left out (a cascade)."""
        b = self.index
        cascade = False
        if isinstance(values.get("id"), str):
            first = b.line_of(entity.name, values["id"])
            if first is not None:
                mistakes.append(Mistake("duplicate_id", file=df.member, line=line, column="id",
                                        params={"value": values["id"], "first": first}))
        for column in entity.columns:
            if column.kind not in ("ref", "refs"):
                continue
            target = column.ref or ""
            if entity.name == "messages" and column.name == "author_id":
                target = "agents" if values.get("author_type") == "agent" else "contacts"
            value = values.get(column.name)
            for ref in (value if isinstance(value, list) else [value] if isinstance(value, str) else []):
                if not self._exists(target, ref, values):
                    if target in self.unreadable or b.is_rejected(target, ref):
                        cascade = True
                    else:
                        mistakes.append(Mistake("unknown_ref", file=df.member, line=line, column=column.name,
                                                params={"value": ref, "entity": BY_NAME[target].name}))
        if entity.name == "tickets":
            created, updated = values.get("created_at"), values.get("updated_at")
            if isinstance(created, datetime) and isinstance(updated, datetime) and updated < created:
                mistakes.append(Mistake("date_order", file=df.member, line=line, column="updated_at",
                                        params={"updated": updated.isoformat(), "created": created.isoformat()}))
        if entity.name == "attachments":
            mistakes += self._attachment_checks(df, line, values)
        return cascade

    def _exists(self, target: str, ref: str, values: dict[str, Any]) -> bool:
        """Whether `ref` names an accepted line of `target`; remembers the owning ticket of entries."""
        b = self.index
        if target == "tickets":
            seq = b.ticket_seq(ref)
            if seq is not None:
                values["_ticket_seq"] = seq
            return seq is not None
        if target in ("messages", "notes"):
            found = b.entry(target, ref)
            if found:
                values["_entry_seq"], values["_ticket_seq"] = found
            return found is not None
        return b.line_of(target, ref) is not None

    def _attachment_checks(self, df: DataFile, line: int, values: dict[str, Any]) -> list[Mistake]:
        out = []
        if values.get("message_id") and values.get("note_id"):
            out.append(Mistake("two_owners", file=df.member, line=line, column="note_id"))
        elif not values.get("message_id") and not values.get("note_id"):
            out.append(Mistake("no_owner", file=df.member, line=line, column="message_id"))
        path = values.get("path")
        if isinstance(path, str) and path:
            try:
                member = self.archive.attachment_member(path)
            except ValueError:
                out.append(Mistake("path_outside", file=df.member, line=line, column="path", params={"value": path}))
            else:
                if member is None:
                    out.append(Mistake("missing_attachment", file=df.member, line=line, column="path",
                                       params={"value": path}))
                else:
                    values["member"] = member
                    values["size"] = self.archive.files[member].file_size
        return out

    def _store(self, entity: Entity, line: int, v: dict[str, Any], ticket_seq: int | None) -> None:
        b = self.index
        name = entity.name
        if name == "agents":
            b.add_agent(line, v)
        elif name == "organizations":
            b.add_organization(line, v)
        elif name == "contacts":
            b.add_contact(line, v)
        elif name == "tickets":
            b.add_ticket(line, v, updated_us=micros(v["updated_at"]))
        elif name in ("messages", "notes"):
            assert ticket_seq is not None  # an accepted entry names an accepted ticket
            b.add_entry(name, line, v, ticket_seq=ticket_seq, created_us=micros(v["created_at"]))
        else:
            v["filename"] = v.get("filename") or posixpath.basename(v["member"])
            v["content_type"] = (v.get("content_type") or mimetypes.guess_type(v["filename"])[0]
                                 or "application/octet-stream")
            b.add_attachment(line, v, entry_seq=v["_entry_seq"])
