"""Celery tasks of the wizard: thin, they call services."""

from celery import shared_task

from wizard.lifecycle import purge_due_migrations


@shared_task(name="frontport.purge_expired_data")
def purge_expired_data() -> list[int]:
    """Run by celery beat (a django-celery-beat row): purge migrations whose verification period ended."""
    return purge_due_migrations()


@shared_task(name="frontport.check_import")
def check_import(migration_id: int, token: str) -> str:
    """Validate an uploaded export too large to check while the page waits (wizard/imports.py)."""
    from wizard.imports import check_upload

    return check_upload(migration_id=migration_id, token=token)
