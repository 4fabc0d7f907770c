"""A loopback HTTP server that records every request it receives (method, path, headers, body).

It stands for "someone else's server": tests point a connection's address at it and check whether a
credential ever arrived. It answers 401 with a JSON error, so every client gives up at once.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def evidence(self) -> str:
        """Everything a credential could travel in, decoded: headers, Basic credentials, the body."""
        parts = [self.method, unquote_plus(self.path)]
        for name, value in self.headers.items():
            parts.append(f"{name}: {value}")
            scheme, _, encoded = value.partition(" ")
            if scheme.lower() == "basic":
                try:
                    parts.append(base64.b64decode(encoded.strip()).decode("utf-8", "replace"))
                except (binascii.Error, ValueError):
                    pass
        parts.append(unquote_plus(self.body.decode("utf-8", "replace")))
        return "\n".join(parts)


class RecordingServer:
    def __init__(self) -> None:
        self.received: list[Received] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.received.append(Received(self.command, self.path, dict(self.headers.items()), body))
                payload = json.dumps({"error": "unauthorized", "_error": {"status": 401, "message": "no"}}).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _record

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def saw(self, secret: str) -> bool:
        return any(secret in request.evidence() for request in self.received)
