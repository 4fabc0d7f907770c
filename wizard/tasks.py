"""Celery tasks of the wizard: thin, they call services."""

from celery import shared_task

from wizard.lifecycle import purge_due_migrations


@shared_task(name="frontport.purge_expired_data")
def purge_expired_data() -> list[int]:
    """Run by celery beat (a django-celery-beat row): purge migrations whose verification period ended."""
    return purge_due_migrations()
