"""Invitations are no open relay: capped per inviter and per migration, written in Frontport's own words
(the inviter's address, never the migration's name or other typed text), and accepted only through a
verified address of the invited account."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.access.conftest import make_migration, make_user
from wizard.access import Level, level_for
from wizard.models import Share

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _invite(client, migration, email: str):
    return client.post(reverse("wizard:share_invite", args=[migration.pk]), {"email": email, "level": 1})


def test_the_email_carries_our_words_and_the_inviters_address_only(settings):
    owner = make_user("boss@acme.test")
    migration = make_migration(owner, "Claim your prize at https://evil.example/win now")
    assert _invite(_signed_in(owner), migration, "victim@else.test").status_code == 302
    message = mail.outbox[-1]
    text = message.subject + "\n" + message.body
    assert "evil.example" not in text and "prize" not in text
    assert "boss@acme.test" in message.subject and "boss@acme.test" in message.body
    # Every link leads to Frontport itself: the acceptance link, and the site's address as a warning.
    links = re.findall(r"https?://\S+", message.body)
    assert any(link.startswith(settings.SITE_URL + "/share/") for link in links)
    assert all(link.startswith(settings.SITE_URL) for link in links)
    # The name is shown on our own page, after opening the link.
    token = re.search(r"/share/([A-Za-z0-9_\-]+)/", message.body).group(1)
    page = Client().get(reverse("wizard:share_accept", args=[token]))
    assert "evil.example/win" in page.content.decode()


def test_invitations_are_capped_per_inviter(settings):
    settings.SHARE_INVITES_PER_USER_PER_DAY = 3
    settings.SHARE_INVITES_PER_MIGRATION_PER_DAY = 100
    owner = make_user("boss@acme.test")
    client = _signed_in(owner)
    first, second = make_migration(owner, "One"), make_migration(owner, "Two")
    for n, migration in enumerate([first, second, first]):
        assert _invite(client, migration, f"c{n}@acme.test").status_code == 302
    refused = _invite(client, second, "c9@acme.test")
    assert refused.status_code == 400
    assert "3 invitations in the last 24 hours" in refused.content.decode()
    assert len(mail.outbox) == 3 and Share.objects.filter(kind=Share.Kind.INVITE).count() == 3
    # Links are not emails: they stay available.
    assert client.post(reverse("wizard:share_link", args=[second.pk]), {"level": 1, "expires_in_days": 7}).status_code == 302


def test_invitations_are_capped_per_migration(settings):
    settings.SHARE_INVITES_PER_USER_PER_DAY = 100
    settings.SHARE_INVITES_PER_MIGRATION_PER_DAY = 2
    owner = make_user("boss@acme.test")
    migration = make_migration(owner, "Shared")
    co_owner = make_user("co@acme.test")
    _invite(_signed_in(owner), migration, "co@acme.test")
    token = re.search(r"/share/([A-Za-z0-9_\-]+)/", mail.outbox[-1].body).group(1)
    Share.objects.filter(email="co@acme.test").update(level=Level.OWNER)
    _signed_in(co_owner).post(reverse("wizard:share_accept", args=[token]))
    assert _invite(_signed_in(co_owner), migration, "x@acme.test").status_code == 302
    # A second owner-level inviter does not reset the migration's allowance.
    refused = _invite(_signed_in(owner), migration, "y@acme.test")
    assert refused.status_code == 400 and "This migration has had 2 invitations" in refused.content.decode()
    assert len(mail.outbox) == 2


def test_an_unverified_secondary_address_cannot_accept_an_invitation():
    owner = make_user("boss@acme.test")
    migration = make_migration(owner, "Acme")
    _invite(_signed_in(owner), migration, "target@acme.test")
    token = re.search(r"/share/([A-Za-z0-9_\-]+)/", mail.outbox[-1].body).group(1)
    intruder = make_user("intruder@rival.test")
    EmailAddress.objects.create(user=intruder, email="intruder@rival.test", verified=True, primary=True)
    # Anyone can add any address to their account; until it is verified it proves nothing.
    address = EmailAddress.objects.create(user=intruder, email="target@acme.test", verified=False)
    response = _signed_in(intruder).post(reverse("wizard:share_accept", args=[token]))
    assert response.status_code == 410 and b"target@acme.test" in response.content
    assert level_for(intruder, migration) is None
    address.verified = True
    address.save()
    assert _signed_in(intruder).post(reverse("wizard:share_accept", args=[token])).status_code == 302
    assert level_for(intruder, migration) == Level.VIEWER


def test_an_unverified_primary_address_cannot_accept_either():
    owner = make_user("boss@acme.test")
    migration = make_migration(owner, "Acme")
    _invite(_signed_in(owner), migration, "late@acme.test")
    token = re.search(r"/share/([A-Za-z0-9_\-]+)/", mail.outbox[-1].body).group(1)
    late = make_user("late@acme.test")
    EmailAddress.objects.create(user=late, email="late@acme.test", verified=False, primary=True)
    assert _signed_in(late).post(reverse("wizard:share_accept", args=[token])).status_code == 410
    assert level_for(late, migration) is None
