"""The SSRF guard: the server never talks to itself or its private network on a user's say-so.

Two checks, both off when ALLOW_PRIVATE_URLS is set (the offline sandbox and the tests):

- `guard_url` when a URL is accepted (a form, a config, a link a vendor gave): http(s) with a host, no
  user name or password; https only, and every address the host resolves to must be public. It gives
  the plain sentence a form shows.
- `GuardedBackend` when a connection is opened: httpcore's network backend resolves the host itself,
  refuses the connection if any address is not public, and connects to one of the addresses it just
  checked. The URL check alone leaves a window: a name can resolve to a public address when the URL is
  checked and to 127.0.0.1 when the socket connects (DNS rebinding). Checking the address the socket
  really connects to closes it, as healthchecks does at socket-open.

With HTTP(S)_PROXY set, httpx connects to the proxy (the operator's, often on a private address), which
resolves the vendor's host itself: only `guard_url` applies then.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from connectors.base import InvalidConfig, Unreachable

DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's own defaults
SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id is not part of the address
    return ip.is_global and not ip.is_multicast


def refuse_private(host: str, addresses: Iterable[str]) -> None:
    for address in addresses:
        if not is_public(address):
            raise InvalidConfig(f"The address {host} points to a private network, which is not allowed.")


def guard_url(url: str, *, allow_private: bool) -> str:
    """Refuse URLs that would make the server talk to itself or its network (SSRF).

    Only http(s) URLs with a host; unless allow_private, only https and only hosts that resolve to
    public addresses. Raises InvalidConfig with a plain sentence.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidConfig("The address must start with https:// and name a server.")
    if parts.username or parts.password:
        raise InvalidConfig("The address must not contain a user name or password.")
    if allow_private:
        return url.strip()
    if parts.scheme != "https":
        raise InvalidConfig("The address must use https://.")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise Unreachable(f"The server {parts.hostname} could not be found: check the address.") from exc
    refuse_private(parts.hostname, (str(info[4][0]) for info in infos))
    return url.strip()


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's own socket backend, connecting only to addresses it checked itself (see above)."""

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[SocketOption] | None = None) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        refuse_private(host, addresses)
        last: Exception | None = None
        for address in addresses:
            try:  # a literal address: the socket connects there, no second lookup
                return super().connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                           socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # getaddrinfo never answers an empty list
        raise last


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport whose connection pool opens sockets through `GuardedBackend`.

    httpx does not take a network backend, so the pool it built is replaced by one like it with the
    guarded backend (tests/connectors/test_ssrf.py fails if this ever stops taking effect)."""

    def __init__(self, *, limits: httpx.Limits = DEFAULT_LIMITS) -> None:
        context = httpx.create_ssl_context()
        super().__init__(verify=context, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(),
        )
