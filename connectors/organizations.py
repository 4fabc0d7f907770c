"""The optional part of the source interface: organizations (-> Front accounts) and complete contacts.

`SourceConnector` (connectors/base.py) inherits this. A source without organizations says so with
`NotAvailable` (a sentence, never a crash): the run goes on without accounts and the wizard shows why.
The records themselves (`Organization`, `OrganizationPage`, `Contact`) are in connectors/base.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from connectors.base import Contact, NotAvailable, Organization, OrganizationPage


class OrganizationSource:
    label: ClassVar[str]

    def no_organizations(self) -> NotAvailable:
        from connectors.base import NotAvailable  # base imports this module: no import cycle at load time

        return NotAvailable(f"{self.label} has no organizations that Frontport can read.")

    def organizations(self, *, cursor: dict[str, Any] | None = None) -> Iterator[OrganizationPage]:
        """Every organization, page by page, with the cursor contract of `tickets()` (the last page's cursor
        is None). Raises NotAvailable, before yielding anything, when the source has none."""
        raise self.no_organizations()

    def organization(self, source_id: str) -> Organization | None:
        """One organization by id (a demo asks only for those of its tickets' requesters); None when the
        source no longer has it. By default found in the listing; connectors with a read by id override."""
        for page in self.organizations():
            for org in page.organizations:
                if org.source_id == source_id:
                    return org
        return None

    def count_organizations(self) -> int:
        """How many organizations the source holds (NotAvailable when it has none)."""
        return sum(len(page.organizations) for page in self.organizations())

    def contact_field_names(self) -> list[str]:
        """Names of the source's custom contact fields (empty when it has none)."""
        return []

    def contact_details(self, contact: Contact) -> Contact:
        """The contact as complete as the source can give it: every email and phone, its organizations, its
        custom fields and notes. Ticket listings often carry only a requester's name and address; connectors
        whose listings are incomplete read the contact here (once per contact). By default: as given."""
        return contact
