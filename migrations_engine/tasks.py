"""Celery tasks: thin wrappers that take ids, load rows and call services."""

import socket

from celery import shared_task


@shared_task(name="frontport.ping", acks_late=False)
def ping() -> dict:
    """Answer the health check: proves a task round-trips web -> broker -> worker -> results."""
    return {"pong": True, "hostname": socket.gethostname()}
