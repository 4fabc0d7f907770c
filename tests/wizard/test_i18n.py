"""The wizard speaks French when the browser asks for it."""

import pytest
from django.urls import reverse

from wizard.models import Migration

pytestmark = pytest.mark.django_db


def test_wizard_pages_render_in_french(owner_client, migration):
    page = owner_client.get(reverse("wizard:dashboard"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Vos migrations" in page and "Nouvelle migration" in page
    page = owner_client.get(reverse("wizard:connect", args=[migration.pk]) + "?platform=sample",
                            HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Connectez votre help desk et Front" in page and "Tester la connexion" in page
    migration.furthest_step = Migration.Step.TICKETS
    migration.source_type = "sample"
    migration.save()
    page = owner_client.get(reverse("wizard:tickets", args=[migration.pk]), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Ouvert" in page and "Archivé" in page and "Champs personnalisés" in page


def test_form_errors_are_translated(owner_client):
    page = owner_client.post(reverse("wizard:create"), {"name": ""}, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Donnez un nom à la migration" in page
