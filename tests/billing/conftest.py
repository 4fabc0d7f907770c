"""Shared helpers for billing tests: a user with a migration whose record counts are known."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from wizard.models import Migration


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's deliberate slowness costs seconds per user; these tests are not about passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english():
    """A request in French leaves French active in this thread; messages asserted here are English."""
    with translation.override("en"):
        yield


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user(username="owner", email="owner@example.com", password="pw-0123456789")


@pytest.fixture
def migration(owner):
    return Migration.objects.create(
        owner=owner, name="Acme Zendesk", source_type="sample",
        record_counts={"tickets": 2_500, "contacts": 1_200, "agents": 12},
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (Playwright's own download is unavailable here; see shared NOTES)."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run"]}
