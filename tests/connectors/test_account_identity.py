"""Every connector's check() names the account it reached (CheckResult.account_id), stably: the same
account with other credentials is the same identity, another account is another one. Billing freezes
it on orders (issue 14, item 2)."""

from __future__ import annotations

from connectors.registry import get_connector
from sandbox.helpscout import HelpScoutStandin


def _identity(key: str, config: dict) -> str:
    connector = get_connector(key, config)
    try:
        return connector.check().account_id
    finally:
        connector.close()


def test_zendesk_is_its_account_address(zendesk_standin):
    admin = _identity("zendesk", zendesk_standin.admin_config())
    oauth = _identity("zendesk", zendesk_standin.oauth_config())
    assert admin == oauth == zendesk_standin.url  # other credentials, same account
    assert _identity("zendesk", zendesk_standin.admin_config(url=zendesk_standin.url + "/")) == admin


def test_freshdesk_is_its_help_desk_address(freshdesk_standin):
    assert _identity("freshdesk", freshdesk_standin.config) == freshdesk_standin.url


def test_help_scout_is_its_company_not_the_shared_api_address(helpscout_standin):
    """Every Help Scout account shares one API address: the documented companyId tells them apart."""
    first = _identity("helpscout", helpscout_standin.config)
    assert first == f"{helpscout_standin.url} company 1"
    with HelpScoutStandin(tickets=5, seed=2) as other_company:
        assert _identity("helpscout", other_company.config) == f"{other_company.url} company 2"


def test_intercom_is_its_workspace(intercom_standin):
    assert _identity("intercom", intercom_standin.config) == "workspace acme4567"


def test_the_sample_help_desk_is_its_seed():
    assert _identity("sample", {"tickets": 5, "seed": 1}) == _identity("sample", {"tickets": 2970, "seed": 1})
    assert _identity("sample", {"seed": 1}) != _identity("sample", {"seed": 2})
