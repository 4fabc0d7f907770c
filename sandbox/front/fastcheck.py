"""A compiled fast-accept path in front of openapi-core's request validation.

openapi-core walks the document through jsonschema-path on every request (~0.35 ms per call, about half
the stand-in's CPU). This module compiles, once per operation, what that walk reads — the security
requirement, the path and query parameters, the JSON body schema — into plain dicts and jsonschema
validators of the *same* class openapi-core uses (OAS30WriteValidator, same format checker).

It only ever says "valid, for sure" (accept) or "not proven" (None): on None the caller runs
openapi-core, which stays the sole author of every 400 and its message. Anything this module does not
model exactly (empty or boolean query values, parameters with `content`, odd media types, paths with dot
segments, an operation openapi-core has not resolved yet for this server) is left to openapi-core.
tests/front/test_fastcheck.py runs a corpus of valid and invalid requests through both and fails if the
fast path ever accepts what openapi-core refuses (and if it stops accepting the common valid requests).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from openapi_schema_validator import OAS30WriteValidator
from referencing import Registry
from referencing.jsonschema import DRAFT4

from sandbox.front import spec

# openapi-core's casters for these types; a boolean given in the query is left to openapi-core (its caster
# accepts several spellings), an absent one only checks the default.
_DEFER = object()
_DOCUMENT_URI = "urn:frontport:front-core-api"
_CASTS = {"string": None, "integer": int, "number": float, "boolean": _DEFER}


@dataclass
class Param:
    name: str
    location: str  # path | query
    required: bool
    cast: Any  # None (string) or the primitive openapi-core casts with
    validator: Any
    default: Any = None
    has_default: bool = False


@dataclass
class Operation:
    fast: bool  # False: something here is not modelled, every request goes to openapi-core
    security: list[list[dict]] = field(default_factory=list)  # requirements, each a list of http schemes
    params: list[Param] = field(default_factory=list)
    has_body: bool = False
    body_required: bool = False
    content: dict[str, Any] = field(default_factory=dict)  # media type -> validator (None: no schema)


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec.spec_dict()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


@functools.cache
def _registry_resolver() -> Any:
    """The whole document as one resource: '#/components/...' refs resolve in it, as in openapi-core."""
    resource = DRAFT4.create_resource(spec.spec_dict())
    return Registry().with_resource(_DOCUMENT_URI, resource).resolver(base_uri=_DOCUMENT_URI)


def _validator(schema: dict[str, Any]) -> Any:
    """A validator for a schema of the document, built like openapi-core's (same class, same format
    checker, refs resolved in the document). Like openapi-core (jsonschema-path resolves the schema node
    before validating), a top-level $ref replaces its siblings: `{"$ref": ..., "required": [...]}` checks
    only the referenced schema."""
    return OAS30WriteValidator(_deref(schema), format_checker=OAS30WriteValidator.FORMAT_CHECKER,
                               _resolver=_registry_resolver())


def _compile(template: str, method: str) -> Operation:
    document = spec.spec_dict()
    item = document["paths"][template]
    op = item[method]
    compiled = Operation(fast=True)
    security = op["security"] if "security" in op else document.get("security")
    schemes = document.get("components", {}).get("securitySchemes", {})
    for requirement in security or []:
        names = list(requirement)
        if any(n in schemes and schemes[n].get("type") != "http" for n in names):
            return Operation(fast=False)
        compiled.security.append([schemes[n] for n in names if n in schemes])
    seen = set()
    for raw in [*op.get("parameters", []), *item.get("parameters", [])]:  # openapi-core's order and dedupe
        param = _deref(raw)
        key = (param["name"], param["in"])
        if key in seen:
            continue
        seen.add(key)
        schema = _deref(param.get("schema", {}))
        kind = schema.get("type")
        simple = (param["in"] in ("path", "query") and "content" not in param and "allowEmptyValue" not in param
                  and kind in _CASTS and param.get("style") in (None, "simple" if param["in"] == "path" else "form")
                  and "nullable" not in schema)
        if not simple:
            return Operation(fast=False)
        compiled.params.append(Param(param["name"], param["in"], bool(param.get("required")), _CASTS[kind],
                                     _validator(param["schema"]), schema.get("default"), "default" in schema))
    if "requestBody" in op:
        body = _deref(op["requestBody"])
        compiled.has_body, compiled.body_required = True, bool(body.get("required"))
        for media, spec_media in (body.get("content") or {}).items():
            compiled.content[media] = _validator(spec_media["schema"]) if "schema" in spec_media else None
    return compiled


@functools.cache
def compiled(template: str, method: str) -> Operation:
    return _compile(template, method)


def _security_ok(op: Operation, auth: str | None) -> bool:
    """openapi-core's HttpProvider: the first requirement whose schemes all find their credentials wins."""
    if not op.security:
        return True
    for requirement in op.security:
        ok = True
        for scheme in requirement:
            parts = auth.split(" ", 1) if auth is not None else []
            if len(parts) != 2 or parts[0].lower() != scheme["scheme"]:
                ok = False
                break
        if ok:
            return True
    return False


def _media(op: Operation, content_type: str) -> tuple[str, Any] | None:
    """The media type openapi-core's MediaTypeFinder picks for application/json requests, else None."""
    pieces = content_type.split(";")
    mime = pieces[0].lower().rstrip()
    if mime != "application/json" or any(p.count("=") != 1 for p in pieces[1:]):
        return None
    for key in (content_type, mime):
        if key in op.content:
            return (key, op.content[key]) if key == "application/json" else None
    return None


def accepts(base_url: str, request: spec.SpecRequest) -> tuple[bool, Any]:
    """(True, parsed JSON body or None) when openapi-core would accept this request; (False, None) when
    that is not proven here and openapi-core must decide. Reads the request exactly where openapi-core
    does (request.path, its query and Authorization header, .body, .content_type)."""
    full = urlsplit(urljoin(base_url, request.path))
    path = full.path
    if "/." in path or "//" in path:
        return False, None
    found = spec.find_template(path)
    if found is None:
        return False, None
    template, variables = found
    method = request.method
    if not spec.path_confirmed(base_url, f"{full.scheme}://{full.netloc}", method, template):
        return False, None  # openapi-core has not resolved this operation for this server yet
    op = compiled(template, method)
    if not op.fast or not _security_ok(op, request.authorization):
        return False, None
    query = request.query_first
    for param in op.params:
        source = variables if param.location == "path" else query
        if param.name not in source:
            if param.required:
                return False, None
            if not param.has_default:
                continue
            value: Any = param.default
        else:
            value = source[param.name]
            if (param.location == "query" and value == "") or param.cast is _DEFER:
                return False, None
            if param.cast is not None:
                try:
                    value = param.cast(value)
                except (ValueError, TypeError):
                    return False, None
        if not param.validator.is_valid(value):
            return False, None
    if not op.has_body:
        return True, None
    if not request.body:
        return (not op.body_required), None
    media = _media(op, request.content_type)
    if media is None:
        return False, None
    try:
        data = json.loads(request.body)
    except (ValueError, TypeError):
        return False, None
    validator = media[1]
    if validator is not None and not validator.is_valid(data):
        return False, None
    return True, data
