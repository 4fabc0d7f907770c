"""Help Scout specifics beyond the shared contract: tokens that expire mid-run, renewal before expiry,
merged (301) and deleted (404) conversations, line items and drafts skipped with a reason, mailboxes.
Every test talks HTTP to the Help Scout stand-in."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from connectors.base import NotFound
from connectors.helpscout import HelpScoutConnector
from connectors.helpscout.auth import RENEW_MARGIN_S, HelpScoutAuth, TokenSource
from connectors.sample.generator import SampleDataset
from sandbox.helpscout import HelpScoutStandin
from sandbox.helpscout.render import has_draft, has_workflow


def test_expired_token_mid_run_is_renewed_transparently():
    with HelpScoutStandin(tickets=120, seed=3) as hs:
        connector = HelpScoutConnector(hs.config)
        stream = connector.tickets()
        first = next(stream)
        hs.app.expire_tokens()  # the token the run holds dies between two pages
        rest = [t for page in stream for t in page.tickets]
        ids = [t.source_id for t in first.tickets + rest]
        assert sorted(ids, key=int) == [str(i) for i in range(1, 121)] and len(ids) == len(set(ids))
        assert hs.app.calls["401"] == 1  # one refused request, replayed with a new token
        assert hs.app.calls["tokens_issued"] == 2 and connector.auth.renewals_after_401 == 1
        # Attachment downloads go through the same renewal.
        hs.app.expire_tokens()
        attachment = next(a for t in rest for m in t.messages for a in m.attachments if (a.size or 0) < 10**6)
        assert sum(len(c) for c in connector.download(attachment)) == attachment.size
        assert hs.app.calls["tokens_issued"] == 3


def test_token_is_renewed_before_it_expires():
    with HelpScoutStandin(tickets=5, seed=3, token_ttl_s=3600) as hs:
        now = [1000.0]
        tokens = TokenSource(f"{hs.url}/v2/oauth2/token", hs.app.app_id, hs.app.app_secret, clock=lambda: now[0])
        auth = HelpScoutAuth(tokens, api_host=urlsplit(hs.url).netloc)
        with httpx.Client(auth=auth) as client:
            client.get(f"{hs.url}/v2/users/me")
            first = tokens.token
            now[0] += 3600 - RENEW_MARGIN_S - 1
            client.get(f"{hs.url}/v2/users/me")
            assert tokens.token == first  # still comfortably valid
            now[0] += 2
            client.get(f"{hs.url}/v2/users/me")
        assert tokens.token != first and tokens.issued == 2  # renewed ahead of expiry, no 401 needed
        assert hs.app.calls["401"] == 0


def test_merged_conversation_follows_the_301_and_deleted_one_is_reported():
    with HelpScoutStandin(tickets=120, seed=3) as hs:
        hs.app.merge(5, 7)
        connector = HelpScoutConnector(hs.config)
        pages = list(connector.tickets(ids=["5", "97", "12"]))
        tickets = [t for p in pages for t in p.tickets]
        assert [(t.source_id, t.merged_ids) for t in tickets] == [("7", ["5"]), ("12", [])]
        assert "97" in {i for p in pages for i in p.deleted_ticket_ids}  # deleted in the dataset: 404
        listed = {t.source_id for p in connector.tickets() for t in p.tickets}
        assert "5" not in listed and "7" in listed  # a merged-away conversation is gone from the list


def test_line_items_and_drafts_are_skipped_with_a_reason():
    ticket_id = next(i for i in range(1, 200) if has_workflow(i) and has_draft(i))  # 65
    dataset = SampleDataset(tickets=120, seed=3)
    with HelpScoutStandin(tickets=120, seed=3) as hs:
        pages = list(HelpScoutConnector(hs.config).tickets(ids=[str(ticket_id)]))
    ticket = pages[0].tickets[0]
    truth = dataset.ticket(ticket_id)
    assert [m.source_id for m in ticket.messages] == [m.source_id for m in truth.messages]
    reasons = {s.source_id: s.reason for s in ticket.skipped}
    assert "workflow" in reasons[f"{ticket_id}991"].lower()
    assert "draft" in reasons[f"{ticket_id}992"].lower()
    if truth.status in ("solved", "closed"):
        assert "status" in reasons[f"{ticket_id}990"]
    assert all(s.kind == "message" for s in ticket.skipped)


def test_threads_map_to_canonical_messages():
    dataset = SampleDataset(tickets=60, seed=7)
    with HelpScoutStandin(tickets=60, seed=7) as hs:
        pages = list(HelpScoutConnector(hs.config).tickets(ids=["50"]))
    got, want = pages[0].tickets[0], dataset.ticket(50)
    for g, w in zip(got.messages, want.messages, strict=True):
        assert g.source_id == w.source_id and g.inbound == w.inbound
        assert g.kind == ("reply" if w.kind == "public_note" else w.kind)  # Help Scout has no public notes
        assert g.author_agent_id == w.author_agent_id and g.author_contact_id == w.author_contact_id
        assert g.created_at == w.created_at.replace(microsecond=0) and g.cc == w.cc
    assert got.requester and got.requester.source_id == want.requester.source_id
    assert got.mailbox_id == want.mailbox_id and sorted(got.tags) == sorted(want.tags)
    assert got.url and got.url.startswith("https://secure.helpscout.net/conversation/50/")


def test_configured_mailbox_limits_the_stream_and_an_unknown_one_is_refused():
    with HelpScoutStandin(tickets=60, seed=7) as hs:
        connector = HelpScoutConnector({**hs.config, "mailbox_id": "2"})
        assert connector.check().account_name == "Acme Billing"
        tickets = [t for p in connector.tickets() for t in p.tickets]
        assert tickets and {t.mailbox_id for t in tickets} == {"2"}
        with pytest.raises(NotFound):
            HelpScoutConnector({**hs.config, "mailbox_id": "99"}).check()


def test_rate_limit_retry_after_header_is_honoured():
    with HelpScoutStandin(tickets=60, seed=7, rpm=2, window_s=1.0) as hs:
        connector = HelpScoutConnector(hs.config)
        tickets = [t for p in connector.tickets() for t in p.tickets]
        assert len(tickets) == 60
        assert hs.app.calls["429"] >= 1 and hs.app.calls["early_retries"] == 0
        assert connector.gate.refusals >= 1


def test_bearer_token_goes_to_the_api_host_only():
    """Unit level: the token must not follow a link (redirect, attachment) to another host."""
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/oauth2/token":
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 7200})
        seen[request.url.host] = request.headers.get("Authorization")
        return httpx.Response(200, json={})

    tokens = TokenSource("https://api.helpscout.net/v2/oauth2/token", "id", "secret")
    client = httpx.Client(transport=httpx.MockTransport(handler),
                          auth=HelpScoutAuth(tokens, api_host="api.helpscout.net"))
    client.get("https://api.helpscout.net/v2/users/me")
    client.get("https://files.example.com/attachment.png")
    assert seen == {"api.helpscout.net": "Bearer tok", "files.example.com": None}


def test_conversations_modified_during_the_read_do_not_push_others_out_of_the_stream():
    """Offset paging on a live mailbox: each already-read conversation that is modified moves to the end
    and shifts the rest back one place. Without care the next page skips that many conversations."""
    with HelpScoutStandin(tickets=120, seed=3) as hs:
        stream = HelpScoutConnector(hs.config).tickets()
        first = next(stream)
        for t in first.tickets[:5]:
            hs.app.touch(int(t.source_id))  # agents reply to five conversations we already read
        rest = [t for page in stream for t in page.tickets]
        ids = {t.source_id for t in first.tickets + rest}
        assert ids == {str(i) for i in range(1, 121)}  # nobody skipped
        again = [t.source_id for t in rest if t.source_id in {x.source_id for x in first.tickets[:5]}]
        assert sorted(again) == sorted(t.source_id for t in first.tickets[:5])  # read again, newer


def test_long_conversation_with_incomplete_embedded_threads_is_read_in_full():
    dataset = SampleDataset(tickets=60, seed=7)
    with HelpScoutStandin(tickets=60, seed=7, embed_thread_limit=20) as hs:
        tickets = [t for p in HelpScoutConnector(hs.config).tickets() for t in p.tickets]
        long = next(t for t in tickets if t.source_id == "50")
        assert [m.source_id for m in long.messages] == [m.source_id for m in dataset.ticket(50).messages]
        assert hs.app.calls["GET /v2/conversations/{id}/threads"] >= 2  # 60 threads, pages of 50
