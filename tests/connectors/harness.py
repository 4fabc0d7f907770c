"""What a connector provides so the shared contract suite (contract.py) can run against it.

A harness builds a connector over a source holding `SampleDataset(tickets, seed, revision)` (through the
vendor's stand-in for real platforms) and answers a few questions about what reached the server. Server
questions return None / skip for sources that have no server (the sample).
"""

from __future__ import annotations

from typing import Protocol

import pytest

from connectors.base import SourceConnector
from connectors.sample import SampleConnector, SampleDataset


class ContractHarness(Protocol):
    key: str

    def connector(self, *, tickets: int, seed: int, revision: int = 0, page_size: int = 50) -> SourceConnector:
        """A connector whose source holds SampleDataset(tickets, seed, revision)."""

    def fetched_ticket_ids(self) -> list[str] | None:
        """Ticket ids whose details the source served since the last connector() call (None: no server)."""

    def bad_credentials(self) -> SourceConnector:
        """A connector with wrong credentials (pytest.skip when the source has none)."""

    def unreachable(self) -> SourceConnector:
        """A connector pointed at a closed port (pytest.skip when there is no server)."""

    def rate_limited(self, *, tickets: int, seed: int, refusals: int, retry_after: int) -> SourceConnector:
        """A connector whose server answers the next `refusals` requests with 429 + Retry-After."""

    def early_retries(self) -> int | None:
        """Requests that arrived before a Retry-After had elapsed."""

    def expected_kind(self, kind: str) -> str:
        """How the source represents a sample message kind (e.g. Zendesk has no public notes)."""


class SampleHarness:
    """The sample source: a generator, no server."""

    key = "sample"

    def connector(self, *, tickets: int, seed: int, revision: int = 0, page_size: int = 50) -> SourceConnector:
        return SampleConnector({"tickets": tickets, "seed": seed, "revision": revision, "page_size": page_size})

    def fetched_ticket_ids(self) -> list[str] | None:
        return None

    def bad_credentials(self) -> SourceConnector:
        pytest.skip("the sample source has no credentials")

    def unreachable(self) -> SourceConnector:
        pytest.skip("the sample source has no server")

    def rate_limited(self, *, tickets: int, seed: int, refusals: int, retry_after: int) -> SourceConnector:
        pytest.skip("the sample source has no server")

    def early_retries(self) -> int | None:
        return None

    def expected_kind(self, kind: str) -> str:
        return kind


def expected(tickets: int, seed: int, revision: int = 0) -> SampleDataset:
    return SampleDataset(tickets=tickets, seed=seed, revision=revision)
