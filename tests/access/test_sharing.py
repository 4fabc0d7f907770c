"""Sharing: invitations by email, share links, accepting (signed in, or through sign-in), revoking,
expiry, one-person links, level changes. Every access is checked through real HTTP requests."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from staff.models import AuditLog
from tests.access.conftest import make_migration, make_user
from wizard.access import Level, level_for, migrations_visible_to
from wizard.models import Share

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(db):
    owner = make_user("boss@acme.test")
    migration = make_migration(owner, "Acme → Front")
    client = Client()
    client.force_login(owner)
    return owner, migration, client


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _can_open(user, migration) -> bool:
    return _client(user).get(reverse("wizard:open", args=[migration.pk])).status_code != 404


def _token_from_mail() -> str:
    assert len(mail.outbox) == 1
    match = re.search(r"/share/([A-Za-z0-9_\-]+)/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_invite_by_email_then_accept(owner_client):
    owner, migration, client = owner_client
    response = client.post(reverse("wizard:share_invite", args=[migration.pk]),
                           {"email": "Colleague@Acme.test", "level": Level.EDITOR})
    assert response.status_code == 302
    token = _token_from_mail()
    assert mail.outbox[0].to == ["colleague@acme.test"]
    assert "Acme → Front" not in mail.outbox[0].body  # no user-typed text leaves in our emails
    assert "boss@acme.test" in mail.outbox[0].body and "boss@acme.test" in mail.outbox[0].subject
    # Only a hash of the token is stored: no column of the shares table holds the token itself.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM wizard_share")
        assert token not in repr(cursor.fetchall())

    colleague = make_user("colleague@acme.test")
    assert not _can_open(colleague, migration)
    c = _client(colleague)
    page = c.get(reverse("wizard:share_accept", args=[token]))
    assert page.status_code == 200 and b"editor" in page.content
    # Opening the link (GET) redeems nothing: mail scanners cannot use it up.
    assert level_for(colleague, migration) is None
    assert c.post(reverse("wizard:share_accept", args=[token])).status_code == 302
    assert level_for(colleague, migration) == Level.EDITOR
    assert list(migrations_visible_to(colleague)) == [migration]
    # Editor rights: may edit settings, may not manage shares or delete data.
    assert c.get(reverse("wizard:rename", args=[migration.pk])).status_code == 200
    assert c.get(reverse("wizard:sharing", args=[migration.pk])).status_code == 404
    assert c.post(reverse("wizard:data_delete", args=[migration.pk]), {"confirm_name": migration.name}).status_code == 404


def test_invitation_needs_the_invited_address(owner_client):
    owner, migration, client = owner_client
    client.post(reverse("wizard:share_invite", args=[migration.pk]), {"email": "right@acme.test", "level": 1})
    token = _token_from_mail()
    other = make_user("wrong@acme.test")
    response = _client(other).post(reverse("wizard:share_accept", args=[token]))
    assert response.status_code == 410
    assert b"right@acme.test" in response.content
    assert level_for(other, migration) is None
    # A verified secondary address of the account counts.
    EmailAddress.objects.create(user=other, email="right@acme.test", verified=True)
    assert _client(other).post(reverse("wizard:share_accept", args=[token])).status_code == 302
    assert level_for(other, migration) == Level.VIEWER


def test_share_link_is_shown_once_and_works_for_one_person(owner_client):
    owner, migration, client = owner_client
    client.post(reverse("wizard:share_link", args=[migration.pk]), {"level": Level.VIEWER, "expires_in_days": 7})
    page = client.get(reverse("wizard:sharing", args=[migration.pk])).content.decode()
    url = re.search(r'value="(http[^"]+/share/[^"]+/)"', page).group(1)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 40  # secrets.token_urlsafe(32): 256 bits
    assert url not in client.get(reverse("wizard:sharing", args=[migration.pk])).content.decode()

    first, second = make_user("first@x.test"), make_user("second@x.test")
    assert _client(first).post(reverse("wizard:share_accept", args=[token])).status_code == 302
    assert level_for(first, migration) == Level.VIEWER
    refused = _client(second).post(reverse("wizard:share_accept", args=[token]))
    assert refused.status_code == 410 and b"already been used" in refused.content
    assert level_for(second, migration) is None
    # A viewer reads but cannot change anything.
    viewer = _client(first)
    assert viewer.get(reverse("wizard:rename", args=[migration.pk])).status_code == 404
    assert viewer.post(reverse("wizard:rename", args=[migration.pk]), {"name": "hijacked"}).status_code == 404
    migration.refresh_from_db()
    assert migration.name == "Acme → Front"


def test_revoked_share_stops_at_once(owner_client):
    owner, migration, client = owner_client
    colleague = make_user("c@acme.test")
    client.post(reverse("wizard:share_link", args=[migration.pk]), {"level": Level.OWNER, "expires_in_days": 1})
    share = Share.objects.get(migration=migration)
    token_page = client.get(reverse("wizard:sharing", args=[migration.pk])).content.decode()
    token = re.search(r"/share/([A-Za-z0-9_\-]+)/", token_page).group(1)
    c = _client(colleague)
    c.post(reverse("wizard:share_accept", args=[token]))
    assert c.get(reverse("wizard:sharing", args=[migration.pk])).status_code == 200  # owner level: may manage

    assert client.post(reverse("wizard:share_revoke", args=[migration.pk, share.pk])).status_code == 302
    # The very next request of the already signed-in colleague is refused, everywhere.
    assert c.get(reverse("wizard:sharing", args=[migration.pk])).status_code == 404
    assert c.get(reverse("wizard:open", args=[migration.pk])).status_code == 404
    assert migration not in migrations_visible_to(colleague)
    # ...and the link cannot be used again.
    again = c.post(reverse("wizard:share_accept", args=[token]))
    assert again.status_code == 410 and b"withdrawn" in again.content
    # Who shared, who accepted and who withdrew: all in the audit log staff read.
    log = list(AuditLog.objects.filter(migration_id=migration.pk).order_by("id").values_list("action", "actor_email"))
    assert log == [("share.link", "boss@acme.test"), ("share.accept", "c@acme.test"), ("share.revoke", "boss@acme.test")]


def test_expired_link_does_not_work(owner_client):
    owner, migration, client = owner_client
    client.post(reverse("wizard:share_link", args=[migration.pk]), {"level": Level.EDITOR, "expires_in_days": 1})
    token = re.search(r"/share/([A-Za-z0-9_\-]+)/",
                      client.get(reverse("wizard:sharing", args=[migration.pk])).content.decode()).group(1)
    Share.objects.filter(migration=migration).update(expires_at=timezone.now() - timedelta(seconds=1))
    late = make_user("late@acme.test")
    c = _client(late)
    page = c.get(reverse("wizard:share_accept", args=[token]))
    assert page.status_code == 410 and b"expired" in page.content
    assert c.post(reverse("wizard:share_accept", args=[token])).status_code == 410
    assert level_for(late, migration) is None
    assert not _can_open(late, migration)


def test_unknown_token_is_a_plain_404():
    response = Client().get(reverse("wizard:share_accept", args=["x" * 43]))
    assert response.status_code == 404
    assert b"not valid" in response.content


def test_anonymous_visitor_signs_in_confirms_and_gets_access(owner_client, settings):
    """The link survives sign-in (or sign-up + email verification): the token waits in the session, and
    the sign-in leads back to the invitation, which is accepted only by the visitor's own click."""
    owner, migration, client = owner_client
    client.post(reverse("wizard:share_invite", args=[migration.pk]), {"email": "new@acme.test", "level": 1})
    token = _token_from_mail()
    newcomer = make_user("new@acme.test")
    EmailAddress.objects.create(user=newcomer, email="new@acme.test", verified=True, primary=True)
    visitor = Client()
    landing = visitor.get(reverse("wizard:share_accept", args=[token]))
    assert landing.status_code == 200 and b"Sign in" in landing.content
    assert level_for(newcomer, migration) is None
    response = visitor.post(reverse("account_login"), {"login": "new@acme.test", "password": "pw-new@acme.test"})
    assert response.status_code == 302, response.content[:500]
    accept_url = reverse("wizard:share_accept", args=[token])
    assert response["Location"] == accept_url
    assert level_for(newcomer, migration) is None  # nothing accepted silently at sign-in
    confirmation = visitor.get(accept_url)
    assert confirmation.status_code == 200 and b'data-testid="accept-share"' in confirmation.content
    assert level_for(newcomer, migration) is None
    assert visitor.post(accept_url).status_code == 302
    assert level_for(newcomer, migration) == Level.VIEWER
    assert visitor.get(reverse("wizard:open", args=[migration.pk])).status_code == 302


def test_owner_changes_a_level(owner_client):
    owner, migration, client = owner_client
    colleague = make_user("up@acme.test")
    client.post(reverse("wizard:share_invite", args=[migration.pk]), {"email": "up@acme.test", "level": 1})
    _client(colleague).post(reverse("wizard:share_accept", args=[_token_from_mail()]))
    share = Share.objects.get(migration=migration, accepted_by=colleague)
    assert not _client(colleague).get(reverse("wizard:rename", args=[migration.pk])).status_code == 200
    client.post(reverse("wizard:share_level", args=[migration.pk, share.pk]), {"level": Level.EDITOR})
    assert _client(colleague).get(reverse("wizard:rename", args=[migration.pk])).status_code == 200


def test_owner_cannot_invite_themselves(owner_client):
    owner, migration, client = owner_client
    response = client.post(reverse("wizard:share_invite", args=[migration.pk]), {"email": "boss@acme.test", "level": 1})
    assert response.status_code == 400
    assert not Share.objects.exists() and not mail.outbox


def test_a_share_opens_one_migration_only(owner_client):
    owner, migration, client = owner_client
    other = make_migration(owner, "Second inbox")
    colleague = make_user("one@acme.test")
    client.post(reverse("wizard:share_invite", args=[migration.pk]), {"email": "one@acme.test", "level": 3})
    _client(colleague).post(reverse("wizard:share_accept", args=[_token_from_mail()]))
    assert _can_open(colleague, migration)
    assert not _can_open(colleague, other)
    assert list(migrations_visible_to(colleague)) == [migration]


def test_sharing_page_is_linked_and_renames(owner_client):
    owner, migration, client = owner_client
    page = client.get(reverse("wizard:sharing", args=[migration.pk])).content.decode()
    assert 'data-testid="nav-share"' in page
    response = client.post(reverse("wizard:rename", args=[migration.pk]),
                           {"name": "Support inbox move", "next": reverse("wizard:sharing", args=[migration.pk])})
    assert response.status_code == 302 and response["Location"] == reverse("wizard:sharing", args=[migration.pk])
    migration.refresh_from_db()
    assert migration.name == "Support inbox move"


def test_wizard_pages_link_sharing_for_owners_only(owner_client):
    owner, migration, client = owner_client
    url = reverse("wizard:checklist", args=[migration.pk, "before"])
    assert 'data-testid="nav-share"' in client.get(url).content.decode()
    viewer = make_user("v@acme.test")
    client.post(reverse("wizard:share_invite", args=[migration.pk]), {"email": "v@acme.test", "level": 1})
    _client(viewer).post(reverse("wizard:share_accept", args=[_token_from_mail()]))
    page = _client(viewer).get(url)
    assert page.status_code == 200 and 'data-testid="nav-share"' not in page.content.decode()


def test_sharing_pages_speak_french(owner_client):
    owner, migration, client = owner_client
    page = client.get(reverse("wizard:sharing", args=[migration.pk]), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Inviter par e-mail" in page and "Créer un lien de partage" in page and "Supprimer mes données maintenant" in page


def test_invited_newcomer_signs_up_verifies_and_gets_access(owner_client):
    """Sign-up with mandatory email verification: the invitation waits in the session until sign-in."""
    owner, migration, client = owner_client
    client.post(reverse("wizard:share_invite", args=[migration.pk]), {"email": "fresh@acme.test", "level": 2})
    token = _token_from_mail()
    visitor = Client()
    visitor.get(reverse("wizard:share_accept", args=[token]))
    password = "Lighthouse-keeper-42"
    signup = visitor.post(reverse("account_signup"),
                          {"email": "fresh@acme.test", "password1": password, "password2": password})
    assert signup.status_code == 302
    confirm = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mail.outbox[-1].body).group(1)
    visitor.post(confirm)
    signed_in = visitor.post(reverse("account_login"), {"login": "fresh@acme.test", "password": password})
    assert signed_in["Location"] == reverse("wizard:share_accept", args=[token])
    newcomer = EmailAddress.objects.get(email="fresh@acme.test").user
    assert level_for(newcomer, migration) is None
    visitor.post(signed_in["Location"])
    assert level_for(newcomer, migration) == Level.EDITOR
