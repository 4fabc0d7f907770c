"""The SSRF guard at connect time (connectors/addresses.py): the address the socket connects to is the
one checked, so a name that resolves to a public address when the URL is checked and to loopback when
the connection opens (DNS rebinding) is refused. ALLOW_PRIVATE_URLS is off here, as in production."""

from __future__ import annotations

import socket
import threading

import pytest

from connectors.base import InvalidConfig, Unreachable
from connectors.http import HttpClient, RetryPolicy

PUBLIC = "93.184.215.14"  # a public address; no test ever connects to it


class RebindingResolver:
    """Answers `name` with a public address on the first lookup and 127.0.0.1 on every later one;
    other names (and literal addresses) resolve as usual."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lookups = 0
        self._real = socket.getaddrinfo

    def __call__(self, host, port, *args, **kwargs):
        if host != self.name:
            return self._real(host, port, *args, **kwargs)
        self.lookups += 1
        address = PUBLIC if self.lookups == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port or 443)))]


class CountingListener:
    """A loopback socket that accepts and counts connections (and answers nothing)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def wait_for(self, count: int) -> int:
        """The number of accepted connections once it reached `count` (or after a few seconds)."""
        for _ in range(100):
            if self.accepted >= count:
                break
            threading.Event().wait(0.05)
        return self.accepted

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener():
    server = CountingListener()
    yield server
    server.close()


@pytest.fixture
def private_urls_refused(settings):
    settings.ALLOW_PRIVATE_URLS = False


def test_a_name_rebound_to_loopback_after_the_url_check_is_refused_at_connect(
        private_urls_refused, listener, monkeypatch):
    resolver = RebindingResolver("rebind.frontport.test")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    http = HttpClient(f"https://rebind.frontport.test:{listener.port}", service_name="Front",
                      retry=RetryPolicy(max_attempts=2), sleep=lambda s: None)
    assert resolver.lookups == 1  # the URL check saw the public address and accepted it
    with pytest.raises(InvalidConfig, match="points to a private network"):
        http.request("GET", "/me")
    assert resolver.lookups == 2  # the connection resolved again, got loopback, and refused it
    assert listener.accepted == 0  # no socket ever reached the loopback server
    assert http.stats["network_errors"] == 0  # a refusal, not a network error to retry


def test_the_same_resolver_reaches_loopback_when_private_urls_are_allowed(settings, listener, monkeypatch):
    """The control: with ALLOW_PRIVATE_URLS on, the same set-up does connect (so the refusal above is
    the guard's doing, not a set-up that could never connect)."""
    settings.ALLOW_PRIVATE_URLS = True
    resolver = RebindingResolver("rebind.frontport.test")
    resolver.lookups = 1  # past the first answer: loopback only (no test ever connects to a public address)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    http = HttpClient(f"https://rebind.frontport.test:{listener.port}", retry=RetryPolicy(max_attempts=1))
    with pytest.raises(Unreachable):  # the listener hangs up: no TLS, no answer
        http.request("GET", "/me")
    assert listener.wait_for(1) == 1


def test_a_url_naming_a_private_address_is_refused_before_any_connection(private_urls_refused, listener):
    with pytest.raises(InvalidConfig, match="must use https"):
        HttpClient(f"http://127.0.0.1:{listener.port}")
    with pytest.raises(InvalidConfig, match="private network"):
        HttpClient(f"https://127.0.0.1:{listener.port}")
    assert listener.accepted == 0


def test_a_redirect_to_a_private_address_is_refused(private_urls_refused, listener, monkeypatch):
    """A public server answering 301 to https://127.0.0.1: the guard refuses the Location."""
    import httpx

    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": f"https://127.0.0.1:{listener.port}/me"})

    monkeypatch.setattr(socket, "getaddrinfo", RebindingResolver("api.frontport.test"))
    http = HttpClient("https://api.frontport.test", transport=httpx.MockTransport(redirect))
    with pytest.raises(InvalidConfig, match="private network"):
        http.request("GET", "/me")
    assert listener.accepted == 0
