"""The file-import format (docs/import-format.md): which files an export holds and their columns.

One table per entity, each as `<entity>.csv` or `<entity>.jsonl` inside a ZIP. The same description
drives the validator, the template ZIP and the documentation, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from connectors.files.mistakes import gettext_noop

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


ID_DOC = gettext_noop("Your help desk’s own id, unique in the file: letters, digits and - _ . : @ (at most 64). It "
                      "must stay the same in later exports.")

ENTITIES: tuple[Entity, ...] = (
    Entity("agents", (
        Column("id", "id", required=True, doc=ID_DOC),
        Column("email", "email", required=True, doc=gettext_noop("The agent's email: the teammate step matches Front teammates by it.")),
        Column("name", "text", doc=gettext_noop("Full name.")),
        Column("active", "bool", default=True, doc=gettext_noop("false for agents who no longer work in the help desk.")),
        Column("deleted", "bool", default=False, doc=gettext_noop("true for deleted agents (their tickets go to the default teammate).")),
    ), doc=gettext_noop("People who answer tickets. Each maps to an existing Front teammate.")),
    Entity("organizations", (
        Column("id", "id", required=True, doc=ID_DOC),
        Column("name", "text", required=True, doc=gettext_noop("Company name.")),
        Column("domains", "list", doc=gettext_noop("Email domains of the company.")),
    ), doc=gettext_noop("Companies your customers belong to. Front has no organizations: the name is added to each ticket "
           "as the custom field “Organization”.")),
    Entity("contacts", (
        Column("id", "id", required=True, doc=ID_DOC),
        Column("name", "text", doc=gettext_noop("Full name.")),
        Column("emails", "emails", doc=gettext_noop("Email addresses, the main one first.")),
        Column("phones", "list", doc=gettext_noop("Phone numbers.")),
        Column("organization_id", "ref", ref="organizations", doc=gettext_noop("The contact's organization.")),
    ), doc=gettext_noop("Customers: requesters, CCs and message authors. They become Front contacts.")),
    Entity("tickets", (
        Column("id", "id", required=True, doc=ID_DOC),
        Column("subject", "text", doc=gettext_noop("May be empty.")),
        Column("status", "text", required=True, doc=gettext_noop("Your help desk's own status name (open, pending, solved…); "
                                                    "the wizard maps each to open or archived.")),
        Column("created_at", "date", required=True, doc=gettext_noop("ISO 8601 with a UTC offset.")),
        Column("updated_at", "date", required=True, doc=gettext_noop("Last change, ISO 8601 with a UTC offset. A later upload "
                                                        "moves the tickets whose updated_at is newer (delta).")),
        Column("requester_id", "ref", ref="contacts", doc=gettext_noop("The customer who opened the ticket.")),
        Column("assignee_id", "ref", ref="agents", doc=gettext_noop("The agent the ticket is assigned to.")),
        Column("cc_ids", "refs", ref="contacts", doc=gettext_noop("Contacts copied on the ticket.")),
        Column("tags", "list", doc=gettext_noop("Tags (Front keeps the first 64 characters).")),
        Column("mailbox", "text", doc=gettext_noop("A mailbox, brand or group name; the wizard can migrate one mailbox per inbox.")),
        Column("organization_id", "ref", ref="organizations", doc=gettext_noop("Defaults to the requester's organization.")),
        Column("deleted", "bool", default=False, doc=gettext_noop("true for a ticket deleted in your help desk (delta sets it "
                                                     "deleted in Front).")),
        Column("url", "url", doc=gettext_noop("Link to the ticket in your help desk (shown in the reports).")),
    ), required_file=True, custom_fields=True,
        doc=gettext_noop("One line per ticket (conversation). Custom fields: CSV columns named `cf:<field name>`, or a "
            "`custom_fields` object in JSON Lines.")),
    Entity("messages", (
        Column("id", "id", required=True, doc=ID_DOC),
        Column("ticket_id", "ref", required=True, ref="tickets", doc=gettext_noop("The ticket it belongs to.")),
        Column("created_at", "date", required=True, doc=gettext_noop("ISO 8601 with a UTC offset.")),
        Column("author_type", "enum", required=True, choices=("customer", "agent"),
               doc=gettext_noop("customer (an incoming message) or agent (a reply).")),
        Column("author_id", "ref", doc=gettext_noop("A contact id when author_type is customer, an agent id when agent.")),
        Column("author_name", "text", doc=gettext_noop("When the author is not in contacts/agents.")),
        Column("author_email", "email", doc=gettext_noop("When the author is not in contacts/agents.")),
        Column("kind", "enum", choices=("reply", "public_note"), default="reply",
               doc=gettext_noop("reply, or public_note for an agent's note the customer could see.")),
        Column("body", "text", doc=gettext_noop("HTML or plain text (see body_format).")),
        Column("body_format", "enum", choices=("html", "text"), default="html", doc=gettext_noop("html or text.")),
        Column("subject", "text", doc=gettext_noop("Subject of this message when it differs from the ticket's.")),
        Column("to", "emails", doc=gettext_noop("Recipients.")),
        Column("cc", "emails", doc=gettext_noop("CC addresses.")),
        Column("bcc", "emails", doc=gettext_noop("BCC addresses.")),
    ), doc=gettext_noop("Public messages: what customers wrote and what agents answered. They become Front messages.")),
    Entity("notes", (
        Column("id", "id", required=True, doc=ID_DOC),
        Column("ticket_id", "ref", required=True, ref="tickets", doc=gettext_noop("The ticket it belongs to.")),
        Column("created_at", "date", required=True, doc=gettext_noop("ISO 8601 with a UTC offset.")),
        Column("author_id", "ref", ref="agents", doc=gettext_noop("The agent who wrote it.")),
        Column("author_name", "text", doc=gettext_noop("When the author is not in agents.")),
        Column("body", "text", doc=gettext_noop("HTML or plain text.")),
        Column("body_format", "enum", choices=("html", "text"), default="html", doc=gettext_noop("html or text.")),
    ), doc=gettext_noop("Internal notes. They become Front comments, headed by the original author and date.")),
    Entity("attachments", (
        Column("id", "id", required=True, doc=ID_DOC),
        Column("message_id", "ref", ref="messages", doc=gettext_noop("The message it belongs to (or note_id).")),
        Column("note_id", "ref", ref="notes", doc=gettext_noop("The note it belongs to (or message_id).")),
        Column("path", "path", required=True, doc=gettext_noop("Where the file is inside the ZIP, relative to the folder that "
                                                  "holds tickets.csv, e.g. attachments/1234/invoice.pdf.")),
        Column("filename", "text", doc=gettext_noop("Name shown in Front; defaults to the file's name in the ZIP.")),
        Column("content_type", "text", doc=gettext_noop("MIME type; guessed from the name when empty.")),
        Column("inline", "bool", default=False, doc=gettext_noop("true for an image shown inside the body.")),
        Column("content_id", "text", doc=gettext_noop("The cid an inline image is referenced by in the HTML body.")),
    ), doc=gettext_noop("Files of messages and notes, stored in the same ZIP.")),
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
