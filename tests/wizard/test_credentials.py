"""wizard/credentials.py: which addresses are "the same place", and when a saved secret may be reused."""

from __future__ import annotations

import pytest

from connectors.base import ConfigField
from wizard.credentials import normalise_address, secrets_to_retype, with_saved_secrets

FIELDS = (ConfigField("url", "Address", kind="url"), ConfigField("backup", "Backup address", kind="url", required=False),
          ConfigField("user", "User"), ConfigField("key", "Key", kind="secret"))


@pytest.mark.parametrize(("a", "b"), [
    ("https://Acme.Zendesk.com:443/", "https://acme.zendesk.com"),
    ("HTTP://127.0.0.1:80", "http://127.0.0.1/"),
    ("  https://api2.frontapp.com/  ", "https://api2.frontapp.com"),
    ("https://[::1]:443/x/", "https://[::1]/x"),
    ("", None),
])
def test_spellings_of_one_place_are_the_same(a, b):
    assert normalise_address(a) == normalise_address(b)


@pytest.mark.parametrize(("a", "b"), [
    ("https://acme.zendesk.com", "http://acme.zendesk.com"),  # scheme
    ("https://acme.zendesk.com", "https://acme.zendesk.com.evil.test"),  # host
    ("https://api.helpscout.net", "https://api.helpscout.net:8443"),  # port
    ("https://h.test/api", "https://h.test/other"),  # path
    ("https://h.test/api", "https://h.test"),
    ("https://h.test/Api", "https://h.test/api"),  # paths are case-sensitive
    ("acme", "https://acme"),  # a connector may complete a bare name differently
    ("https://h.test", "https://user@h.test"),
    ("https://h.test:99999", "https://h.test:9999"),  # not a valid port: only identical text matches
])
def test_different_places_stay_different(a, b):
    assert normalise_address(a) != normalise_address(b)


def test_a_secret_is_reused_only_while_every_address_is_unchanged():
    saved = {"url": "https://a.test", "backup": "https://b.test", "user": "u", "key": "s3cret"}
    same = {"url": "https://A.test/", "backup": "https://b.test:443", "user": "other", "key": ""}
    assert with_saved_secrets(fields=FIELDS, typed=same, saved=saved)["key"] == "s3cret"
    assert secrets_to_retype(fields=FIELDS, typed=same, saved=saved) == []

    for moved in ({**same, "url": "https://evil.test"}, {**same, "backup": ""}, {**same, "backup": "https://c.test"}):
        assert "key" not in with_saved_secrets(fields=FIELDS, typed=moved, saved=saved)
        assert [f.name for f in secrets_to_retype(fields=FIELDS, typed=moved, saved=saved)] == ["key"]

    typed_again = {**same, "url": "https://evil.test", "key": "new"}
    assert with_saved_secrets(fields=FIELDS, typed=typed_again, saved=saved)["key"] == "new"
    assert secrets_to_retype(fields=FIELDS, typed=typed_again, saved=saved) == []
