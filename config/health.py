"""/healthz: database, broker and a live worker, as JSON.

The worker check sends a real task from this (web) process and waits for its result, so "ok" means a
task really round-trips web -> broker -> worker -> result backend. The page is public (load balancers,
compose, CI call it), so that round trip is shared: at most one task per HEALTHCHECK_WORKER_INTERVAL
seconds for the whole site (a cache lock), every other call answers with the last result and its age.
Database and broker are checked on every call (one cheap query, one connection).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
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


_WORKER_RESULT_KEY = "frontport:healthz:worker"
_WORKER_LOCK_KEY = "frontport:healthz:worker:lock"
_FAILED_RESULT_SECONDS = 5.0  # a failure is re-checked sooner, so a worker that just started shows up


def _shared_worker_check() -> dict:
    """The last worker round trip if it is recent enough, else one new round trip (one caller at a time)."""
    interval = settings.HEALTHCHECK_WORKER_INTERVAL
    cached = cache.get(_WORKER_RESULT_KEY)
    now = time.time()
    if cached is not None and now - cached["at"] < (interval if cached["result"]["ok"] else min(interval, _FAILED_RESULT_SECONDS)):
        return {**cached["result"], "age_s": round(now - cached["at"], 1)}
    if not cache.add(_WORKER_LOCK_KEY, True, timeout=settings.HEALTHCHECK_TASK_TIMEOUT + 5):
        if cached is not None:  # another request is checking right now: the previous answer stands
            return {**cached["result"], "age_s": round(now - cached["at"], 1)}
        return {"ok": False, "error": "a worker check is in progress; ask again in a moment"}
    try:
        result = _check_worker()
        cache.set(_WORKER_RESULT_KEY, {"at": time.time(), "result": result}, timeout=max(interval, 1) * 4)
    finally:
        cache.delete(_WORKER_LOCK_KEY)
    return {**result, "age_s": 0.0}


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _check_database(), "broker": _check_broker()}
    checks["worker"] = _shared_worker_check() if checks["broker"]["ok"] else {"ok": False, "error": "broker down"}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)
