"""Intercom specifics beyond the shared contract: errors in plain words (token, region, scope, address),
the version header, activity parts, the 500-part cut, pacing on the rate-limit headers, attachments with
expiring links, admins, merges, contacts and companies. Every test talks HTTP to the Intercom stand-in;
those that take `standin_strict` run in both readings of every guess (docs/vendor-guesses.md)."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pytest

from connectors.base import BadCredentials, InvalidConfig, MissingPermission, NotFound, Unreachable
from connectors.intercom import IntercomConnector
from connectors.sample.generator import SampleDataset
from sandbox.freshdesk import FreshdeskStandin
from sandbox.intercom import IntercomStandin
from sandbox.intercom.app import SCOPES
from sandbox.intercom.render import team_of
from tests.connectors.hsfd_harness import closed_port_url
from tests.connectors.intercom_harness import intercom_ticket


def _all(connector, **kwargs):
    return [t for page in connector.tickets(**kwargs) for t in page.tickets]


def test_every_call_carries_the_token_and_the_version(intercom_standin):
    connector = IntercomConnector(intercom_standin.config)
    connector.check()
    _all(connector, ids=["1", "2", "50"])
    calls = intercom_standin.app.calls
    assert calls["version 2.16"] >= 8 and calls["version missing"] == 0 and calls["401"] == 0


def test_check_errors_say_what_to_fix(intercom_standin, settings):
    config = intercom_standin.config
    with pytest.raises(BadCredentials, match="access token") as err:
        IntercomConnector({**config, "access_token": "nope-123"}).check()
    assert "nope-123" not in str(err.value)
    intercom_standin.app.add_token("no-conversations", SCOPES - {"read_conversations"})
    with pytest.raises(MissingPermission, match="Read conversations"):
        IntercomConnector({**config, "access_token": "no-conversations"}).check()
    intercom_standin.app.add_token("no-contacts", SCOPES - {"read_users_companies"})
    with pytest.raises(MissingPermission, match="Read and list users and companies"):
        IntercomConnector({**config, "access_token": "no-contacts"}).check()
    with FreshdeskStandin(tickets=2) as other:  # a server that is not Intercom
        with pytest.raises(NotFound, match="does not answer like Intercom"):
            IntercomConnector({**config, "api_url": other.url}).check()
    with pytest.raises(Unreachable):
        IntercomConnector({**config, "api_url": closed_port_url()}).check()
    with pytest.raises(InvalidConfig, match="region"):
        IntercomConnector({**config, "region": "mars", "api_url": ""})
    assert IntercomConnector({"access_token": "t", "region": "eu"}).url == "https://api.eu.intercom.io"
    settings.ALLOW_PRIVATE_URLS = False
    with pytest.raises(InvalidConfig):
        IntercomConnector(config)  # a loopback address only with ALLOW_PRIVATE_URLS


def test_wrong_region_is_named(standin_strict):
    with IntercomStandin(tickets=3, token="us-token", strict=standin_strict) as us, \
            IntercomStandin(tickets=3, token="eu-token", strict=standin_strict) as eu:
        eu.app.foreign_tokens.add("us-token")  # Intercom's EU hosts know nothing of a US workspace
        hosts = {"us": us.url, "eu": eu.url, "au": closed_port_url()}
        with pytest.raises(InvalidConfig, match="hosted in United States") as err:
            IntercomConnector({"access_token": "us-token", "region": "eu", "region_urls": hosts}).check()
        assert "choose United States" in str(err.value)
        assert IntercomConnector({"access_token": "eu-token", "region": "eu", "region_urls": hosts}).check()
        with pytest.raises(BadCredentials):  # a token no region knows is simply wrong
            IntercomConnector({"access_token": "typo", "region": "eu", "region_urls": hosts}).check()


def test_conversations_in_both_readings(standin_strict):
    """Every conversation's thread, people, state and attributes, whichever way Intercom sends them."""
    truth = SampleDataset(tickets=120, seed=5)
    with IntercomStandin(tickets=120, seed=5, strict=standin_strict) as ic:
        tickets = _all(IntercomConnector(ic.config))
        assert not ic.app.violations, ic.app.violations[:3]
    assert len(tickets) == 120
    for got in tickets:
        want = intercom_ticket(truth.ticket(int(got.source_id)))
        assert got.deleted == want.deleted
        if got.deleted:
            continue
        assert [m.source_id for m in got.messages] == [m.source_id for m in want.messages]
        assert [(m.kind, m.inbound, m.author_agent_id) for m in got.messages] == \
            [(m.kind, m.inbound, m.author_agent_id) for m in want.messages]
        assert [sorted(a.filename for a in m.attachments) for m in got.messages] == \
            [sorted(a.filename for a in m.attachments) for m in want.messages]
        assert got.custom_fields == want.custom_fields  # typed: booleans stay booleans
        assert (got.status, sorted(got.tags), got.assignee_agent_id) == (want.status, sorted(want.tags),
                                                                           want.assignee_agent_id)
        assert [c.source_id for c in [got.requester, *got.cc_contacts]] == \
            [c.source_id for c in [want.requester, *want.cc_contacts]]
        team = team_of(int(got.source_id))
        assert got.mailbox_id == (str(team) if team else None)
        assert all(s.reason for s in got.skipped)  # activity parts, each with its reason
        assert {s.source_id for s in got.skipped}.isdisjoint(m.source_id for m in got.messages)
    assert sum(len(t.skipped) for t in tickets) > 100


def test_conversation_cut_at_the_part_limit(standin_strict):
    """Intercom returns the most recent parts only: what is lost is counted (or said unknown) in the report."""
    truth = SampleDataset(tickets=60, seed=5)
    with IntercomStandin(tickets=60, seed=5, part_limit=20, strict=standin_strict) as ic:
        [ticket] = _all(IntercomConnector({**ic.config, "part_limit": 20}), ids=["50"])
        held = len(ic.app.render.parts(ic.app.render.ticket(50), ic.app.render.agents()))
    want = truth.ticket(50).messages
    assert ticket.messages[0].source_id == want[0].source_id  # the opening message is not a part
    assert ticket.messages[-1].source_id == want[-1].source_id and len(ticket.messages) < len(want)
    [cut] = [s for s in ticket.skipped if s.source_id == "50:older-parts"]
    if standin_strict:
        assert "may be missing" in cut.reason
    else:
        assert f"{held - 20} older part(s)" in cut.reason


def test_pacing_spends_each_window_without_a_429(standin_strict):
    window = 2 if standin_strict else 1  # shortened one-minute (strict) / ten-second windows
    with IntercomStandin(tickets=25, seed=5, rpm=600 // window, window_s=window, strict=standin_strict) as ic:
        connector = IntercomConnector({**ic.config, "page_size": 10})
        assert len(_all(connector)) == 25
        assert ic.app.calls["429"] == 0 and connector.client.pacer.waited > 0
        assert connector.client.pacer.limit == 10


def test_a_429_holds_every_call_until_the_reset(intercom_standin):
    intercom_standin.app.refuse_next(1, 2)
    # One thread: with several, calls already on the wire when the 429 is answered would arrive "early".
    connector = IntercomConnector({**intercom_standin.config, "page_size": 20, "workers": 1})
    started = time.monotonic()
    assert len(_all(connector, ids=[str(i) for i in range(1, 21)])) == 20
    assert time.monotonic() - started >= 1
    assert intercom_standin.app.calls["early_retries"] == 0 and connector.client.pacer.refusals == 1


def test_since_returns_what_changed_in_both_readings(standin_strict):
    truth = SampleDataset(tickets=150, seed=4, revision=2)
    # Round 2 changes ticket i at revision_time(2) + i seconds: a minute in cuts it in two, mid-day (strict:
    # the search itself only tells days apart).
    since = truth.revision_time(2) + timedelta(seconds=60)
    with IntercomStandin(tickets=150, seed=4, revision=2, strict=standin_strict) as ic:
        tickets = _all(IntercomConnector({**ic.config, "page_size": 15}), since=since)
    changed = {str(i) for i in range(1, truth.total_ticket_ids() + 1) if truth.updated_at(i) >= since}
    earlier = {str(i) for i in range(1, truth.total_ticket_ids() + 1) if truth.revision_time(2) <= truth.updated_at(i)
               < since}
    assert {t.source_id for t in tickets} == changed and changed and earlier
    assert [t.updated_at for t in tickets] == sorted(t.updated_at for t in tickets)
    assert {t.source_id for t in tickets if t.deleted} == {i for i in changed if truth.deleted_revision(int(i))}


def test_attachments_and_inline_images_stream_exactly(standin_strict):
    truth = SampleDataset(tickets=120, seed=5)
    with IntercomStandin(tickets=120, seed=5, strict=standin_strict,
                         attachment_ttl_s=0.5 if standin_strict else None) as ic:
        connector = IntercomConnector(ic.config)
        tickets = _all(connector, ids=[str(i) for i in range(1, 60)])
        files = [a for t in tickets for m in t.messages for a in m.attachments if (a.size or 0) < 10**6]
        inline = [a for a in files if a.inline]
        assert inline and len(files) > len(inline)
        ic.app.render.downloads.expire_links_handed_out()  # strict: every link handed out so far has expired
        for attachment in files[:6] + inline[:2]:
            data = b"".join(connector.download(attachment))
            want = b"".join(truth.attachment_bytes(attachment.source_id, len(data)))
            assert hashlib.sha256(data).digest() == hashlib.sha256(want).digest() and data
        assert (ic.app.calls["expired_downloads"] > 0) == standin_strict  # then renewed from the conversation
        with pytest.raises(NotFound):
            list(connector.download(type(files[0])(source_id="1", filename="gone.pdf", content_type="x", size=1,
                                                  url=f"{ic.url}/i/o/1/bad/gone.pdf?expires=1")))


def test_admins_deleted_away_and_without_a_seat(standin_strict):
    truth = SampleDataset(tickets=120, seed=5)
    deleted = next(a for a in truth.agents() if a.deleted)
    with IntercomStandin(tickets=120, seed=5, strict=standin_strict) as ic:
        connector = IntercomConnector(ic.config)
        agents = {a.source_id: a for a in connector.agents()}
        by_deleted = [m for t in _all(connector) for m in t.messages if m.author_agent_id == deleted.source_id]
    assert deleted.source_id not in agents  # Intercom lists current teammates only
    assert agents["2"].active  # away mode is a teammate's temporary state
    assert [a.source_id for a in agents.values() if not a.active] == [str(len(truth.agents()) - 1)]  # no seat
    assert by_deleted and all(not m.inbound for m in by_deleted)
    assert {m.author_name for m in by_deleted} == ({None} if standin_strict else {deleted.name})


def test_merged_conversation_keeps_both_threads(intercom_standin):
    intercom_standin.app.merge(5, 6)
    tickets = {t.source_id: t for t in _all(IntercomConnector(intercom_standin.config), ids=["5", "6"])}
    assert tickets["5"].status == "closed" and tickets["5"].messages
    assert any("merged into this one" in s.reason for s in tickets["6"].skipped)


def test_contacts_leads_companies_and_merged_contacts(intercom_standin):
    truth = SampleDataset(tickets=120, seed=1)
    connector = IntercomConnector(intercom_standin.config)
    tickets = _all(connector, ids=[str(i) for i in range(1, 40)])
    people = [c for t in tickets for c in [t.requester, *t.cc_contacts] if c]
    assert any(c.organizations for c in people) and all("6762f" not in o for c in people for o in c.organizations)
    lead = next(c for c in people if (int(c.source_id) - 1_000_000) % 4 == 0)  # leads are contacts too
    assert lead.name == truth.contact_by_id(lead.source_id).name
    first = tickets[0]
    intercom_standin.app.merged_contacts.add(first.requester.source_id)  # merged away: no longer searchable
    [again] = _all(IntercomConnector(intercom_standin.config), ids=[first.source_id])
    assert again.requester.source_id == first.requester.source_id
    assert again.requester.name == first.messages[0].author_name  # what its messages said


def test_filters_by_team_and_tag(intercom_standin):
    connector = IntercomConnector(intercom_standin.config)
    refund = _all(connector, filter={"tags": ["refund"]})
    assert refund and all("refund" in t.tags for t in refund)
    assert connector.count("tickets", filter={"tags": ["refund"]}) == len(refund)
    assert _all(connector, filter={"tags": ["no-such-tag"]}) == []
    [(team, _name), *_] = connector.mailboxes()
    both = _all(connector, filter={"mailbox_id": team, "tags": ["refund"]})
    assert both and all(t.mailbox_id == team and "refund" in t.tags for t in both)
