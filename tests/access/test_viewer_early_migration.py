"""A viewer of a migration still at the Connect step (editors only) lands somewhere they may go."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.access.conftest import grant
from wizard.access import Level
from wizard.models import Migration


@pytest.mark.django_db
def test_viewer_asking_for_a_later_step_is_sent_to_the_dashboard_not_a_404(client):
    users = get_user_model().objects
    owner = users.create_user("own", "own@example.com", "pw-own-123456")
    viewer = users.create_user("view", "view@example.com", "pw-view-123456")
    migration = Migration.objects.create(owner=owner, name="Early")  # furthest step: Connect
    grant(migration, viewer, Level.VIEWER)
    client.force_login(viewer)

    response = client.get(reverse("wizard:inbox", args=[migration.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("wizard:dashboard")
    assert client.get(response["Location"]).status_code == 200
