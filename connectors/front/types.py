"""Plain values the Front client takes and returns (no vendor JSON leaks past the client)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# Front refuses attachments above 25 MB (per file, per request).
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_TAG_NAME = 64


@dataclass
class Upload:
    """One attachment to send. `chunks` is streamed (spooled to disk, never held whole in memory)."""

    filename: str
    content_type: str
    size: int | None
    chunks: Iterable[bytes]


@dataclass
class ImportedMessage:
    """One historical message for `POST /inboxes/{id}/imported_messages`.

    thread_ref groups the messages of one source ticket into one conversation; conversation_id, when
    known, overrides it completely (Front's rule).
    """

    external_id: str
    created_at: datetime
    sender_handle: str
    body: str
    sender_name: str | None = None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str | None = None
    body_format: Literal["html", "markdown"] = "html"
    is_inbound: bool = True
    is_archived: bool = True
    assignee_id: str | None = None
    author_id: str | None = None
    tags: list[str] = field(default_factory=list)
    thread_ref: str | None = None
    conversation_id: str | None = None
    should_skip_rules: bool = True


@dataclass(frozen=True)
class Preflight:
    """What the wizard shows after a Front token is pasted."""

    company_name: str
    inboxes: list[dict]
    missing_scopes: list[str]
    company_id: str | None = None
    rate_limit: int | None = None  # requests per minute, from x-ratelimit-limit
    # Write scopes a read cannot check: the first real write of the demo names one that is missing.
    unchecked_scopes: list[str] = field(default_factory=list)
    # Which connection each inbox needs: "either" (API token or OAuth), "token" (a teammate's private inbox:
    # Front's OAuth cannot reach it). Knowledge bases always need the API token (Front's OAuth docs).
    connections: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EnsuredContact:
    """What `FrontClient.ensure_contact_found` did: the contact's id, whether it was created by that call
    (with the details given), and Front's record when it already existed (None when created, or known
    from an earlier call of the same client)."""

    id: str
    created: bool
    found: dict[str, Any] | None
