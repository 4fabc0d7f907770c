"""Intercom's official OpenAPI document (API 2.16), loaded once, used to check every request and answer.

`intercom-api-2.16.yaml` next to this file is a verbatim copy of `shared/specs/intercom-api-2.16.yaml`
(intercom/Intercom-OpenAPI, descriptions/2.16/api.intercom.io.yaml @ 8889625; MIT licence), shipped with
the stand-in so a fresh checkout works offline; a test compares its SHA-256 with the shared copy.

The document has path-parameter errors of its own (e.g. `/export/reporting_data/{job_identifier}`), so it
is loaded without validating the document itself; requests and answers are still checked against it.
Answers whose status the operation does not declare (401 on `/me`, every 429) are checked against the
document's `error` schema.
"""

from __future__ import annotations

import copy
import functools
import json
import threading
from pathlib import Path
from typing import Any

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30ReadValidator

SPEC_PATH = Path(__file__).resolve().parent / "intercom-api-2.16.yaml"
STANDIN_SERVER = {"url": "http://{host}:{port}",
                  "variables": {"host": {"default": "127.0.0.1"}, "port": {"default": "80"}}}
_lock = threading.Lock()


@functools.cache
def spec_dict() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(SPEC_PATH.read_text(), Loader=loader)  # noqa: S506 - safe loaders only


def _nullable_refs(node: Any) -> Any:
    """`{"$ref": X, "nullable": true}` -> `{"anyOf": [{"$ref": X}, {"nullable": true, "enum": [null]}]}`.

    OpenAPI 3.0 ignores keywords beside a `$ref`, so the document's many nullable references (part
    `assigned_to`, `email_message_metadata`, a conversation's `company`...) would refuse the nulls its own
    examples show. This is how 3.0 spells what the document says; nothing else is relaxed."""
    if isinstance(node, dict):
        node = {k: _nullable_refs(v) for k, v in node.items()}
        if "$ref" in node and node.get("nullable") is True:
            rest = {k: v for k, v in node.items() if k not in ("$ref", "nullable")}
            return {**rest, "anyOf": [{"$ref": node["$ref"]}, {"nullable": True, "enum": [None]}]}
        return node
    if isinstance(node, list):
        return [_nullable_refs(v) for v in node]
    return node


@functools.cache
def _openapi() -> OpenAPI:
    document = _nullable_refs(copy.deepcopy(spec_dict()))
    document["servers"] = [*document.get("servers", []), STANDIN_SERVER]
    return OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))


def openapi() -> OpenAPI:
    with _lock:
        return _openapi()


@functools.cache
def _error_validator() -> OAS30ReadValidator:
    schema = spec_dict()["components"]["schemas"]["error"]
    assert "$ref" not in json.dumps(schema), "the error schema is self-contained"
    return OAS30ReadValidator(schema)


def declared_statuses(template: str, method: str) -> set[str]:
    operation = spec_dict()["paths"].get(template, {}).get(method.lower(), {})
    return set(operation.get("responses") or {})


def _describe(exc: Exception) -> str:
    cause: Any = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        errors = getattr(cause, "schema_errors", None)
        if errors:
            return "; ".join(f"{'.'.join(str(p) for p in e.absolute_path) or 'body'}: {e.message}"
                             for e in list(errors)[:5])
        cause = cause.__cause__ or cause.__context__
    return str(exc).split("\n", 1)[0][:500]


def request_for(*, base_url: str, method: str, path: str, query: dict[str, str], headers: dict[str, str],
                body: bytes) -> MockRequest:
    return MockRequest(base_url, method.lower(), path, args=query, headers=headers, data=body or None,
                       content_type=headers.get("content-type", "application/json").split(";")[0])


def check_request(request: MockRequest) -> str | None:
    """None when the request agrees with the document, else a sentence naming the violation."""
    try:
        openapi().validate_request(request)
    except Exception as exc:  # openapi-core raises a family of errors; all mean "not per the document"
        return _describe(exc)
    return None


def documented_errata(payload: Any) -> Any:
    """What the stand-in sends that the document's own examples show but its schemas do not allow:
    conversation `custom_attributes` values that are booleans or decimals (the document's example:
    `paid_subscriber: true`, `monthly_spend: 155.5`; the schema lists only string, integer, date and
    object lists). They are checked as strings; everything else must match the schemas as they are."""
    payload = copy.deepcopy(payload)
    items = payload.get("conversations") if isinstance(payload, dict) else None
    for conversation in items if isinstance(items, list) else [payload]:
        attributes = conversation.get("custom_attributes") if isinstance(conversation, dict) else None
        if isinstance(attributes, dict):
            for key, value in attributes.items():
                if isinstance(value, bool | float):
                    attributes[key] = json.dumps(value)
    return payload


def check_response(request: MockRequest, *, template: str, status: int, body: bytes) -> str | None:
    """None when the answer agrees with the document, else a sentence naming the violation."""
    if str(status) not in declared_statuses(template, request.method):
        if status < 400:
            return f"status {status} is not declared for {request.method.upper()} {template}"
        errors = sorted(_error_validator().iter_errors(json.loads(body)), key=lambda e: list(e.absolute_path))
        return "; ".join(f"{'.'.join(str(p) for p in e.absolute_path) or 'body'}: {e.message}"
                         for e in errors[:5]) or None
    checked = json.dumps(documented_errata(json.loads(body))).encode() if body else b""
    try:
        openapi().validate_response(request, MockResponse(checked, status_code=status,
                                                          content_type="application/json"))
    except Exception as exc:
        return _describe(exc)
    return None
