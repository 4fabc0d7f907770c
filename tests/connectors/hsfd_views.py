"""What the sample help desk looks like once it has gone through Help Scout or Freshdesk.

The contract suite compares a connector's records with the dataset. Two vendors cannot hold some of it
as is, so the expectation is translated, never the connector's output:
- Help Scout: no public notes (an agent's public message is a reply), statuses active/pending/closed,
  custom fields as text with no empty values (a yes/no field is a Yes/No dropdown), deleted users are
  gone from the user list;
- Freshdesk: the first message is the ticket's description (no id of its own), statuses by their
  Freshdesk names, inline images live in the body and follow the files, deleted agents are contacts.
"""

from __future__ import annotations

from dataclasses import replace

from connectors.base import Agent, Message, Ticket
from connectors.freshdesk.mapping import description_id
from sandbox.freshdesk.render import STATUS_CHOICES, STATUS_CODES
from sandbox.helpscout.render import STATUS, field_text


def helpscout_ticket(t: Ticket) -> Ticket:
    messages = [replace(m, kind="reply") if m.kind == "public_note" else m for m in t.messages]
    return replace(t, status=STATUS.get(t.status, "closed"), messages=messages,
                   custom_fields={k: field_text(v) for k, v in t.custom_fields.items() if v is not None})


def helpscout_agents(agents: list[Agent]) -> list[Agent]:
    return [replace(a, active=True) for a in agents if not a.deleted]


def _files_then_inline(m: Message) -> Message:
    if m.body_format != "html":  # no body to hold an inline image: it is a file
        return m
    return replace(m, attachments=[a for a in m.attachments if not a.inline] + [a for a in m.attachments if a.inline])


def freshdesk_ticket(t: Ticket) -> Ticket:
    messages = [_files_then_inline(m) for m in t.messages]
    if messages:
        messages[0] = replace(messages[0], source_id=description_id(t.source_id))
    status = STATUS_CHOICES[STATUS_CODES.get(t.status, 5)][0]
    return replace(t, status=status, messages=messages)


def freshdesk_agents(agents: list[Agent]) -> list[Agent]:
    return [a for a in agents if not a.deleted]
