"""Turning one raw cell (CSV text or a JSON value) into a typed value, or naming what is wrong with it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from connectors.files.spec import CUSTOM_FIELD_PREFIX, FALSE_WORDS, LIST_SEPARATOR, TRUE_WORDS, Column, Entity

ID_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")
# Deliberately plain: one @, no spaces or brackets, a dot in the domain, no dot next to the @ or at an end.
EMAIL_RE = re.compile(r"^(?!\.)[^@\s<>()\[\],;:\"]+(?<!\.)@(?!\.)[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]+$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Problem(Exception):
    """What is wrong with a value: a mistake code and its parameters."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params


def valid_email(value: str) -> bool:
    return len(value) <= 254 and bool(EMAIL_RE.match(value))


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def _text(raw: Any, *, what: str = "text") -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise Problem("bad_type", expected=what, found=type(raw).__name__)
    return str(raw)


def _items(raw: Any) -> list[str]:
    if isinstance(raw, list):
        items = []
        for item in raw:
            if not isinstance(item, str | int) or isinstance(item, bool):
                raise Problem("bad_type", expected="a list of texts", found=type(item).__name__)
            items.append(str(item).strip())
        return [i for i in items if i]
    return [p.strip() for p in _text(raw, what="a list").split(LIST_SEPARATOR) if p.strip()]


def parse_date(raw: Any) -> datetime:
    text = raw.strip() if isinstance(raw, str) else raw
    if not isinstance(text, str):
        raise Problem("bad_date", value=str(raw))
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Problem("bad_date", value=text) from None
    if value.tzinfo is None or ("T" not in text and " " not in text):
        raise Problem("bad_date", value=text)
    return value


def micros(value: datetime) -> int:
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_value(column: Column, raw: Any) -> Any:
    """The typed value of `raw` for `column`; Problem when it is wrong. Blank -> default / None / []."""
    if _blank(raw):
        if column.required:
            raise Problem("empty_required", column=column.name)
        if column.kind in ("list", "emails", "refs"):
            return []
        return column.default
    kind = column.kind
    if kind in ("id", "ref"):
        value = _text(raw, what="an id").strip()
        if not ID_RE.match(value):
            raise Problem("bad_id", value=value[:80])
        return value
    if kind == "refs":
        values = _items(raw)
        for value in values:
            if not ID_RE.match(value):
                raise Problem("bad_id", value=value[:80])
        return values
    if kind == "text":
        return _text(raw)
    if kind == "date":
        return parse_date(raw)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        word = _text(raw, what="true or false").strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise Problem("bad_bool", value=word[:80])
    if kind == "list":
        return _items(raw)
    if kind == "email":
        value = _text(raw, what="an email address").strip()
        if not valid_email(value):
            raise Problem("bad_email", value=value[:120])
        return value
    if kind == "emails":
        values = _items(raw)
        for value in values:
            if not valid_email(value):
                raise Problem("bad_email", value=value[:120])
        return values
    if kind == "enum":
        value = _text(raw).strip().lower()
        if value not in column.choices:
            raise Problem("bad_choice", value=value[:80], choices=", ".join(column.choices))
        return value
    if kind == "url":
        value = _text(raw, what="an address").strip()
        if not URL_RE.match(value) or len(value) > 2000:
            raise Problem("bad_url", value=value[:120])
        return value
    if kind == "path":
        return _text(raw, what="a path").strip()
    raise AssertionError(f"unknown column kind {kind}")


def custom_fields(entity: Entity, row: dict[str, Any]) -> dict[str, Any]:
    """A ticket's custom fields: `cf:<name>` CSV columns and/or a `custom_fields` JSON object."""
    fields: dict[str, Any] = {}
    obj = row.get("custom_fields")
    if obj not in (None, ""):
        if not isinstance(obj, dict):
            raise Problem("bad_type", expected="an object of field names and values", found=type(obj).__name__)
        for name, value in obj.items():
            if isinstance(value, dict):
                raise Problem("bad_type", expected="a text, number, true/false or list", found="object")
            fields[str(name)] = value
    for key, value in row.items():
        if isinstance(key, str) and key.startswith(CUSTOM_FIELD_PREFIX):
            name = key[len(CUSTOM_FIELD_PREFIX):].strip()
            if name:
                fields[name] = None if _blank(value) else value
    return fields
