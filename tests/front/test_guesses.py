"""Both readings of every Front guess (docs/vendor-guesses.md, Front section), through the Front client.

Each test runs against the stand-in as we read Front's documentation and in strict mode (the other
reading); what the client returns must be right either way.
"""

from __future__ import annotations

import uuid

import pytest

from connectors.front import DuplicateExternalId, FrontClient
from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.front.test_client import message, resolve


@pytest.fixture
def front(standin_strict):
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=100_000, burst_per_second=100_000, process_delay_s=0.05,
                      strict=standin_strict) as standin:
        yield standin


@pytest.fixture
def client(front):
    client = FrontClient(token=FRONT_TEST_TOKEN, api_url=front.url, budget_key=f"g-{uuid.uuid4().hex}",
                         uid_initial_delay=0.05)
    yield client
    client.close()


def test_a_second_import_of_an_external_id_is_a_duplicate_whatever_the_words(client, front):
    """Ours: 409 naming the external_id. Strict: a bare 409 "Conflict"."""
    client.import_message(front.inbox_id(), message("dup-1"))
    with pytest.raises(DuplicateExternalId):
        client.import_message(front.inbox_id(), message("dup-1"))
    assert front.state()["counters"]["duplicate_imports_refused"] == 1


def test_a_handle_owned_by_another_contact_is_found_not_refused(client, front):
    """Ours: 409 when a handle is taken. Strict: 400. Either way the owner is found and used."""
    owner = client.ensure_contact(name="Owner", emails=["owner@example.org"])
    client._contacts.clear()  # another run: nothing cached
    # The first handle is new, the second belongs to `owner`: the create is refused, the owner found.
    assert client.ensure_contact(name="Mixed", emails=["fresh@example.org", "owner@example.org"]) == owner
    other = client.ensure_contact(name="Other", emails=["other@example.org"])
    client.add_contact_handle(other, source="email", handle="owner@example.org")  # taken: no error
    contacts = {c["id"]: c for c in front.state()["contacts"]}
    assert len(contacts) == 2
    assert [h["handle"] for h in contacts[owner]["handles"]] == ["owner@example.org", "fresh@example.org"]
    assert front.state()["counters"]["spec_violations"] == 0


def test_listings_are_read_whole_whatever_the_paging_tokens(client, front):
    """Ours: readable tokens, `next: null` at the end. Strict: opaque tokens, the next link without
    `limit`, no `next` key on the last page."""
    for n in range(205):
        front.company.create_tag(f"bulk-{n}")
    assert len(client.tags()) == 205 + 2
    assert client.stats["route:GET /tags"] == 3
    inbox = front.inbox_id()
    for n in range(3):
        client.import_message(inbox, message(f"p-{n}", thread_ref=f"t-{n}"))
    front.process_now()
    assert len(list(client.iter_inbox_conversations(inbox))) == 3


def test_comments_are_listed_newest_first_and_found_by_marker(client, front):
    """Documented order (newest first) in both; the engine looks for its marker in all of them."""
    _, conv = resolve(client, client.import_message(front.inbox_id(), message("c-1")))
    agent = front.teammate_id("agent2@example.com")
    for n in range(3):
        client.add_comment(conv, body=f"note {n} [frontport-ref:{n:016d}]", author_id=agent)
    assert [c["body"][:6] for c in client.iter_comments(conv)] == ["note 2", "note 1", "note 0"]
    assert not any(c["as_api_user"] for c in front.state()["conversations"][0]["comments"])


def test_what_an_import_into_an_existing_conversation_changes(client, front, standin_strict):
    """The guess itself: ours, every import sets assignee and archived state and creates unknown tags;
    strict, only the creating import sets them and unknown tag names are ignored. The engine copes by
    creating tags first and updating changed state with a PATCH (tests/engine/test_vendor_guesses.py)."""
    inbox = front.inbox_id()
    alice, bob = front.teammate_id("agent1@example.com"), front.teammate_id("agent2@example.com")
    _, conv = resolve(client, client.import_message(inbox, message("e-1", assignee_id=alice, tags=["VIP"])))
    client.import_message(inbox, message("e-2", conversation_id=conv, assignee_id=bob, is_archived=False,
                                         tags=["never-created"]))
    front.process_now()
    state = front.state()["conversations"][0]
    if standin_strict:
        assert state["assignee"] == "agent1@example.com" and state["status"] == "archived"
        assert state["tags"] == ["VIP"]
    else:
        assert state["assignee"] == "agent2@example.com" and state["status"] == "open"
        assert state["tags"] == ["VIP", "never-created"]


def test_command_line_strict_switch():
    """`python -m sandbox.front --strict` serves the other reading (here: a taken tag name answers 400)."""
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.front", "--port", str(port), "--token", "cli-token",
                             "--strict"], cwd=root, env={**os.environ}, stdout=subprocess.PIPE, text=True)
    try:
        assert "listening on" in proc.stdout.readline()
        headers = {"Authorization": "Bearer cli-token"}
        for _ in range(50):
            try:
                taken = httpx.post(f"http://127.0.0.1:{port}/company/tags", json={"name": "vip"}, headers=headers)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert taken.status_code == 400 and taken.json()["_error"]["status"] == 400
    finally:
        proc.terminate()
        proc.wait(timeout=10)
