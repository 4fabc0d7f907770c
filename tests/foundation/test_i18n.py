"""The UI renders in French when the browser asks for French."""

import pytest
from django.contrib.auth import get_user_model

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "english", "french"),
    [
        ("/", "Move your whole help desk history into Front", "Déplacez tout l’historique de votre service client dans Front"),
        ("/accounts/login/", "Sign In", "Connexion"),
        ("/accounts/signup/", "Sign Up", "Création de compte"),
    ],
)
def test_public_pages_in_french(client, url, english, french):
    en = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    fr = client.get(url, **FRENCH).content.decode()
    assert english in en
    assert french in fr and english not in fr
    assert '<html lang="fr">' in fr


@pytest.mark.django_db
def test_signed_in_pages_in_french(client):
    user = get_user_model().objects.create_user("bea", "bea@example.com", "pw-for-tests-123")
    client.force_login(user)
    fr = client.get("/migrations/", **FRENCH).content.decode()
    assert "Vos migrations" in fr and "Your migrations" not in fr
    assert "Se déconnecter" in fr


@pytest.mark.django_db
def test_french_error_page(client):
    fr = client.get("/no-such-page/", **FRENCH)
    assert fr.status_code == 404
    assert "Cette page n’existe pas" in fr.content.decode()
