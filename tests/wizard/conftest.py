import pytest
from django.contrib.auth import get_user_model

from wizard.models import Migration


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user(username="owner", email="owner@example.com", password="x" * 12)


@pytest.fixture
def other_user(db):
    return get_user_model().objects.create_user(username="other", email="other@example.com", password="x" * 12)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def migration(owner):
    return Migration.objects.create(owner=owner, name="Zendesk to Front")
