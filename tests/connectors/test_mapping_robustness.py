"""Vendor JSON is data, not a contract (issue 13, item 3): each connector's mapping is fed records with
missing keys, nulls, wrong types, unknown enum values, extra fields, huge and empty strings. No exception
may escape a record: it maps, or it is left out (skipped) with a reason. Hypothesis mutates valid records
the stand-ins render; the end-to-end half (tests/engine/test_malformed_records.py) runs such records
through the engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import InvalidConfig, Message, Ticket
from connectors.freshdesk.mapping import AccountMeta
from connectors.freshdesk.mapping import agent_from as fd_agent
from connectors.freshdesk.mapping import ticket_from as fd_ticket
from connectors.helpscout.mapping import ticket_from as hs_ticket
from connectors.sample import SampleDataset
from connectors.sample.connector import SampleConnector
from connectors.zendesk.mapping import FieldNames, build_ticket, to_agent
from migrations_engine import mapping as engine_mapping
from sandbox.freshdesk.render import AttachmentSigner, FreshdeskRenderer
from sandbox.helpscout.render import HelpScoutRenderer
from sandbox.zendesk import render as zd_render

DATASET = SampleDataset(tickets=120, seed=5)
TICKET_IDS = [5, 13, 20, 41, 50, 53, 67, 71, 89]  # long threads, scripts, big files, no-email requesters...
HUGE = "x" * 200_000
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**63, max_value=2**63), st.floats(allow_nan=True),
    st.text(max_size=30), st.just(""), st.just(HUGE), st.just("unknown_enum_value"), st.just("2024-13-45T99:99:99Z"),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.data_too_large])


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((*prefix, k))
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for n, v in enumerate(value[:4]):
            out.append((*prefix, n))
            out += _paths(v, (*prefix, n))
    return out


def mutate(record: Any, data: st.DataObject) -> Any:
    """Up to eight changes anywhere in the record: a key removed, a value replaced by junk (null, a wrong
    type, an unknown enum, a huge or empty string), an unknown field added."""
    import copy

    record = copy.deepcopy(record)
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        paths = _paths(record)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = record
        for step in path[:-1]:
            parent = parent[step]
        action = data.draw(st.sampled_from(["delete", "junk", "extra"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "junk":
            parent[path[-1]] = data.draw(JUNK)
        elif isinstance(parent, dict):
            parent[data.draw(st.text(min_size=1, max_size=12))] = data.draw(JUNK)
    return record


def assert_sound(ticket: Any) -> None:
    """What the engine relies on: a Ticket with typed fields; every message well-formed; everything left
    out carries a plain reason."""
    assert isinstance(ticket, Ticket)
    assert isinstance(ticket.source_id, str) and isinstance(ticket.subject, str) and isinstance(ticket.status, str)
    assert isinstance(ticket.created_at, datetime) and ticket.created_at.tzinfo is not None
    assert isinstance(ticket.updated_at, datetime) and isinstance(ticket.tags, list)
    assert all(isinstance(t, str) for t in ticket.tags) and isinstance(ticket.custom_fields, dict)
    for m in ticket.messages:
        assert isinstance(m, Message) and isinstance(m.source_id, str) and isinstance(m.body, str)
        assert isinstance(m.created_at, datetime) and m.created_at.tzinfo is not None
        assert all(isinstance(a.filename, str) and isinstance(a.source_id, str) for a in m.attachments)
        assert all(isinstance(x, str) for x in (*m.to, *m.cc, *m.bcc))
    for s in ticket.skipped:
        assert s.reason and isinstance(s.reason, str)
    if not ticket.messages and not ticket.deleted:
        assert ticket.skipped or ticket.source_id  # the engine skips it with a reason either way
    # The engine's pure rules accept whatever the mapping produced.
    snapshot = {"tag": "migrated", "status_tag": True, "status_map": {}}
    engine_mapping.ticket_tags(ticket, snapshot)
    engine_mapping.front_status(ticket, snapshot)


# ---- Zendesk ---------------------------------------------------------------------------------------
BASE = "http://127.0.0.1:9"
ZD_FIELDS = FieldNames(zd_render.ticket_fields(BASE))
ZD_AGENTS = {a.source_id: to_agent(zd_render.agent_user(a, BASE)) for a in DATASET.agents()}


def _zendesk_record(i: int) -> dict[str, Any]:
    t = DATASET.ticket(i)
    users = [zd_render.contact_user(c, BASE) for c in [t.requester, *t.cc_contacts] if c]
    return {"ticket": zd_render.ticket_json(t, DATASET, BASE), "users": users,
            "comments": [zd_render.comment_json(m, BASE, include_inline=True) for m in t.messages]}


ZD_RECORDS = {i: _zendesk_record(i) for i in TICKET_IDS}


@SETTINGS
@given(i=st.sampled_from(TICKET_IDS), data=st.data())
def test_zendesk_mapping_never_raises(i, data):
    record = mutate(ZD_RECORDS[i], data)
    raw = record.get("ticket") if isinstance(record.get("ticket"), dict) else {}
    comments = [c for c in record.get("comments") or [] if isinstance(c, dict)] if isinstance(
        record.get("comments"), list) else []
    users = {str(u.get("id")): u for u in record.get("users") or [] if isinstance(u, dict)} if isinstance(
        record.get("users"), list) else {}
    assert_sound(build_ticket(raw, comments, users=users, agents=ZD_AGENTS, fields=ZD_FIELDS, base_url=BASE))


# ---- Help Scout ------------------------------------------------------------------------------------
HS = HelpScoutRenderer(DATASET)
HS_FIELDS = {f["name"]: f for f in HS.fields()}
HS_RECORDS = {i: HS.conversation(i, embed_threads=True) for i in TICKET_IDS}


@SETTINGS
@given(i=st.sampled_from(TICKET_IDS), data=st.data())
def test_helpscout_mapping_never_raises(i, data):
    conversation = mutate(HS_RECORDS[i], data)
    threads = (conversation.get("_embedded") or {}).get("threads") if isinstance(
        conversation.get("_embedded"), dict) else None
    threads = [t for t in threads if isinstance(t, dict)] if isinstance(threads, list) else []
    assert_sound(hs_ticket(conversation, threads, HS_FIELDS))


# ---- Freshdesk -------------------------------------------------------------------------------------
FD = FreshdeskRenderer(DATASET, AttachmentSigner(300))
FD_META = AccountMeta.from_fields(FD.ticket_fields(), [fd_agent(a) for a in FD.agents()])
FD_RECORDS = {i: {"ticket": FD.ticket(i), "conversations": FD.conversations(i)} for i in TICKET_IDS}


@SETTINGS
@given(i=st.sampled_from(TICKET_IDS), data=st.data())
def test_freshdesk_mapping_never_raises(i, data):
    record = mutate(FD_RECORDS[i], data)
    detail = record.get("ticket") if isinstance(record.get("ticket"), dict) else {}
    convs = record.get("conversations") if isinstance(record.get("conversations"), list) else []
    assert_sound(fd_ticket(detail, [c for c in convs if isinstance(c, dict)], FD_META, BASE))


@SETTINGS
@given(fields=st.lists(st.dictionaries(st.sampled_from(["name", "label", "choices", "default", "type"]), JUNK),
                       max_size=6))
def test_freshdesk_account_fields_never_raise(fields):
    meta = AccountMeta.from_fields(fields, [])
    assert isinstance(meta.status_name(2), str) and isinstance(meta.status_name(None), str)


# ---- Sample ----------------------------------------------------------------------------------------
@SETTINGS
@given(config=st.dictionaries(st.sampled_from(["tickets", "seed", "revision", "page_size", "extra"]), JUNK,
                              max_size=5))
def test_sample_config_is_accepted_or_refused_in_plain_words(config):
    try:
        connector = SampleConnector(config)
    except InvalidConfig as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return
    assert connector.count("tickets") >= 0


@pytest.mark.parametrize("i", TICKET_IDS)
def test_valid_records_map_without_anything_left_out(i):
    """The unmutated records: nothing skipped as unreadable (the robustness net catches only bad data)."""
    record = ZD_RECORDS[i]
    users = {str(u["id"]): u for u in record["users"]}
    for ticket in (build_ticket(record["ticket"], record["comments"], users=users, agents=ZD_AGENTS,
                                fields=ZD_FIELDS, base_url=BASE),
                   hs_ticket(HS_RECORDS[i], HS_RECORDS[i]["_embedded"]["threads"], HS_FIELDS),
                   fd_ticket(FD_RECORDS[i]["ticket"], FD_RECORDS[i]["conversations"], FD_META, BASE)):
        assert not [s for s in ticket.skipped if "could not read" in s.reason], ticket.skipped
        assert len(ticket.messages) >= len(DATASET.ticket(i).messages) - 1
