"""The stand-in's own answers agree with Front's OpenAPI document: a walk over every route it serves."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from connectors.front import FrontClient, Upload
from connectors.front.accounts import FrontAccounts
from connectors.front.knowledge import FrontKnowledge
from sandbox.front import FrontStandin, spec
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from sandbox.front.routes import ROUTES
from tests.front.test_client import message, resolve


def test_vendored_spec_is_fronts_official_document():
    assert hashlib.sha256(spec.spec_path().read_bytes()).hexdigest() == spec.SPEC_SHA256


@pytest.fixture(params=[False, True], ids=["ours", "strict"])
def walked_standin(request):
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=6000, latency_ms=0, process_delay_s=0.05,
                      strict=request.param) as standin:
        yield standin


def test_every_route_answers_per_spec(walked_standin: FrontStandin):
    """Both readings of every guess answer per Front's document; the client's own calls, preflight
    included, never break it (issue 13, acceptance 4)."""
    front_standin = walked_standin
    front_client = FrontClient(token=FRONT_TEST_TOKEN, api_url=front_standin.url,
                               budget_key=f"walk-{front_standin.strict}", uid_initial_delay=0.05)
    inbox = front_standin.inbox_id()
    agent = front_standin.teammate_id("agent1@example.com")
    front_client.preflight()
    front_client.teammates()
    front_client.conversation_custom_fields()
    front_client.contact_custom_fields()
    contact = front_client.ensure_contact(name="Walker", emails=["walker@example.org"], phones=["+4411111111"])
    front_client.update_contact(contact, description="walked")
    front_client.add_contact_handle(contact, source="email", handle="walker2@example.org")
    tag = front_client.ensure_tag("walk")
    uid = front_client.import_message(inbox, message("w-1", tags=["walk"], assignee_id=agent),
                                      attachments=[Upload("a.txt", "text/plain", 3, [b"abc"])])
    _, conv = resolve(front_client, uid)
    front_client.import_message(inbox, message("w-2", conversation_id=conv, is_inbound=False, author_id=agent,
                                               sender_handle="support@acme.example"))
    front_standin.process_now()
    front_client.add_comment(conv, body="walk", author_id=agent, attachments=[Upload("b.txt", "text/plain", 1, [b"b"])])
    front_client.update_conversation(conv, status="open", assignee_id=agent, tag_ids=[tag], custom_fields={"Region": "EU"})
    front_client.get_conversation(conv)
    list(front_client.iter_inbox_conversations(inbox))
    messages = list(front_client.iter_messages(conv))
    assert len(messages) == 2 and any(m["attachments"] for m in messages)
    list(front_client.iter_comments(conv))
    front_client.http.request("GET", f"/messages/{messages[0]['id']}")
    front_client.http.request("GET", "/company/tags", params={"limit": 1})
    front_client.http.request("POST", "/tags", json={"name": "legacy endpoint"})
    accounts = FrontAccounts(front_client)  # accounts (issue 18)
    accounts.custom_fields()
    account = accounts.create({"name": "Walk Ltd", "domains": ["walk.example"], "custom_fields": {"Seats": 3}})
    accounts.update(account["id"], {"description": "walked", "custom_fields": {"Account tier": "Free"}})
    accounts.add_contacts(account["id"], [contact])
    assert [a["id"] for a in accounts.iter_accounts()] == [account["id"]] and accounts.get(account["id"])
    front_client.http.request("GET", f"/accounts/{account['id']}/contacts")
    kb_api = FrontKnowledge(front_client)  # knowledge bases (issue 18)
    kb = kb_api.knowledge_bases()[0]["id"]
    front_client.http.request("GET", f"/knowledge_bases/{kb}")
    top = front_client.http.request("POST", f"/knowledge_bases/{kb}/categories", json={"name": "Walk"}).json()
    sub = kb_api.create_category(kb, "en", {"name": "Steps", "parent_category_id": top["id"]})
    kb_api.update_category(sub["id"], "fr", {"name": "Pas"})
    kb_api.category_content(sub["id"], "fr")
    list(kb_api.categories(kb))
    first = front_client.http.request("POST", f"/knowledge_bases/{kb}/articles",
                                      json={"subject": "Walk", "content": "<p>w</p>", "status": "draft"}).json()
    made = kb_api.create_article(kb, "en", {"subject": "Steps", "content": "<p>s</p>", "status": "published",
                                            "category_id": sub["id"]})
    kb_api.update_article(made["id"], "fr", {"subject": "Pas", "content": "<p>p</p>", "status": "draft"})
    kb_api.article_content(made["id"], "fr")
    list(kb_api.articles(kb))
    front_client.http.request("GET", f"/knowledge_base_articles/{made['id']}")
    front_client.http.request("DELETE", f"/knowledge_base_articles/{first['id']}")
    kb_api.knowledge_base(kb_api.create_knowledge_base("Walked")["id"])

    counters = front_standin.state()["counters"]
    served = set(counters["routes"])
    assert served == {f"{m} {t}" for (m, t) in ROUTES}, "the walk must reach every route the stand-in serves"
    assert counters["response_violations"] == 0, front_standin.state()["violations"]
    assert counters["spec_violations"] == 0, front_standin.state()["violations"]


def test_a_broken_answer_would_be_caught(front_standin: FrontStandin):
    """The response check is real: corrupt what a route returns and the violation is recorded."""
    original = front_standin.company.teammate_json
    front_standin.company.teammate_json = lambda tid: {k: v for k, v in original(tid).items() if k != "email"}
    httpx.get(f"{front_standin.url}/teammates", headers={"Authorization": f"Bearer {FRONT_TEST_TOKEN}"})
    state = front_standin.state()
    assert state["counters"]["response_violations"] == 1
    assert "'email' is a required property" in state["violations"][-1]["violation"]


def test_state_page_and_control_routes(front_standin: FrontStandin):
    html = httpx.get(front_standin.url + "/").text
    assert "Nothing imported yet" in html and "Acme Support" in html
    faults = httpx.post(front_standin.url + "/__sandbox/faults", json={"latency_ms": 5, "error_rate": 0.5}).json()
    assert faults["latency_ms"] == 5 and faults["error_rate"] == 0.5
    state = httpx.get(front_standin.url + "/__sandbox/state").json()
    assert state["faults"]["error_rate"] == 0.5
    assert [i["addresses"] for i in state["inboxes"]] == [["support@acme.example"], ["billing@acme.example"],
                                                          ["sales@acme.example"]]


def test_command_line_standin_serves(tmp_path):
    """`python -m sandbox.front --port P --token T` (what the embedded launcher runs) answers like Front."""
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.front", "--port", str(port), "--token", "cli-token",
                             "--rpm", "200", "--process-delay-s", "0.1"], cwd=root, env={**os.environ},
                            stdout=subprocess.PIPE, text=True)
    try:
        assert "listening on" in proc.stdout.readline()
        for _ in range(50):
            try:
                me = httpx.get(f"http://127.0.0.1:{port}/me", headers={"Authorization": "Bearer cli-token"})
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert me.status_code == 200 and me.headers["x-ratelimit-limit"] == "200"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_state_page_lists_imports_and_escapes_them(front_client: FrontClient, front_standin: FrontStandin):
    uid = front_client.import_message(front_standin.inbox_id(), message(
        "x-1", subject="<script>alert(1)</script> refund", body="<p>Hello <b>there</b></p><img src=x onerror=alert(2)>"))
    resolve(front_client, uid)
    html = httpx.get(front_standin.url + "/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; refund" in html
    assert "<script>" not in html and "onerror" not in html
    assert "Hello there" in html and "1 message" in html
