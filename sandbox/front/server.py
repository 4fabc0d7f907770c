"""The HTTP side of the Front stand-in: parse, police (auth, budget, burst, scopes, spec), dispatch.

A ThreadingHTTPServer (stdlib) with HTTP/1.1 keep-alive, so several workers can talk to it at once.
Control routes live under /__sandbox/ (never a Front path) and cost no budget.
"""

from __future__ import annotations

import io
import json
import re
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.front import accounts as _accounts  # noqa: F401 - registers the /accounts routes
from sandbox.front import knowledge as _knowledge  # noqa: F401 - registers the knowledge base routes
from sandbox.front import spec
from sandbox.front.routes import ROUTES, ApiError, Call
from sandbox.front.state import file_id

if TYPE_CHECKING:
    from sandbox.front import FrontStandin

MAX_BODY = 30 * 1024 * 1024
MAX_ATTACHMENTS = 25 * 1024 * 1024


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}/?$")


# Literal routes first, so /contacts/custom_fields never reads as a contact id.
MATCHERS = sorted(((m, t, _compile(t)) for (m, t) in ROUTES), key=lambda r: r[1].count("{"))


def match(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    for m, template, regex in MATCHERS:
        if m == method:
            found = regex.match(path)
            if found:
                return template, found.groupdict()
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body in two writes meet delayed ACKs: +40 ms a call
    server_version = "FrontStandin/1.0"
    standin: FrontStandin  # set on the subclass built per server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # quiet: tests and the offline try-out read the state page instead

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return  # the stdlib formats a log line (and its status phrase) before log_message drops it

    _date: tuple[int, str] = (0, "")

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header, formatted once per second rather than once per answer."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        now = int(time.time())
        if Handler._date[0] != now:
            Handler._date = (now, super().date_time_string(now))
        return Handler._date[1]

    def do_GET(self) -> None:
        self.handle_any("GET")

    def do_POST(self) -> None:
        self.handle_any("POST")

    def do_PATCH(self) -> None:
        self.handle_any("PATCH")

    def do_PUT(self) -> None:
        self.handle_any("PUT")

    def do_DELETE(self) -> None:
        self.handle_any("DELETE")

    # --- plumbing ------------------------------------------------------------------------------
    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                total += size
                if total > MAX_BODY:
                    raise ApiError(413, "Payload too large", "The request body is larger than 30 MB")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ApiError(413, "Payload too large", "The request body is larger than 30 MB")
        return self.rfile.read(length) if length else b""

    def send(self, status: int, body: bytes = b"", content_type: str = "application/json",
             headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body or status not in (204, 301):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # Headers and body in one write: one syscall, and no small second segment left for the peer's ACK.
        self._headers_buffer.extend((b"\r\n", body))
        self.flush_headers()

    def drop(self) -> None:
        """Close the connection without an answer (a network failure as the client sees it)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # --- the pipeline --------------------------------------------------------------------------
    def handle_any(self, method: str) -> None:
        standin = self.standin
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qsl(parts.query, keep_blank_values=True)
        try:
            body = self.read_body()
        except ApiError as exc:
            self.send(exc.status, json.dumps({"_error": {"status": exc.status, "title": exc.title,
                                                         "message": exc.message}}).encode())
            return
        if path == "/" or path.startswith("/__sandbox"):
            self.send(*standin.control(method, path, body))
            return
        standin.api_request(self, method, path, query, body)


class FrontServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def parse_multipart(content_type: str, body: bytes, template: str, method: str) -> tuple[dict, list[dict]]:
    """Decode a multipart body into the JSON object it stands for (typed per the spec) and its files."""
    from werkzeug.formparser import parse_form_data

    from connectors.front.forms import unflatten_form

    environ = {"REQUEST_METHOD": method, "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": io.BytesIO(body)}
    _, form, uploaded = parse_form_data(environ)
    try:
        obj = unflatten_form(list(form.items(multi=True)))
    except ValueError as exc:
        raise ApiError(400, "Bad request", str(exc)) from exc
    schema = spec.json_body_schema(template, method) or {}
    obj = spec.coerce_form(obj, schema)
    files, total = [], 0
    for name, storage in uploaded.items(multi=True):
        if not name.startswith("attachments"):
            raise ApiError(400, "Bad request", f"Unexpected file field {name!r}")
        data = storage.read()
        total += len(data)
        files.append({"id": file_id(data), "filename": storage.filename or "file", "size": len(data),
                      "content_type": storage.mimetype or "application/octet-stream"})
    if total > MAX_ATTACHMENTS:
        raise ApiError(413, "Payload too large", "Attachments are limited to 25 MB")
    if files:
        obj["attachments"] = [f["filename"] for f in files]  # binary parts, as the schema lists them
    return obj, files


def api_answer(standin: FrontStandin, method: str, path: str, query: list[tuple[str, str]], body: bytes,
               headers: dict[str, str], content_type: str) -> tuple[int, Any, dict[str, str], str | None]:
    """Everything after the budget: route, scopes, spec check, behaviour. Returns (status, json, headers,
    route template)."""
    co = standin.company
    found = match(method, path)
    if not found:
        raise ApiError(404, "Not found", f"The stand-in has no route {method} {path}")
    template, params = found
    co.count("routes", f"{method} {template}")
    if params:
        resource = f"{template}:{next(iter(params.values()))}"
        wait = standin.burst.take(resource)
        if wait is not None:
            co.count("rate_limited_burst")
            raise ApiError(429, "Too many requests", "Burst limit: at most 5 requests per second on this resource")
    cid = params.get("conversation_id")
    if cid and cid in co.conversations and co.conversations[cid].merged_into:
        target = co.follow_merge(cid)
        location = co.link(path.replace(cid, target.id, 1))
        return 301, None, {"Location": location}, template
    missing = [s for s in spec.required_scopes(template, method) if s not in standin.scopes_of(headers)]
    if missing:
        if co.strict:  # the spec does not say a 403 names the missing scope
            raise ApiError(403, "Forbidden", "You are not allowed to perform this action")
        raise ApiError(403, "Forbidden", f"The API token lacks the scope {', '.join(missing)}")
    files: list[dict] = []
    json_body: Any = None
    if content_type.startswith("multipart/form-data"):
        json_body, files = parse_multipart(content_type, body, template, method)
        body, content_type = json.dumps(json_body).encode(), "application/json"
    # Strict: the schema's word (assignee_id is a string) wins over its description ("null to unassign").
    checked = body if co.strict else spec.apply_errata(template, method, body)
    request = spec.SpecRequest(base_url=standin.url, method=method, path=path, query=query, headers=headers,
                               body=checked or None, content_type=content_type or "application/json")
    violation = spec.validate_request(standin.url, request)
    if violation:
        co.count("spec_violations")
        co.violation(at=time.time(), request=f"{method} {path}", violation=violation)
        raise ApiError(400, "Bad request", f"Request does not match Front's API: {violation}")
    if json_body is None and body:
        try:
            json_body = json.loads(body)
        except ValueError as exc:
            raise ApiError(400, "Bad request", "The body is not valid JSON") from exc
    call = Call(params=params, query=dict(query), body=json_body if json_body is not None else {}, files=files,
                token_teammate=standin.teammate_of(headers), process_delay_s=standin.process_delay_s)
    with co.lock:
        status, payload = ROUTES[(method, template)](co, call)
    if standin.validate_responses:
        raw = json.dumps(payload).encode() if payload is not None else b""
        problem = spec.validate_response(standin.url, request, spec.SpecResponse(
            status, raw, "application/json", {"Content-Type": "application/json"}))
        if problem:
            co.count("response_violations")
            co.violation(at=time.time(), response=f"{status} {method} {template}", violation=problem)
    return status, payload, {}, template
