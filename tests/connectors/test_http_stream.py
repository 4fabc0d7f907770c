"""HttpClient.stream / open_stream (the public streaming API) and thread-safe counting."""

from __future__ import annotations

import sys
import threading

import httpx
import pytest

from connectors.counters import Stats
from connectors.downloads import stream_download
from connectors.http import HttpClient, RetryPolicy
from tests.connectors.rawserver import Conn, RawServer, serve_forever


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch):
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "true")


class RecordingPacer:
    def __init__(self) -> None:
        self.acquired: list[str | None] = []
        self.observed: list[int] = []

    def acquire(self, resource: str | None) -> float:
        self.acquired.append(resource)
        return 0.0

    def observe(self, response: httpx.Response, resource: str | None) -> None:
        self.observed.append(response.status_code)


BIG = bytes(range(256)) * 4096  # 1 MB: more than the transport reads eagerly


def test_stream_retries_before_the_first_byte_then_yields_chunks():
    sleeps: list[float] = []

    def flaky(conn: Conn, line: bytes, headers: dict[str, str]) -> None:
        if flaky.calls == 0:
            conn.answer(503, b"busy", {"Retry-After": "2"})
        else:
            conn.answer(200, BIG, {"Content-Type": "application/octet-stream"})
        flaky.calls += 1

    flaky.calls = 0
    pacer = RecordingPacer()
    with RawServer(serve_forever(flaky)) as server:
        http = HttpClient(server.url, pacer=pacer, sleep=sleeps.append)
        with http.stream("GET", "/file", route="GET file", resource="download") as response:
            assert response.status_code == 200
            chunks = list(response.iter_bytes(64 * 1024))
        assert b"".join(chunks) == BIG and len(chunks) > 1
        assert pacer.acquired == ["download", "download"] and pacer.observed == [503, 200]
        assert 2 <= sleeps[0] <= 2.25  # Retry-After honoured (plus jitter)
        assert http.stats["route:GET file"] == 2 and http.stats["status_503"] == 1
        # Fully read: the connection went back to the pool and serves the next call.
        assert http.request("GET", "/again").status_code == 200 and server.connections == 1


def test_a_stream_closed_half_read_never_hands_its_connection_on():
    def big(conn: Conn, line: bytes, headers: dict[str, str]) -> None:
        conn.answer(200, BIG)

    with RawServer(serve_forever(big)) as server:
        http = HttpClient(server.url)
        with http.stream("GET", "/file") as response:
            next(response.iter_raw(1024))
        assert http.request("GET", "/file").content == BIG  # not the rest of the first body
        assert server.connections == 2


def test_credentials_stay_home():
    """credentials=False drops Authorization; a redirect to another host drops it too, the same host keeps it."""
    seen: list[tuple[str, str | None]] = []

    def storage(conn: Conn, line: bytes, headers: dict[str, str]) -> None:
        seen.append((line.split(b" ")[1].decode(), headers.get("authorization")))
        conn.answer(200, b"file")

    with RawServer(serve_forever(storage)) as other:
        def api(conn: Conn, line: bytes, headers: dict[str, str]) -> None:
            path = line.split(b" ")[1].decode()
            seen.append((path, headers.get("authorization")))
            if path == "/away":
                conn.answer(302, b"", {"Location": other.url.replace("127.0.0.1", "localhost") + "/s3"})
            elif path == "/moved":
                conn.answer(301, b"", {"Location": "/here"})
            else:
                conn.answer(200, b"api")

        with RawServer(serve_forever(api)) as server:
            http = HttpClient(server.url, headers={"Authorization": "Bearer secret"})
            with http.stream("GET", "/away") as response:
                assert response.read() == b"file"
            with http.stream("GET", "/moved") as response:
                assert response.read() == b"api"
            with http.stream("GET", "/plain", credentials=False) as response:
                assert response.read() == b"api"
    assert seen == [("/away", "Bearer secret"), ("/s3", None), ("/moved", "Bearer secret"),
                    ("/here", "Bearer secret"), ("/plain", None)]


def test_stream_download_uses_the_public_stream():
    def files(conn: Conn, line: bytes, headers: dict[str, str]) -> None:
        conn.answer(200 if b"/ok" in line else 404, BIG if b"/ok" in line else b"")

    with RawServer(serve_forever(files)) as server:
        http = HttpClient(server.url)
        assert b"".join(stream_download(http, server.url + "/ok")) == BIG
        assert http.stats["route:GET download"] == 1
        from connectors.base import NotFound

        with pytest.raises(NotFound):
            list(stream_download(http, server.url + "/gone"))


def test_stats_count_exactly_across_threads():
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: a read-then-write would lose counts
    try:
        stats = Stats()

        def bump() -> None:
            for _ in range(20_000):
                stats.add("hits")
                stats.add_many("a", "b")

        threads = [threading.Thread(target=bump) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert stats["hits"] == stats["a"] == stats["b"] == 8 * 20_000
    assert stats["never"] == 0 and "never" not in stats
    with pytest.raises(TypeError):
        stats["hits"] += 1  # type: ignore[index] - the racy form is refused, not silently lossy


def test_http_client_counts_exactly_across_threads():
    # Every 10th request of each thread is refused once (503) and retried: the exact totals are known.
    # (The handler runs in the calling thread, so its per-thread state needs no lock.)
    local = threading.local()

    def handler(request: httpx.Request) -> httpx.Response:
        if getattr(local, "retrying", False):
            local.retrying = False
            return httpx.Response(200, json={})
        local.requests = getattr(local, "requests", 0) + 1
        local.retrying = local.requests % 10 == 0
        return httpx.Response(503 if local.retrying else 200, json={})

    http = HttpClient("https://api.example.com", transport=httpx.MockTransport(handler),
                      retry=RetryPolicy(max_attempts=3), sleep=lambda seconds: None)
    threads = [threading.Thread(target=lambda: [http.request("GET", "/x", route="GET x") for _ in range(250)])
               for _ in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: a lossy counter would show
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    stats = http.stats
    assert stats["requests"] == stats["route:GET x"] == 8 * 250 + 8 * 25
    assert stats["status_503"] == stats["retries"] == 8 * 25
