"""/healthz reports database, broker and a live worker; a task round-trips through a real worker."""

import pytest
from django.test import override_settings

from migrations_engine.tasks import ping


@pytest.mark.django_db(transaction=True)
def test_task_sent_from_web_process_runs_on_real_worker(celery_worker_process):
    result = ping.delay()
    answer = result.get(timeout=30)
    assert answer["pong"] is True
    assert result.successful()


@pytest.mark.django_db(transaction=True)
def test_healthz_ok_with_live_worker(client, celery_worker_process):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is True
    assert body["checks"]["worker"]["round_trip_ms"] >= 0


@pytest.mark.django_db(transaction=True)
@override_settings(HEALTHCHECK_TASK_TIMEOUT=1.5)
def test_healthz_reports_missing_worker(client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is False
    assert "no worker" in body["checks"]["worker"]["error"]


@pytest.mark.django_db(transaction=True)
@override_settings(HEALTHCHECK_WORKER_INTERVAL=60)
def test_public_healthz_sends_at_most_one_task_per_interval(client, celery_worker_process):
    """/healthz is public: callers share one worker round trip per interval, so it cannot flood the queue."""
    from django_celery_results.models import TaskResult

    before = TaskResult.objects.filter(task_name="frontport.ping").count()  # the fixture's own readiness ping
    first = client.get("/healthz").json()
    assert first["status"] == "ok" and first["checks"]["worker"]["age_s"] == 0.0
    for _ in range(5):
        again = client.get("/healthz").json()
        assert again["status"] == "ok" and again["checks"]["worker"]["hostname"] == first["checks"]["worker"]["hostname"]
    assert again["checks"]["worker"]["age_s"] >= 0
    assert TaskResult.objects.filter(task_name="frontport.ping").count() == before + 1
