"""Contract harness for Zendesk: the connector talks to the Zendesk stand-in over real HTTP."""

from __future__ import annotations

import re
import socket

from connectors.base import SourceConnector
from connectors.zendesk import ZendeskConnector
from sandbox.zendesk import ZendeskStandin

FAST = {"export_per_minute": 10_000}  # the stand-in is unthrottled here; a dedicated test covers 10/min


class ZendeskHarness:
    key = "zendesk"

    def __init__(self) -> None:
        self.standin = ZendeskStandin(tickets=10).start()

    def close(self) -> None:
        self.standin.stop()

    def connector(self, *, tickets: int, seed: int, revision: int = 0, page_size: int = 50) -> SourceConnector:
        self.standin.set_dataset(tickets=tickets, seed=seed, revision=revision)
        self.standin.refuse_next(0)
        self.standin.reset_log()
        return ZendeskConnector(self.standin.admin_config(page_size=page_size, **FAST))

    def fetched_ticket_ids(self) -> list[str] | None:
        ids = []
        for _method, path, _query in self.standin.requests():
            if m := re.fullmatch(r"/api/v2/tickets/(\d+)/comments", path):
                ids.append(m.group(1))
        return ids

    def bad_credentials(self) -> SourceConnector:
        return ZendeskConnector({**self.standin.admin_config(), "token": "not-the-token"})

    def unreachable(self) -> SourceConnector:
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        connector = ZendeskConnector({**self.standin.admin_config(), "url": f"http://127.0.0.1:{port}"})
        connector.client.http.retry.max_attempts = 2  # fail fast in tests
        connector.client.http.retry.base_delay = 0.01
        return connector

    def rate_limited(self, *, tickets: int, seed: int, refusals: int, retry_after: int) -> SourceConnector:
        connector = self.connector(tickets=tickets, seed=seed)
        self.standin.refuse_next(refusals, retry_after=retry_after)
        return connector

    def early_retries(self) -> int | None:
        return self.standin.early_retries

    def expected_kind(self, kind: str) -> str:
        return "reply" if kind == "public_note" else kind  # Zendesk: an agent's public comment
