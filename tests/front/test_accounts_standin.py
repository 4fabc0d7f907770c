"""Front accounts through the client and the stand-in: answers per the spec, both readings of what Front
does with a custom field value that does not fit its field (docs/vendor-guesses.md)."""

from __future__ import annotations

import pytest

from connectors.front import FrontClient, InvalidRequest
from connectors.front.accounts import FrontAccounts
from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN


@pytest.fixture
def reading(standin_strict):
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=6000, latency_ms=0, strict=standin_strict) as standin:
        client = FrontClient(token=FRONT_TEST_TOKEN, api_url=standin.url, budget_key=f"acc-{standin_strict}")
        yield standin, client
        client.close()


def test_accounts_round_trip_per_spec(reading):
    standin, client = reading
    accounts = FrontAccounts(client)
    assert {f["name"]: f["type"] for f in accounts.custom_fields()} == {"Account tier": "enum", "Seats": "number"}
    made = accounts.create({"name": "Globex Ltd", "domains": ["globex.example", "GLOBEX.example"],
                            "description": "HQ", "external_id": "frontport-x-org-1",
                            "custom_fields": {"Account tier": "Premium", "Seats": 12}})
    assert made["domains"] == ["globex.example"] and made["custom_fields"] == {"Account tier": "Premium", "Seats": 12}
    contact = client.ensure_contact_found(name="Ann", emails=["ann@globex.example"],
                                          details={"description": "VIP", "custom_fields": {"Plan": "Pro"}})
    assert contact.created and contact.found is None
    again = client.ensure_contact_found(name="Ann", emails=["ann@globex.example"])
    assert again.id == contact.id and not again.created
    accounts.add_contacts(made["id"], [contact.id])
    accounts.add_contacts(made["id"], [contact.id])  # twice: still one member
    accounts.update(made["id"], {"custom_fields": {"Seats": 13}})  # a PATCH replaces every custom field
    assert accounts.get(made["id"])["custom_fields"] == {"Seats": 13}
    assert accounts.get("acc_unknown") is None
    state = standin.state()
    assert state["accounts"][0]["contact_ids"] == [contact.id]
    assert state["contacts"][0]["custom_fields"] == {"Plan": "Pro"} and state["contacts"][0]["description"] == "VIP"
    assert state["counters"]["spec_violations"] == 0 and state["counters"]["response_violations"] == 0, state["violations"]


def test_a_value_that_does_not_fit_is_refused_or_dropped(reading, standin_strict):
    """Ours: 400. Strict: written without the value. The engine never sends one (field_values.py)."""
    standin, client = reading
    accounts = FrontAccounts(client)
    body = {"name": "Initech", "custom_fields": {"Account tier": "Legacy", "Seats": "many", "Unknown": "x"}}
    if standin_strict:
        assert accounts.create(body)["custom_fields"] == {}
    else:
        with pytest.raises(InvalidRequest, match="Account tier"):
            accounts.create(body)
        assert standin.state()["accounts"] == []
