"""Contract harnesses for Help Scout and Freshdesk: each connector talks to its stand-in over HTTP."""

from __future__ import annotations

import socket
from typing import Any

from connectors.base import Agent, SourceConnector, Ticket
from connectors.freshdesk import FreshdeskConnector
from connectors.helpscout import HelpScoutConnector
from sandbox.freshdesk import FreshdeskStandin
from sandbox.helpscout import HelpScoutStandin
from tests.connectors import hsfd_views


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class _StandinHarness:
    standin_cls: Any
    connector_cls: Any

    def __init__(self) -> None:
        self._standins: dict[tuple, Any] = {}
        self._connectors: list[SourceConnector] = []
        self.current: Any = None

    def standin(self, **options: Any) -> Any:
        key = tuple(sorted(options.items()))
        if key not in self._standins:
            self._standins[key] = self.standin_cls(**options).__enter__()
        self.current = self._standins[key]
        return self.current

    def make(self, config: dict[str, Any]) -> SourceConnector:
        connector = self.connector_cls(config)
        self._connectors.append(connector)
        return connector

    def fetched_ticket_ids(self) -> list[str] | None:
        return [str(i) for i in self.current.app.served]

    def early_retries(self) -> int | None:
        return self.current.app.calls["early_retries"]

    def expected_kind(self, kind: str) -> str:
        return kind  # vendor_view already translated the kinds this vendor cannot hold

    def close(self) -> None:
        for connector in self._connectors:
            connector.close()
        for standin in self._standins.values():
            standin.__exit__(None, None, None)


class HelpScoutHarness(_StandinHarness):
    one_language = True  # Help Scout Docs: one language per site
    key = "helpscout"
    standin_cls = HelpScoutStandin
    connector_cls = HelpScoutConnector

    def connector(self, *, tickets: int, seed: int, revision: int = 0, page_size: int = 50) -> SourceConnector:
        standin = self.standin(tickets=tickets, seed=seed, revision=revision)
        standin.app.served.clear()
        return self.make(standin.config)  # Help Scout pages conversations 25 at a time, whatever we ask

    def bad_credentials(self) -> SourceConnector:
        standin = self.standin(tickets=10, seed=1)
        return self.make({**standin.config, "app_secret": "wrong-secret"})

    def unreachable(self) -> SourceConnector:
        return self.make({"app_id": "x", "app_secret": "y", "api_url": closed_port_url()})

    def rate_limited(self, *, tickets: int, seed: int, refusals: int, retry_after: int) -> SourceConnector:
        standin = self.standin(tickets=tickets, seed=seed, revision=0, rpm=None)
        standin.app.calls["early_retries"] = 0
        standin.app.refuse_next(refusals, retry_after)
        return self.make(standin.config)

    @staticmethod
    def vendor_view(ticket: Ticket) -> Ticket:
        return hsfd_views.helpscout_ticket(ticket)

    @staticmethod
    def vendor_agents(agents: list[Agent]) -> list[Agent]:
        return hsfd_views.helpscout_agents(agents)


class FreshdeskHarness(_StandinHarness):
    key = "freshdesk"
    standin_cls = FreshdeskStandin
    connector_cls = FreshdeskConnector

    def connector(self, *, tickets: int, seed: int, revision: int = 0, page_size: int = 50) -> SourceConnector:
        standin = self.standin(tickets=tickets, seed=seed, revision=revision)
        standin.app.served.clear()
        return self.make({**standin.config, "page_size": min(page_size, 100)})

    def bad_credentials(self) -> SourceConnector:
        standin = self.standin(tickets=10, seed=1)
        return self.make({**standin.config, "api_key": "wrong-key"})

    def unreachable(self) -> SourceConnector:
        return self.make({"url": closed_port_url(), "api_key": "k"})

    def rate_limited(self, *, tickets: int, seed: int, refusals: int, retry_after: int) -> SourceConnector:
        standin = self.standin(tickets=tickets, seed=seed, rpm=None)
        standin.app.calls["early_retries"] = 0
        standin.app.refuse_next(refusals, retry_after)
        return self.make(standin.config)

    @staticmethod
    def vendor_view(ticket: Ticket) -> Ticket:
        return hsfd_views.freshdesk_ticket(ticket)

    @staticmethod
    def vendor_agents(agents: list[Agent]) -> list[Agent]:
        return hsfd_views.freshdesk_agents(agents)
