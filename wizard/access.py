"""The one access check for migrations and everything hanging off them.

Every view, htmx endpoint, report download and API call reaches a migration through
`get_migration_for` (or `migrations_visible_to` for lists). An object the user has no right to is a 404,
never a 403, so its existence does not leak.
"""

from __future__ import annotations

from enum import IntEnum

from django.db.models import QuerySet
from django.http import Http404

from wizard.models import Migration


class Level(IntEnum):
    """What a person may do with a migration; each level includes the ones below it."""

    VIEWER = 1  # sees progress and reports
    EDITOR = 2  # also changes settings and runs demos
    OWNER = 3  # also pays and starts the full run


def level_for(user, migration: Migration) -> Level | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if migration.owner_id == user.pk:
        return Level.OWNER
    return _shared_level(user, migration)


def _shared_level(user, migration: Migration) -> Level | None:
    """Level granted through a share (filled in by the sharing feature; none until then)."""
    return None


def migrations_visible_to(user) -> QuerySet[Migration]:
    if not getattr(user, "is_authenticated", False):
        return Migration.objects.none()
    return Migration.objects.filter(owner=user)


def get_migration_for(user, pk, *, level: Level = Level.VIEWER) -> tuple[Migration, Level]:
    """The migration `pk` and the user's level on it, or Http404 when the level is not reached."""
    try:
        migration = Migration.objects.select_related("owner").get(pk=pk)
    except (Migration.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    granted = level_for(user, migration)
    if granted is None or granted < level:
        raise Http404
    return migration, granted
