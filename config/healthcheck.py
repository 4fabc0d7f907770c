"""The container healthcheck: `python -m config.healthcheck` (docker-compose.yml's web service).

Calls /healthz on the local gunicorn with a Host header the site accepts (the first concrete name in
ALLOWED_HOSTS, so Django does not answer 400), follows no redirect, and succeeds only on a 200 whose JSON
says "ok": a 301, a 400 or a 503 all make the container unhealthy. /healthz is exempt from the HTTPS
redirect (SECURE_REDIRECT_EXEMPT), so the plain-HTTP call inside the container gets the real answer.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
from urllib.parse import urlsplit


def host_header(allowed_hosts: str) -> str:
    for name in (part.strip() for part in allowed_hosts.split(",")):
        name = name.lstrip(".")  # ".example.com" allows example.com and its subdomains
        if name and name != "*":
            return name
    return "localhost"


def probe(url: str, *, host: str, timeout: float = 12.0) -> tuple[bool, str]:
    """(healthy, what was seen) for one GET of `url` sent with `Host: host`."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", parts.path or "/", headers={"Host": host, "Accept": "application/json"})
        response = connection.getresponse()
        body = response.read(65536)
    except OSError as exc:
        return False, f"no answer: {exc}"
    finally:
        connection.close()
    if response.status != 200:
        return False, f"HTTP {response.status}"
    try:
        status = json.loads(body).get("status")
    except (ValueError, AttributeError):
        return False, "HTTP 200 but not the health JSON"
    return status == "ok", f"status {status!r}"


def main() -> int:
    url = os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/healthz")
    healthy, seen = probe(url, host=host_header(os.environ.get("ALLOWED_HOSTS", "localhost")))
    print(("healthy: " if healthy else "unhealthy: ") + seen)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
