"""A small world for access tests: a victim migration shared at every level, an outsider, staff."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


class _RefusingFront(BaseHTTPRequestHandler):
    """A loopback 'Front' that refuses every token at once (401 with Front's error body), so wizard
    pages that talk to Front answer quickly and no test traffic leaves the machine."""

    def _refuse(self) -> None:
        body = json.dumps({"_error": {"status": 401, "title": "Unauthorized", "message": "Bad token"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _refuse

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def refusing_front_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingFront)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def make_user(email: str, **extra):
    return get_user_model().objects.create_user(username=email, email=email, password="pw-" + email, **extra)


def make_migration(owner, name: str, front_url: str = "http://127.0.0.1:9") -> Migration:
    # Every step open (so views run past the step-order rule); the sample source needs no server and the
    # Front URL is a loopback server, so a connection test never leaves the machine.
    return Migration.objects.create(
        owner=owner, name=name, source_type="sample", source_config={"tickets": 3, "seed": 7},
        front_api_url=front_url, front_token=FRONT_SECRET, furthest_step=Migration.Step.FULL,
    )


def make_order(migration: Migration, session_id: str):
    try:
        order_model = apps.get_model("billing", "Order")
    except LookupError:
        return None
    return order_model.objects.create(
        migration=migration, migration_name=migration.name, created_by=migration.owner, plan="basic",
        plan_name="Basic", currency="usd", stripe_session_id=session_id,
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
def world(db, refusing_front_url) -> World:
    owner = make_user("owner@acme.test")
    victim = make_migration(owner, "Acme Zendesk → Front", refusing_front_url)
    users = {"owner": owner}
    for level in (Level.VIEWER, Level.EDITOR, Level.OWNER):
        colleague = make_user(f"colleague-{level.name.lower()}@acme.test")
        grant(victim, colleague, level)
        users[level.name.lower() + "_level"] = colleague
    # The outsider is not a stranger to the product: they own a migration and hold an editor share on
    # a third one, so a check that only asks "is this user somebody?" fails the suite.
    outsider = make_user("outsider@rival.test")
    outsider_own = make_migration(outsider, "Rival migration", refusing_front_url)
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
    order = make_order(victim, "cs_test_world")
    if order is not None:
        w.victim_ids["order"] = order.pk
        make_order(outsider_own, "cs_test_outsider")
    run = make_run(victim)
    if run is not None:
        w.victim_ids["run"] = run.pk
        make_run(outsider_own)
    return w
