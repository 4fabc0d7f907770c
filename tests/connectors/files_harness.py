"""Contract harness for the file import: the sample help desk written as an export ZIP, read back."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from connectors.base import SourceConnector, Ticket
from connectors.files import FileExportConnector
from connectors.files.writer import write_sample_export
from connectors.sample import SampleDataset


class FilesHarness:
    key = "files"
    articles_available = False  # the import format has no articles table

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="frontport-files-contract-")
        self._exports: dict[tuple[int, int, int], Path] = {}
        self._connectors: list[SourceConnector] = []

    def export(self, *, tickets: int, seed: int, revision: int = 0) -> Path:
        key = (tickets, seed, revision)
        if key not in self._exports:
            path = Path(self._tmp.name) / f"export-{tickets}-{seed}-{revision}.zip"
            self._exports[key] = write_sample_export(SampleDataset(tickets=tickets, seed=seed, revision=revision), path)
        return self._exports[key]

    def connector(self, *, tickets: int, seed: int, revision: int = 0, page_size: int = 50) -> SourceConnector:
        connector = FileExportConnector({"path": str(self.export(tickets=tickets, seed=seed, revision=revision)),
                                         "page_size": page_size})
        self._connectors.append(connector)
        return connector

    def fetched_ticket_ids(self) -> list[str] | None:
        return None

    def bad_credentials(self) -> SourceConnector:
        pytest.skip("an export file has no credentials")

    def unreachable(self) -> SourceConnector:
        pytest.skip("an export file has no server")

    def rate_limited(self, *, tickets: int, seed: int, refusals: int, retry_after: int) -> SourceConnector:
        pytest.skip("an export file has no server")

    def early_retries(self) -> int | None:
        return None

    def expected_kind(self, kind: str) -> str:
        return kind

    @staticmethod
    def vendor_view(ticket: Ticket) -> Ticket:
        """The file import also names the requester's organization as the ticket field "Organization"."""
        orgs = ticket.requester.organizations if ticket.requester else []
        return replace(ticket, custom_fields={**ticket.custom_fields, "Organization": orgs[0]}) if orgs else ticket

    def close(self) -> None:
        for connector in self._connectors:
            connector.close()
        self._tmp.cleanup()
