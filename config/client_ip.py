"""The client's address, the same everywhere: allauth's rate limits, logs and audit rows.

Behind a reverse proxy every request's socket address (REMOTE_ADDR) is the proxy's, so throttling on it
would put every user in one bucket. Each proxy appends the address it received the request from to
X-Forwarded-For; with `TRUSTED_PROXY_COUNT = N` proxies in front of us, the client is the N-th entry
from the right. Entries further left were written by whoever sent the request, so they are never
trusted. With `TRUSTED_PROXY_COUNT = 0` (the default) X-Forwarded-For is ignored entirely.
`TRUSTED_PROXIES` (addresses or networks) also requires the socket address to be one of the proxies,
so a request that reached the app directly cannot forge the header.

`ClientIPMiddleware` resolves the address once per request, stores it as `request.client_ip`, puts it in
`REMOTE_ADDR` (the proxy's address stays in `FRONTPORT_PROXY_ADDR`) so every consumer of the request
sees the client, and exposes it to logging and the audit log through a context variable.
"""

from __future__ import annotations

import ipaddress
import logging
from contextvars import ContextVar
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

_current: ContextVar[str] = ContextVar("frontport_client_ip", default="")


def _clean(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.5:1234"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _from_trusted_proxy(remote: str | None) -> bool:
    proxies = tuple(settings.TRUSTED_PROXIES)
    if not proxies:
        return True
    if remote is None:
        return False
    address = ipaddress.ip_address(remote)
    return any(address in network for network in _networks(proxies))


def resolve_client_ip(request: HttpRequest) -> str:
    """The client's address for this request (never the header's raw text: always a parsed address)."""
    remote = _clean(request.META.get("FRONTPORT_PROXY_ADDR") or request.META.get("REMOTE_ADDR", ""))
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count > 0 and forwarded and _from_trusted_proxy(remote):
        hops = [hop for hop in (part.strip() for part in forwarded.split(",")) if hop]
        if hops:
            # Fewer hops than proxies: every entry was still written by a proxy we trust.
            candidate = _clean(hops[-count] if len(hops) >= count else hops[0])
            if candidate:
                return candidate
    return remote or "0.0.0.0"  # noqa: S104 - a placeholder address, nothing listens on it


def client_ip(request: HttpRequest) -> str:
    cached = getattr(request, "client_ip", None)
    return cached if cached else resolve_client_ip(request)


def current_client_ip() -> str:
    """The client address of the request being served by this thread, or "" outside a request."""
    return _current.get()


class ClientIPMiddleware:
    """First in the chain: everything after it sees the client's address in REMOTE_ADDR."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        address = resolve_client_ip(request)
        if "FRONTPORT_PROXY_ADDR" not in request.META:
            request.META["FRONTPORT_PROXY_ADDR"] = request.META.get("REMOTE_ADDR", "")
        request.META["REMOTE_ADDR"] = address
        request.client_ip = address
        token = _current.set(address)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


class ClientIPLogFilter(logging.Filter):
    """Adds `client_ip` to every log record ("-" outside a request), for the log format."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.client_ip = _current.get() or "-"
        return True
