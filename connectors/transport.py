"""A cheaper httpx transport than httpcore for connectors/http.py: HTTP/1.1 over pooled keep-alive sockets.

Why: at ~7 Front calls per ticket, httpcore + h11 (event objects, header validation, trace hooks, the
pool's bookkeeping) cost about as much CPU as the rest of the engine's per-ticket work. This transport
writes the request head and a small body in one `sendall`, parses the answer with a few `bytes.split`s,
and reads a small Content-Length body before returning, so the connection goes back to the pool at once.

What it keeps from httpx's default transport: TLS with certificate verification (httpx's own SSL context,
certifi's CA bundle), connect/read/write timeouts from the request's `timeout` extension, keep-alive
pooling that is safe across threads (an idle connection belongs to one request at a time; idle ones
older than KEEPALIVE_EXPIRY or closed by the server are dropped), streamed request bodies (chunks are
coalesced up to COALESCE bytes, never joined whole) and streamed responses, and every network failure
raised as an httpx.TransportError subclass. What it leaves out: HTTP/2, proxies (connectors/http.py
falls back to httpx's own stack when the environment names one), and the `pool` timeout: a request
that finds no idle connection opens a new one instead of queueing.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import httpx

KEEPALIVE_EXPIRY = 5.0  # seconds an idle connection is trusted (httpx's default); servers drop idle ones
MAX_IDLE_PER_HOST = 20  # idle connections kept per (scheme, host, port), as httpx's max_keepalive
COALESCE = 64 * 1024  # a streamed body's chunks are gathered up to this size per write
# A body of known length up to this size goes out with the head in one write (httpcore wrote every
# multipart part header, file chunk and CRLF in its own syscall). Larger bodies stream in COALESCE pieces,
# so a 25 MB attachment never sits in memory twice.
JOIN_BODY_UP_TO = 1024 * 1024
READ_CHUNK = 64 * 1024
EAGER_BODY = 256 * 1024  # a Content-Length body up to this size is read before handle_request returns
MAX_HEAD = 64 * 1024  # status line + headers; more is a broken or hostile server
NO_BODY_STATUSES = frozenset({204, 304})


class _Conn:
    """One socket with its buffered reader. Used by one request at a time (the pool hands it out once)."""

    __slots__ = ("sock", "reader", "idle_since")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb", buffering=READ_CHUNK)
        self.idle_since = 0.0

    def close(self) -> None:
        try:
            self.reader.close()
            self.sock.close()
        except OSError:
            pass

    def looks_dead(self) -> bool:
        """An idle keep-alive socket that is readable was closed by the server (or sent junk): not reusable."""
        try:
            if hasattr(select, "poll"):  # no FD_SETSIZE limit, unlike select()
                poller = select.poll()
                poller.register(self.sock, select.POLLIN)
                return bool(poller.poll(0))
            return bool(select.select([self.sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True


def _timeouts(request: httpx.Request) -> tuple[float | None, float | None, float | None]:
    timeout = request.extensions.get("timeout") or {}
    return timeout.get("connect"), timeout.get("read"), timeout.get("write")


class PooledTransport(httpx.BaseTransport):
    """httpx.BaseTransport over plain sockets; share one instance between threads."""

    def __init__(self, *, verify: ssl.SSLContext | bool = True, keepalive_expiry: float = KEEPALIVE_EXPIRY,
                 max_idle_per_host: int = MAX_IDLE_PER_HOST) -> None:
        self._verify = verify
        self._ssl: ssl.SSLContext | None = verify if isinstance(verify, ssl.SSLContext) else None
        self._expiry = keepalive_expiry
        self._max_idle = max_idle_per_host
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._lock = threading.Lock()

    # --- pool ---------------------------------------------------------------------------------
    def _checkout(self, key: tuple[str, str, int]) -> _Conn | None:
        now = time.monotonic()
        while True:
            with self._lock:
                idle = self._idle.get(key)
                if not idle:
                    return None
                conn = idle.pop()  # the most recently used: the least likely to have been dropped
            if now - conn.idle_since < self._expiry and not conn.looks_dead():
                return conn
            conn.close()

    def _checkin(self, key: tuple[str, str, int], conn: _Conn) -> None:
        conn.idle_since = time.monotonic()
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self._max_idle:
                idle.append(conn)
                return
        conn.close()

    def _connect(self, key: tuple[str, str, int], timeout: float | None) -> _Conn:
        scheme, host, port = key
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # head and body leave at once
            if scheme == "https":
                sock = self._ssl_context().wrap_socket(sock, server_hostname=host)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "timed out connecting") from exc
        except OSError as exc:  # refused, unreachable, DNS, TLS handshake and certificate errors
            raise httpx.ConnectError(str(exc)) from exc
        return _Conn(sock)

    def _ssl_context(self) -> ssl.SSLContext:
        """httpx's own context (certifi's CA bundle, the same verification rules as httpx.HTTPTransport),
        built on the first https connection: loading the CA bundle costs ~10 ms, wasted on plain http."""
        if self._ssl is None:
            context = httpx.create_ssl_context(verify=self._verify)
            with self._lock:
                self._ssl = self._ssl or context
        return self._ssl

    def close(self) -> None:
        with self._lock:
            conns = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for conn in conns:
            conn.close()

    # --- one exchange ---------------------------------------------------------------------------
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"Request URL has an unsupported protocol '{scheme}://'.")
        key = (scheme, url.host, url.port or (443 if scheme == "https" else 80))
        connect, read, write = _timeouts(request)
        conn = self._checkout(key) or self._connect(key, connect)
        try:
            conn.sock.settimeout(write)
            self._send(conn, request)
            conn.sock.settimeout(read)
            status, reason, headers, version = self._read_head(conn)
            return self._response(request, key, conn, status, reason, headers, version)
        except BaseException:
            conn.close()
            raise

    def _send(self, conn: _Conn, request: httpx.Request) -> None:
        headers = request.headers
        chunked = headers.get("transfer-encoding", "").lower() == "chunked"
        lines = [b"%s %s HTTP/1.1" % (request.method.encode("ascii"), request.url.raw_path)]
        for name, value in headers.raw:
            if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name or b":" in name:
                raise httpx.LocalProtocolError(f"Illegal header {name!r}")  # no header injection
            lines.append(b"%s: %s" % (name, value))
        buffer = bytearray(b"\r\n".join(lines) + b"\r\n\r\n")
        length = headers.get("content-length", "")
        gather = len(buffer) + int(length) if length.isdigit() and int(length) <= JOIN_BODY_UP_TO else COALESCE
        try:
            for chunk in request.stream:  # type: ignore[union-attr] - sync streams only
                if not chunk:
                    continue
                if chunked:
                    chunk = b"%x\r\n%s\r\n" % (len(chunk), chunk)
                if len(buffer) + len(chunk) > gather and buffer:
                    conn.sock.sendall(buffer)
                    buffer = bytearray()
                if len(chunk) >= gather:
                    conn.sock.sendall(chunk)  # a big chunk goes as it is: never copied into the buffer
                else:
                    buffer += chunk
            if chunked:
                buffer += b"0\r\n\r\n"
            if buffer:
                conn.sock.sendall(buffer)
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc) or "timed out sending the request") from exc
        except OSError as exc:
            raise httpx.WriteError(str(exc)) from exc

    def _read_head(self, conn: _Conn) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes]:
        try:
            while True:
                status_line = conn.reader.readline(MAX_HEAD)
                if not status_line:
                    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
                parts = status_line.rstrip(b"\r\n").split(b" ", 2)
                if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
                    raise httpx.RemoteProtocolError(f"Malformed status line {status_line[:80]!r}")
                headers: list[tuple[bytes, bytes]] = []
                size = len(status_line)
                while True:
                    line = conn.reader.readline(MAX_HEAD)
                    size += len(line)
                    if size > MAX_HEAD or not line.endswith(b"\n"):
                        raise httpx.RemoteProtocolError("Malformed or oversized response headers.")
                    if line in (b"\r\n", b"\n"):
                        break
                    name, sep, value = line.partition(b":")
                    if not sep or not name or name != name.strip():
                        raise httpx.RemoteProtocolError(f"Malformed header line {line[:80]!r}")
                    headers.append((name, value.strip()))
                status = int(parts[1])
                if 100 <= status < 200:
                    continue  # interim answer (100 Continue, 103 Early Hints): the real one follows
                return status, parts[2] if len(parts) > 2 else b"", headers, parts[0]
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out reading the response") from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc)) from exc

    def _response(self, request: httpx.Request, key: tuple[str, str, int], conn: _Conn, status: int,
                  reason: bytes, headers: list[tuple[bytes, bytes]], version: bytes) -> httpx.Response:
        length: int | None = None
        chunked = False
        keep_alive = version == b"HTTP/1.1"
        for name, value in headers:
            lname = name.lower()
            if lname == b"content-length":
                if not value.isdigit() or (length is not None and length != int(value)):
                    raise httpx.RemoteProtocolError("Invalid Content-Length in the response.")
                length = int(value)
            elif lname == b"transfer-encoding":
                chunked = value.lower().endswith(b"chunked")
            elif lname == b"connection":
                keep_alive = keep_alive and b"close" not in value.lower()
        extensions = {"http_version": version, "reason_phrase": reason}
        if request.method == "HEAD" or status in NO_BODY_STATUSES:
            length, chunked = 0, False
        if chunked:
            length = None
        elif length is None:
            keep_alive = False  # the body runs until the server closes the connection
        if length is not None and length <= EAGER_BODY:
            body = self._read_exact(conn, length)
            if keep_alive:
                self._checkin(key, conn)
            else:
                conn.close()
            return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body), request=request,
                                  extensions=extensions)
        stream = _BodyStream(self, key, conn, length=length, chunked=chunked, keep_alive=keep_alive)
        return httpx.Response(status, headers=headers, stream=stream, request=request, extensions=extensions)

    @staticmethod
    def _read_exact(conn: _Conn, length: int) -> bytes:
        try:
            body = conn.reader.read(length) if length else b""
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out reading the response") from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc)) from exc
        if len(body) != length:
            raise httpx.RemoteProtocolError("Server disconnected before the whole response body was sent.")
        return body


class _BodyStream(httpx.SyncByteStream):
    """A response body read as it is consumed; the connection returns to the pool only once fully read."""

    def __init__(self, transport: PooledTransport, key: tuple[str, str, int], conn: _Conn, *,
                 length: int | None, chunked: bool, keep_alive: bool) -> None:
        self._transport, self._key, self._conn = transport, key, conn
        self._length, self._chunked, self._keep_alive = length, chunked, keep_alive
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            if self._chunked:
                yield from self._chunks()
            elif self._length is not None:
                left = self._length
                while left:
                    data = self._conn.reader.read1(min(left, READ_CHUNK))
                    if not data:
                        raise httpx.RemoteProtocolError("Server disconnected before the whole response body was sent.")
                    left -= len(data)
                    yield data
            else:
                while data := self._conn.reader.read1(READ_CHUNK):
                    yield data
            self._done = True
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out reading the response") from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc)) from exc

    def _chunks(self) -> Iterator[bytes]:
        reader = self._conn.reader
        while True:
            line = reader.readline(MAX_HEAD)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise httpx.RemoteProtocolError("Malformed chunk in the response body.") from None
            if size == 0:
                while (trailer := reader.readline(MAX_HEAD)) not in (b"\r\n", b"\n"):
                    if not trailer:
                        raise httpx.RemoteProtocolError("Server disconnected inside the response trailer.")
                return
            while size:
                data = reader.read1(min(size, READ_CHUNK))
                if not data:
                    raise httpx.RemoteProtocolError("Server disconnected inside a response chunk.")
                size -= len(data)
                yield data
            if reader.readline(MAX_HEAD) not in (b"\r\n", b"\n"):
                raise httpx.RemoteProtocolError("Malformed chunk in the response body.")

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._done and self._keep_alive:
            self._transport._checkin(self._key, conn)  # noqa: SLF001 - the stream belongs to the transport
        else:
            conn.close()  # a body left unread would be the next request's answer: never reuse
