"""Compare what a stand-in's *data set* holds (the truth, not what our connector read from it) with what
the Front stand-in received, field by field: every agent reply, every note with its original author,
every tag, every custom field (issue 13, acceptance 1).

Comparing with the connector's own output (tests/engine/compare.py) cannot see a record the connector
dropped or misread; this comparison can. Vendor-specific views of the same truth: Zendesk shows an agent
without a name by the local part of their email, Help Scout has no yes/no field (a Yes/No dropdown),
Freshdesk's first message is the ticket description.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from connectors.base import Message
from connectors.sample.generator import SampleDataset
from migrations_engine import mapping
from migrations_engine.models import EngineState, Run
from tests.engine.compare import conversations_by_ticket


@dataclass
class Seen:
    tickets: int = 0
    agent_replies: int = 0
    customer_messages: int = 0
    notes: int = 0
    deleted_author_notes: int = 0
    tags: int = 0
    custom_fields: int = 0
    author_problems: list[str] = field(default_factory=list)  # note headers / comment authors (see below)


def message_id(vendor: str, ticket_id: str, message: Message, index: int) -> str:
    return f"{ticket_id}-description" if vendor == "freshdesk" and index == 0 else message.source_id


def author_labels(vendor: str, message: Message) -> set[str]:
    """How the note header may name the original author: name, else email (Zendesk names a user who has
    none by their email's local part)."""
    labels = {x for x in (message.author_name, message.author_email) if x}
    if vendor == "zendesk" and not message.author_name and message.author_email:
        labels.add(message.author_email.split("@")[0])
    return labels


def words(body: str) -> str:
    """A body's text whatever markup a vendor wrapped it in (HTML, <br> for line breaks, escaping)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body or "")).split())


def field_text(vendor: str, value) -> str:
    if vendor == "helpscout" and isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def check_against_dataset(*, vendor: str, dataset: SampleDataset, migration, run: Run, state: dict) -> Seen:
    namespace = EngineState.objects.get(migration=migration).namespace
    by_ticket = conversations_by_ticket(state, namespace=namespace, lineage=run.lineage)
    teammates, default = run.context["teammates"], run.context["default_teammate"]
    agents = {a.source_id: a for a in dataset.agents()}
    seen = Seen()
    for i in range(1, dataset.total_ticket_ids() + 1):
        truth = dataset.ticket(i)
        convs = by_ticket.get(truth.source_id, [])
        if truth.deleted:
            assert not convs, f"ticket {i} was deleted in the source"
            continue
        assert len(convs) == 1, f"ticket {i}: {len(convs)} conversations"
        conv = convs[0]
        got = {m["external_id"].rsplit("-m", 1)[1]: m for m in conv["messages"]}
        notes = {c["id"]: c for c in conv["comments"]}
        for n, message in enumerate(truth.messages):
            mid = message_id(vendor, truth.source_id, message, n)
            if message.kind == "private_note":
                key = mapping.comment_key(lineage=run.lineage, ticket_id=truth.source_id, note_id=mid)
                found = [c for c in notes.values() if mapping.comment_marker(key) in c["body"]]
                assert len(found) == 1, f"ticket {i}: note {mid} landed {len(found)} times"
                assert words(message.body) in words(found[0]["body"]), f"ticket {i}: note {mid} lost its text"
                seen.notes += 1
                agent = agents.get(message.author_agent_id or "")
                seen.deleted_author_notes += bool(agent and agent.deleted)
                header = found[0]["body"].split("\n", 1)[0]
                if not any(label in header for label in author_labels(vendor, message)):
                    seen.author_problems.append(f"ticket {i} note {mid}: header {header!r} does not name "
                                                f"{message.author_name or message.author_email}")
                want = teammates.get(message.author_agent_id or "", default)
                if found[0]["author_id"] != want:
                    seen.author_problems.append(f"ticket {i} note {mid}: comment by {found[0]['author_id']}, "
                                                f"not {want} (the mapped teammate, else the default one)")
                continue
            assert mid in got, f"ticket {i}: message {mid} ({'customer' if message.inbound else 'agent'}) missing"
            dst = got[mid]
            assert dst["inbound"] == message.inbound, f"ticket {i}: message {mid} inbound={dst['inbound']}"
            assert dst["created_at"] == int(message.created_at.timestamp()), f"ticket {i}: message {mid} date"
            if message.inbound:
                seen.customer_messages += 1
            else:
                want = teammates.get(message.author_agent_id or "", default)
                assert dst["author_id"] == want, f"ticket {i}: reply {mid} by {dst['author_id']}, not {want}"
                seen.agent_replies += 1
        tags = [t[:mapping.MAX_TAG_LENGTH] for t in truth.tags]
        # A tag Front already has under another letter case is used as it is ("vip" -> "VIP": no near-duplicate).
        landed = {t.casefold() for t in conv["tags"]}
        assert {t.casefold() for t in tags} <= landed, f"ticket {i}: tags {tags} -> {conv['tags']}"
        seen.tags += len(tags)
        fields = {k: v for k, v in truth.custom_fields.items() if v not in (None, "", [])}
        if fields:
            body = next((c["body"] for c in notes.values() if c["body"].startswith("Custom fields from the source")), "")
            for name, value in fields.items():
                assert f"{name}: {field_text(vendor, value)}" in body, f"ticket {i}: custom field {name}={value!r}"
                seen.custom_fields += 1
        seen.tickets += 1
    return seen
