"""Streamed downloads through the one HTTP layer (`HttpClient.stream`; attachments can be huge).

Retries (network errors, 429 with Retry-After, 5xx) happen only before the first byte is handed out;
after that a failure raises, and the caller restarts the download from the beginning.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from connectors.base import NotFound, Unreachable, VendorError
from connectors.http import HttpClient

CHUNK_SIZE = 256 * 1024


def stream_download(http: HttpClient, url: str, *, what: str = "the file", chunk_size: int = CHUNK_SIZE
                    ) -> Iterator[bytes]:
    """Yield the body of GET `url` in chunks. The URL comes from vendor data, so it is SSRF-guarded (and
    every redirect too: HttpClient.stream follows them itself, dropping credentials on another host)."""
    attempt = 0
    started = False  # once bytes went out, a retry would duplicate them: fail instead
    while True:
        try:
            # Pacing, 429/5xx/network retries and redirects happen inside stream(), before the first byte.
            with http.stream("GET", url, route="GET download") as response:
                if response.status_code in (404, 410):
                    raise NotFound(f"{what} no longer exists in {http.service_name}.")
                if response.status_code >= 400:
                    raise VendorError(f"{http.service_name} refused the download of {what} "
                                      f"(error {response.status_code}).")
                for chunk in response.iter_bytes(chunk_size):
                    started = True
                    yield chunk
                return
        except Unreachable as exc:  # stream() already retried the connection max_attempts times
            raise Unreachable(f"Could not download {what} from {http.service_name}: the connection failed.") from exc
        except httpx.TransportError as exc:  # the body broke off
            attempt += 1
            if started or attempt >= http.retry.max_attempts:
                raise Unreachable(f"Could not download {what} from {http.service_name}: the connection failed.") from exc
            http.stats.add("network_errors")
            http.pause(http.retry.backoff(attempt))
