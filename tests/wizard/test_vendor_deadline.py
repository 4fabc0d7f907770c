"""Issue 14 item 5: a vendor call made while a page loads has an overall deadline
(VENDOR_CALL_DEADLINE_SECONDS). Front answering 429 with a two-minute Retry-After costs the page one
attempt and a plain "try again in a minute", never a two-minute wait or a stack trace."""

import pytest
from django.urls import reverse

from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN

pytestmark = pytest.mark.django_db


def _front_429s(front_standin) -> int:
    return front_standin.state()["counters"]["statuses"].get("429", 0)


def test_connection_test_under_a_429_storm_answers_try_again_after_one_attempt(owner_client, migration, front_standin):
    front_standin.set_faults(storm_seconds=120)  # every call: 429 with Retry-After: 120
    response = owner_client.post(reverse("wizard:connect_test", args=[migration.pk, "front"]),
                                 {"front-api_url": front_standin.url, "front-token": FRONT_TEST_TOKEN})
    page = response.content.decode()
    assert response.status_code == 200 and "Traceback" not in page
    assert "Front did not answer in time" in page and "try again in a minute" in page
    assert _front_429s(front_standin) == 1  # one attempt: the Retry-After was longer than the deadline


def test_saved_connection_pages_get_the_same_deadline(owner_client, migration, front_standin):
    """The inbox step lists Front's inboxes with the saved connection (with_front)."""
    from wizard import connections

    migration.front_api_url, migration.front_token = front_standin.url, FRONT_TEST_TOKEN
    migration.save()
    front_standin.set_faults(storm_seconds=120)
    with pytest.raises(connections.ConnectionProblem, match="try again in a minute"):
        connections.with_front(migration, lambda client: client.inboxes())
    assert _front_429s(front_standin) == 1


def test_a_retry_after_within_the_deadline_is_waited_and_the_call_succeeds(owner_client, migration, front_standin,
                                                                              settings):
    """Retries still happen under the deadline when the vendor's wait fits in it."""
    from wizard import connections

    settings.VENDOR_CALL_DEADLINE_SECONDS = 15
    migration.front_api_url, migration.front_token = front_standin.url, FRONT_TEST_TOKEN
    migration.save()
    front_standin.set_faults(storm_seconds=1)  # 429s with Retry-After: 1, then answers again
    inboxes = connections.with_front(migration, lambda client: client.inboxes())
    assert inboxes and _front_429s(front_standin) >= 1
