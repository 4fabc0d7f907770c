"""Source field values onto Front custom fields of the same name, the rest as "Name: value" lines.

Front's reference says a custom field value "must use the same type specified for the custom field"
(a number for a number field, one of the values of an enum...), not what happens otherwise: refused, or
kept without the value (docs/vendor-guesses.md, "A custom field value that does not fit its field"). So a
value is sent only once it fits its field (converted where nothing is lost: "18" -> 18 for a number, the
enum value whatever its letter case, a date -> a timestamp); anything else goes into the record's
description, where it is kept whatever Front does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

FieldDefs = dict[str, dict[str, Any]]  # Front field name -> {"type": ..., "values": [...]}


def definitions(fields: Iterable[dict[str, Any]]) -> FieldDefs:
    """Front's custom field listing, kept by name (what Run.context stores: read once per run)."""
    out: FieldDefs = {}
    for f in fields:
        if isinstance(f, dict) and isinstance(f.get("name"), str):
            values = [str(v.get("value")) for v in f.get("values") or [] if isinstance(v, dict) and v.get("value") is not None]
            out[f["name"]] = {"type": str(f.get("type") or "string"), "values": values}
    return out


def empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def text(value: Any) -> str:
    """How a value reads in a description line."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value if not empty(v))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return int(number) if number.is_integer() and "." not in value else number
    return None


def _timestamp(value: Any) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    return None


def fitted(value: Any, field: dict[str, Any]) -> tuple[bool, Any]:
    """(fits, the value as Front's field takes it)."""
    kind = field.get("type")
    if kind == "string":
        if isinstance(value, list | tuple | dict):
            return False, None
        return True, text(value) if not isinstance(value, str) else value
    if kind == "number":
        number = _number(value)
        return number is not None, number
    if kind == "boolean":
        if isinstance(value, bool):
            return True, value
        if isinstance(value, str) and value.strip().lower() in ("true", "yes", "false", "no"):
            return True, value.strip().lower() in ("true", "yes")
        return False, None
    if kind == "enum":
        options = field.get("values") or []
        if isinstance(value, str):
            match = next((o for o in options if o == value), None) or next(
                (o for o in options if o.casefold() == value.strip().casefold()), None)
            return match is not None, match
        return False, None
    if kind == "datetime":
        stamp = _timestamp(value)
        return stamp is not None, stamp
    return False, None  # teammate / inbox fields: a source value names neither


def split(values: dict[str, Any], fields: FieldDefs) -> tuple[dict[str, Any], list[str]]:
    """({Front field name: value} for values that fit a field of the same name, ["Name: value" lines] for
    the rest). Names match exactly, else ignoring letter case (Front's spelling is used)."""
    folded = {name.casefold(): name for name in fields}
    kept: dict[str, Any] = {}
    lines: list[str] = []
    for name, value in values.items():
        if empty(value):
            continue
        front_name = name if name in fields else folded.get(name.casefold())
        if front_name is not None:
            fits, converted = fitted(value, fields[front_name])
            if fits:
                kept[front_name] = converted
                continue
        lines.append(f"{name}: {text(value)}")
    return kept, lines


def description(*parts: str | None, lines: list[str] | None = None) -> str:
    """Paragraphs (empty ones left out), then the field lines."""
    blocks = [p.strip() for p in parts if p and p.strip()]
    if lines:
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
