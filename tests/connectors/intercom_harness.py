"""Contract harness for Intercom: the connector talks to the Intercom stand-in over HTTP.

What the sample help desk looks like once it has gone through Intercom (the expectation is translated,
never the connector's output): no public notes (an admin's public message is a `comment`, a reply), the
states open / snoozed / closed, unset conversation attributes absent, deleted teammates gone from the
admin list (an admin without an inbox seat is the inactive one).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from connectors.base import Agent, Contact, Organization, SourceConnector, Ticket
from connectors.intercom import IntercomConnector
from sandbox.intercom import IntercomStandin
from sandbox.intercom.companies import company_id
from sandbox.intercom.render import STATE, sendable
from tests.connectors.hsfd_harness import _StandinHarness, closed_port_url


def intercom_ticket(t: Ticket) -> Ticket:
    messages = [replace(m, kind="reply") if m.kind == "public_note" else m for m in t.messages]
    return replace(t, status="deleted" if t.deleted else STATE.get(t.status, "closed"), messages=messages,
                   custom_fields={k: v for k, v in t.custom_fields.items() if v is not None})


def intercom_agents(agents: list[Agent]) -> list[Agent]:
    return [a for a in agents if not a.deleted]


class IntercomHarness(_StandinHarness):
    key = "intercom"
    articles_available = False  # Intercom's Help Center is not read (yet): the contract expects NotAvailable
    standin_cls = IntercomStandin
    connector_cls = IntercomConnector

    def connector(self, *, tickets: int, seed: int, revision: int = 0, page_size: int = 50) -> SourceConnector:
        standin = self.standin(tickets=tickets, seed=seed, revision=revision)
        standin.app.served.clear()
        return self.make({**standin.config, "page_size": page_size})

    def bad_credentials(self) -> SourceConnector:
        standin = self.standin(tickets=10, seed=1)
        return self.make({**standin.config, "access_token": "wrong-token"})

    def unreachable(self) -> SourceConnector:
        return self.make({"access_token": "t", "region": "us", "api_url": closed_port_url()})

    def rate_limited(self, *, tickets: int, seed: int, refusals: int, retry_after: int) -> SourceConnector:
        standin: Any = self.standin(tickets=tickets, seed=seed, revision=0)
        standin.app.calls["early_retries"] = 0
        standin.app.refuse_next(refusals, retry_after)
        return self.make(standin.config)

    def close(self) -> None:
        violations = [v for standin in self._standins.values() for v in standin.app.violations]
        super().close()
        assert not violations, violations[:3]  # every request and answer matched Intercom's document

    @staticmethod
    def vendor_view(ticket: Ticket) -> Ticket:
        return intercom_ticket(ticket)

    @staticmethod
    def vendor_agents(agents: list[Agent]) -> list[Agent]:
        return intercom_agents(agents)

    # Organizations: an Intercom company has no details, notes or second domain; contacts have no notes,
    # one email (a sendable one) and one phone; companies have ids of their own; contact attributes are
    # not listed as field definitions by the stand-in.
    vendor_contact_fields: list[str] = []

    @staticmethod
    def vendor_organization(org: Organization) -> Organization:
        return replace(org, domains=org.domains[:1], details=None, notes=None)

    @staticmethod
    def vendor_organization_id(source_id: str) -> str:
        return company_id(source_id)

    @staticmethod
    def vendor_contact(contact: Contact) -> Contact:
        return replace(contact, notes=None, emails=[e for e in contact.emails[:1] if sendable(e)],
                       phones=contact.phones[:1])
