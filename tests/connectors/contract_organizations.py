"""The contract's organization and contact-detail checks (collected by test_contract.py for every harness).

Every connector either gives every organization of the data set once — name, domains, details, notes,
custom fields by name — across pages, resumable from a page's cursor, counted, readable by id, and complete
contacts (organization, custom fields, notes, every handle); or, for a source without organizations, says
so with `NotAvailable` from every organization method, never another error.

Harness hooks (all optional): `organizations_available` (False: NotAvailable expected), `vendor_organization`
(how the vendor holds a data-set organization), `vendor_organization_id`, `vendor_contact` (how it holds a
contact's details), `vendor_contact_fields` (the contact field names it lists).
"""

from __future__ import annotations

import pytest

from connectors.base import Contact, NotAvailable, Organization
from connectors.sample import people
from tests.connectors.harness import expected

SIZE, SEED, PAGE = 230, 7, 5


def _available(harness) -> bool:
    return getattr(harness, "organizations_available", True)


def _org_view(harness, org: Organization) -> Organization:
    view = getattr(harness, "vendor_organization", None)
    return view(org) if view else org


def _org_id(harness, source_id: str) -> str:
    view = getattr(harness, "vendor_organization_id", None)
    return view(source_id) if view else source_id


def _shape(org: Organization) -> tuple:
    return (org.name, sorted(d.lower() for d in org.domains), org.details, org.notes, org.custom_fields)


def _truth(harness) -> dict[str, Organization]:
    return {_org_id(harness, o.source_id): _org_view(harness, o) for o in expected(SIZE, SEED).organizations()}


def test_organizations_stream_each_once_or_are_not_available(harness):
    connector = harness.connector(tickets=SIZE, seed=SEED, page_size=PAGE)
    if not _available(harness):
        for call in (lambda: list(connector.organizations()), connector.count_organizations,
                     lambda: connector.organization("1")):
            with pytest.raises(NotAvailable) as caught:
                call()
            assert str(caught.value).endswith(".") and "Traceback" not in str(caught.value)
        return
    pages = list(connector.organizations())
    assert [p.cursor is None for p in pages] == [False] * (len(pages) - 1) + [True]
    got = [o for p in pages for o in p.organizations]
    assert len({o.source_id for o in got}) == len(got)
    truth = _truth(harness)
    assert {o.source_id: _shape(o) for o in got} == {k: _shape(v) for k, v in truth.items()}
    assert connector.count_organizations() == len(truth)


def test_organization_by_id_and_resume_from_a_cursor(harness):
    if not _available(harness):
        pytest.skip("this source has no organizations (checked above)")
    connector = harness.connector(tickets=SIZE, seed=SEED, page_size=PAGE)
    truth = _truth(harness)
    some = sorted(truth)[len(truth) // 2]
    assert _shape(connector.organization(some)) == _shape(truth[some])
    assert connector.organization(_org_id(harness, str(people.ORGANIZATION_ID_OFFSET + 999))) is None
    first = next(iter(connector.organizations()))
    if first.cursor is None:
        return  # one page holds them all here (the vendor's fixed page size)
    fresh = harness.connector(tickets=SIZE, seed=SEED, page_size=PAGE)
    rest = [o.source_id for p in fresh.organizations(cursor=first.cursor) for o in p.organizations]
    assert sorted([o.source_id for o in first.organizations] + rest) == sorted(truth)
    assert not {o.source_id for o in first.organizations} & set(rest)


def _valid(address: str) -> bool:
    local, _, domain = address.partition("@")
    return bool(local) and "." in domain and "@" not in domain and " " not in address and not local.endswith(".")


def _contact_view(harness, contact: Contact) -> Contact:
    view = getattr(harness, "vendor_contact", None)
    return view(contact) if view else contact


def test_contact_details_are_complete(harness):
    """The requesters of streamed tickets, completed: organization, custom fields, notes, every handle."""
    connector = harness.connector(tickets=SIZE, seed=SEED, page_size=40)
    dataset = expected(SIZE, SEED)
    requesters: dict[str, Contact] = {}
    for page in connector.tickets():
        for t in page.tickets:
            if t.requester is not None and t.requester.source_id not in requesters and len(requesters) < 12:
                requesters[t.requester.source_id] = t.requester
        if len(requesters) >= 12:
            break
    checked = 0
    for source_id, requester in requesters.items():
        truth = dataset.contact_by_id(source_id)
        if truth is None:
            continue
        got = connector.contact_details(requester)
        want = _contact_view(harness, truth)
        assert got.source_id == source_id
        assert got.custom_fields == want.custom_fields, source_id
        assert got.notes == want.notes, source_id
        if _available(harness):
            assert got.organization_ids[:1] == [_org_id(harness, o) for o in want.organization_ids[:1]], source_id
        assert {e.lower() for e in want.emails if _valid(e)} <= {e.lower() for e in got.emails}
        assert set(want.phones) <= set(got.phones)
        checked += 1
    assert checked >= 8
    names = getattr(harness, "vendor_contact_fields", list(people.CONTACT_FIELDS))
    assert sorted(connector.contact_field_names()) == sorted(names)
