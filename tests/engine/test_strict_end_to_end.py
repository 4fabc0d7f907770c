"""Zendesk, Help Scout and Freshdesk stand-ins, in both readings of every vendor guess (`standin_strict`,
docs/vendor-guesses.md), through the engine into the Front stand-in, compared field by field with the
stand-in's own data set (the truth), not with what the connector read (issue 13, acceptance 1)."""

from __future__ import annotations

import pytest

from migrations_engine import selectors
from migrations_engine.models import RecordMap
from migrations_engine.services import start_run
from sandbox.freshdesk import FreshdeskStandin
from sandbox.helpscout import HelpScoutStandin
from sandbox.zendesk import ZendeskStandin
from tests.engine.conftest import drive, make_migration
from tests.engine.ground_truth import check_against_dataset

TICKETS, SEED = 40, 3


def _source(vendor: str, strict: bool):
    if vendor == "zendesk":
        standin = ZendeskStandin(tickets=TICKETS, seed=SEED, strict=strict)
        return standin, lambda: standin.admin_config(), lambda: standin.state.dataset
    cls = HelpScoutStandin if vendor == "helpscout" else FreshdeskStandin
    standin = cls(tickets=TICKETS, seed=SEED, strict=strict)
    return standin, lambda: standin.config, lambda: standin.app.dataset


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", ["zendesk", "helpscout", "freshdesk"])
def test_every_record_lands_whichever_reading(owner, strict_front, standin_strict, vendor):
    standin, config, dataset = _source(vendor, standin_strict)
    with standin:
        # The default teammate is not the API token's own identity, so a note posted "as the token" shows.
        default = strict_front.state()["teammates"][-1]["id"]
        migration = make_migration(owner=owner, front=strict_front, source_type=vendor, source_config=config(),
                                   custom_fields="comment", options={"tag": "migrated"}, default_teammate_id=default)
        run = drive(start_run(migration=migration, kind="full"))
        assert run.state == "completed", (run.reason, run.recent_errors)
        seen = check_against_dataset(vendor=vendor, dataset=dataset(), migration=migration, run=run,
                                     state=strict_front.state())
    assert seen.tickets >= 35 and seen.agent_replies > 20 and seen.customer_messages > 40
    assert seen.notes > 5 and seen.deleted_author_notes > 0 and seen.tags > 20 and seen.custom_fields > 60
    assert not RecordMap.objects.filter(migration=migration, state__in=("pending", "failed")).exists()
    warnings = selectors.run_progress(run=run).warnings
    if standin_strict and vendor in ("zendesk", "freshdesk"):  # their strict accounts lack an optional listing
        assert warnings and all("not available" in w for w in warnings)
    elif not standin_strict:
        assert warnings == []
    # Every note names its original author (name, else email) and is posted by the mapped teammate, else
    # the default one (never the API token's own identity).
    assert not seen.author_problems, seen.author_problems[:5]
