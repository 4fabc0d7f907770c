"""Zendesk connector against its stand-in: errors users see, rate limits, resume, fidelity."""

from __future__ import annotations

import hashlib

import pytest

from connectors.base import BadCredentials, InvalidConfig, MissingPermission, NotFound
from connectors.registry import get_connector
from connectors.sample import SampleDataset
from connectors.zendesk.client import normalize_url
from sandbox.zendesk import ZendeskStandin

FAST = {"export_per_minute": 10_000}


@pytest.fixture(scope="module")
def standin():
    with ZendeskStandin(tickets=120, seed=5) as zd:
        yield zd


def _error(config):
    connector = get_connector("zendesk", config)
    try:
        connector.check()
    except Exception as exc:  # noqa: BLE001 - the test inspects whatever was raised
        return exc
    raise AssertionError("check() passed")


def test_check_accepts_admin_token_and_oauth(standin):
    result = get_connector("zendesk", standin.admin_config()).check()
    assert result.user_email == "agent1@example.com" and result.details["role"] == "admin"
    assert get_connector("zendesk", standin.oauth_config()).check().user_email == "agent1@example.com"


def test_each_failure_has_its_own_plain_sentence(standin, settings):
    bad = _error({**standin.admin_config(), "token": "wrong"})
    agent = _error(standin.agent_config())
    wrong_subdomain = _error({**standin.admin_config(), "url": f"http://localhost:{standin.port}"})
    assert isinstance(bad, BadCredentials) and "credentials" in str(bad)
    assert isinstance(agent, MissingPermission) and "admin" in str(agent)
    assert isinstance(wrong_subdomain, NotFound) and "subdomain" in str(wrong_subdomain)

    settings.ALLOW_PRIVATE_URLS = False
    with pytest.raises(InvalidConfig) as http_url:
        get_connector("zendesk", {**standin.admin_config(), "url": "http://acme.zendesk.com"})
    with pytest.raises(InvalidConfig) as private:
        get_connector("zendesk", {**standin.admin_config(), "url": "https://10.1.2.3"})
    with pytest.raises(InvalidConfig) as loopback:
        get_connector("zendesk", standin.admin_config())
    with pytest.raises(InvalidConfig) as other_host:
        get_connector("zendesk", {**standin.admin_config(), "url": "https://support.example.com"})
    assert "https://" in str(http_url.value) and "private" in str(private.value)
    assert "private" in str(loopback.value) and "zendesk.com" in str(other_host.value)

    messages = [str(e) for e in (bad, agent, wrong_subdomain, http_url.value, private.value, other_host.value)]
    assert len(set(messages)) == len(messages)
    for text in messages:
        assert "wrong" not in text and "Traceback" not in text and len(text) < 250


def test_url_rules():
    assert normalize_url("acme", allow_private=False) == "https://acme.zendesk.com"
    assert normalize_url("https://Acme.zendesk.com/agent/tickets/1", allow_private=False) == "https://acme.zendesk.com"
    assert normalize_url("http://127.0.0.1:8123/", allow_private=True) == "http://127.0.0.1:8123"
    for url in ("https://acme.zendesk.com:8443", "https://localhost", "https://[::1]", "ftp://acme.zendesk.com"):
        with pytest.raises(InvalidConfig):
            normalize_url(url, allow_private=False)


def test_missing_credentials_are_refused_before_any_call():
    with pytest.raises(InvalidConfig, match="API token"):
        get_connector("zendesk", {"url": "https://acme.zendesk.com", "email": "a@b.c"})


def test_export_limit_of_ten_per_minute_is_honoured():
    """The stand-in allows 3 exports per 2 s window; the connector's 429 handling and its pacer cope."""
    with ZendeskStandin(tickets=60, seed=2, export_rpm=3, window_s=2) as zd:
        unpaced = get_connector("zendesk", zd.admin_config(page_size=10, **FAST))
        assert sum(len(p.tickets) for p in unpaced.tickets()) == 60
        assert zd.counters.get("429", 0) >= 1 and zd.early_retries == 0

        zd.reset_log()
        zd.set_limits(export_rpm=3, window_s=2)
        paced = get_connector("zendesk", zd.admin_config(page_size=10, export_per_minute=3, export_window_s=2.2))
        assert sum(len(p.tickets) for p in paced.tickets()) == 60
        assert zd.counters.get("429", 0) == 0  # paced: not a single refusal


def test_interrupted_stream_resumes_without_rereading_finished_pages(standin):
    connector = get_connector("zendesk", standin.admin_config(page_size=25, **FAST))
    stream = connector.tickets()
    finished = [next(stream), next(stream)]
    stream.close()  # the worker dies here; the engine had saved finished[-1].cursor
    standin.reset_log()

    resumed = get_connector("zendesk", standin.admin_config(page_size=25, **FAST))
    rest = [t.source_id for p in resumed.tickets(cursor=finished[-1].cursor) for t in p.tickets]
    exports = [q for _m, path, q in standin.requests() if path == "/api/v2/incremental/tickets/cursor"]
    assert exports and all("start_time" not in q for q in exports)  # straight from the saved cursor
    assert len(exports) == 3  # 120 tickets, 25 a page: pages 3, 4 and 5 only
    done = {t.source_id for p in finished for t in p.tickets}
    assert not done & set(rest) and len(done) + len(rest) == 120
    comments = {path.split("/")[4] for _m, path, _q in standin.requests() if path.endswith("/comments")}
    assert not comments & done


def test_records_match_the_source_data(standin):
    truth = SampleDataset(tickets=120, seed=5)
    connector = get_connector("zendesk", standin.admin_config(**FAST))
    inline = []
    for page in connector.tickets():
        for got in page.tickets:
            want = truth.ticket(int(got.source_id))
            assert (got.subject, got.status, got.deleted) == (want.subject, want.status, want.deleted)
            assert got.created_at == want.created_at and got.updated_at == want.updated_at
            assert got.tags == want.tags and got.custom_fields == want.custom_fields
            assert got.mailbox_id == want.mailbox_id and got.assignee_agent_id == want.assignee_agent_id
            assert [c.source_id for c in got.cc_contacts] == [c.source_id for c in want.cc_contacts]
            assert len(got.messages) == len(want.messages)
            for g, w in zip(got.messages, want.messages, strict=True):
                assert (g.source_id, g.created_at, g.inbound) == (w.source_id, w.created_at, w.inbound)
                assert g.author_agent_id == w.author_agent_id and g.author_contact_id == w.author_contact_id
                assert [(a.filename, a.size, a.inline) for a in g.attachments] == \
                    [(a.filename, a.size, a.inline) for a in w.attachments]
                assert g.cc == w.cc
                if w.body_format == "html" and w.body and not any(a.inline for a in w.attachments):
                    assert w.body in g.body
            inline += [(a, g.body) for g in got.messages for a in g.attachments if a.inline]
    assert inline, "inline images are listed (include_inline_images=true)"
    assert any(a.url and a.url in body for a, body in inline)  # HTML bodies point at the listed image


def test_agents_counts_and_mailboxes(standin):
    connector = get_connector("zendesk", standin.admin_config(**FAST))
    agents = {a.email: a for a in connector.agents()}
    assert agents["agent1@example.com"].active
    assert [a.deleted for a in agents.values()].count(True) == 1
    assert [a.active for a in agents.values() if not a.deleted].count(False) == 1  # suspended
    assert dict(connector.mailboxes()) == {"1": "Acme Support", "2": "Acme Billing"}
    truth = SampleDataset(tickets=120, seed=5)
    assert connector.counts()["tickets"] == sum(1 for i in range(1, 121) if truth.deleted_revision(i) is None)
    tagged = connector.counts(filter={"tags": ["refund"]})["tickets"]
    streamed = sum(1 for p in connector.tickets(filter={"tags": ["refund"]}) for t in p.tickets if not t.deleted)
    assert tagged == streamed > 0


def test_delta_after_the_source_changed(standin):
    connector = get_connector("zendesk", standin.admin_config(**FAST))
    before = {t.source_id: t for p in connector.tickets() for t in p.tickets}
    try:
        standin.set_dataset(revision=1)
        since = SampleDataset(tickets=120, seed=5, revision=1).revision_time(1)
        delta = {t.source_id: t for p in connector.tickets(since=since) for t in p.tickets}
    finally:
        standin.set_dataset(revision=0)
    assert delta and all(t.updated_at >= since for t in delta.values())
    grown = [i for i, t in delta.items() if i in before and not t.deleted]
    assert grown and all(len(delta[i].messages) > len(before[i].messages) for i in grown)
    assert any(t.deleted for t in delta.values()) and any(i not in before for i in delta)


def test_big_attachment_streams_exactly(standin):
    connector = get_connector("zendesk", standin.admin_config(**FAST))
    standin.reset_log()
    ticket = next(t for p in connector.tickets(ids=["67"]) for t in p.tickets)
    big = next(a for m in ticket.messages for a in m.attachments if a.filename == "huge-video.mp4")
    digest, size, largest = hashlib.sha256(), 0, 0
    for chunk in connector.download(big):
        digest.update(chunk)
        size += len(chunk)
        largest = max(largest, len(chunk))
    truth = hashlib.sha256()
    for chunk in SampleDataset(tickets=120, seed=5).attachment_bytes(big.source_id, big.size):
        truth.update(chunk)
    assert size == big.size > 25 * 1024 * 1024 and digest.hexdigest() == truth.hexdigest()
    assert largest <= 1024 * 1024  # streamed, never held whole
    assert standin.counters.get("attachment_with_credentials", 0) == 0  # credentials never sent there


def test_account_budget_is_learned_and_kept():
    """X-Rate-Limit announces 80 per (shortened) minute of 2 s: four threads stay under it."""
    with ZendeskStandin(tickets=60, seed=2, rpm=80, window_s=2) as zd:
        connector = get_connector("zendesk", zd.admin_config(workers=4, export_window_s=2, **FAST))
        assert sum(len(p.tickets) for p in connector.tickets()) == 60
        assert zd.counters.get("429", 0) == 0 and zd.early_retries == 0
        assert connector.client.http.stats["paced_seconds"] > 0
