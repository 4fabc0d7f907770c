"""A tiny scriptable HTTP/1.1 server on loopback for transport tests: each accepted connection runs a
handler function, so a test can answer, stall, drop the connection or read a huge body however it needs."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable


class Conn:
    """One accepted connection with helpers to read a request the way a test needs it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb")

    def read_head(self) -> tuple[bytes, dict[str, str]] | None:
        """(request line, lower-cased headers), or None when the client closed the connection."""
        line = self.reader.readline()
        if not line:
            return None
        headers: dict[str, str] = {}
        while (header := self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return line.rstrip(b"\r\n"), headers

    def read_body(self, headers: dict[str, str], sink: Callable[[bytes], None] | None = None) -> bytes:
        """The request body (Content-Length or chunked); with `sink`, chunks go there and b"" is returned."""
        parts: list[bytes] = []
        put = sink or parts.append
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while (size := int(self.reader.readline().split(b";")[0], 16)) > 0:
                put(self.reader.read(size))
                self.reader.readline()
            self.reader.readline()
        else:
            left = int(headers.get("content-length", "0"))
            while left:
                data = self.reader.read1(min(left, 65536))
                if not data:
                    break
                left -= len(data)
                put(data)
        return b"".join(parts)

    def answer(self, status: int = 200, body: bytes = b"{}", headers: dict[str, str] | None = None) -> None:
        head = [f"HTTP/1.1 {status} X"]
        all_headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        all_headers.update(headers or {})
        head += [f"{k}: {v}" for k, v in all_headers.items() if v is not None]
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    def close(self) -> None:
        try:
            self.reader.close()
            self.sock.close()
        except OSError:
            pass


class RawServer:
    """`with RawServer(handler) as server:` -> server.url; handler(conn, index) runs per connection."""

    def __init__(self, handler: Callable[[Conn, int], None], *, tls: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.tls = tls
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.connections = 0
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []

    def __enter__(self) -> RawServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()
        for sock in self._socks:  # wake handlers waiting for a request the client's pool will never send
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(5)

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            index = self.connections
            self._socks.append(sock)
            self.connections += 1
            thread = threading.Thread(target=self._run, args=(sock, index), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self, sock: socket.socket, index: int) -> None:
        try:
            if self.tls:
                sock = self.tls.wrap_socket(sock, server_side=True)
            conn = Conn(sock)
        except (OSError, ssl.SSLError):  # a client refusing our certificate hangs up mid-handshake
            sock.close()
            return
        try:
            self.handler(conn, index)
        except (OSError, ValueError):
            pass
        except BaseException as exc:  # noqa: BLE001 - surfaced by tests that check server.errors
            self.errors.append(exc)
        finally:
            conn.close()


def serve_forever(respond: Callable[[Conn, bytes, dict[str, str]], None]) -> Callable[[Conn, int], None]:
    """A keep-alive handler: read requests on the connection until the client closes, `respond` to each."""

    def handler(conn: Conn, index: int) -> None:
        while (head := conn.read_head()) is not None:
            respond(conn, *head)

    return handler
