"""`manage.py rotate_keys` re-encrypts every encrypted column with the first key; idempotent; reports."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from tests.access.conftest import make_migration, make_user
from wizard.models import Migration

pytestmark = pytest.mark.django_db

OLD, NEW, LOST = (Fernet.generate_key().decode() for _ in range(3))


def _raw(migration: Migration) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT front_token, source_config FROM wizard_migration WHERE id = %s", [migration.pk])
        return cursor.fetchone()


def _readable_with(key: str, stored: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(stored.removeprefix("fernet:").encode())
    except Exception:
        return False
    return True


def _rotate() -> str:
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    return out.getvalue()


def test_rotation_reencrypts_every_column_with_the_new_key_once(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    owner = make_user("o@acme.test")
    first, second = make_migration(owner, "One"), make_migration(owner, "Two")
    Migration.objects.filter(pk=second.pk).update(front_token="")  # an empty column is left alone
    assert all(_readable_with(OLD, value) for value in _raw(first))

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]  # the new key first: it encrypts, both decrypt
    report = _rotate()
    assert "wizard.Migration.front_token: 1 re-encrypted, 0 already current, 0 unreadable" in report
    assert "wizard.Migration.source_config: 2 re-encrypted, 0 already current, 0 unreadable" in report
    assert "Total: 3 re-encrypted" in report
    for value in _raw(first) + _raw(second)[1:]:
        assert _readable_with(NEW, value) and not _readable_with(OLD, value)

    again = _rotate()  # idempotent: nothing left to do
    assert "Total: 0 re-encrypted, 3 already current." in again

    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # the old key can now go
    first.refresh_from_db()
    assert first.front_token and first.source_config == {"tickets": 3, "seed": 7}


def test_a_value_no_listed_key_reads_is_reported_and_fails_the_command(settings):
    settings.FIELD_ENCRYPTION_KEYS = [LOST]
    make_migration(make_user("o@acme.test"), "Lost key")
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    with pytest.raises(CommandError, match="2 stored value"):
        _rotate()
