"""Reading one CSV or JSON Lines member line by line, never whole: raw values per line, with its number.

Every problem that makes a line unreadable (bytes that are not UTF-8, a line over the length limit,
broken CSV quoting, invalid JSON) is reported with the file, line and column, and the line is yielded
as None so the caller counts it left out and goes on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from typing import IO, Any

from connectors.files.archive import human_size
from connectors.files.mistakes import Mistake

Report = Callable[[Mistake], None]
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

csv.field_size_limit(64 * 1024**2)  # a cell may hold a long HTML body; lines are bounded below anyway


class Unreadable(Exception):
    """The file cannot be read at all (reported already)."""


def _physical_lines(stream: IO[bytes], file: str, limit: int, report: Report) -> Iterator[tuple[int, bytes | None]]:
    """(line number, raw bytes) of each physical line; None for a line over the limit (reported)."""
    lineno = 0
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        lineno += 1
        if lineno == 1:
            if raw.startswith(UTF16_BOMS):
                report(Mistake("utf16", file=file, line=1))
                raise Unreadable(file)
            raw = raw.removeprefix(UTF8_BOM)
        if len(raw) > limit and not raw.endswith(b"\n"):
            while (more := stream.readline(limit + 1)) and not more.endswith(b"\n"):
                pass
            report(Mistake("long_line", file=file, line=lineno, params={"limit": human_size(limit)}))
            yield lineno, None
            continue
        yield lineno, raw


def _decode(raw: bytes, file: str, lineno: int, report: Report) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = len(raw[:exc.start].decode("utf-8", "replace")) + 1
        report(Mistake("encoding", file=file, line=lineno, column=str(column),
                       params={"bytes": raw[exc.start:exc.end].hex(" ")}))
        return None


class CsvRows:
    """Rows of a CSV member as {column: text}; `header` is the list of column names."""

    def __init__(self, stream: IO[bytes], file: str, limit: int, report: Report) -> None:
        self.file, self.report = file, report
        self._bad: set[int] = set()
        self._lineno = 0
        self._lines = _physical_lines(stream, file, limit, report)
        self._reader = csv.reader(self._text(), strict=True)
        self.header = self._read_header()

    def _text(self) -> Iterator[str]:
        for lineno, raw in self._lines:
            self._lineno = lineno
            text = _decode(raw, self.file, lineno, self.report) if raw is not None else None
            if text is None:
                self._bad.add(lineno)
                yield "\n"
            else:
                yield text

    def _read_header(self) -> list[str]:
        for _line, cells in self._records():
            if cells is None:
                raise Unreadable(self.file)
            header = [c.strip() for c in cells]
            if not any(header):
                break
            return header
        self.report(Mistake("empty_header", file=self.file, line=1))
        raise Unreadable(self.file)

    def _records(self) -> Iterator[tuple[int, list[str] | None]]:
        while True:
            start = self._lineno + 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.report(Mistake("bad_csv", file=self.file, line=start, params={"detail": str(exc)}))
                yield start, None
                continue
            end = self._lineno
            if any(n in self._bad for n in range(start, end + 1)):
                self._bad.difference_update(range(start, end + 1))
                yield start, None
                continue
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # a blank line
            yield start, cells

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any] | None]]:
        width = len(self.header)
        for line, cells in self._records():
            if cells is None:
                yield line, None
                continue
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                self.report(Mistake("extra_values", file=self.file, line=line,
                                    params={"count": len(cells), "expected": width}))
                yield line, None
                continue
            yield line, {name: cells[i] if i < len(cells) else "" for i, name in enumerate(self.header)}


class JsonlRows:
    """Rows of a JSON Lines member as {field: value}."""

    def __init__(self, stream: IO[bytes], file: str, limit: int, report: Report) -> None:
        self.file, self.report = file, report
        self._lines = _physical_lines(stream, file, limit, report)
        self.header: list[str] | None = None  # JSON lines name their fields on every line

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any] | None]]:
        for lineno, raw in self._lines:
            if raw is None:
                yield lineno, None
                continue
            text = _decode(raw, self.file, lineno, self.report)
            if text is None:
                yield lineno, None
                continue
            if not text.strip():
                continue
            try:
                value = json.loads(text.rstrip("\r\n"))
            except json.JSONDecodeError as exc:
                self.report(Mistake("bad_json", file=self.file, line=lineno, column=str(exc.colno),
                                    params={"detail": exc.msg}))
                yield lineno, None
                continue
            if not isinstance(value, dict):
                self.report(Mistake("not_object", file=self.file, line=lineno))
                yield lineno, None
                continue
            yield lineno, value


def open_rows(stream: IO[bytes], *, file: str, fmt: str, limit: int, report: Report) -> CsvRows | JsonlRows:
    return (CsvRows if fmt == "csv" else JsonlRows)(stream, file, limit, report)
