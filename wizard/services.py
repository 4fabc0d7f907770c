"""Business logic of the wizard (HackSoft style: keyword-only arguments, no request objects)."""

from __future__ import annotations

from wizard.models import Migration


def migration_create(*, owner, name: str) -> Migration:
    return Migration.objects.create(owner=owner, name=name.strip())
