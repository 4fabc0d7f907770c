"""Streamed downloads through the one HTTP layer (http.py reads whole bodies; attachments can be huge).

Retries (network errors, 429 with Retry-After, 5xx) happen only before the first byte is handed out;
after that a failure raises, and the caller restarts the download from the beginning.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from connectors.base import NotFound, RateLimited, Unreachable, VendorError
from connectors.http import RETRYABLE_STATUSES, HttpClient, guard_url, retry_after_seconds

CHUNK_SIZE = 256 * 1024


def stream_download(http: HttpClient, url: str, *, what: str = "the file", chunk_size: int = CHUNK_SIZE
                    ) -> Iterator[bytes]:
    """Yield the body of GET `url` in chunks. The URL comes from vendor data, so it is SSRF-guarded."""
    url = guard_url(url)
    attempt = 0
    started = False  # once bytes went out, a retry would duplicate them: fail instead
    while True:
        http.stats["requests"] += 1
        http.stats["route:GET download"] += 1
        try:
            # http.py's httpx client carries the connection's timeouts and headers; no public stream API yet.
            with http._http.stream("GET", url, follow_redirects=True) as response:
                if response.status_code in RETRYABLE_STATUSES and attempt + 1 < http.retry.max_attempts:
                    wait = retry_after_seconds(response)
                    attempt += 1
                    http.stats["retries"] += 1
                    http._sleep(min(120.0, wait if wait is not None else http.retry.backoff(attempt)))
                    continue
                if response.status_code == 429:
                    raise RateLimited(f"{http.service_name} kept refusing the download of {what}.",
                                      retry_after=retry_after_seconds(response))
                if response.status_code in (404, 410):
                    raise NotFound(f"{what} no longer exists in {http.service_name}.")
                if response.status_code >= 400:
                    raise VendorError(f"{http.service_name} refused the download of {what} "
                                      f"(error {response.status_code}).")
                for chunk in response.iter_bytes(chunk_size):
                    started = True
                    yield chunk
                return
        except httpx.TransportError as exc:
            attempt += 1
            if started or attempt >= http.retry.max_attempts:
                raise Unreachable(f"Could not download {what} from {http.service_name}: the connection failed.") from exc
            http.stats["network_errors"] += 1
            http._sleep(http.retry.backoff(attempt))
