"""A small world for access tests: a victim migration shared at every level, an outsider, staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from wizard.access import Level
from wizard.models import Migration, Share
from wizard.sharing import share_link_create

SOURCE_SECRET = "zd-api-token-PLAINTEXT-7f3a"
FRONT_SECRET = "front-token-PLAINTEXT-91bc"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(email: str, **extra):
    return get_user_model().objects.create_user(username=email, email=email, password="pw-" + email, **extra)


def make_migration(owner, name: str) -> Migration:
    return Migration.objects.create(
        owner=owner, name=name, source_type="zendesk",
        source_config={"url": "https://acme.zendesk.com", "email": "a@acme.test", "token": SOURCE_SECRET},
        front_api_url="https://api2.frontapp.com", front_token=FRONT_SECRET,
    )


def grant(migration: Migration, user, level: Level) -> Share:
    share = share_link_create(migration=migration, level=int(level), created_by=migration.owner, expires_in_days=7).share
    share.accepted_by = user
    share.save(update_fields=["accepted_by"])
    return share


def make_run(migration: Migration, **fields):
    """A finished engine run, when the engine's models are installed (None otherwise)."""
    try:
        run_model = apps.get_model("migrations_engine", "Run")
    except LookupError:
        return None
    values = {"kind": "demo", "state": "completed", "lineage": "g0"}
    values.update(fields)
    values = {k: v for k, v in values.items() if k in {f.name for f in run_model._meta.get_fields()}}
    return run_model.objects.create(migration=migration, **values)


@dataclass
class World:
    owner: Any
    victim: Migration
    users: dict[str, Any]
    # Ids of objects hanging off the victim migration (run, share...) and off the outsider's own one.
    victim_ids: dict[str, Any] = field(default_factory=dict)
    outsider_own: Migration | None = None


@pytest.fixture
def world(db) -> World:
    owner = make_user("owner@acme.test")
    victim = make_migration(owner, "Acme Zendesk → Front")
    users = {"owner": owner}
    for level in (Level.VIEWER, Level.EDITOR, Level.OWNER):
        colleague = make_user(f"{level.name.lower()}@acme.test")
        grant(victim, colleague, level)
        users[level.name.lower() + "_level"] = colleague
    # The outsider is not a stranger to the product: they own a migration and hold an editor share on
    # a third one, so a check that only asks "is this user somebody?" fails the suite.
    outsider = make_user("outsider@rival.test")
    outsider_own = make_migration(outsider, "Rival migration")
    third = make_migration(make_user("third@else.test"), "Third")
    grant(third, outsider, Level.EDITOR)
    users["outsider"] = outsider
    users["staff"] = make_user("staff@frontport.test", is_staff=True)
    # Revoked and expired grants of the victim must never count.
    revoked = grant(victim, outsider, Level.OWNER)
    revoked.revoked_at = revoked.created_at
    revoked.save(update_fields=["revoked_at"])

    w = World(owner=owner, victim=victim, users=users, outsider_own=outsider_own)
    pending = share_link_create(migration=victim, level=1, created_by=owner, expires_in_days=7).share
    w.victim_ids = {"migration": victim.pk, "share": pending.pk}
    run = make_run(victim)
    if run is not None:
        w.victim_ids["run"] = run.pk
        make_run(outsider_own)
    return w
