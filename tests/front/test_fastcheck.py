"""The stand-in's compiled fast path (sandbox/front/fastcheck.py) against openapi-core, the authority.

A corpus of valid and invalid requests — every operation of Front's document with bodies generated from
its schemas and mutated (missing, null, mistyped, extra fields), parameters right and wrong, security,
media types and odd paths, plus the engine's own requests — goes through both. The fast path may never
accept what openapi-core refuses; where it claims to be exact (not `deferred`), it must also accept what
openapi-core accepts, or the speed-up silently stops applying.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sandbox.front import fastcheck, spec

BASE = "http://127.0.0.1:8123"
AUTH = {"Authorization": "Bearer test-token"}


@dataclass
class Case:
    label: str
    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=lambda: dict(AUTH))
    body: bytes | None = None
    content_type: str = "application/json"
    deferred: bool = False  # the fast path is allowed to leave this one to openapi-core

    def request(self) -> spec.SpecRequest:
        return spec.SpecRequest(base_url=BASE, method=self.method, path=self.path, query=self.query,
                                headers=self.headers, body=self.body, content_type=self.content_type)


def sample(schema: dict[str, Any], full: bool, depth: int = 0) -> Any:
    """A plausible instance of a schema (required properties only, or all of them)."""
    schema = spec.resolve(schema)
    if depth > 6:
        return None
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return sample(schema[key][0], full, depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if kind == "object":
        props = schema.get("properties", {})
        names = list(props) if full else list(schema.get("required", []))
        return {n: sample(props.get(n, {}), full, depth + 1) for n in names}
    if kind == "array":
        count = max(1, schema.get("minItems", 1)) + (1 if full else 0)
        return [sample(schema.get("items", {}), full, depth + 1) for _ in range(count)]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    return "x" * max(1, schema.get("minLength", 1))


def mutations(value: Any, depth: int = 0) -> Iterator[Any]:
    """Each field missing, null, mistyped; an unknown field; the same one level down."""
    if not isinstance(value, dict):
        return
    yield {**value, "zz_unknown": 1}
    for key, inner in value.items():
        yield {k: v for k, v in value.items() if k != key}
        for wrong in (None, 12345 if isinstance(inner, str) else "str", [inner], {"a": inner}):
            yield {**value, key: wrong}
        if depth == 0 and isinstance(inner, dict):
            for nested in mutations(inner, depth + 1):
                yield {**value, key: nested}
        if depth == 0 and isinstance(inner, list) and inner and isinstance(inner[0], dict):
            for nested in mutations(inner[0], depth + 1):
                yield {**value, key: [nested]}


def concrete(template: str, value: str = "abc_1") -> str:
    out = template
    while "{" in out:
        start = out.index("{")
        out = out[:start] + value + out[out.index("}", start) + 1:]
    return out


def spec_cases() -> Iterator[Case]:
    for template, item in spec.spec_dict()["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            m = method.upper()
            path = concrete(template)
            schema = spec.json_body_schema(template, method)
            if schema is None:
                yield Case(f"{m} {template}", m, path)
                yield Case(f"{m} {template} with a body it ignores", m, path, body=b'{"a": 1}')
            else:
                for full in (False, True):
                    good = sample(schema, full)
                    yield Case(f"{m} {template} full={full}", m, path, body=json.dumps(good).encode())
                    for i, bad in enumerate(mutations(good)):
                        yield Case(f"{m} {template} full={full} mutation {i}", m, path, body=json.dumps(bad).encode())
                for raw in (b"[]", b'"text"', b"null", b"12", b"{not json", b""):
                    yield Case(f"{m} {template} body {raw!r}", m, path, body=raw or None)
            for param in op.get("parameters", []):
                param = spec.resolve(param)
                if param["in"] != "query":
                    continue
                p_schema = spec.resolve(param.get("schema", {}))
                good = {"integer": "10", "boolean": "true", "number": "1.5"}.get(p_schema.get("type"), "x")
                if "enum" in p_schema:
                    good = str(p_schema["enum"][0])
                boolean = p_schema.get("type") == "boolean"
                values = [(good, boolean), ("abc", boolean), ("", True), ("1.5", boolean), ("-3", boolean),
                          ("99999", boolean), (" 7", boolean)]
                for value, deferred in values:
                    yield Case(f"{m} {template} ?{param['name']}={value!r}", m, path, query=[(param["name"], value)],
                               body=json.dumps(sample(schema, False)).encode() if schema else None, deferred=deferred)


def engine_cases() -> Iterator[Case]:
    """The requests a migration sends (FrontClient's shapes), and their usual mistakes."""
    import datetime as dt

    from connectors.front.client import FrontClient
    from connectors.front.types import ImportedMessage

    message = ImportedMessage(external_id="sample:1:1", created_at=dt.datetime(2021, 3, 1, tzinfo=dt.UTC),
                              sender_handle="carla@example.org", sender_name="Carla", to=["support@acme.example"],
                              body="<p>Hi</p>", thread_ref="sample-1", tags=["Migrated"], is_archived=True,
                              subject="Order", assignee_id="tea_2", author_id=None, is_inbound=True)
    body = FrontClient.import_body(message)
    imp = "/inboxes/inb_6/imported_messages"
    yield Case("import", "POST", imp, body=json.dumps(body).encode())
    for i, bad in enumerate(mutations(body)):
        yield Case(f"import mutation {i}", "POST", imp, body=json.dumps(bad).encode())
    yield Case("import, charset", "POST", imp, body=json.dumps(body).encode(), content_type="application/json; charset=utf-8")
    yield Case("import, upper-case media type", "POST", imp, body=json.dumps(body).encode(),
               content_type="APPLICATION/JSON", deferred=True)
    yield Case("import, text/plain", "POST", imp, body=json.dumps(body).encode(), content_type="text/plain")
    yield Case("import, broken parameter", "POST", imp, body=json.dumps(body).encode(),
               content_type="application/json; charset", deferred=True)
    yield Case("import, no auth", "POST", imp, body=json.dumps(body).encode(), headers={})
    yield Case("import, lower-case header name", "POST", imp, body=json.dumps(body).encode(),
               headers={"authorization": "Bearer abc"})
    for auth in ("Bearer", "Basic abc", "bearer abc", "Bearer  two spaces", "Token abc"):
        yield Case(f"import, auth {auth!r}", "POST", imp, body=json.dumps(body).encode(), headers={"Authorization": auth})
    comment = {"body": "(Alice) a note", "author_id": "alt:email:agent1@example.com"}
    yield Case("comment", "POST", "/conversations/cnv_1/comments", body=json.dumps(comment).encode())
    yield Case("comment without body", "POST", "/conversations/cnv_1/comments", body=b'{"author_id": "tea_1"}')
    yield Case("contact", "POST", "/contacts", body=json.dumps(
        {"name": "Carla", "handles": [{"source": "email", "handle": "carla@example.org"}]}).encode())
    yield Case("contact, bad source", "POST", "/contacts", body=json.dumps(
        {"handles": [{"source": "fax", "handle": "1"}]}).encode())
    for ref in ("alt:uid:abc123", "msg_1", "alt%3Auid%3Aabc"):
        yield Case(f"message {ref}", "GET", f"/messages/{ref}")
    yield Case("contact by email", "GET", "/contacts/alt:email:carla%40example.org")
    yield Case("trailing slash", "GET", "/contacts/crd_1/", deferred=True)
    yield Case("dot segments", "GET", "/contacts/../me", deferred=True)
    yield Case("double slash", "GET", "//me", deferred=True)
    yield Case("unknown path", "GET", "/nope")
    yield Case("unknown method", "DELETE", "/me")
    yield Case("listing with unknown query", "GET", "/tags", query=[("unknown", ""), ("limit", "5")])
    yield Case("listing, repeated limit", "GET", "/tags", query=[("limit", "5"), ("limit", "abc")])
    yield Case("listing, limit 0", "GET", "/tags", query=[("limit", "0")])
    yield Case("listing, limit 101", "GET", "/tags", query=[("limit", "101")])


def corpus() -> list[Case]:
    return [*engine_cases(), *spec_cases()]


def test_fast_path_never_accepts_what_openapi_core_refuses():
    cases = corpus()
    accepted = fast_accepted = 0
    problems = []
    for case in cases:
        slow = spec.slow_validate_request(BASE, case.request())  # first: primes openapi-core's path cache
        fast, _ = fastcheck.accepts(BASE, case.request())
        accepted += slow is None
        fast_accepted += fast
        if fast and slow is not None:
            problems.append(f"{case.label}: fast path accepted, openapi-core says {slow}")
        elif not fast and slow is None and not case.deferred:
            problems.append(f"{case.label}: openapi-core accepts, the fast path does not")
    assert not problems, "\n".join(problems[:30])
    # The corpus must exercise both answers in earnest, or the comparison proves nothing.
    assert len(cases) > 3000 and fast_accepted > 1000 and len(cases) - accepted > 2000, (len(cases), accepted)


def test_fast_path_waits_for_openapi_core_to_resolve_the_operation():
    request = Case("me", "GET", "/me").request()
    other = "http://127.0.0.2:9999"
    assert fastcheck.accepts(other, spec.SpecRequest(base_url=other, method="GET", path="/me", query=[],
                                                     headers=AUTH, body=None, content_type="application/json"))[0] \
        is False
    assert spec.slow_validate_request(BASE, request) is None
    assert fastcheck.accepts(BASE, request)[0] is True


def test_errors_still_come_from_openapi_core():
    body = {"sender": {"handle": "a@example.org"}, "to": ["b@example.org"], "body": "x", "metadata": {"is_inbound": True}}
    case = Case("import", "POST", "/inboxes/inb_1/imported_messages", body=json.dumps(body).encode())
    violation, parsed = spec.check_request(BASE, case.request())
    assert parsed is None and violation is not None and "'external_id' is a required property" in violation
    body["external_id"] = "e1"
    body["created_at"] = 1
    violation, parsed = spec.check_request(BASE, Case("import", "POST", "/inboxes/inb_1/imported_messages",
                                                      body=json.dumps(body).encode()).request())
    assert violation is None and parsed == body
