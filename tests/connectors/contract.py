"""The contract every source connector must pass (run through test_contract.py and conftest.HARNESSES).

Each connector serves the same synthetic help desk (connectors.sample.generator), so the expected answer
of every question is known exactly.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from itertools import islice

import pytest

from connectors.base import BadCredentials, ConnectorError, Ticket, Unreachable
from tests.connectors.harness import expected

SIZE, SEED, PAGE = 230, 7, 40


def _view(harness, ticket: Ticket) -> Ticket:
    """The dataset ticket as this vendor can hold it (harness.vendor_view; identity when absent)."""
    view = getattr(harness, "vendor_view", None)
    return view(ticket) if view else ticket


def _agents_view(harness, agents: list) -> list:
    view = getattr(harness, "vendor_agents", None)
    return view(agents) if view else agents


def _stream(connector, **kwargs) -> tuple[list[Ticket], list]:
    pages = list(connector.tickets(**kwargs))
    return [t for p in pages for t in p.tickets], pages


def test_check_names_the_account(harness):
    result = harness.connector(tickets=SIZE, seed=SEED, page_size=PAGE).check()
    assert result.account_name


def test_full_stream_pages_through_everything(harness):
    tickets, pages = _stream(harness.connector(tickets=SIZE, seed=SEED, page_size=PAGE))
    want = expected(SIZE, SEED)
    assert len(pages) >= SIZE // PAGE
    assert [p.cursor is None for p in pages] == [False] * (len(pages) - 1) + [True]
    ids = [t.source_id for t in tickets]
    assert len(ids) == len(set(ids))
    assert sorted(ids, key=int) == [str(i) for i in range(1, SIZE + 1)]
    # Oldest update first.
    assert [t.updated_at for t in tickets] == sorted(t.updated_at for t in tickets)
    sample = next(t for t in tickets if t.source_id == "50")
    truth = _view(harness, want.ticket(50))
    assert len(sample.messages) == len(truth.messages) == 60  # a long thread, across comment pages
    assert [m.kind for m in sample.messages] == [harness.expected_kind(m.kind) for m in truth.messages]
    assert sample.subject == truth.subject and sample.status == truth.status
    assert sorted(sample.tags) == sorted(truth.tags)


def test_records_are_canonical(harness):
    tickets, _ = _stream(harness.connector(tickets=120, seed=SEED, page_size=PAGE))
    for t in tickets:
        assert t.created_at.tzinfo and t.updated_at.tzinfo
        assert t.created_at <= t.updated_at
        times = [m.created_at for m in t.messages]
        assert times == sorted(times)
        for m in t.messages:
            assert m.kind in ("reply", "public_note", "private_note")
            assert (m.author_agent_id is None) == m.inbound or m.kind != "reply"
    truth = expected(120, SEED)
    by_id = {t.source_id: t for t in tickets}
    for i in (1, 2, 53, 67, 101):  # 53: HTML with a script, 67: an attachment over 25 MB
        got, want = by_id[str(i)], _view(harness, truth.ticket(i))
        assert [m.source_id for m in got.messages] == [m.source_id for m in want.messages]
        assert [m.kind for m in got.messages] == [harness.expected_kind(m.kind) for m in want.messages]
        assert [[a.filename for a in m.attachments] for m in got.messages] == \
            [[a.filename for a in m.attachments] for m in want.messages]
        assert got.custom_fields == want.custom_fields
        assert (got.requester.source_id if got.requester else None) == want.requester.source_id
        assert got.assignee_agent_id == want.assignee_agent_id
    big = [a for a in by_id["67"].messages[0].attachments if a.filename == "huge-video.mp4"]
    assert big and big[0].size > 25 * 1024 * 1024
    assert "<script>" in by_id["53"].messages[0].body  # raw as the source has it; the engine sanitises


def test_counts_match_what_is_streamed(harness):
    connector = harness.connector(tickets=SIZE, seed=SEED, page_size=PAGE)
    tickets, _ = _stream(connector)
    counts = connector.counts()
    assert counts["tickets"] == sum(1 for t in tickets if not t.deleted)
    assert counts["agents"] == len(connector.agents())
    assert counts["contacts"] >= 1


def test_agents_include_deleted_ones(harness):
    agents = harness.connector(tickets=SIZE, seed=SEED).agents()
    want = _agents_view(harness, expected(SIZE, SEED).agents())
    assert sorted(a.email for a in agents) == sorted(a.email for a in want)
    assert "agent1@example.com" in {a.email for a in agents}
    # Sources that still list deleted/inactive agents must flag them (Help Scout and Freshdesk drop them).
    assert any(a.deleted for a in agents) == any(a.deleted for a in want)
    assert any(not a.active for a in agents) == any(not a.active for a in want)


def test_resume_from_saved_cursor_reads_only_the_rest(harness):
    first = harness.connector(tickets=SIZE, seed=SEED, page_size=PAGE)
    stream = first.tickets()
    done = list(islice(stream, 3))  # "crash" after three pages were handled
    stream.close()
    saved = done[-1].cursor
    assert saved is not None
    finished = {t.source_id for p in done for t in p.tickets}

    resumed = harness.connector(tickets=SIZE, seed=SEED, page_size=PAGE)  # a fresh process
    rest, _ = _stream(resumed, cursor=saved)
    rest_ids = {t.source_id for t in rest}
    assert not finished & rest_ids
    assert finished | rest_ids == {str(i) for i in range(1, SIZE + 1)}
    fetched = harness.fetched_ticket_ids()
    if fetched is not None:  # the server never served a finished ticket again
        assert not finished & set(fetched)


def test_since_returns_exactly_what_changed(harness):
    revision = 2
    want = expected(SIZE, SEED, revision)
    since = want.revision_time(2)
    connector = harness.connector(tickets=SIZE, seed=SEED, revision=revision, page_size=PAGE)
    tickets, _ = _stream(connector, since=since)
    changed = {str(i) for i in range(1, want.total_ticket_ids() + 1) if want.updated_at(i) >= since}
    assert changed, "the dataset must change in revision 2"
    assert {t.source_id for t in tickets} == changed
    assert all(t.updated_at >= since for t in tickets)
    new = [t for t in tickets if int(t.source_id) > want.total_ticket_ids(1)]
    assert new, "new tickets created in the round are part of the delta"
    touched = [t for t in tickets if not t.deleted and int(t.source_id) <= SIZE]
    for t in touched:  # appended replies/notes are there
        assert t.messages[-1].created_at >= since - timedelta(seconds=5)


def test_deleted_tickets_are_flagged(harness):
    want = expected(SIZE, SEED, 1)
    tickets, pages = _stream(harness.connector(tickets=SIZE, seed=SEED, revision=1, page_size=PAGE))
    deleted = {t.source_id for t in tickets if t.deleted}
    truth = {str(i) for i in range(1, want.total_ticket_ids() + 1) if want.deleted_revision(i) is not None}
    assert deleted == truth and {"97", "194"} <= deleted
    assert {i for p in pages for i in p.deleted_ticket_ids} == deleted


def test_ids_selection_in_order(harness):
    connector = harness.connector(tickets=SIZE, seed=SEED, page_size=2)
    tickets, pages = _stream(connector, ids=["5", "3", "999999", "12", "50"])
    assert [t.source_id for t in tickets] == ["5", "3", "12", "50"]
    assert len(tickets[-1].messages) == 60
    assert pages[-1].cursor is None


def test_filter_by_mailbox(harness):
    connector = harness.connector(tickets=80, seed=SEED, page_size=PAGE)
    boxes = dict(connector.mailboxes())
    if not boxes:
        pytest.skip("this source has no mailboxes/brands")
    box = sorted(boxes)[0]
    tickets, _ = _stream(connector, filter={"mailbox_id": box})
    assert tickets and all(t.mailbox_id == box for t in tickets)
    assert connector.counts(filter={"mailbox_id": box})["tickets"] == sum(1 for t in tickets if not t.deleted)


def test_download_streams_attachment_bytes(harness):
    connector = harness.connector(tickets=120, seed=SEED)
    tickets, _ = _stream(connector, ids=["71"])  # 71 carries an attachment with a unicode file name
    attachment = next(a for m in tickets[0].messages for a in m.attachments if a.filename.startswith("naïve"))
    digest = hashlib.sha256()
    size = 0
    for chunk in connector.download(attachment):
        digest.update(chunk)
        size += len(chunk)
    truth = hashlib.sha256(b"".join(expected(120, SEED).attachment_bytes(attachment.source_id, size))).hexdigest()
    assert size == attachment.size and digest.hexdigest() == truth


def test_rate_limit_answer_is_honoured(harness):
    connector = harness.rate_limited(tickets=60, seed=SEED, refusals=2, retry_after=1)
    tickets, _ = _stream(connector)
    assert len(tickets) == 60
    assert harness.early_retries() == 0


def test_bad_credentials_give_a_clear_error(harness):
    connector = harness.bad_credentials()
    with pytest.raises(BadCredentials) as err:
        connector.check()
    _plain(err.value)


def test_unreachable_host_gives_a_clear_error(harness):
    connector = harness.unreachable()
    with pytest.raises(Unreachable) as err:
        connector.check()
    _plain(err.value)


def _plain(exc: ConnectorError) -> None:
    text = str(exc)
    assert text and "Traceback" not in text and "secret" not in text.lower()
    assert len(text) < 300
