"""A ticket's requester as Front can take it: only well-formed email addresses become handles.

Help desks keep whatever was typed ("bob at example dot com", "jane@@example.org"). Sending such an
address as a contact handle or as the sender of an imported message would have Front refuse the record
(or, worse, keep an address nobody can write to), so it never leaves the engine: the contact is created
with its other handles, or not at all, and the ticket is migrated with the requester's name only. Both
are reported as warnings (the contact `skipped`, the ticket `done` with a sentence saying what it
became), never as failures: nothing was lost that Front could have held.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from connectors.base import Contact, Ticket

_UNICODE_LOCAL = re.compile(r'[^\s@"(),:;<>\[\]\\.]+(\.[^\s@"(),:;<>\[\]\\.]+)*')


def is_email(address: str | None) -> bool:
    """A well-formed address (Django's validator; internationalised local parts allowed, RFC 6531)."""
    address = (address or "").strip()
    if not address or len(address) > 254 or address.count("@") != 1:
        return False
    local, domain = address.split("@")
    if not local.isascii():
        if not _UNICODE_LOCAL.fullmatch(local):
            return False
        address = f"x@{domain}"
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


@dataclass(frozen=True)
class Handles:
    emails: list[str]
    phones: list[str]
    invalid: list[str]  # email addresses left out, as the source wrote them

    @property
    def any(self) -> bool:
        return bool(self.emails or self.phones)


def handles(contact: Contact) -> Handles:
    emails = [e for e in contact.emails if e and e.strip()]
    return Handles(emails=[e for e in emails if is_email(e)], phones=[p for p in contact.phones if p and p.strip()],
                   invalid=[e for e in emails if not is_email(e)])


def sender(ticket: Ticket) -> tuple[str, str | None]:
    """The handle and name the requester's messages are imported with: a valid address, else a phone
    number, else a placeholder in the reserved `.invalid` domain (one per requester, so their tickets stay
    together in Front; one per ticket when the source names no requester)."""
    req = ticket.requester
    if req is not None:
        usable = handles(req)
        if usable.emails:
            return usable.emails[0], req.name
        if usable.phones:
            return usable.phones[0], req.name
        if usable.invalid:
            return f"invalid-address-{_local_part(req.source_id)}@frontport.invalid", req.name
    return f"unknown-requester-{ticket.source_id}@frontport.invalid", (req.name if req else None)


def _local_part(source_id: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9._-]{1,40}", source_id) and not source_id.startswith("."):
        return source_id
    return hashlib.sha256(source_id.encode()).hexdigest()[:16]


def _quoted(addresses: list[str]) -> str:
    return ", ".join(f"“{a}”" for a in addresses)


def contact_warning(contact: Contact) -> str:
    """Why a requester's contact lacks an address (or was not created); "" when nothing was left out."""
    usable = handles(contact)
    if not usable.invalid:
        return ""
    bad = _quoted(usable.invalid)
    if usable.any:
        return f"Email address {bad} left out: it is not a valid email address."
    who = f"the name “{contact.name}” only" if contact.name else "no name or address (an unknown requester)"
    return (f"Not created in Front: {bad} is not a valid email address and there is no other address or phone "
            f"number. Its tickets were migrated with {who}.")


def ticket_warning(ticket: Ticket) -> str:
    """What the ticket's conversation shows instead of an invalid requester address; "" when nothing."""
    req = ticket.requester
    if req is None:
        return ""
    usable = handles(req)
    if not usable.invalid:
        return ""
    handle, name = sender(ticket)
    if usable.emails:
        became = f"the conversation uses their other address {handle}"
    elif usable.phones:
        became = f"the conversation uses their phone number {handle}"
    elif name:
        became = (f"the conversation shows the requester by name only (“{name}”, from the placeholder address "
                  f"{handle}); no Front contact was created")
    else:
        became = f"the conversation shows an unknown requester ({handle}); no Front contact was created"
    return f"The requester's email address {_quoted(usable.invalid)} is not valid: {became}."
