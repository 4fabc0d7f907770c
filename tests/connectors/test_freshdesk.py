"""Freshdesk specifics beyond the shared contract: the 300-page cap, timestamp ties, expiring attachment
links, spam, inline images, the plan's rate limit. Every test talks HTTP to the Freshdesk stand-in."""

from __future__ import annotations

import hashlib

import pytest

from connectors.base import BadCredentials, InvalidConfig, VendorError
from connectors.freshdesk import FreshdeskConnector
from connectors.freshdesk.connector import normalise_url
from connectors.sample.generator import SampleDataset
from sandbox.freshdesk import FreshdeskStandin


def _all(connector, **kwargs):
    pages = list(connector.tickets(**kwargs))
    return [t for p in pages for t in p.tickets], pages


def _list_calls(standin) -> int:
    return standin.app.calls["GET /api/v2/tickets"]


@pytest.mark.slow
def test_35000_tickets_stream_completely_past_the_300_page_cap():
    """35,000 tickets = 350 pages of 100: more than Freshdesk lets one `updated_since` window page through."""
    total = 35_000
    with FreshdeskStandin(tickets=total, seed=3, minimal=True) as fd:
        connector = FreshdeskConnector({**fd.config, "detail_workers": 4})
        seen: set[str] = set()
        count = deleted = 0
        for page in connector.tickets():
            for t in page.tickets:
                count += 1
                seen.add(t.source_id)
                deleted += t.deleted
        connector.close()
        assert count == total and len(seen) == total  # every ticket, none twice
        assert seen == {str(i) for i in range(1, total + 1)}
        truth = SampleDataset(tickets=total, seed=3)
        assert deleted == sum(1 for i in range(1, total + 1) if truth.deleted_revision(i) is not None)
        assert _list_calls(fd) > 300  # the stand-in refuses page 301: the list was re-windowed
        live = {i for i in range(1, total + 1) if truth.deleted_revision(i) is None}
        assert set(fd.app.served) == live  # details of every live ticket, none of the deleted ones
        assert len(fd.app.served) - len(live) <= 5  # at most a few replays of a request cut off by the network


def test_page_cap_is_worked_around_by_rewindowing():
    """The same mechanism, cheap: a cap of 3 pages of 10 would stop offset paging at 30 tickets."""
    with FreshdeskStandin(tickets=150, seed=5, page_cap=3) as fd:
        tickets, pages = _all(FreshdeskConnector({**fd.config, "page_size": 10}))
        ids = [t.source_id for t in tickets]
        assert sorted(ids, key=int) == [str(i) for i in range(1, 151)]
        assert [t.updated_at for t in tickets] == sorted(t.updated_at for t in tickets)
        assert all(p.cursor is not None for p in pages[:-1]) and pages[-1].cursor is None


@pytest.mark.parametrize("since_exclusive", [False, True], ids=["since>=", "since>"])
def test_tickets_sharing_one_timestamp_beyond_a_page_are_all_read_once(since_exclusive):
    """48 tickets per day share an update time (day-grained clock); pages hold 20. Whether Freshdesk reads
    `updated_since` as >= or >, none is skipped at a window boundary."""
    with FreshdeskStandin(tickets=200, seed=5, time_quantum_s=86_400, since_exclusive=since_exclusive) as fd:
        tickets, _ = _all(FreshdeskConnector({**fd.config, "page_size": 20}))
        ids = [t.source_id for t in tickets]
        assert len(ids) == len(set(ids)) == 200


def test_more_tickets_at_one_instant_than_freshdesk_can_page_is_an_error_not_a_short_account():
    with FreshdeskStandin(tickets=80, seed=5, page_cap=3, time_quantum_s=10**9) as fd:
        connector = FreshdeskConnector({**fd.config, "page_size": 10})
        with pytest.raises(VendorError, match="share the update time"):
            _all(connector)


def test_resume_from_a_cursor_taken_inside_a_timestamp_tie():
    with FreshdeskStandin(tickets=120, seed=5, time_quantum_s=86_400) as fd:
        first = FreshdeskConnector({**fd.config, "page_size": 7})
        stream = first.tickets()
        done = [next(stream) for _ in range(4)]
        stream.close()
        taken = {t.source_id for p in done for t in p.tickets}
        rest, _ = _all(FreshdeskConnector({**fd.config, "page_size": 7}), cursor=done[-1].cursor)
        rest_ids = [t.source_id for t in rest]
        assert not taken & set(rest_ids) and len(rest_ids) == len(set(rest_ids))
        assert taken | set(rest_ids) == {str(i) for i in range(1, 121)}


def test_expired_attachment_link_is_renewed_from_the_ticket():
    with FreshdeskStandin(tickets=120, seed=7) as fd:
        connector = FreshdeskConnector(fd.config)
        tickets, _ = _all(connector, ids=["71"])
        attachment = next(a for m in tickets[0].messages for a in m.attachments if a.filename.startswith("naïve"))
        fd.app.expire_attachment_links()  # every link handed out so far is now refused (403)
        data = b"".join(connector.download(attachment))
        truth = b"".join(SampleDataset(tickets=120, seed=7).attachment_bytes(attachment.source_id, len(data)))
        assert len(data) == attachment.size and hashlib.sha256(data).digest() == hashlib.sha256(truth).digest()
        assert fd.app.calls["expired_link"] == 1


def test_inline_images_come_from_the_body():
    dataset = SampleDataset(tickets=120, seed=7)
    ticket_id, message = next((i, m) for i in range(1, 121) for m in dataset.ticket(i).messages[1:]
                              if m.body_format == "html" and any(a.inline for a in m.attachments))
    with FreshdeskStandin(tickets=120, seed=7) as fd:
        connector = FreshdeskConnector(fd.config)
        tickets, _ = _all(connector, ids=[str(ticket_id)])
        got = next(m for m in tickets[0].messages if m.source_id == message.source_id)
        inline = [a for a in got.attachments if a.inline]
        want = next(a for a in message.attachments if a.inline)
        assert [a.filename for a in inline] == [want.filename] and inline[0].kind == "inline_image"
        assert "/inline/attachment?token=" in got.body
        data = b"".join(connector.download(inline[0]))
        assert data == b"".join(dataset.attachment_bytes(want.source_id, want.size or 0))


def test_spam_tickets_are_reported_like_deleted_ones_and_not_counted():
    with FreshdeskStandin(tickets=60, seed=7, spam_ids={3, 4}) as fd:
        connector = FreshdeskConnector(fd.config)
        tickets, pages = _all(connector)
        spam = {t.source_id: t for t in tickets if t.status == "Spam"}
        assert set(spam) == {"3", "4"} and all(t.deleted and not t.messages for t in spam.values())
        assert {"3", "4"} <= {i for p in pages for i in p.deleted_ticket_ids}
        assert connector.counts()["tickets"] == sum(1 for t in tickets if not t.deleted)


def test_conversations_keep_direction_and_privacy():
    dataset = SampleDataset(tickets=60, seed=7)
    with FreshdeskStandin(tickets=60, seed=7) as fd:
        tickets, _ = _all(FreshdeskConnector(fd.config), ids=["50"])
    got, want = tickets[0], dataset.ticket(50)
    assert got.messages[0].source_id == "50-description" and got.messages[0].inbound
    for g, w in zip(got.messages[1:], want.messages[1:], strict=True):
        assert (g.source_id, g.kind, g.inbound) == (w.source_id, w.kind, w.inbound)
        assert g.author_agent_id == w.author_agent_id and g.author_contact_id == w.author_contact_id
        assert g.created_at == w.created_at.replace(microsecond=0)
    assert got.custom_fields == want.custom_fields and got.mailbox_id == want.mailbox_id


def test_plan_rate_limit_is_respected_and_the_run_completes():
    with FreshdeskStandin(tickets=30, seed=7, rpm=20, window_s=1.0) as fd:
        # One detail fetch at a time: with several, a request already on the wire when the 429 arrives
        # would reach the vendor inside its wait (the gate makes that rare, not impossible under load).
        connector = FreshdeskConnector({**fd.config, "page_size": 10, "detail_workers": 1})
        tickets, _ = _all(connector)
        assert len(tickets) == 30
        assert fd.app.calls["429"] >= 1 and fd.app.calls["early_retries"] == 0
        assert connector.gate.limits.get("x-ratelimit-total") == "20"


def test_wrong_key_and_malformed_url_read_plainly():
    with FreshdeskStandin(tickets=5) as fd:
        with pytest.raises(BadCredentials):
            FreshdeskConnector({**fd.config, "api_key": "nope"}).check()
    with pytest.raises(InvalidConfig):
        FreshdeskConnector({"url": "", "api_key": "k"})
    assert normalise_url("acme") == "https://acme.freshdesk.com"
    assert normalise_url("https://acme.freshdesk.com/a/tickets/5") == "https://acme.freshdesk.com"


def test_counts_fall_back_to_the_list_where_search_refuses():
    with FreshdeskStandin(tickets=60, seed=7) as fd:
        connector = FreshdeskConnector(fd.config)
        streamed = [t for p in connector.tickets(filter={"tags": ["refund"]}) for t in p.tickets]
        assert streamed and all("refund" in t.tags for t in streamed)
        # A tag filter is not something the search query above can express: the list is counted.
        assert connector.counts(filter={"tags": ["refund"]})["tickets"] == sum(1 for t in streamed if not t.deleted)
        assert fd.app.calls["GET /api/v2/search/tickets"] == 0


def test_an_account_without_products_offers_its_groups_as_mailboxes():
    with FreshdeskStandin(tickets=60, seed=7, products=False) as fd:
        connector = FreshdeskConnector(fd.config)
        boxes = dict(connector.mailboxes())
        assert boxes == {"group:11": "Tier 1", "group:12": "Tier 2", "group:13": "Refunds"}
        tickets = [t for p in connector.tickets(filter={"mailbox_id": "group:12"}) for t in p.tickets]
        assert tickets and {t.mailbox_id for t in tickets} == {"group:12"}
        assert connector.counts(filter={"mailbox_id": "group:12"})["tickets"] == sum(1 for t in tickets if not t.deleted)
