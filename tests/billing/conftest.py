"""Shared helpers for billing tests: a user with a migration whose record counts are known."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from wizard.models import Migration


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user(username="owner", email="owner@example.com", password="pw-0123456789")


@pytest.fixture
def migration(owner):
    return Migration.objects.create(
        owner=owner, name="Acme Zendesk", source_type="sample",
        record_counts={"tickets": 2_500, "contacts": 1_200, "agents": 12},
    )
