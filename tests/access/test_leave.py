"""A colleague leaves a migration shared with them ("Leave this migration", wizard:share_leave).

Three personas through real HTTP requests: the colleague (at every share level) leaves and is then refused
exactly like an outsider; the creator cannot leave (message, nothing changes); an outsider, staff and a
colleague whose access was already withdrawn get the outsider's 404. The owner's sharing page stops
listing a colleague who left, and the audit log records it."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from staff.models import AuditLog
from tests.access.conftest import grant, make_run
from wizard.access import Level, level_for
from wizard.models import Migration, Share

pytestmark = pytest.mark.django_db

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}


def _client(user, **kwargs) -> Client:
    c = Client(**kwargs)
    c.force_login(user)
    return c


def _leave_url(migration) -> str:
    return reverse("wizard:share_leave", args=[migration.pk])


def _snapshot(migration):
    """Everything leaving must not touch: the migration's own fields and its runs."""
    row = Migration.objects.filter(pk=migration.pk).values(
        "name", "owner_id", "furthest_step", "source_type", "source_config", "front_token", "purged_at"
    ).get()
    runs = list(migration.runs.values_list("pk", "state", "counters")) if hasattr(migration, "runs") else []
    return row, runs


def _refused_statuses(user, migration) -> list[int]:
    c = _client(user)
    return [
        c.get(reverse("wizard:open", args=[migration.pk])).status_code,
        c.get(reverse("wizard:report", args=[migration.pk])).status_code,
        c.get(reverse("wizard:sharing", args=[migration.pk])).status_code,
        c.post(_leave_url(migration)).status_code,
    ]


def test_the_button_is_shown_to_colleagues_not_to_the_creator(world):
    report = reverse("wizard:report", args=[world.victim.pk])
    sharing = reverse("wizard:sharing", args=[world.victim.pk])
    leave = f'action="{_leave_url(world.victim)}"'
    page = _client(world.users["viewer_level"]).get(report).content.decode()
    assert 'data-testid="leave-open"' in page and leave in page
    form = page[page.index(leave):page.index("</form>", page.index(leave))]
    assert 'method="post"' in page[page.index(leave) - 40:page.index(leave)]
    assert "csrfmiddlewaretoken" in form
    assert "The migration and its runs are not changed." in form
    # An owner-level colleague also sees it on the sharing page they may open.
    assert leave in _client(world.users["owner_level"]).get(sharing).content.decode()
    owner = _client(world.owner)
    assert leave not in owner.get(report).content.decode()
    assert leave not in owner.get(sharing).content.decode()


@pytest.mark.parametrize("who", ["viewer_level", "editor_level", "owner_level"])
def test_a_colleague_leaves_and_is_then_refused_like_an_outsider(world, who):
    victim, colleague = world.victim, world.users[who]
    make_run(victim)
    before = _snapshot(victim)
    others = {k: level_for(u, victim) for k, u in world.users.items() if k != who}

    response = _client(colleague).post(_leave_url(victim), follow=True)
    assert response.redirect_chain == [(reverse("wizard:dashboard"), 302)]
    page = response.content.decode()
    assert "You left “Acme Zendesk → Front”: you no longer have access to it." in page
    assert reverse("wizard:open", args=[victim.pk]) not in page  # gone from their dashboard

    assert level_for(colleague, victim) is None
    assert _refused_statuses(colleague, victim) == _refused_statuses(world.users["outsider"], victim) == [404] * 4
    # Only their own access changed: the migration, its runs and everyone else's access are untouched.
    assert _snapshot(victim) == before
    assert {k: level_for(u, victim) for k, u in world.users.items() if k != who} == others

    row = AuditLog.objects.get(action="share.leave")
    assert row.actor == colleague and row.migration_id == victim.pk
    assert row.details["accepted_by"] == colleague.email
    left = Share.objects.get(pk=int(row.target_id))
    assert left.accepted_by == colleague and left.revoked_by == colleague and left.status == "left"

    # The owner's sharing page no longer lists them; the other colleagues are still there.
    shares_page = _client(world.owner).get(reverse("wizard:sharing", args=[victim.pk])).content.decode()
    assert colleague.email not in shares_page
    for other in ("viewer_level", "editor_level", "owner_level"):
        if other != who:
            assert world.users[other].email in shares_page


def test_leaving_gives_up_every_share_the_colleague_holds(world):
    victim, colleague = world.victim, world.users["viewer_level"]
    grant(victim, colleague, Level.EDITOR)  # accepted an invitation and a link: access is the higher one
    assert level_for(colleague, victim) == Level.EDITOR
    assert _client(colleague).post(_leave_url(victim)).status_code == 302
    assert level_for(colleague, victim) is None
    assert not Share.objects.granting(colleague).filter(migration=victim).exists()
    assert AuditLog.objects.filter(action="share.leave", actor=colleague).count() == 2


def test_the_creator_cannot_leave(world):
    victim, owner = world.victim, world.owner
    shares_before = list(Share.objects.order_by("pk").values_list("pk", "level", "accepted_by", "revoked_at"))
    before = _snapshot(victim)
    response = _client(owner).post(_leave_url(victim), follow=True)
    assert response.redirect_chain == [(reverse("wizard:sharing", args=[victim.pk]), 302)]
    assert "You created this migration, so you cannot leave it." in response.content.decode()
    assert level_for(owner, victim) == Level.OWNER
    assert list(Share.objects.order_by("pk").values_list("pk", "level", "accepted_by", "revoked_at")) == shares_before
    assert _snapshot(victim) == before
    assert not AuditLog.objects.filter(action="share.leave").exists()


def test_outsider_staff_and_anonymous_cannot_leave_and_staff_console_is_unaffected(world):
    victim = world.victim
    shares_before = list(Share.objects.order_by("pk").values_list("pk", "revoked_at"))
    assert _client(world.users["outsider"]).post(_leave_url(victim)).status_code == 404
    assert _client(world.users["staff"]).post(_leave_url(victim)).status_code == 404
    anonymous = Client().post(_leave_url(victim))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(settings.LOGIN_URL)
    assert list(Share.objects.order_by("pk").values_list("pk", "revoked_at")) == shares_before
    assert not AuditLog.objects.filter(action="share.leave").exists()

    # After a colleague leaves, staff still see the migration and who had access, marked "left".
    _client(world.users["editor_level"]).post(_leave_url(victim))
    console = _client(world.users["staff"]).get(reverse("staff:migration", args=[victim.pk]))
    assert console.status_code == 200
    assert re.search(r"colleague-editor@acme\.test · editor · left", console.content.decode())


def test_get_is_refused_and_the_post_needs_csrf(world):
    victim, colleague = world.victim, world.users["viewer_level"]
    assert _client(colleague).get(_leave_url(victim)).status_code == 405
    assert _client(colleague, enforce_csrf_checks=True).post(_leave_url(victim)).status_code == 403
    assert level_for(colleague, victim) == Level.VIEWER


def test_a_colleague_whose_access_was_withdrawn_is_refused(world):
    victim, colleague = world.victim, world.users["viewer_level"]
    share = Share.objects.granting(colleague).get(migration=victim)
    assert _client(world.owner).post(reverse("wizard:share_revoke", args=[victim.pk, share.pk])).status_code == 302
    assert _refused_statuses(colleague, victim) == [404] * 4
    assert not AuditLog.objects.filter(action="share.leave").exists()
    # Withdrawn by the owner (not left): still in the owner's history, as "withdrawn".
    shares_page = _client(world.owner).get(reverse("wizard:sharing", args=[victim.pk])).content.decode()
    assert colleague.email in shares_page


def test_a_colleague_who_left_can_be_invited_again(world):
    victim, colleague = world.victim, world.users["viewer_level"]
    _client(colleague).post(_leave_url(victim))
    assert level_for(colleague, victim) is None
    invited = _client(world.owner).post(reverse("wizard:share_invite", args=[victim.pk]),
                                        {"email": colleague.email, "level": Level.EDITOR})
    assert invited.status_code == 302
    token = re.search(r"/share/([A-Za-z0-9_\-]+)/", mail.outbox[-1].body).group(1)
    assert _client(colleague).post(reverse("wizard:share_accept", args=[token])).status_code == 302
    assert level_for(colleague, victim) == Level.EDITOR
    shares_page = _client(world.owner).get(reverse("wizard:sharing", args=[victim.pk])).content.decode()
    assert colleague.email in shares_page  # listed again, through the new share


def test_leaving_speaks_french(world):
    victim, colleague = world.victim, world.users["viewer_level"]
    page = _client(colleague).get(reverse("wizard:report", args=[victim.pk]), **FRENCH).content.decode()
    for french in ("Quitter cette migration", "Quitter « Acme Zendesk → Front » ?",
                   "Vous perdrez immédiatement l’accès à cette migration.",
                   "La migration et ses exécutions ne sont pas modifiées.",
                   "Le propriétaire pourra vous inviter de nouveau."):
        assert french in page, french
    assert "Leave this migration" not in page and "The owner can invite you again." not in page
    done = _client(colleague).post(_leave_url(victim), follow=True, **FRENCH).content.decode()
    assert "Vous avez quitté « Acme Zendesk → Front » : vous n’y avez plus accès." in done
    refused = _client(world.owner).post(_leave_url(victim), follow=True, **FRENCH).content.decode()
    assert "Vous avez créé cette migration : vous ne pouvez donc pas la quitter." in refused
