"""The one access check for migrations and everything hanging off them.

Every view, htmx endpoint, report download and API call reaches a migration through
`get_migration_for` (or `migrations_visible_to` for lists), and any object that belongs to a migration
(a run, an order, a report...) through `get_run_for` / `get_object_for`, which go through the migration's
check. An object the user has no right to is a 404, never a 403, so its existence does not leak.

Levels come from ownership or from an accepted, unrevoked share (`wizard.sharing_models.Share`); a
revoked share stops granting access on the very next request because nothing is cached.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from django.apps import apps
from django.db.models import Max, Model, Q, QuerySet
from django.http import Http404

from wizard.models import Migration, Share


class Level(IntEnum):
    """What a person may do with a migration; each level includes the ones below it."""

    VIEWER = 1  # sees progress and reports
    EDITOR = 2  # also changes settings and runs demos
    OWNER = 3  # also pays and starts the full run


def level_for(user, migration: Migration) -> Level | None:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    if migration.owner_id == user.pk:
        return Level.OWNER
    return _shared_level(user, migration)


def _shared_level(user, migration: Migration) -> Level | None:
    """The highest level granted to `user` by accepted, unrevoked shares of this migration."""
    best = Share.objects.granting(user).filter(migration=migration).aggregate(best=Max("level"))["best"]
    return Level(best) if best else None


def migrations_visible_to(user) -> QuerySet[Migration]:
    """Every migration the user owns or holds an active share on (at any level)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Migration.objects.none()
    shared_ids = Share.objects.granting(user).values("migration_id")
    return Migration.objects.filter(Q(owner=user) | Q(pk__in=shared_ids))


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


def get_object_for(
    user,
    model: type[Model] | str,
    pk,
    *,
    level: Level = Level.VIEWER,
    migration: Migration | None = None,
    migration_field: str = "migration",
) -> tuple[Any, Level]:
    """Any object that belongs to a migration (through `migration_field`), checked through that migration.

    When the URL also names a migration, pass it: an object of another migration is then a 404 too, so
    `/migrations/<mine>/runs/<yours>/` cannot be used to reach someone else's run.
    """
    model_cls = apps.get_model(model) if isinstance(model, str) else model
    try:
        obj = model_cls._default_manager.only("pk", f"{migration_field}_id").get(pk=pk)
    except (model_cls.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    migration_id = getattr(obj, f"{migration_field}_id")
    if migration is not None and migration_id != migration.pk:
        raise Http404
    _, granted = get_migration_for(user, migration_id, level=level)
    return model_cls._default_manager.get(pk=obj.pk), granted


def get_run_for(user, run_id, *, level: Level = Level.VIEWER, migration: Migration | None = None):
    """The engine run `run_id` and the user's level on its migration, or Http404."""
    return get_object_for(user, "migrations_engine.Run", run_id, level=level, migration=migration)


def get_order_for(user, order_id, *, level: Level = Level.OWNER, migration: Migration | None = None):
    """A billing order (paying is an owner's right, so owner level by default), or Http404."""
    return get_object_for(user, "billing.Order", order_id, level=level, migration=migration)


def editor_emails(migration: Migration) -> list[str]:
    """Addresses of colleagues with at least editor level (the engine emails them about runs)."""
    shares = (
        Share.objects.not_revoked()
        .filter(migration=migration, level__gte=Level.EDITOR, accepted_by__isnull=False, accepted_by__is_active=True)
        .exclude(accepted_by__email="")
        .order_by("accepted_at", "pk")
    )
    return list(dict.fromkeys(shares.values_list("accepted_by__email", flat=True)))


def require_staff(user) -> None:
    """Staff pages: anyone who is not active staff gets a 404, like any object they cannot see."""
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_staff):
        raise Http404
