"""Help-center articles from the Zendesk, Help Scout and Freshdesk stand-ins into the Front stand-in, in both
readings of every vendor guess (Front in the same reading, validating requests and its own answers): every
article field by field, then a second full run and a delta (one article changed, one added, one deleted)
that create nothing twice (issue 18, acceptance 1 and 4)."""

from __future__ import annotations

import pytest

from migrations_engine.models import RecordMap
from migrations_engine.services import start_run
from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.engine.articles_truth import check_articles
from tests.engine.conftest import drive, make_migration
from tests.engine.test_accounts_end_to_end import Source

KB_WRITES = ("POST /knowledge_bases/{knowledge_base_id}/locales/{locale}/articles",
             "POST /knowledge_bases/{knowledge_base_id}/locales/{locale}/categories",
             "PATCH /knowledge_base_articles/{article_id}/locales/{locale}/content",
             "PATCH /knowledge_base_categories/{category_id}/locales/{locale}/content")


def _writes(front: FrontStandin) -> dict[str, int]:
    routes = front.state()["counters"]["routes"]
    return {r: routes.get(r, 0) for r in KB_WRITES}


def _clean(front: FrontStandin) -> None:
    counters = front.state()["counters"]
    assert counters["spec_violations"] == 0 and counters["response_violations"] == 0, front.state()["violations"]


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", ["zendesk", "helpscout", "freshdesk"])
def test_articles_land_once_and_follow_a_delta(owner, standin_strict, vendor):
    source = Source(vendor, standin_strict)
    with source.standin, FrontStandin(token=FRONT_TEST_TOKEN, rpm=100_000, burst_per_second=100_000, latency_ms=0,
                                      process_delay_s=0.02, strict=standin_strict) as front:
        kb = next(iter(front.company.knowledge_bases))
        migration = make_migration(owner=owner, front=front, source_type=vendor, source_config=source.config(),
                                   selected_objects={"tickets": False, "contacts": False, "agents": False,
                                                     "organizations": False, "contact_fields": False},
                                   options={"knowledge_base": {"id": kb, "name": "Help Center"}})
        full = drive(start_run(migration=migration, kind="full"))
        assert full.state == "completed", (full.reason, full.recent_errors)
        check_articles(state=front.state(), migration=migration, revision=0, strict=standin_strict,
                       dataset=source.dataset(), one_language=vendor == "helpscout")
        assert full.counters["articles"]["done"] == 5 and len(front.state()["kb_categories"]) == 4
        _clean(front)

        before = _writes(front)
        again = drive(start_run(migration=migration, kind="full"))
        assert again.state == "completed", again.recent_errors
        assert _writes(front) == before

        source.set_revision(1)
        delta = drive(start_run(migration=migration, kind="delta"))
        assert delta.state == "completed", delta.recent_errors
        state = front.state()
        check_articles(state=state, migration=migration, revision=1, strict=standin_strict, dataset=source.dataset(), one_language=vendor == "helpscout")
        assert len(state["kb_articles"]) == 6
        deleted = RecordMap.objects.filter(migration=migration, entity="article", deleted_in_source=True)
        assert [r.source_url.rsplit("/", 1)[-1].split("-")[0] for r in deleted] and deleted.count() == 1
        _clean(front)
