"""The sample help desk: deterministic, lazy, awkward on purpose, and able to change (revisions)."""

from __future__ import annotations

from itertools import islice

import pytest

from connectors.base import InvalidConfig
from connectors.registry import SOURCES, choices, get_connector
from connectors.sample import SampleDataset
from connectors.sample.generator import FRONT_ATTACHMENT_LIMIT, INVALID_EMAILS, STATUSES


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = SampleDataset(tickets=300, seed=4), SampleDataset(tickets=300, seed=4), SampleDataset(tickets=300, seed=5)
    assert [a.ticket(i) for i in (1, 50, 299)] == [b.ticket(i) for i in (1, 50, 299)]
    assert [a.ticket(i).messages for i in range(1, 20)] != [c.ticket(i).messages for i in range(1, 20)]


def test_huge_dataset_is_generated_lazily():
    connector = get_connector("sample", {"tickets": 10_000_000, "seed": 1, "page_size": 50})
    first = next(connector.tickets())
    assert len(first.tickets) == 50 and first.cursor
    assert connector.dataset.ticket(9_999_999).source_id == "9999999"


def test_awkward_records_are_all_there():
    ds = SampleDataset(tickets=300, seed=2)
    tickets = [ds.ticket(i) for i in range(1, 301)]
    messages = [m for t in tickets for m in t.messages]
    attachments = [a for m in messages for a in m.attachments]
    people = [t.requester for t in tickets] + [c for t in tickets for c in t.cc_contacts]
    assert {t.status for t in tickets} >= set(STATUSES) | {"deleted"}
    assert any(p.name is None for p in people) and any(p.name and not p.name.isascii() for p in people)
    assert any(p.emails and p.emails[0] in INVALID_EMAILS for p in people)
    assert any(not p.emails for p in people)
    assert max(len(t.messages) for t in tickets) >= 60
    assert any("<script>" in m.body for m in messages) and any(m.body == "" for m in messages)
    assert any(m.body_format == "text" for m in messages)
    assert {m.kind for m in messages} == {"reply", "public_note", "private_note"}
    assert any(a.inline for a in attachments) and any(a.size > FRONT_ATTACHMENT_LIMIT for a in attachments)
    assert any(not a.filename.isascii() for a in attachments)
    assert any(t.cc_contacts for t in tickets) and any(t.assignee_agent_id is None for t in tickets)
    assert any(len(tag) > 64 for t in tickets for tag in t.tags)
    assert all(set(t.custom_fields) == {"Order number", "Product", "Refund approved", "Customer tier"}
               for t in tickets if not t.deleted)
    agents = ds.agents()
    assert [a.email for a in agents] == [f"agent{k}@example.com" for k in range(1, len(agents) + 1)]
    assert any(a.deleted for a in agents) and any(a.name is None for a in agents)
    deleted_agent = next(a for a in agents if a.deleted)
    assert any(m.author_agent_id == deleted_agent.source_id for m in messages) or any(
        t.assignee_agent_id == deleted_agent.source_id for t in tickets)


def test_revisions_change_the_help_desk():
    base, r1, r2 = (SampleDataset(tickets=300, seed=3, revision=r) for r in (0, 1, 2))
    changed = [i for i in range(1, 301) if r1.changed_in(i, 1) and r1.deleted_revision(i) is None]
    assert changed
    for i in changed[:10]:
        before, after = base.ticket(i), r1.ticket(i)
        assert len(after.messages) > len(before.messages) and after.updated_at > before.updated_at
        assert [m.source_id for m in after.messages[: len(before.messages)]] == [m.source_id for m in before.messages]
        assert len({m.source_id for m in after.messages}) == len(after.messages)
    deleted_in_1 = [i for i in range(1, 301) if r1.deleted_in(i, 1)]
    assert deleted_in_1 and all(r2.ticket(i).deleted for i in deleted_in_1)
    assert r2.total_ticket_ids() == 300 + 2 * r2.new_per_revision
    assert r1.revision_time(1) > base.updated_at(300) and r2.revision_time(2) > r1.revision_time(1)


def test_attachment_bytes_are_exact_and_streamed():
    ds = SampleDataset(tickets=10)
    size = 26 * 1024 * 1024
    chunks = 0
    total = 0
    for chunk in ds.attachment_bytes("670011", size):
        assert len(chunk) <= 256 * 1024
        chunks += 1
        total += len(chunk)
    assert total == size and chunks > 100
    assert b"".join(islice(ds.attachment_bytes("1", 5000), 1)) == b"".join(ds.attachment_bytes("1", 5000))
    assert b"".join(ds.attachment_bytes("1", 5000)) != b"".join(ds.attachment_bytes("2", 5000))


def test_registry_and_config_validation():
    assert {"sample", "zendesk"} <= set(SOURCES)
    assert ("sample", SOURCES["sample"].label) in choices()
    with pytest.raises(InvalidConfig, match="Unknown source"):
        get_connector("nope", {})
    with pytest.raises(InvalidConfig, match="whole number"):
        get_connector("sample", {"tickets": "many"})
    assert get_connector("sample", {}).counts()["tickets"] > 0
