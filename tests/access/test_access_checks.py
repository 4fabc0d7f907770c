"""The access functions themselves (the persona suite checks them through every URL)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from wizard.access import Level, get_object_for, get_order_for, get_run_for, level_for, migrations_visible_to
from wizard.models import Share


def test_get_run_for_goes_through_the_migration(world):
    run_id = world.victim_ids["run"]
    viewer, outsider = world.users["viewer_level"], world.users["outsider"]
    run, level = get_run_for(viewer, run_id)
    assert run.pk == run_id and level == Level.VIEWER
    with pytest.raises(Http404):
        get_run_for(viewer, run_id, level=Level.EDITOR)
    for who in (outsider, world.users["staff"], AnonymousUser()):
        with pytest.raises(Http404):
            get_run_for(who, run_id)
    # Named together with a migration, the run must belong to it.
    with pytest.raises(Http404):
        get_run_for(outsider, run_id, migration=world.outsider_own)
    for bad in (999999, "abc", None):
        with pytest.raises(Http404):
            get_run_for(world.owner, bad)


def test_orders_need_owner_level_by_default(world):
    order_id = world.victim_ids["order"]
    assert get_order_for(world.users["owner_level"], order_id)[1] == Level.OWNER
    with pytest.raises(Http404):
        get_order_for(world.users["editor_level"], order_id)


def test_revoked_share_and_inactive_user_grant_nothing(world):
    editor = world.users["editor_level"]
    assert level_for(editor, world.victim) == Level.EDITOR
    Share.objects.filter(accepted_by=editor).update(revoked_at=world.victim.created_at)
    assert level_for(editor, world.victim) is None
    assert world.victim not in migrations_visible_to(editor)
    viewer = world.users["viewer_level"]
    viewer.is_active = False
    assert level_for(viewer, world.victim) is None and not migrations_visible_to(viewer).exists()
    with pytest.raises(Http404):
        get_object_for(world.users["outsider"], Share, world.victim_ids["share"], level=Level.OWNER)


def test_run_emails_go_to_the_owner_and_editors(world):
    from migrations_engine.notify import recipients

    emails = recipients(world.victim)
    assert emails[0] == "owner@acme.test"
    assert sorted(emails[1:]) == ["colleague-editor@acme.test", "colleague-owner@acme.test"]  # not viewers
    Share.objects.filter(accepted_by=world.users["editor_level"]).update(revoked_at=world.victim.created_at)
    assert "colleague-editor@acme.test" not in recipients(world.victim)
