"""The Front client against the Front stand-in, one operation after the other."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.front import (
    AttachmentTooLarge,
    BadCredentials,
    DuplicateExternalId,
    FrontClient,
    ImportedMessage,
    InvalidRequest,
    MissingPermission,
    NotFound,
    Upload,
)
from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN


def message(external_id: str, *, thread_ref: str | None = "ticket-1", **overrides) -> ImportedMessage:
    fields = dict(external_id=external_id, created_at=datetime(2023, 5, 1, 12, 0, tzinfo=UTC),
                  sender_handle="customer@example.org", sender_name="Carla Customer", to=["support@acme.example"],
                  subject="Where is my order?", body="<p>Hello</p>", thread_ref=thread_ref)
    fields.update(overrides)
    return ImportedMessage(**fields)


def resolve(client: FrontClient, uid: str) -> tuple[str, str]:
    for _ in range(50):
        found = client.resolve_uid(uid)
        if found:
            return found
    raise AssertionError("the import never became visible")


def test_me_inboxes_teammates_custom_fields(front_client, front_standin):
    assert front_client.me()["name"] == "Acme Support (Front sandbox)"
    assert [i["name"] for i in front_client.inboxes()] == ["Support", "Billing", "Sales"]
    channels = front_client.inbox_channels(front_standin.inbox_id("Billing"))
    assert [c["address"] for c in channels] == ["billing@acme.example"]
    emails = {t["email"] for t in front_client.teammates()}
    assert {"agent1@example.com", "agent4@example.com"} <= emails
    assert {f["name"] for f in front_client.conversation_custom_fields()} == {"Priority", "Order number", "Region"}
    assert [f["name"] for f in front_client.contact_custom_fields()] == ["Plan"]


@pytest.mark.parametrize("strict", [False, True], ids=["ours", "strict"])
def test_preflight_reads_only_and_names_missing_read_scopes(strict):
    """Issue 13, item 6: the connect check sends only valid reads; write scopes are not probed, and a
    missing one is named by the first real write (Front's 403 need not name it: strict)."""
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=6000, process_delay_s=0.05, strict=strict) as front_standin:
        full = FrontClient(token=FRONT_TEST_TOKEN, api_url=front_standin.url, budget_key=f"pf-full-{strict}")
        report = full.preflight()
        assert report.company_name == "Acme Support (Front sandbox)"
        assert report.missing_scopes == []
        assert report.unchecked_scopes == ["tags:write", "contacts:write", "messages:write", "comments:write",
                                           "conversations:write"]
        assert report.rate_limit == 6000
        support = next(i for i in report.inboxes if i["name"] == "Support")
        assert support["addresses"] == ["support@acme.example"]

        front_standin.add_token("read-only", scopes={"inboxes:read", "channels:read", "teammates:read", "tags:read"})
        limited = FrontClient(token="read-only", api_url=front_standin.url, budget_key=f"pf-limited-{strict}")
        report = limited.preflight()
        assert report.missing_scopes == ["contacts:read", "custom_fields:read", "conversations:read",
                                         "messages:read", "comments:read"]
        state = front_standin.state()
        assert state["counters"]["spec_violations"] == 0, state["violations"]
        assert not [r for r in state["counters"]["routes"] if not r.startswith("GET ")]  # reads only
        with pytest.raises(MissingPermission, match="messages:write"):
            limited.import_message(front_standin.inbox_id(), message("x-1"))
        with pytest.raises(MissingPermission, match="tags:write"):
            limited.ensure_tag("brand new")


def test_bad_token_is_a_readable_error(front_standin):
    client = FrontClient(token="wrong", api_url=front_standin.url, budget_key="bad")
    with pytest.raises(BadCredentials, match="rejected the API token"):
        client.preflight()


@pytest.mark.parametrize("strict", [False, True], ids=["ours", "strict"])
def test_tags_are_created_once_and_cut_to_64_characters(strict):
    """One read of the tags, one POST per missing name, never a near-duplicate: "vip" finds "VIP" whether
    Front compares names exactly (ours) or ignoring case and answers 400 for a taken name (strict)."""
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=6000, process_delay_s=0.05, strict=strict) as front_standin:
        front_client = FrontClient(token=FRONT_TEST_TOKEN, api_url=front_standin.url, budget_key=f"tags-{strict}")
        vip = front_client.ensure_tag("VIP")
        assert vip == front_client.ensure_tag("VIP") == front_client.ensure_tag("vip")
        assert front_client.tag_for("vip") == (vip, "VIP")
        long_name = "x" * 80
        created = front_client.ensure_tag(long_name)
        assert created == front_client.ensure_tag(long_name[:64])
        names = front_standin.state()["tags"]
        assert names.count("x" * 64) == 1 and names.count("VIP") == 1 and "vip" not in names
        calls = front_client.stats
        assert calls["route:POST /company/tags"] == 1 and calls["route:GET /tags"] == 1
        # Another worker created a tag after this client read the list: the refusal makes it read again.
        front_standin.company.create_tag("Late" if not strict else "LATE")
        assert front_client.tag_for("Late")[1] == ("Late" if not strict else "LATE")
        assert front_client.stats["route:GET /tags"] == 2 and front_client.stats["route:POST /company/tags"] == 2
        assert front_standin.state()["counters"]["spec_violations"] == 0


def test_contacts_are_never_duplicated(front_client, front_standin):
    first = front_client.ensure_contact(name="Carla", emails=["Carla@Example.org"])
    assert front_client.ensure_contact(name="Carla", emails=["carla@example.org"]) == first
    # A second client (another worker) finds it instead of creating it, and adds the new phone handle.
    other = FrontClient(token=FRONT_TEST_TOKEN, api_url=front_standin.url, budget_key="contacts-2")
    assert other.ensure_contact(name="Carla", emails=["carla@example.org"], phones=["+33123456789"]) == first
    assert other.ensure_contact(name=None, phones=["+33123456789"]) == first
    contacts = front_standin.state()["contacts"]
    assert len(contacts) == 1
    assert {h["handle"] for h in contacts[0]["handles"]} == {"carla@example.org", "+33123456789"}
    # Known only by its second handle: the create is refused (409), then the other handles are looked up.
    third = FrontClient(token=FRONT_TEST_TOKEN, api_url=front_standin.url, budget_key="contacts-3")
    assert third.ensure_contact(name="Carla", emails=["c.new@example.org"], phones=["+33123456789"]) == first
    assert len(front_standin.state()["contacts"]) == 1
    # A requester Front does not know costs the minimum: one lookup, one create.
    fresh = FrontClient(token=FRONT_TEST_TOKEN, api_url=front_standin.url, budget_key="contacts-4")
    fresh.ensure_contact(name="Dan", emails=["dan@example.org"], phones=["+4420000000"])
    assert fresh.stats["route:GET /contacts/:alias"] == 1 and fresh.stats["route:POST /contacts"] == 1
    front_client.update_contact(first, name="Carla C.")
    assert front_standin.state()["contacts"][0]["name"] == "Carla C."
    with pytest.raises(InvalidRequest):
        front_client.ensure_contact(name="Nobody")


def test_import_threads_by_thread_ref_and_keeps_fields(front_client, front_standin):
    inbox = front_standin.inbox_id()
    agent = front_standin.teammate_id("agent2@example.com")
    uid1 = front_client.import_message(inbox, message("m-1", tags=["Imported", "VIP"], assignee_id=agent,
                                                        cc=["cc@example.org"], bcc=["bcc@example.org"]))
    uid2 = front_client.import_message(inbox, message("m-2", is_inbound=False, sender_handle="support@acme.example",
                                                        to=["customer@example.org"], author_id=agent))
    other = front_client.import_message(inbox, message("m-3", thread_ref="ticket-2"))
    (_, conv1), (_, conv2), (_, conv3) = (resolve(front_client, u) for u in (uid1, uid2, other))
    assert conv1 == conv2 != conv3
    state = {c["id"]: c for c in front_standin.state()["conversations"]}
    first = state[conv1]
    assert first["status"] == "archived"  # archived by default
    assert first["assignee"] == "agent2@example.com"
    assert set(first["tags"]) == {"Imported", "VIP"}
    assert [m["external_id"] for m in first["messages"]] == ["m-1", "m-2"]
    assert first["messages"][0]["cc"] == ["cc@example.org"] and first["messages"][0]["bcc"] == ["bcc@example.org"]
    assert first["messages"][0]["created_at"] == datetime(2023, 5, 1, 12, 0, tzinfo=UTC).timestamp()
    assert first["messages"][1]["author_id"] == agent and first["messages"][1]["inbound"] is False


def test_conversation_id_overrides_thread_ref_and_sender_threading(front_client, front_standin):
    inbox = front_standin.inbox_id()
    _, conv = resolve(front_client, front_client.import_message(inbox, message("a-1", thread_ref="T-a")))
    _, same = resolve(front_client, front_client.import_message(
        inbox, message("a-2", thread_ref="T-other", conversation_id=conv)))
    assert same == conv
    # Without thread_ref Front threads by sender.
    _, s1 = resolve(front_client, front_client.import_message(inbox, message("s-1", thread_ref=None, sender_handle="z@z.org")))
    _, s2 = resolve(front_client, front_client.import_message(inbox, message("s-2", thread_ref=None, sender_handle="z@z.org")))
    assert s1 == s2 != conv


def test_second_import_of_an_external_id_is_refused(front_client, front_standin):
    inbox = front_standin.inbox_id()
    front_client.import_message(inbox, message("dup-1"))
    with pytest.raises(DuplicateExternalId):
        front_client.import_message(inbox, message("dup-1"))
    assert front_standin.state()["counters"]["duplicate_imports_refused"] == 1


def test_uid_is_not_found_before_processing(front_standin, front_client):
    front_standin.process_delay_s = 0.3
    uid = front_client.import_message(front_standin.inbox_id(), message("late-1"))
    assert front_client.resolve_uid(uid, wait=False) is None
    assert front_client.stats["empty_uid_polls"] == 1
    assert resolve(front_client, uid)[1].startswith("cnv_")


def test_attachments_are_streamed_as_multipart(front_client, front_standin):
    inbox = front_standin.inbox_id()

    def chunks():
        yield b"%PDF-1.4 "
        yield b"x" * 200_000

    upload = Upload(filename="invoice.pdf", content_type="application/pdf", size=None, chunks=chunks())
    uid = front_client.import_message(inbox, message("att-1", tags=["With file"]), attachments=[upload])
    _, conv = resolve(front_client, uid)
    comment = front_client.add_comment(conv, body="Note with file", author_id=front_standin.teammate_id("agent1@example.com"),
                                       attachments=[Upload("notes.txt", "text/plain", 5, [b"hello"])])
    state = next(c for c in front_standin.state()["conversations"] if c["id"] == conv)
    assert state["messages"][0]["attachments"] == ["invoice.pdf"]
    assert state["tags"] == ["With file"]
    assert state["comments"][0]["attachments"] == ["notes.txt"] and state["comments"][0]["id"] == comment
    assert front_standin.state()["counters"]["spec_violations"] == 0


def test_oversize_attachment_is_refused_before_upload(front_client, front_standin):
    sent_before = front_standin.state()["counters"]["statuses"]
    declared = Upload("big.zip", "application/zip", 26 * 1024 * 1024, iter([b"never read"]))
    with pytest.raises(AttachmentTooLarge, match="25 MB"):
        front_client.import_message(front_standin.inbox_id(), message("big-1"), attachments=[declared])

    def endless():
        for _ in range(30):
            yield b"\0" * (1024 * 1024)

    undeclared = Upload("big.bin", "application/octet-stream", None, endless())
    with pytest.raises(AttachmentTooLarge):
        front_client.add_comment("cnv_1", body="x", attachments=[undeclared])
    assert front_standin.state()["counters"]["statuses"] == sent_before  # nothing reached Front


def test_comments_updates_and_listings(front_client, front_standin):
    inbox = front_standin.inbox_id()
    _, conv = resolve(front_client, front_client.import_message(inbox, message("l-1")))
    agent = front_standin.teammate_id("agent3@example.com")
    front_client.add_comment(conv, body="Internal note (originally by Dan, 2023-05-01)", author_id=agent)
    tag = front_client.ensure_tag("Status: solved")
    front_client.update_conversation(conv, status="open", assignee_id=agent, tag_ids=[tag],
                                     custom_fields={"Priority": "High", "Order number": "A-12"})
    found = front_client.get_conversation(conv)
    assert found["status"] == "assigned" and found["assignee"]["email"] == "agent3@example.com"
    assert [t["name"] for t in found["tags"]] == ["Status: solved"]
    assert found["custom_fields"] == {"Priority": "High", "Order number": "A-12"}
    front_client.update_conversation(conv, assignee_id=None)
    assert front_client.get_conversation(conv)["status"] == "unassigned"
    assert [c["id"] for c in front_client.iter_inbox_conversations(inbox)] == [conv]
    assert [m["metadata"]["external_id"] for m in front_client.iter_messages(conv)] == ["l-1"]
    assert [c["author"]["email"] for c in front_client.iter_comments(conv)] == ["agent3@example.com"]
    front_client.update_conversation(conv, status="deleted")
    assert front_standin.state()["conversations"][0]["status"] == "deleted"
    with pytest.raises(NotFound):
        front_client.get_conversation("cnv_404")


def test_listings_follow_pagination(front_client, front_standin):
    for n in range(105):
        front_standin.company.create_tag(f"bulk-{n}")
    assert len(front_client.tags()) == 105 + 2
    assert front_client.stats["route:GET /tags"] == 2


def test_concurrent_workers_on_one_standin(front_standin):
    """Several threads (each its own client, one shared company budget) import at once: nothing lost."""
    from concurrent.futures import ThreadPoolExecutor

    inbox = front_standin.inbox_id()

    def worker(n: int) -> list[str]:
        client = FrontClient(token=FRONT_TEST_TOKEN, api_url=front_standin.url, budget_key="shared-threads")
        return [client.import_message(inbox, message(f"t{n}-{k}", thread_ref=f"thread-{n}")) for k in range(4)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        uids = [uid for batch in pool.map(worker, range(4)) for uid in batch]
    front_standin.process_now()
    state = front_standin.state()
    assert len(set(uids)) == 16
    assert sorted(len(c["messages"]) for c in state["conversations"]) == [4, 4, 4, 4]
    # One inbox is one resource for Front's burst limit: the shared gate kept all threads under it.
    assert state["counters"]["routes"]["POST /inboxes/{inbox_id}/imported_messages"] == 16
    assert state["counters"]["rate_limited_burst"] == 0 and state["counters"]["spec_violations"] == 0
