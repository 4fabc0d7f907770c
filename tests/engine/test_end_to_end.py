"""Sample and Zendesk sources -> Front stand-in, compared field by field (issue 5, acceptance 1 and 4)."""

import pytest

from connectors.registry import get_connector
from migrations_engine.models import RecordMap
from migrations_engine.services import start_run
from tests.engine.compare import check_fidelity
from tests.engine.conftest import drive, make_migration


def test_sample_to_front_field_by_field(migration, front):
    # 100 tickets reach the sample's awkward ones: no-email requester (41), deleted (97), a 60-message
    # thread (50), a >25 MB video (67), a unicode file name (71).
    migration.options = {"tag": "migrated", "inline_images": True}
    migration.source_config = {"tickets": 100, "seed": 7}
    migration.save()
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", (run.reason, run.recent_errors)
    seen = check_fidelity(migration=migration, run=run, connector=get_connector("sample", migration.source_config),
                          state=front.state())
    assert seen["tickets"] >= 25 and seen["messages"] > 50 and seen["notes"] > 10 and seen["attachments"] > 5
    assert seen["cc"] > 0 and seen["custom_fields"] > 0
    # Awkward records (invalid emails, >25 MB files, deleted agents...) end done or failed/skipped with
    # a reason; nothing is left pending.
    assert not RecordMap.objects.filter(migration=migration, state="pending").exists()
    for rec in RecordMap.objects.filter(migration=migration).exclude(state="done"):
        assert rec.reason, (rec.entity, rec.source_id)
    tickets = run.counters["tickets"]
    assert tickets["done"] + tickets["failed"] + tickets["skipped"] == tickets["total"]
    assert run.counters["attachments"]["skipped"] > 0  # the sample's >25 MB files
    assert RecordMap.objects.filter(migration=migration, reason__contains="25 MB").exists()


@pytest.mark.django_db
def test_zendesk_to_front_field_by_field(owner, front, zendesk_small):
    migration = make_migration(owner=owner, front=front, source_type="zendesk",
                               source_config=zendesk_small.admin_config(), custom_fields="comment")
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", (run.reason, run.recent_errors)
    connector = get_connector("zendesk", migration.source_config)
    seen = check_fidelity(migration=migration, run=run, connector=connector, state=front.state())
    assert seen["tickets"] > 10 and seen["messages"] > 20 and seen["notes"] > 5
