"""The JSON Schema of a `manage.py migration apply` file (published in docs/cli.md), and mistakes in plain
words, each named by its key path (`options.custom_fields`, `windows[0].start_time`).

The `source` block is built from the connector registry: `type` picks a connector, whose own fields
(`ConfigField`s) are the only other keys allowed there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from connectors.registry import SOURCES

OBJECT_NAMES = ("tickets", "contacts", "agents", "organizations", "contact_fields", "articles")
CUSTOM_FIELD_MODES = ("comment", "fields", "none")
TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
_JSON_TYPES = {dict: "an object", list: "a list", str: "a string", bool: "true or false", int: "a whole number",
               float: "a number", type(None): "null"}
_WANTED = {"object": "an object", "array": "a list", "string": "a string", "boolean": "true or false",
           "integer": "a whole number", "number": "a number", "null": "null"}


def _closed(properties: dict[str, Any], *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def _source_schema() -> dict[str, Any]:
    """`type` (a registry key) and, per type, that connector's own fields and nothing else."""
    per_type = []
    for key, connector in SOURCES.items():
        fields: dict[str, Any] = {"type": {"const": key}}
        for f in connector.config_fields:
            # Values (choices included: a connector may accept "EU" for "eu") are the connector's to check.
            fields[f.name] = {"type": ["string", "integer"]}
        per_type.append({"if": {"properties": {"type": {"const": key}}, "required": ["type"]},
                         "then": _closed(fields)})
    return {"type": "object", "required": ["type"],
            "properties": {"type": {"enum": list(SOURCES)}}, "allOf": per_type}


def file_schema() -> dict[str, Any]:
    boolean = {"type": "boolean"}
    text = {"type": "string", "minLength": 1}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Frontport migration file (manage.py migration apply)",
        **_closed({
            "id": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1},
            "name": {"type": "string", "minLength": 1, "maxLength": 120},
            "source": _source_schema(),
            "front": _closed({"token": text, "api_url": {"type": "string"},
                              "inbox_id": {"type": "string", "minLength": 1, "maxLength": 64},
                              # Where help-center articles go: an existing knowledge base, or one created by name.
                              "knowledge_base": {"oneOf": [
                                  _closed({"id": {"type": "string", "minLength": 1, "maxLength": 64},
                                           "name": {"type": "string", "maxLength": 200}}, required=("id",)),
                                  _closed({"create": {"type": "string", "minLength": 1, "maxLength": 200}},
                                          required=("create",))]}},
                             required=("token", "inbox_id")),
            "objects": {"oneOf": [
                _closed({name: boolean for name in OBJECT_NAMES}),
                {"type": "array", "items": {"enum": list(OBJECT_NAMES)}, "uniqueItems": True, "minItems": 1},
            ]},
            "teammates": _closed({"auto_match": boolean, "default": {"type": "string", "maxLength": 64},
                                  "map": {"type": "object", "additionalProperties": {"type": ["string", "integer"]}}}),
            "statuses": {"type": "object", "additionalProperties": {"enum": ["open", "archived"]}},
            "options": _closed({"tag": {"type": "string", "maxLength": 64}, "status_tag": boolean,
                                "skip_attachments": boolean, "inline_images": boolean, "call_recordings": boolean,
                                "custom_fields": {"enum": list(CUSTOM_FIELD_MODES)}}),
            "demo": _closed({"ids": {"type": "array", "maxItems": 20, "items": {"type": ["string", "integer"]}}}),
            "filter": {"type": "object"},
            "time_zone": {"type": "string", "minLength": 1, "maxLength": 64},
            "windows": {"type": ["array", "null"], "items": _closed({
                "start_day": {"type": "integer", "minimum": 0, "maximum": 6},
                "start_time": {"type": "string", "pattern": TIME},
                "end_day": {"type": "integer", "minimum": 0, "maximum": 6},
                "end_time": {"type": "string", "pattern": TIME},
            }, required=("start_day", "start_time", "end_day", "end_time"))},
        }, required=("name", "source", "front")),
    }


def schema_json() -> str:
    return json.dumps(file_schema(), indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class Mistake:
    path: str  # "options.custom_fields", "windows[0].start_time", "" for the whole file
    message: str

    def __str__(self) -> str:
        return f"`{self.path}`: {self.message}" if self.path else self.message


def key_path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: ValidationError) -> list[Mistake]:
    path = key_path(error.absolute_path)

    def join(key: str) -> str:
        return f"{path}.{key}" if path else key

    v, value = error.validator, error.instance
    if v == "required":
        missing = [k for k in error.validator_value if isinstance(value, dict) and k not in value]
        return [Mistake(join(k), "is required.") for k in missing]
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties") or {})
        unknown = [k for k in value if k not in allowed] if isinstance(value, dict) else []
        hint = f" (known keys: {', '.join(allowed)})" if allowed else ""
        return [Mistake(join(k), f"is not a known key{hint}.") for k in unknown]
    if v == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        names = " or ".join(_WANTED[w] for w in wanted)
        return [Mistake(path, f"must be {names}, not {_JSON_TYPES.get(type(value), 'this')} ({_shown(value)}).")]
    if v in ("enum", "const"):
        options = error.validator_value if v == "enum" else [error.validator_value]
        return [Mistake(path, f"must be one of {', '.join(map(str, options))}, not {_shown(value)}.")]
    if v == "oneOf" and path == "objects":
        branch = 0 if isinstance(value, dict) else 1 if isinstance(value, list) else None
        inner = [m for e in error.context or [] if e.relative_schema_path[0] == branch for m in _describe(e)]
        if inner:
            return inner
        return [Mistake(path, 'must be an object such as {"tickets": true, "contacts": true, "agents": false} '
                              f"or a list of object names ({', '.join(OBJECT_NAMES)}), not {_shown(value)}.")]
    if v in ("minLength", "minItems"):
        return [Mistake(path, "must not be empty.")]
    if v == "maxLength":
        return [Mistake(path, f"takes at most {error.validator_value} characters.")]
    if v == "maxItems":
        return [Mistake(path, f"takes at most {error.validator_value} items.")]
    if v in ("minimum", "maximum"):
        return [Mistake(path, f"must be between 0 and 6 (0 = Monday), not {_shown(value)}."
                        if path.endswith("_day") else f"is out of range ({_shown(value)}).")]
    if v == "pattern":
        what = "a time as HH:MM (24-hour clock)" if path.endswith("_time") else "digits only"
        return [Mistake(path, f"must be {what}, not {_shown(value)}.")]
    if v == "uniqueItems":
        return [Mistake(path, "lists a name twice.")]
    return [Mistake(path, error.message)]


def schema_mistakes(data: Any) -> list[Mistake]:
    """Every way `data` breaks the schema, one mistake per key path, sorted by key path."""
    validator = Draft202012Validator(file_schema())
    mistakes: list[Mistake] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        for mistake in _describe(error):
            if mistake not in mistakes:
                mistakes.append(mistake)
    return mistakes
