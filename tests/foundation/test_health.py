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
