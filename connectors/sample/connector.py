"""SourceConnector over the deterministic generator: config `{"tickets": N, "seed": S, "revision": R}`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from connectors.base import (
    Agent,
    Attachment,
    CheckResult,
    ConfigField,
    InvalidConfig,
    NotFound,
    Organization,
    OrganizationPage,
    SourceConnector,
    Ticket,
    TicketPage,
)
from connectors.sample import people
from connectors.sample.generator import BRANDS, MAX_REVISION, SampleDataset
from connectors.sample.knowledge import SampleKnowledge

DEFAULT_PAGE_SIZE = 100


def _int_option(config: dict[str, Any], name: str, label: str, default: int, low: int, high: int) -> int:
    raw = config.get(name, default)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise InvalidConfig(f"{label} must be a whole number.") from None
    if not low <= value <= high:
        raise InvalidConfig(f"{label} must be between {low} and {high}.")
    return value


class SampleConnector(SampleKnowledge, SourceConnector):
    key: ClassVar[str] = "sample"
    label: ClassVar[str] = "Sample help desk (offline demo data)"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("tickets", "Number of tickets", required=False, placeholder="200",
                    help_text="How many synthetic tickets the sample help desk holds."),
        ConfigField("seed", "Seed", required=False, placeholder="1",
                    help_text="Same seed, same data: runs are repeatable."),
        ConfigField("revision", "Revision", required=False, placeholder="0",
                    help_text="Each revision adds replies, status changes and deletions (to try a delta run)."),
    )
    features: ClassVar[frozenset[str]] = frozenset({"mailboxes"})

    def __init__(self, config: dict[str, Any]) -> None:
        cleaned = self.validate_config(config)
        super().__init__(cleaned)
        self.page_size = _int_option(config, "page_size", "Page size", DEFAULT_PAGE_SIZE, 1, 10_000)
        self.dataset = SampleDataset(tickets=cleaned["tickets"], seed=cleaned["seed"],
                                     revision=cleaned["revision"])

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        return {
            "tickets": _int_option(config, "tickets", "Number of tickets", 200, 0, 10_000_000),
            "seed": _int_option(config, "seed", "Seed", 1, 0, 2**31),
            "revision": _int_option(config, "revision", "Revision", 0, 0, MAX_REVISION),
        }

    def check(self) -> CheckResult:
        return CheckResult(account_name=f"Sample help desk ({self.dataset.tickets} tickets, seed {self.dataset.seed})",
                           user_email="agent1@example.com",
                           account_id=f"seed {self.dataset.seed}")  # the seed decides which records exist

    def count(self, what: str, *, filter: dict[str, Any] | None = None) -> int:
        ds = self.dataset
        if what == "contacts":
            return ds.contact_count
        if what == "agents":
            return ds.agent_count
        if filter and filter.get("tags"):  # tags need the full record: count what the stream yields
            return sum(1 for _s, i in ds.ordered_ids()
                       if ds.deleted_revision(i) is None and self._match(ds.ticket(i), i, filter))
        return sum(1 for i in range(1, ds.total_ticket_ids() + 1)
                   if ds.deleted_revision(i) is None and self._cheap_match(i, filter))

    def agents(self) -> list[Agent]:
        return self.dataset.agents()

    def mailboxes(self) -> list[tuple[str, str]]:
        return list(BRANDS)

    def tickets(
        self,
        *,
        since: datetime | None = None,
        ids: list[str] | None = None,
        filter: dict[str, Any] | None = None,
        cursor: dict[str, Any] | None = None,
    ) -> Iterator[TicketPage]:
        if ids is not None:
            yield from self._tickets_by_id(ids, cursor)
            return
        after = (int(cursor["segment"]), int(cursor["after_id"])) if cursor else None
        page: list[Ticket] = []
        for seg, i in self.dataset.ordered_ids(since=since, after=after):
            if not self._cheap_match(i, filter):
                continue
            ticket = self.dataset.ticket(i)
            if not self._match(ticket, i, filter):
                continue
            page.append(ticket)
            after = (seg, i)
            if len(page) >= self.page_size:
                yield self._page(page, after)
                page = []
        # The stream always ends with one page whose cursor is None (possibly empty): exhausted.
        yield self._page(page, None)

    def _tickets_by_id(self, ids: list[str], cursor: dict[str, Any] | None) -> Iterator[TicketPage]:
        offset = int(cursor["ids_offset"]) if cursor else 0
        if offset >= len(ids):
            yield self._page([], None)
        while offset < len(ids):
            chunk = ids[offset:offset + self.page_size]
            offset += len(chunk)
            found = [self.dataset.ticket(int(x)) for x in chunk if str(x).isdigit() and self.dataset.exists(int(x))]
            page = self._page(found, None)
            page.cursor = {"ids_offset": offset} if offset < len(ids) else None
            yield page

    @staticmethod
    def _page(tickets: list[Ticket], after: tuple[int, int] | None) -> TicketPage:
        return TicketPage(
            tickets=tickets,
            cursor={"segment": after[0], "after_id": after[1]} if after else None,
            deleted_ticket_ids=[t.source_id for t in tickets if t.deleted],
        )

    def _cheap_match(self, i: int, filter: dict[str, Any] | None) -> bool:
        if not filter:
            return True
        if filter.get("mailbox_id") and str(filter["mailbox_id"]) != BRANDS[i % 2][0]:
            return False
        return not (filter.get("group_id") and str(filter["group_id"]) != self.dataset.group_id(i))

    @staticmethod
    def _match(ticket: Ticket, i: int, filter: dict[str, Any] | None) -> bool:
        wanted = set((filter or {}).get("tags") or [])
        return not wanted or bool(wanted & set(ticket.tags))

    def organizations(self, *, cursor: dict[str, Any] | None = None) -> Iterator[OrganizationPage]:
        k = int((cursor or {}).get("after", 0)) + 1
        total = self.dataset.organization_count()
        while True:
            last = min(total, k + self.page_size - 1)
            orgs = [self.dataset.organization(i) for i in range(k, last + 1)]
            yield OrganizationPage(organizations=orgs, cursor={"after": last} if last < total else None)
            if last >= total:
                return
            k = last + 1

    def organization(self, source_id: str) -> Organization | None:
        k = people.organization_index(source_id)
        return self.dataset.organization(k) if k and k <= self.dataset.organization_count() else None

    def count_organizations(self) -> int:
        return self.dataset.organization_count()

    def contact_field_names(self) -> list[str]:
        return list(people.CONTACT_FIELDS)

    def download(self, attachment: Attachment) -> Iterator[bytes]:
        if attachment.size is None or not attachment.source_id.isdigit():
            raise NotFound(f"The attachment {attachment.filename!r} is not part of the sample help desk.")
        return self.dataset.attachment_bytes(attachment.source_id, attachment.size)
