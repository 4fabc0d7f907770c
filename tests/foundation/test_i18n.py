"""The UI renders in French when the browser asks for French."""

import re

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


def _po_entries(path):
    """(msgid, msgstr, fuzzy) triples of a .po file; enough of the format for a completeness check."""
    entries, block = [], []
    for line in path.read_text().splitlines() + [""]:
        if line.strip():
            block.append(line)
            continue
        if block:
            text = "\n".join(block)
            msgid = "".join(re.findall(r'^(?:msgid|msgid_plural)? ?"(.*)"$', text.split("msgstr")[0], re.M))
            msgstrs = re.findall(r'^msgstr(?:\[\d\])? "(.*)"((?:\n".*")*)', text, re.M)
            msgstr = "".join(a + "".join(re.findall(r'"(.*)"', b)) for a, b in msgstrs)
            entries.append((msgid, msgstr, "#, fuzzy" in text or ", fuzzy" in text))
            block = []
    return [e for e in entries if e[0]]  # skip the header


def test_every_french_catalogue_is_complete():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    catalogues = [p for p in root.glob("**/locale/fr/LC_MESSAGES/django.po") if ".venv" not in p.parts]
    assert catalogues
    problems = []
    for po in catalogues:
        mo = po.with_suffix(".mo")
        if not mo.exists():
            problems.append(f"{po}: not compiled (.mo missing)")
        for msgid, msgstr, fuzzy in _po_entries(po):
            if not msgstr or fuzzy:
                problems.append(f"{po.relative_to(root)}: {msgid[:60]!r} {'fuzzy' if fuzzy else 'untranslated'}")
    assert not problems, "\n".join(problems[:40])
