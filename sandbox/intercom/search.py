"""Intercom's search query language (`POST /conversations/search`, `POST /contacts/search`), evaluated.

A query is one filter `{"field", "operator", "value"}` or a group `{"operator": "AND"|"OR", "value": [...]}`
(at most two levels of nesting, at most 15 filters per group). Operators as the reference's table lists
them: `=`, `!=`, `IN`, `NIN`, `>` ("greater (or equal) than"), `<` ("lower (or equal) than"), `~`, `!~`,
`^`, `$`. Date fields take UNIX timestamps, as integers or strings.

Timestamps: the contacts search reference says dates are matched by calendar day in the workspace's time
zone; the conversations search reference does not say. Default reading: conversation dates compare to the
second; `day_precision=True` (the stand-in's strict mode) truncates them to the day as contacts do.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DATE_FIELDS = frozenset({"created_at", "updated_at", "waiting_since", "snoozed_until", "signed_up_at",
                         "last_seen_at"})


class QueryError(ValueError):
    """The query breaks the search language; the message names the field (Intercom's 400)."""


def _day_start(ts: int, zone: ZoneInfo) -> int:
    local = datetime.fromtimestamp(ts, zone)
    return int(local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())


def _next_day_start(ts: int, zone: ZoneInfo) -> int:
    local = datetime.fromtimestamp(ts, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((local + timedelta(days=1)).replace(tzinfo=None).replace(tzinfo=zone).timestamp())


def _as_int(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
        raise QueryError(f"{field} needs a UNIX timestamp, got {value!r}")
    return int(value)


def compile_query(query: Any, *, fields: frozenset[str], zone: ZoneInfo, day_precision: bool,
                  depth: int = 0) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate over a document (a mapping of field -> value) or QueryError."""
    if not isinstance(query, dict):
        raise QueryError("query must be an object")
    op = query.get("operator")
    if op in ("AND", "OR") and "field" not in query:
        items = query.get("value")
        if not isinstance(items, list) or not items:
            raise QueryError(f"{op} needs a list of filters")
        if depth >= 2:
            raise QueryError("There's a limit of max 2 nested filters")
        if len(items) > 15:
            raise QueryError("There's a limit of max 15 filters for each AND or OR group")
        parts = [compile_query(q, fields=fields, zone=zone, day_precision=day_precision, depth=depth + 1)
                 for q in items]
        if op == "AND":
            return lambda doc: all(p(doc) for p in parts)
        return lambda doc: any(p(doc) for p in parts)
    field = query.get("field")
    if field not in fields:
        raise QueryError(f"{field!r} is not a searchable field")
    value = query.get("value")
    if field in DATE_FIELDS:
        return _date_filter(field, op, value, zone=zone, day_precision=day_precision)
    return _value_filter(field, op, value)


def _date_filter(field: str, op: Any, value: Any, *, zone: ZoneInfo, day_precision: bool
                 ) -> Callable[[Mapping[str, Any]], bool]:
    if op not in ("=", ">", "<"):
        raise QueryError(f"operator {op!r} is not supported on the date field {field}")
    ts = _as_int(field, value)
    if day_precision:
        start, end = _day_start(ts, zone), _next_day_start(ts, zone)
        bounds = {"=": (start, end), ">": (end, None), "<": (None, start)}[op]
    else:
        bounds = {"=": (ts, ts + 1), ">": (ts, None), "<": (None, ts + 1)}[op]  # > and < include the value
    low, high = bounds

    def match(doc: Mapping[str, Any]) -> bool:
        got = doc[field]
        if got is None:
            return False
        return (low is None or got >= low) and (high is None or got < high)

    return match


def _value_filter(field: str, op: Any, value: Any) -> Callable[[Mapping[str, Any]], bool]:
    if op in ("IN", "NIN"):
        if not isinstance(value, list):
            raise QueryError(f"{op} needs a list of values for {field}")
        wanted = {str(v) for v in value}
    elif op in ("=", "!=", "~", "!~", "^", "$", ">", "<", ">=", "<="):
        wanted = {str(value)}
    else:
        raise QueryError(f"unknown operator {op!r}")

    def values(doc: Mapping[str, Any]) -> list[str]:
        got = doc[field]
        items = got if isinstance(got, list) else [got]
        return ["true" if v is True else "false" if v is False else str(v) for v in items if v is not None]

    text = str(value).lower() if not isinstance(value, list) else ""
    tests: dict[str, Callable[[list[str]], bool]] = {
        "=": lambda got: bool(wanted & set(got)), "!=": lambda got: not wanted & set(got),
        "IN": lambda got: bool(wanted & set(got)), "NIN": lambda got: not wanted & set(got),
        "~": lambda got: any(text in g.lower() for g in got), "!~": lambda got: all(text not in g.lower() for g in got),
        "^": lambda got: any(g.lower().startswith(text) for g in got),
        "$": lambda got: any(g.lower().endswith(text) for g in got),
        ">": lambda got: any(_num(g) > _num(text) for g in got), "<": lambda got: any(_num(g) < _num(text) for g in got),
        ">=": lambda got: any(_num(g) >= _num(text) for g in got),
        "<=": lambda got: any(_num(g) <= _num(text) for g in got),
    }
    test = tests[op]
    return lambda doc: test(values(doc))


def _num(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        return float("nan")


def id_candidates(query: Any) -> list[str] | None:
    """The ids a query is limited to (`id = x` / `id IN [...]` alone or ANDed), else None (scan all)."""
    if not isinstance(query, dict):
        return None
    if query.get("field") == "id" and query.get("operator") in ("=", "IN"):
        value = query.get("value")
        return [str(v) for v in (value if isinstance(value, list) else [value])]
    if query.get("operator") == "AND" and isinstance(query.get("value"), list):
        for item in query["value"]:
            found = id_candidates(item)
            if found is not None:
                return found
    return None


def encode_cursor(offset: int, query: Any) -> str:
    raw = json.dumps({"o": offset, "q": zlib.crc32(json.dumps(query, sort_keys=True).encode())}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, query: Any) -> int:
    """The offset a `starting_after` cursor stands for; QueryError for a cursor of another query."""
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError) as exc:
        raise QueryError("starting_after is not a cursor this search gave") from exc
    if data.get("q") != zlib.crc32(json.dumps(query, sort_keys=True).encode()):
        raise QueryError("starting_after belongs to another search query")
    return offset
