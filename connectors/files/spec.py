"""The file-import format (docs/import-format.md): which files an export holds and their columns.

One table per entity, each as `<entity>.csv` or `<entity>.jsonl` inside a ZIP. The same description
drives the validator, the template ZIP and the documentation, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "text", "date", "bool", "list", "email", "emails", "enum", "url", "path", "ref", "refs", "object"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False  # the column must be there and the value non-empty
    ref: str | None = None  # for ref/refs: the entity the id points at
    choices: tuple[str, ...] = ()
    default: object = None
    doc: str = ""


@dataclass(frozen=True)
class Entity:
    name: str  # also the file's base name
    columns: tuple[Column, ...]
    required_file: bool = False
    doc: str = ""
    custom_fields: bool = False  # tickets: `cf:<name>` CSV columns / a `custom_fields` JSON object

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


ID_DOC = "Your help desk's own id: letters, digits and - _ . : @ (at most 64). It must stay the same in later exports."

ENTITIES: tuple[Entity, ...] = (
    Entity("agents", (
        Column("id", "id", required=True, doc=ID_DOC),
        Column("email", "email", required=True, doc="The agent's email: the teammate step matches Front teammates by it."),
        Column("name", "text", doc="Full name."),
        Column("active", "bool", default=True, doc="false for agents who no longer work in the help desk."),
        Column("deleted", "bool", default=False, doc="true for deleted agents (their tickets go to the default teammate)."),
    ), doc="People who answer tickets. Each maps to an existing Front teammate."),
    Entity("organizations", (
        Column("id", "id", required=True, doc=ID_DOC),
        Column("name", "text", required=True, doc="Company name."),
        Column("domains", "list", doc="Email domains of the company."),
    ), doc="Companies your customers belong to. Front has no organizations: the name is added to each ticket "
           "as the custom field “Organization”."),
    Entity("contacts", (
        Column("id", "id", required=True, doc=ID_DOC),
        Column("name", "text", doc="Full name."),
        Column("emails", "emails", doc="Email addresses, the main one first."),
        Column("phones", "list", doc="Phone numbers."),
        Column("organization_id", "ref", ref="organizations", doc="The contact's organization."),
    ), doc="Customers: requesters, CCs and message authors. They become Front contacts."),
    Entity("tickets", (
        Column("id", "id", required=True, doc=ID_DOC),
        Column("subject", "text", doc="May be empty."),
        Column("status", "text", required=True, doc="Your help desk's own status name (open, pending, solved…); "
                                                    "the wizard maps each to open or archived."),
        Column("created_at", "date", required=True, doc="ISO 8601 with a UTC offset."),
        Column("updated_at", "date", required=True, doc="Last change, ISO 8601 with a UTC offset. A later upload "
                                                        "moves the tickets whose updated_at is newer (delta)."),
        Column("requester_id", "ref", ref="contacts", doc="The customer who opened the ticket."),
        Column("assignee_id", "ref", ref="agents", doc="The agent the ticket is assigned to."),
        Column("cc_ids", "refs", ref="contacts", doc="Contacts copied on the ticket."),
        Column("tags", "list", doc="Tags (Front keeps the first 64 characters)."),
        Column("mailbox", "text", doc="A mailbox, brand or group name; the wizard can migrate one mailbox per inbox."),
        Column("organization_id", "ref", ref="organizations", doc="Defaults to the requester's organization."),
        Column("deleted", "bool", default=False, doc="true for a ticket deleted in your help desk (delta sets it "
                                                     "deleted in Front)."),
        Column("url", "url", doc="Link to the ticket in your help desk (shown in the reports)."),
    ), required_file=True, custom_fields=True,
        doc="One line per ticket (conversation). Custom fields: CSV columns named `cf:<field name>`, or a "
            "`custom_fields` object in JSON Lines."),
    Entity("messages", (
        Column("id", "id", required=True, doc=ID_DOC + " Unique in the file."),
        Column("ticket_id", "ref", required=True, ref="tickets", doc="The ticket it belongs to."),
        Column("created_at", "date", required=True, doc="ISO 8601 with a UTC offset."),
        Column("author_type", "enum", required=True, choices=("customer", "agent"),
               doc="customer (an incoming message) or agent (a reply)."),
        Column("author_id", "ref", doc="A contact id when author_type is customer, an agent id when agent."),
        Column("author_name", "text", doc="When the author is not in contacts/agents."),
        Column("author_email", "email", doc="When the author is not in contacts/agents."),
        Column("kind", "enum", choices=("reply", "public_note"), default="reply",
               doc="reply, or public_note for an agent's note the customer could see."),
        Column("body", "text", doc="HTML or plain text (see body_format)."),
        Column("body_format", "enum", choices=("html", "text"), default="html", doc="html or text."),
        Column("subject", "text", doc="Subject of this message when it differs from the ticket's."),
        Column("to", "emails", doc="Recipients."),
        Column("cc", "emails", doc="CC addresses."),
        Column("bcc", "emails", doc="BCC addresses."),
    ), doc="Public messages: what customers wrote and what agents answered. They become Front messages."),
    Entity("notes", (
        Column("id", "id", required=True, doc=ID_DOC + " Unique in the file."),
        Column("ticket_id", "ref", required=True, ref="tickets", doc="The ticket it belongs to."),
        Column("created_at", "date", required=True, doc="ISO 8601 with a UTC offset."),
        Column("author_id", "ref", ref="agents", doc="The agent who wrote it."),
        Column("author_name", "text", doc="When the author is not in agents."),
        Column("body", "text", doc="HTML or plain text."),
        Column("body_format", "enum", choices=("html", "text"), default="html", doc="html or text."),
    ), doc="Internal notes. They become Front comments, headed by the original author and date."),
    Entity("attachments", (
        Column("id", "id", required=True, doc=ID_DOC + " Unique in the file."),
        Column("message_id", "ref", ref="messages", doc="The message it belongs to (or note_id)."),
        Column("note_id", "ref", ref="notes", doc="The note it belongs to (or message_id)."),
        Column("path", "path", required=True, doc="Where the file is inside the ZIP, relative to the folder that "
                                                  "holds tickets.csv, e.g. attachments/1234/invoice.pdf."),
        Column("filename", "text", doc="Name shown in Front; defaults to the file's name in the ZIP."),
        Column("content_type", "text", doc="MIME type; guessed from the name when empty."),
        Column("inline", "bool", default=False, doc="true for an image shown inside the body."),
        Column("content_id", "text", doc="The cid an inline image is referenced by in the HTML body."),
    ), doc="Files of messages and notes, stored in the same ZIP."),
)

BY_NAME = {e.name: e for e in ENTITIES}
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
CUSTOM_FIELD_PREFIX = "cf:"
LIST_SEPARATOR = ";"  # CSV cells holding several values
TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0", ""})


@dataclass(frozen=True)
class Limits:
    """How much an export may hold. The wizard fills these from settings (docs/import-format.md)."""

    max_member_bytes: int = 1024**3  # one file inside the ZIP, uncompressed
    max_total_bytes: int = 10 * 1024**3  # every file inside the ZIP, uncompressed
    max_ratio: int = 100  # uncompressed / compressed, for members over 1 MB
    max_members: int = 200_000
    max_mistakes: int = 100  # stop and refuse after this many
    max_line_bytes: int = 16 * 1024**2

    @classmethod
    def from_settings(cls) -> Limits:
        """Limits from Django settings when they are configured, else the defaults."""
        try:
            from django.conf import settings

            if not settings.configured:
                return cls()
            mb = 1024**2
            return cls(
                max_member_bytes=int(getattr(settings, "FILE_IMPORT_MAX_MEMBER_MB", 1024)) * mb,
                max_total_bytes=int(getattr(settings, "FILE_IMPORT_MAX_UNCOMPRESSED_MB", 10240)) * mb,
                max_ratio=int(getattr(settings, "FILE_IMPORT_MAX_RATIO", 100)),
                max_members=int(getattr(settings, "FILE_IMPORT_MAX_MEMBERS", 200_000)),
                max_mistakes=int(getattr(settings, "FILE_IMPORT_MAX_MISTAKES", 100)),
            )
        except ImportError:
            return cls()
