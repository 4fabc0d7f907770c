"""Schedule the purge job in the database (django-celery-beat), hourly: NOTES.md says schedules live in
the DB so a killed worker never loses them."""

from django.db import migrations

TASK_NAME = "Purge data after the verification period"


def create_schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
    every_hour, _ = interval_model.objects.get_or_create(every=1, period="hours")
    periodic_task.objects.update_or_create(
        name=TASK_NAME,
        defaults={"task": "frontport.purge_expired_data", "interval": every_hour, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("wizard", "0002_shares"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
