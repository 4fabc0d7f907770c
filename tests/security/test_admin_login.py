"""Staff sign in through allauth: /admin/login/ redirects there, so email verification and the sign-in
rate limits apply to the admin too."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "Staff-password-long-9"


def _staff(email: str, *, verified: bool):
    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD, is_staff=True,
                                                is_superuser=True)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def test_admin_login_redirects_to_allauth_keeping_next():
    response = Client().get("/admin/login/?next=/admin/auth/user/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fauth%2Fuser%2F"
    # The admin's own redirect for a signed-out visitor ends at the same place.
    chain = Client().get("/admin/", follow=True).redirect_chain
    assert chain[-1][0].startswith("/accounts/login/?next=")
    # Somewhere else is never a "next".
    assert Client().get("/admin/login/?next=https://evil.example/")["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    # The admin's password form is not served at all: a POST there signs nobody in.
    _staff("boss@frontport.test", verified=True)
    client = Client()
    client.post("/admin/login/", {"username": "boss@frontport.test", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_fifteen_wrong_staff_passwords_then_the_right_one_is_throttled():
    _staff("boss@frontport.test", verified=True)
    client = Client()
    for _ in range(15):
        client.post("/accounts/login/?next=/admin/", {"login": "boss@frontport.test", "password": "wrong-guess"})
    response = client.post("/accounts/login/?next=/admin/", {"login": "boss@frontport.test", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_verified_staff_reach_the_admin_through_allauth():
    _staff("boss@frontport.test", verified=True)
    client = Client()
    response = client.post("/accounts/login/?next=/admin/", {"login": "boss@frontport.test", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_unverified_staff_user_cannot_reach_the_admin():
    _staff("new-staff@frontport.test", verified=False)
    client = Client()
    client.post("/accounts/login/?next=/admin/", {"login": "new-staff@frontport.test", "password": PASSWORD})
    assert "_auth_user_id" not in client.session  # allauth sent a verification email instead
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
