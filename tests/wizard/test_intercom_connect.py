"""Intercom in the wizard's platform list: its connection form comes from the connector's `config_fields`
and the connection test talks to the Intercom stand-in."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_intercom_is_offered_with_its_fields(owner_client, migration):
    page = owner_client.get(reverse("wizard:connect", args=[migration.pk]) + "?platform=intercom").content.decode()
    assert 'data-testid="platform-intercom"' in page
    assert 'name="source-access_token"' in page and 'type="password"' in page
    for region in ("us", "eu", "au"):
        assert f'<option value="{region}"' in page
    assert 'name="source-api_url"' in page


def test_intercom_connection_test_names_the_workspace_or_the_problem(owner_client, migration, intercom_standin):
    url = reverse("wizard:connect_test", args=[migration.pk, "source"])
    fields = {"platform": "intercom", "source-region": "us", "source-api_url": intercom_standin.url}
    ok = owner_client.post(url, {**fields, "source-access_token": intercom_standin.token}, HTTP_HX_REQUEST="true")
    assert "Acme" in ok.content.decode()
    bad = owner_client.post(url, {**fields, "source-access_token": "wrong-token"}, HTTP_HX_REQUEST="true").content
    assert "did not accept the access token" in bad.decode() and "wrong-token" not in bad.decode()
    assert "Traceback" not in bad.decode()
