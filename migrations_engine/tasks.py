"""Celery tasks: thin wrappers that take ids, load rows and call services."""

import socket

from celery import shared_task
from celery.signals import worker_ready


@shared_task(name="frontport.ping", acks_late=False)
def ping() -> dict:
    """Answer the health check: proves a task round-trips web -> broker -> worker -> results."""
    return {"pong": True, "hostname": socket.gethostname()}


@shared_task(name="frontport.engine.run_chunk", acks_late=True, ignore_result=True)
def run_chunk(run_id: int, token: str | None = None) -> str:
    """One chunk of a run; asks for the next one while there is work. Safe to receive twice: the lease
    and the chain token let only one execution work and only its successor follow (docs/engine.md)."""
    from migrations_engine import runner
    from migrations_engine.models import Run
    from migrations_engine.services import enqueue_chunk

    outcome, next_token = runner.execute(run_id, token=token)
    if next_token is None:
        return outcome
    if outcome == "continue":
        enqueue_chunk(run_id, token=next_token)
    elif outcome == "wait":
        from django.utils import timezone

        run = Run.objects.filter(pk=run_id).values("resume_at").first()
        resume_at = run["resume_at"] if run else None
        wait = max(0.0, (resume_at - timezone.now()).total_seconds()) if resume_at else 0.0
        enqueue_chunk(run_id, token=next_token, countdown=wait)
    return outcome


@shared_task(name="frontport.engine.tick", acks_late=True, ignore_result=True)
def tick() -> dict:
    """Periodic (celery beat): scheduled starts, interval windows, and runs whose worker died."""
    from migrations_engine.services import dispatch_due

    return dispatch_due()


@shared_task(name="frontport.engine.remove_demo_data", acks_late=True, ignore_result=True)
def remove_demo_data(migration_id: int) -> int:
    from migrations_engine.services import remove_demo_data as remove
    from wizard.models import Migration

    return remove(migration=Migration.objects.get(pk=migration_id))


@worker_ready.connect
def _resume_on_worker_start(sender=None, **_kwargs) -> None:
    """A worker coming back looks for runs left behind at once, instead of waiting for the next beat."""
    try:
        tick.delay()
    except Exception:  # noqa: BLE001, S110 - the beat schedule will do it
        pass
