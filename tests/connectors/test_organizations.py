"""Organizations through the connectors, beyond the shared contract: a source without organizations says so
(the contract's other branch), what Help Scout's organization listing costs in both readings (H10), and a
Zendesk account whose field listings are refused keeps the values under their keys, with a warning."""

from __future__ import annotations

import pytest

from connectors.base import NotAvailable
from connectors.organizations import OrganizationSource
from connectors.registry import get_connector
from connectors.sample import SampleConnector
from sandbox.helpscout import HelpScoutStandin
from sandbox.zendesk import ZendeskStandin
from tests.connectors import contract_organizations as contract
from tests.connectors.harness import SampleHarness


class WithoutOrganizations(SampleConnector):
    """A source with tickets but no organizations: the interface's defaults."""

    organizations = OrganizationSource.organizations
    organization = OrganizationSource.organization
    count_organizations = OrganizationSource.count_organizations


class WithoutHarness(SampleHarness):
    organizations_available = False

    def connector(self, *, tickets: int, seed: int, revision: int = 0, page_size: int = 50):
        return WithoutOrganizations({"tickets": tickets, "seed": seed, "revision": revision, "page_size": page_size})

    @staticmethod
    def vendor_contact(contact):  # the sample's requesters are complete already
        return contact


def test_a_source_without_organizations_says_so_through_the_contract():
    harness = WithoutHarness()
    contract.test_organizations_stream_each_once_or_are_not_available(harness)
    connector = harness.connector(tickets=10, seed=1)
    with pytest.raises(NotAvailable, match="has no organizations"):
        connector.count_organizations()
    got, failed = connector.counts_each(only=("organizations", "contact_fields"))
    assert got == {"contact_fields": 4, "organizations": 0} and not failed  # none, nothing to wait for


def test_helpscout_organization_properties_cost_one_read_each_only_when_the_list_lacks_them(standin_strict):
    with HelpScoutStandin(tickets=40, seed=3, strict=standin_strict) as hs:
        connector = get_connector("helpscout", hs.config)
        orgs = [o for p in connector.organizations() for o in p.organizations]
        reads = hs.app.calls["GET /v2/organizations/{id}"]
    assert len(orgs) == 7 and all(o.custom_fields.get("Account tier") for o in orgs)
    assert reads == (0 if standin_strict else 7)  # H10: strict lists carry the properties


def test_zendesk_fields_refused_keep_values_under_their_keys():
    with ZendeskStandin(tickets=20, seed=2) as zd:
        zd.refuse("/api/v2/organization_fields", 403)
        connector = get_connector("zendesk", zd.admin_config())
        org = next(iter(connector.organizations())).organizations[0]
        assert {"account_tier", "renewal_date"} <= set(org.custom_fields)
        assert any("organization field names not available" in w for w in connector.warnings)
