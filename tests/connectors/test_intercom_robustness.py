"""Vendor JSON is data (the rule of tests/connectors/test_mapping_robustness.py, applied to Intercom): the
mapping is fed conversations the stand-in renders, mutated by Hypothesis (keys removed, junk values,
unknown fields). No exception escapes: a conversation maps, or it is a skipped ticket with its reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.intercom.mapping import PART_LIMIT, contact_from, contact_ids, custom_fields, ticket_from
from sandbox.intercom.render import ATTRIBUTES, IntercomRenderer
from tests.connectors.test_mapping_robustness import DATASET, JUNK, SETTINGS, TICKET_IDS, assert_sound, mutate

TYPES = {name: kind for _n, name, kind, _o in ATTRIBUTES}


def _records(strict: bool) -> dict[int, dict]:
    render = IntercomRenderer(DATASET, strict=strict)
    render.base_url = "http://127.0.0.1:9"
    return {i: render.conversation(i, with_parts=True) for i in TICKET_IDS if not DATASET.ticket(i).deleted}


RECORDS = {strict: _records(strict) for strict in (False, True)}


def _map(conversation):
    return ticket_from(conversation, fallback_id="x", contacts={}, attribute_types=TYPES,
                       app_url="https://app.intercom.com/a/inbox/acme/inbox", api_host="127.0.0.1")


@SETTINGS
@given(strict=st.booleans(), data=st.data())
def test_intercom_mapping_never_raises(strict, data):
    i = data.draw(st.sampled_from(sorted(RECORDS[strict])))
    conversation = mutate(RECORDS[strict][i], data)
    ticket = _map(conversation)
    assert_sound(ticket)
    assert isinstance(contact_ids(conversation), list)


@SETTINGS
@given(value=JUNK, name=st.text(max_size=10))
def test_attributes_and_contacts_never_raise(value, name):
    assert isinstance(custom_fields({name: value, "Refund approved": value}, TYPES), dict)
    try:
        contact_from({"id": "1", "name": value, "email": value, "phone": value, "companies": value}, {})
    except (KeyError, TypeError):
        pytest.fail("a contact with junk fields must still map")


@pytest.mark.parametrize("strict", [False, True])
def test_valid_conversations_map_without_anything_unreadable(strict):
    for i, conversation in RECORDS[strict].items():
        ticket = _map(conversation)
        assert not [s for s in ticket.skipped if "could not read" in s.reason], ticket.skipped
        assert len(ticket.messages) == len(DATASET.ticket(i).messages) or len(conversation["conversation_parts"][
            "conversation_parts"]) == PART_LIMIT
