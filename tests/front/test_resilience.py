"""Retries, redirects, rate limits and faults: the client against a misbehaving Front stand-in."""

from __future__ import annotations

import socket

import httpx
import pytest

from connectors.front import (
    DuplicateExternalId,
    FrontClient,
    InvalidConfig,
    InvalidRequest,
    Unreachable,
    VendorError,
)
from connectors.http import RetryPolicy, guard_url
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.front.test_client import message, resolve


def test_budget_429_then_success(front_client, front_standin):
    front_client.me()
    front_standin.set_faults(script=["429"])
    assert front_client.me()["id"] == "cmp_fp1"
    stats = front_client.stats
    assert stats["budget_429"] == 1 and stats["burst_429"] == 0 and stats["retries"] == 1


def test_burst_429_is_told_from_a_budget_429(front_client, front_standin):
    front_client.me()
    front_standin.set_faults(script=["429burst"])
    assert front_client.get_conversation_or_none("cnv_nope") is None
    stats = front_client.stats
    assert stats["burst_429"] == 1 and stats["budget_429"] == 0


def test_5xx_and_dropped_connections_are_retried(front_client, front_standin):
    inbox = front_standin.inbox_id()
    front_standin.set_faults(script=["503", "drop", "500"])
    uid = front_client.import_message(inbox, message("r-1"))
    assert resolve(front_client, uid)
    stats = front_client.stats
    assert stats["retries"] == 3 and stats["network_errors"] == 1 and stats["status_503"] == 1
    assert front_standin.state()["counters"]["connections_dropped"] == 1


def test_endless_failures_end_in_readable_errors(front_standin):
    client = FrontClient(token=FRONT_TEST_TOKEN, api_url=front_standin.url, budget_key="endless",
                         retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02))
    front_standin.set_faults(error_rate=1.0)
    with pytest.raises(VendorError, match="Front is having trouble"):
        client.me()
    front_standin.set_faults(clear=True, drop_rate=1.0)
    with pytest.raises(Unreachable, match="Could not reach Front"):
        client.me()


def test_a_closed_port_is_unreachable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = FrontClient(token="t", api_url=f"http://127.0.0.1:{port}", budget_key="closed",
                         retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02))
    with pytest.raises(Unreachable):
        client.me()


def test_a_429_storm_is_waited_out(front_client, front_standin):
    front_client.me()
    front_standin.set_faults(storm_seconds=1.5)
    assert front_client.me()["name"]
    assert front_client.stats["budget_429"] == 1  # retry-after named the storm's end: one wasted call
    assert front_standin.state()["counters"]["rate_limited_budget"] == front_client.stats["budget_429"]


def test_merged_conversation_is_followed_with_the_same_method(front_client, front_standin):
    inbox = front_standin.inbox_id()
    _, old = resolve(front_client, front_client.import_message(inbox, message("mg-1", thread_ref="A")))
    _, new = resolve(front_client, front_client.import_message(inbox, message("mg-2", thread_ref="B")))
    front_standin.merge(old, new)
    front_client.add_comment(old, body="Lands in the merged conversation")
    front_client.update_conversation(old, status="open")
    assert front_client.get_conversation(old)["id"] == new
    assert front_client.stats["redirects"] == 3
    merged = next(c for c in front_standin.state()["conversations"] if c["id"] == new)
    assert [c["body"] for c in merged["comments"]] == ["Lands in the merged conversation"]
    assert [m["external_id"] for m in merged["messages"]] == ["mg-2", "mg-1"]
    assert merged["status"] == "open"


def test_malformed_requests_are_rejected_by_the_spec_check(front_client, front_standin):
    response = httpx.post(f"{front_standin.url}/inboxes/{front_standin.inbox_id()}/imported_messages",
                          headers={"Authorization": f"Bearer {FRONT_TEST_TOKEN}"},
                          json={"sender": {"handle": "a@b.c"}, "to": [], "body": "x", "external_id": "e",
                                "created_at": "yesterday", "metadata": {"is_inbound": "yes"}})
    assert response.status_code == 400
    error = response.json()["_error"]
    assert "created_at" in error["message"] and "is_inbound" in error["message"]
    with pytest.raises(InvalidRequest, match="status"):
        front_client.update_conversation("cnv_1", status="solved")
    state = front_standin.state()
    assert state["counters"]["spec_violations"] == 2
    assert state["violations"][-1]["request"] == "PATCH /conversations/cnv_1"


def test_ssrf_guard(settings):
    settings.ALLOW_PRIVATE_URLS = False
    for url in ("http://api2.frontapp.com", "https://127.0.0.1:8000", "https://10.0.0.1", "file:///etc/passwd",
                "https://user:pw@example.com"):
        with pytest.raises(InvalidConfig):
            guard_url(url)
    settings.ALLOW_PRIVATE_URLS = True
    assert guard_url("http://127.0.0.1:9") == "http://127.0.0.1:9"


def test_an_import_whose_answer_was_lost_is_reported_as_already_there(front_client, front_standin):
    front_standin.set_faults(script=["drop_after"])
    with pytest.raises(DuplicateExternalId) as caught:
        front_client.import_message(front_standin.inbox_id(), message("lost-1"))
    assert caught.value.after_retry and caught.value.external_id == "lost-1"
    front_standin.process_now()
    assert [m["external_id"] for c in front_standin.state()["conversations"] for m in c["messages"]] == ["lost-1"]


def test_uid_resolution_waits_with_an_import_time_from_elsewhere(front_client, front_standin):
    front_standin.process_delay_s = 0.3
    uid = front_client.import_message(front_standin.inbox_id(), message("el-1"))
    other = FrontClient(token=FRONT_TEST_TOKEN, api_url=front_standin.url, budget_key="other-proc",
                        uid_initial_delay=0.5)
    imported_at = front_client.uids.imported_at(uid)
    assert other.uid_ready_in(uid, imported_at=imported_at + 10) > 0
    assert other.uid_ready_in(uid) == 0  # without the import time it cannot know
    # Waiting from the real import time (0.5 s estimate > 0.3 s processing) finds it at the first poll.
    assert other.resolve_uid(uid, imported_at=imported_at)
    assert other.stats.get("empty_uid_polls", 0) == 0
