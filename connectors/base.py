"""Canonical records and the source connector interface.

Data flows one way: source connector -> these records -> engine -> Front client. Connectors know nothing
of Django models; the engine knows nothing of vendor JSON. Everything here is plain Python.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from connectors.knowledge import KbArticle, KbCategory, KbPage, KbTranslation, KnowledgeSource
from connectors.organizations import OrganizationSource

# ---------------------------------------------------------------------------------------------
# Errors a connector raises. Messages are shown to users as they are: plain words, no secrets.
# ---------------------------------------------------------------------------------------------


class ConnectorError(Exception):
    """Base of every error a connector reports to the user. `str(exc)` is a sentence for a person."""

    code: ClassVar[str] = "error"


class BadCredentials(ConnectorError):
    code = "bad_credentials"


class MissingPermission(ConnectorError):
    """The credentials work but lack a role or scope (e.g. Zendesk non-admin)."""

    code = "missing_permission"


class NotFound(ConnectorError):
    code = "not_found"


class Unreachable(ConnectorError):
    """DNS failure, refused connection, timeout, TLS failure, wrong subdomain..."""

    code = "unreachable"


class InvalidConfig(ConnectorError):
    """A config value is malformed or not allowed (non-HTTPS URL, private address...)."""

    code = "invalid_config"


class RateLimited(ConnectorError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotAvailable(ConnectorError):
    """The source has no such thing to give (a help desk without organizations, contact fields...): the
    run goes on without it and the wizard says so. Not an error of the connection."""

    code = "not_available"


class VendorError(ConnectorError):
    """The vendor answered with an error we cannot classify (5xx after retries, odd 4xx)."""

    code = "vendor_error"


# Answers to an account-level call (a listing, not one record) that waiting cannot change.
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 405, 422})


class PermanentRefusal(ConnectorError):
    """The vendor refused an account-level call (a listing, not one record) with an answer that waiting
    cannot change (400/401/403/404/405/422). The engine pauses the run at once for attention; `str(exc)`
    names the endpoint and says what to do."""

    code = "refused"

    def __init__(self, message: str, *, endpoint: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status

    @classmethod
    def for_listing(cls, *, service: str, endpoint: str, status: int, what: str) -> PermanentRefusal:
        """The plain sentence for a refused listing: which call, what the answer means, what to do."""
        meaning = {400: "refused the request as invalid", 401: "did not accept the credentials",
                   403: "refused access", 404: "answered that it does not exist",
                   405: "does not allow this call", 422: "refused the request as invalid"}.get(status, "refused it")
        todo = {401: "check the credentials on the connect step",
                403: "give the connected user the rights to read it (usually an administrator)"}.get(
            status, "check the account's address and plan, or ask support")
        return cls(f"{service} {meaning} (HTTP {status}) for {what} ({endpoint}). Waiting will not change "
                   f"that answer: {todo}.", endpoint=endpoint, status=status)


# ---------------------------------------------------------------------------------------------
# Canonical records
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agent:
    """A help desk agent (maps to an existing Front teammate)."""

    source_id: str
    email: str | None
    name: str | None
    active: bool = True
    deleted: bool = False


@dataclass(frozen=True)
class Contact:
    """A customer/requester. Handles become Front contact handles."""

    source_id: str
    name: str | None
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    deleted: bool = False
    organizations: list[str] = field(default_factory=list)  # company/organization names (for Front accounts)
    # Source ids of the organizations the contact belongs to, its primary one first (-> Front accounts).
    organization_ids: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)  # contact field *name* -> value
    notes: str | None = None  # the contact's notes / background / description


@dataclass(frozen=True)
class Organization:
    """A customer organization / company (-> a Front account). Custom fields are keyed by field *name*."""

    source_id: str
    name: str
    domains: list[str] = field(default_factory=list)
    details: str | None = None  # description, details, address...
    notes: str | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    url: str | None = None  # link to the organization in the source's own UI, for reports


@dataclass
class OrganizationPage:
    """One page of organizations and the cursor to resume after it (None once the listing is exhausted)."""

    organizations: list[Organization]
    cursor: dict[str, Any] | None


@dataclass(frozen=True)
class Attachment:
    """An attachment or inline image. Its bytes are fetched with `connector.download(attachment)`."""

    source_id: str
    filename: str
    content_type: str
    size: int | None  # bytes, when the source says; >25 MB is skipped with a reason
    url: str | None = None  # source-side location, used by the connector only
    inline: bool = False  # an inline image referenced from the body (content id below)
    content_id: str | None = None
    kind: Literal["file", "inline_image", "call_recording"] = "file"


def as_object(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else {}: vendor data may hold anything where an object belongs."""
    return value if isinstance(value, dict) else {}


MessageKind = Literal["reply", "public_note", "private_note"]
BodyFormat = Literal["html", "text"]


@dataclass(frozen=True)
class Message:
    """A public reply or customer message (-> Front imported message), or a note.

    kind: "reply" is a public message (inbound when written by the customer, outbound when by an agent);
    "public_note" is an agent-written public message; "private_note" becomes a Front comment.
    """

    source_id: str
    kind: MessageKind
    created_at: datetime
    body: str
    body_format: BodyFormat = "html"
    author_agent_id: str | None = None  # set when an agent wrote it
    author_contact_id: str | None = None  # set when a customer wrote it
    author_name: str | None = None
    author_email: str | None = None
    inbound: bool = False  # written by the customer
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str | None = None
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class Skipped:
    """A source record a connector leaves out on purpose (e.g. a Help Scout line item), and why in plain words.

    The engine lists these in the run report as skipped with the reason."""

    source_id: str
    kind: str  # "message", "attachment", ...
    reason: str


@dataclass(frozen=True)
class Ticket:
    """One source ticket/conversation with its whole thread, oldest message first."""

    source_id: str
    subject: str
    status: str  # the source's own status name ("open", "pending", "solved", ...)
    created_at: datetime
    updated_at: datetime
    requester: Contact | None
    assignee_agent_id: str | None = None
    cc_contacts: list[Contact] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)  # field *name* -> value
    messages: list[Message] = field(default_factory=list)
    deleted: bool = False  # deleted in the source (delta sets it deleted in Front)
    mailbox_id: str | None = None  # brand/mailbox/group the ticket belongs to
    url: str | None = None  # link to the ticket in the source's own UI, for reports
    skipped: list[Skipped] = field(default_factory=list)  # records of this ticket left out, with the reason
    merged_ids: list[str] = field(default_factory=list)  # source tickets that were merged into this one


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def unreadable_ticket(source_id: Any, *, service: str, error: Exception) -> Ticket:
    """A ticket whose vendor JSON could not be mapped: it reaches the report as skipped with the reason
    (no messages; the reason is a `Skipped` record), instead of stopping the page it came in."""
    detail = f"{type(error).__name__}: {error}"[:200]
    return Ticket(source_id=str(source_id), subject="", status="unknown", created_at=EPOCH, updated_at=EPOCH,
                  requester=None, skipped=[Skipped(source_id=str(source_id), kind="ticket", reason=(
                      f"{service} sent this ticket in a form Frontport could not read ({detail}); it was left out."))])


def unreadable_message(source_id: Any, *, service: str, error: Exception) -> Skipped:
    detail = f"{type(error).__name__}: {error}"[:200]
    return Skipped(source_id=str(source_id), kind="message",
                   reason=f"{service} sent this message in a form Frontport could not read ({detail}).")


# ---------------------------------------------------------------------------------------------
# Connector interface
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigField:
    """One field of a connector's connection form; the wizard renders and validates forms from these."""

    name: str
    label: str
    # "file": filled by the wizard's upload (stored under DATA_DIR), never typed in a form.
    kind: Literal["url", "text", "email", "secret", "choice", "file"] = "text"
    required: bool = True
    help_text: str = ""
    placeholder: str = ""
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CheckResult:
    account_name: str  # e.g. the Zendesk subdomain or company name, shown to the user
    user_email: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # Which account this is, stable across reconnections and token changes: the account's address
    # (subdomain/URL) plus the vendor's account id where its API gives one. Billing freezes it on an
    # order, so a payment for one account never unlocks another. Empty = the connector cannot tell.
    account_id: str = ""


@dataclass
class TicketPage:
    """One page of streamed tickets and the cursor to resume *after* it.

    The engine persists `cursor` once every ticket of the page is handled; passing it back as
    `cursor=` to `tickets()` resumes with the next page without re-reading finished ones.
    """

    tickets: list[Ticket]
    cursor: dict[str, Any] | None  # None once the stream is exhausted
    deleted_ticket_ids: list[str] = field(default_factory=list)


__all__ = ["KbArticle", "KbCategory", "KbPage", "KbTranslation"]  # knowledge-base records (connectors/knowledge.py)

COUNTED_OBJECTS = ("tickets", "contacts", "agents")
# Counted through their own methods (a source that has none says so with NotAvailable).
ORGANIZATIONS, CONTACT_FIELDS = "organizations", "contact_fields"
ARTICLES = "articles"  # help-center articles (connectors/knowledge.py)


class SourceConnector(OrganizationSource, KnowledgeSource, abc.ABC):
    """Base of every source connector. Subclasses live in `connectors/<key>/` and register in `registry.py`.

    Warnings: a listing the product can live without (brands, groups, deleted users, a count...) that the
    vendor refuses degrades to "not available": the connector calls `warn(sentence)` and goes on. The engine
    copies `warnings` into the run's report after each chunk (docs/engine.md, "Warnings").
    """

    key: ClassVar[str]
    label: ClassVar[str]
    config_fields: ClassVar[tuple[ConfigField, ...]]
    # Things this source has that the wizard should offer (e.g. "call_recordings", "mailboxes").
    features: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @property
    def warnings(self) -> list[str]:
        """Plain sentences about what this connector could not read and did without (each once)."""
        return self.__dict__.setdefault("_warnings", [])

    def warn(self, sentence: str) -> None:
        if sentence not in self.warnings:
            self.warnings.append(sentence)

    def identified(self, tickets: list[Ticket]) -> list[Ticket]:
        """Tickets the vendor sent without an id cannot be named in a report: left out with a warning."""
        kept = [t for t in tickets if t.source_id not in ("", "None")]
        if len(kept) < len(tickets):
            self.warn(f"{self.label} sent {len(tickets) - len(kept)} ticket(s) without an id: they were left out.")
        return kept

    def optional(self, what: str, call: Any, default: Any, *, without: str = "") -> Any:
        """`call()` for a listing the product can live without: a permanent refusal (or a missing
        permission) makes it "not available" with a warning saying what is done without it."""
        try:
            return call()
        except (PermanentRefusal, MissingPermission, NotFound) as exc:
            answer = f" (HTTP {exc.status} to {exc.endpoint})" if isinstance(exc, PermanentRefusal) else ""
            self.warn(f"{what} not available{answer}" + (f": {without}" if without else f": {exc}"))
            return default

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """Return a cleaned config or raise InvalidConfig naming the field in plain words."""
        cleaned: dict[str, Any] = {}
        for f in cls.config_fields:
            value = config.get(f.name)
            if isinstance(value, str):
                value = value.strip()
            if f.required and not value:
                raise InvalidConfig(f"{f.label} is required.")
            if value not in (None, ""):
                cleaned[f.name] = value
        return cleaned

    @abc.abstractmethod
    def check(self) -> CheckResult:
        """One cheap authenticated call. Raises a ConnectorError subclass with a plain message."""

    def counts(self, *, filter: dict[str, Any] | None = None) -> dict[str, int]:
        """Record counts per object: {"tickets": n, "contacts": n, "agents": n}; the first failure raises."""
        return {what: self.count(what, filter=filter) for what in COUNTED_OBJECTS}

    @abc.abstractmethod
    def count(self, what: str, *, filter: dict[str, Any] | None = None) -> int:
        """The count of one object ("tickets", "contacts" or "agents"), asked on its own so one that fails
        leaves the others known (the wizard's objects step shows each, with a retry for a failed one)."""

    def counts_each(self, *, filter: dict[str, Any] | None = None,
                    only: tuple[str, ...] = COUNTED_OBJECTS) -> tuple[dict[str, int], dict[str, str]]:
        """(counts that succeeded, object -> why it could not be counted), each object on its own."""
        got: dict[str, int] = {}
        failed: dict[str, str] = {}
        for what in only:
            try:
                if what == ORGANIZATIONS:
                    try:
                        got[what] = int(self.count_organizations())
                    except NotAvailable:
                        got[what] = 0  # a source without organizations has none: nothing to wait for
                elif what == CONTACT_FIELDS:
                    got[what] = len(self.contact_field_names())
                elif what == ARTICLES:
                    try:
                        got[what] = int(self.count_articles())
                    except NotAvailable:
                        got[what] = 0  # a source without a help center has no articles
                else:
                    got[what] = int(self.count(what, filter=filter))
            except ConnectorError as exc:
                failed[what] = str(exc)
        return got, failed

    @abc.abstractmethod
    def agents(self) -> list[Agent]:
        """Every agent, active or not, deleted ones flagged."""

    @abc.abstractmethod
    def tickets(
        self,
        *,
        since: datetime | None = None,
        ids: list[str] | None = None,
        filter: dict[str, Any] | None = None,
        cursor: dict[str, Any] | None = None,
    ) -> Iterator[TicketPage]:
        """Stream tickets page by page, oldest update first; never the whole account in memory.

        since: only tickets created or updated at/after this instant (delta);
        ids: only these tickets (demo with custom data), in that order;
        filter: a source-specific selection (mailbox, brand, group, tag...);
        cursor: resume after the page that yielded it.
        """

    @abc.abstractmethod
    def download(self, attachment: Attachment) -> Iterator[bytes]:
        """Stream an attachment's bytes in chunks (never the whole file in memory)."""

    def mailboxes(self) -> list[tuple[str, str]]:
        """(id, name) of mailboxes/brands a ticket filter can choose from; empty if none."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release network resources."""
