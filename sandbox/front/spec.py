"""Front's official OpenAPI document, loaded once, used to check every request and answer.

openapi-core matches paths only under a declared server, so the stand-in's own base URL is added to
`servers` at load time, as a template (`http://{host}:{port}`) that matches every stand-in whatever
port it got: the document is parsed once per process (about 1.5 s), not once per stand-in.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from openapi_core import Config, OpenAPI
from openapi_core.casting.schemas import oas30_types_caster
from openapi_core.casting.schemas.factories import SchemaCastersFactory
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.datatypes import TemplateResult
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.validation.request.validators import V30RequestValidator
from openapi_core.validation.response.validators import V30ResponseValidator
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from pathable.accessors import SubscriptableAccessor
from werkzeug.datastructures import Headers, ImmutableMultiDict

# A verbatim copy of shared/specs/front-core-api.json (Front's official document, see docs/front.md),
# shipped with the stand-in so the offline try-out works on a fresh machine.
SPEC_PATH = Path(__file__).resolve().parent / "front-core-api.json"
SPEC_SHA256 = "2d858303c5d6d35ffbc09364800879a37701e6c42c308c24ec6310d9b4df2c39"  # frontapp/front-api-specs@f8f5386
_lock = threading.Lock()


def spec_path() -> Path:
    return SPEC_PATH


@functools.cache
def spec_dict() -> dict[str, Any]:
    return json.loads(spec_path().read_text())


STANDIN_SERVER = {"url": "http://{host}:{port}",
                  "variables": {"host": {"default": "127.0.0.1"}, "port": {"default": "80"}}}


# --- speed: openapi-core re-derives per request what never changes (measured: 3.5 ms for GET /me) ----
# Both caches below keep every check openapi-core makes; they only stop it recomputing constants.

def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]*)", re.escape(template)) + "$")


@functools.cache
def _path_templates() -> list[tuple[str, re.Pattern[str]]]:
    """The spec's paths, most concrete first (literal, then fewer variables), as openapi-core orders them."""
    return sorted(((t, _template_regex(t)) for t in spec_dict()["paths"]), key=lambda p: p[0].count("{"))


def find_template(path: str) -> tuple[str, dict[str, str]] | None:
    """The spec template a path matches first (as openapi-core orders them) and its variables."""
    for template, regex in _path_templates():
        m = regex.match(path)
        if m:
            return template, m.groupdict()
    return None


class CachedPathFinder(APICallPathFinder):
    """openapi-core walks all ~150 paths of the document on every request (a third of its time); the
    answer only depends on (server, method, template), so it is computed once per template and the path
    variables of each request are filled in from a compiled regex."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._found: dict[tuple[str, str, str], Any] = {}

    def find(self, method: str, name: str) -> Any:
        parts = urlsplit(name)
        hit = find_template(parts.path)
        if hit is None:
            return super().find(method, name)  # openapi-core's own answer (and error) for the odd case
        template, variables = hit
        key = (f"{parts.scheme}://{parts.netloc}", method, template)
        cached = self._found.get(key)
        if cached is None:
            found = super().find(method, name)
            if found.path_result.pattern != template or found.path_result.variables != variables:
                return found  # the two matchers disagree here: trust openapi-core, cache nothing
            self._found[key] = cached = found
        return cached._replace(path_result=TemplateResult(template, variables))


class _SharedFormatChecker(SchemaValidatorsFactory):
    """openapi-core deep-copies its format checker for every schema it checks (7 % of the stand-in's
    time); with no custom formats configured the copy is never changed, so one is shared."""

    def get_format_checker(self, format_validators: Any = None, extra_format_validators: Any = None) -> Any:
        if format_validators is None and extra_format_validators is None:
            return self.format_checker
        return super().get_format_checker(format_validators, extra_format_validators)


def _speed_up_subnode_lookups() -> None:
    """pathable asks `isinstance(node, Subscriptable)` (a runtime Protocol) on every step through the
    document; on Python 3.11 that check re-derives the protocol's members each time, a third of all
    validation time. dicts and lists are Subscriptable by definition, so they skip the check; anything
    else still goes through pathable's own code."""
    original = SubscriptableAccessor.__dict__["_get_subnode"].__func__
    if getattr(original, "_frontport_fast", False):
        return

    def _get_subnode(cls: Any, node: Any, part: Any) -> Any:
        if type(node) is dict or type(node) is list:
            try:
                return node[part]
            except (KeyError, IndexError, TypeError) as exc:
                raise KeyError(part) from exc
        return original(cls, node, part)

    _get_subnode._frontport_fast = True  # type: ignore[attr-defined]
    SubscriptableAccessor._get_subnode = classmethod(_get_subnode)  # type: ignore[method-assign,assignment]


_WRITE_VALIDATORS = _SharedFormatChecker(OAS30WriteValidator)
_READ_VALIDATORS = _SharedFormatChecker(OAS30ReadValidator)


class _RequestValidator(V30RequestValidator):
    schema_validators_factory = _WRITE_VALIDATORS
    schema_casters_factory = SchemaCastersFactory(_WRITE_VALIDATORS, oas30_types_caster)


class _ResponseValidator(V30ResponseValidator):
    schema_validators_factory = _READ_VALIDATORS
    schema_casters_factory = SchemaCastersFactory(_READ_VALIDATORS, oas30_types_caster)


@functools.cache
def _openapi() -> OpenAPI:
    document = copy.deepcopy(spec_dict())
    document["servers"] = [*document.get("servers", []), STANDIN_SERVER]
    # The document is Front's own, checked by hash in the tests: skip re-validating it (2 s per process).
    assert document["openapi"].startswith("3.0"), "the validator classes below are OpenAPI 3.0's"
    _speed_up_subnode_lookups()
    return OpenAPI.from_dict(document, config=Config(
        spec_validator_cls=None, path_finder_cls=CachedPathFinder,
        request_validator_cls=_RequestValidator, response_validator_cls=_ResponseValidator))


def openapi_for(base_url: str) -> OpenAPI:
    """The validator for a stand-in at `base_url` (any http://host:port matches the added server)."""
    with _lock:
        return _openapi()


def operation(template: str, method: str) -> dict[str, Any]:
    return spec_dict()["paths"][template][method.lower()]


def required_scopes(template: str, method: str) -> list[str]:
    return list(operation(template, method).get("x-required-scopes") or [])


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow $ref and merge allOf, enough to walk a request schema."""
    while "$ref" in schema:
        node: Any = spec_dict()
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    if "allOf" in schema:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        props: dict[str, Any] = dict(merged.get("properties", {}))
        for part in schema["allOf"]:
            part = resolve(part)
            props.update(part.get("properties", {}))
            merged.setdefault("required", [])
            merged["required"] = list(merged["required"]) + list(part.get("required", []))
        merged["properties"] = props
        return merged
    return schema


def json_body_schema(template: str, method: str) -> dict[str, Any] | None:
    content = (operation(template, method).get("requestBody") or {}).get("content") or {}
    media = content.get("application/json")
    return resolve(media["schema"]) if media else None


def coerce_form(value: Any, schema: dict[str, Any]) -> Any:
    """Give multipart strings the JSON types the operation's schema declares ("true" -> True, "12" -> 12)."""
    schema = resolve(schema)
    kind = schema.get("type")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        return {k: coerce_form(v, props.get(k, {})) for k, v in value.items()}
    if isinstance(value, list):
        return [coerce_form(v, schema.get("items", {})) for v in value]
    if not isinstance(value, str):
        return value
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind == "integer" and value.lstrip("-").isdigit():
        return int(value)
    if kind == "number":
        try:
            return float(value)
        except ValueError:
            return value
    return value


# Where the document contradicts itself, the stand-in follows the documented behaviour: the schema of
# assignee_id is a plain string, yet its description (and Front) accept null to unassign.
NULL_UNASSIGNS = {("PATCH", "/conversations/{conversation_id}"), ("PUT", "/conversations/{conversation_id}/assignee")}


def apply_errata(template: str, method: str, body: bytes) -> bytes:
    """The body to validate: the request's own, except for the documented errata above."""
    if (method, template) in NULL_UNASSIGNS and body:
        try:
            data = json.loads(body)
        except ValueError:
            return body
        if isinstance(data, dict) and "assignee_id" in data and data["assignee_id"] is None:
            data.pop("assignee_id")
            if method == "PUT":
                data["assignee_id"] = "unassign"
            return json.dumps(data).encode()
    return body


class SpecRequest:
    """A request in the shape openapi-core reads."""

    def __init__(self, *, base_url: str, method: str, path: str, query: list[tuple[str, str]],
                 headers: dict[str, str], body: bytes | None, content_type: str) -> None:
        self.host_url = base_url
        self.path = path
        self.full_url_pattern = base_url + path
        self.method = method.lower()
        self.body = body
        self.content_type = content_type
        self._query, self._headers = query, headers
        self._parameters: RequestParameters | None = None

    @property
    def parameters(self) -> RequestParameters:
        """Built on first use (werkzeug's Headers cost more than the fast path's whole check): the fast
        path reads `query_first` and `authorization` instead."""
        if self._parameters is None:
            self._parameters = RequestParameters(query=ImmutableMultiDict(self._query), header=Headers(self._headers),
                                                 cookie=ImmutableMultiDict())
        return self._parameters

    @functools.cached_property
    def query_first(self) -> dict[str, str]:
        """Each query parameter's first value: what ImmutableMultiDict[name] gives openapi-core."""
        first: dict[str, str] = {}
        for name, value in self._query:
            first.setdefault(name, value)
        return first

    @functools.cached_property
    def authorization(self) -> str | None:
        """The Authorization header as werkzeug's case-insensitive Headers would find it (first match)."""
        return next((v for k, v in self._headers.items() if k.lower() == "authorization"), None)


class SpecResponse:
    def __init__(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.status_code = status
        self.data = body
        self.content_type = content_type
        self.headers = Headers(headers)


def describe(exc: Exception) -> str:
    """One readable line naming what broke the contract ("body.metadata.is_inbound: ... is not of type ...")."""
    cause: Any = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        errors = getattr(cause, "schema_errors", None)
        if errors:
            parts = []
            for error in list(errors)[:5]:
                where = ".".join(str(p) for p in error.absolute_path)
                parts.append(f"{where or 'body'}: {error.message}")
            return "; ".join(parts)
        cause = cause.__cause__ or cause.__context__
    return str(exc).split("\n", 1)[0][:500]


def validate_request(base_url: str, request: SpecRequest) -> str | None:
    """None when the request agrees with the spec (openapi-core decides), else a sentence naming the violation."""
    try:
        openapi_for(base_url).validate_request(request)
    except Exception as exc:  # openapi-core raises a family of errors; all mean "not per spec"
        return describe(exc)
    return None


def validate_response(base_url: str, request: SpecRequest, response: SpecResponse) -> str | None:
    try:
        openapi_for(base_url).validate_response(request, response)
    except Exception as exc:
        return describe(exc)
    return None
