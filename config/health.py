"""/healthz: database, broker and a live worker, as JSON.

The worker check sends a real task from this (web) process and waits for its result, so "ok" means a
task really round-trips web -> broker -> worker -> result backend.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        return {"ok": False, "error": f"database unreachable: {type(exc).__name__}"}


def _check_broker() -> dict:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
        return {"ok": True, "transport": str(transport)}
    except Exception as exc:
        return {"ok": False, "error": f"broker unreachable: {type(exc).__name__}"}


def _check_worker() -> dict:
    from migrations_engine.tasks import ping

    started = time.monotonic()
    try:
        result = ping.apply_async(expires=settings.HEALTHCHECK_TASK_TIMEOUT)
        answer = result.get(timeout=settings.HEALTHCHECK_TASK_TIMEOUT, propagate=False)
    except Exception as exc:
        return {"ok": False, "error": f"no worker answered a task ({type(exc).__name__})"}
    if not isinstance(answer, dict) or answer.get("pong") is not True:
        return {"ok": False, "error": "a worker answered, but not as expected"}
    return {
        "ok": True,
        "hostname": answer.get("hostname"),
        "round_trip_ms": round((time.monotonic() - started) * 1000),
    }


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _check_database(), "broker": _check_broker()}
    checks["worker"] = _check_worker() if checks["broker"]["ok"] else {"ok": False, "error": "broker down"}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)
