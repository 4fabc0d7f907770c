"""The articles phase on the sample help center into the Front stand-in, in both readings: every article
field by field (title, body, category path, locale, draft state, files, rewritten links), a second run and
a delta that create nothing twice, deleted articles reported, a lost answer not made twice, a knowledge
base created by name, and a demo limited to its articles' categories."""

from __future__ import annotations

import pytest

from connectors.sample import SampleDataset
from migrations_engine import selectors
from migrations_engine.models import RecordMap
from migrations_engine.services import start_run
from tests.engine.articles_truth import check_articles
from tests.engine.conftest import drive, make_migration

CONFIG = {"tickets": 3, "seed": 7}
pytestmark = pytest.mark.django_db


def _kb_migration(owner, front, **extra):
    kb = next(iter(front.company.knowledge_bases))
    options = {"tag": "migrated", "knowledge_base": {"id": kb, "name": "Help Center"}}
    return make_migration(owner=owner, front=front, source_config=CONFIG, options=options, **extra)


def _by_name(state, kb=None):
    return {a["content"]["en"]["name"]: a for a in state["kb_articles"] if kb is None or a["kb"] == kb}


def test_sample_help_center_lands_field_by_field_and_reruns_write_nothing(owner, strict_front, standin_strict):
    front = strict_front
    migration = _kb_migration(owner, front)
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", run.recent_errors
    state = front.state()
    assert state["counters"]["spec_violations"] == 0, state["violations"]
    check_articles(state=state, migration=migration, revision=0, strict=standin_strict, dataset=SampleDataset(**CONFIG))
    assert len(state["kb_articles"]) == 5 and len(state["kb_categories"]) == 4
    fr = {c["content"]["en"]["name"]: c["content"].get("fr", {}).get("name") for c in state["kb_categories"]}
    assert fr == {"Getting started": "Premiers pas", "Billing": "Facturation", "Invoices": "Factures", "Basics": None}
    assert run.counters["articles"] == {"total": 5, "done": 5, "failed": 0, "skipped": 0}
    assert selectors.report_summary(migration=migration)["article"] == {"done": 5}
    rows = {r["source_id"]: r for r in selectors.report_rows(migration=migration, entity="article")}
    assert rows["a1"]["front_id"].startswith("kba_") and rows["a1"]["source_url"].endswith("/articles/a1")

    # A second full run: no create, no update of anything unchanged.
    before = front.state()["counters"]["routes"]
    again = drive(start_run(migration=migration, kind="full"))
    assert again.state == "completed", again.recent_errors
    after = front.state()["counters"]["routes"]
    changed = {r for r in after if "knowledge_base" in r and after[r] != before.get(r, 0)}
    # Nothing written; only the knowledge base read (its locales and name), whatever the help center's size.
    assert changed == {"GET /knowledge_bases/{knowledge_base_id}", "GET /knowledge_bases/{knowledge_base_id}/content"}
    assert len(front.state()["kb_articles"]) == 5

    # Revision 1: a1 changed (updated in place), a6 new (added), a5 deleted (reported).
    migration.source_config = {**CONFIG, "revision": 1}
    migration.save()
    delta = drive(start_run(migration=migration, kind="delta"))
    assert delta.state == "completed", delta.recent_errors
    state = front.state()
    arts = _by_name(state)
    assert len(state["kb_articles"]) == 6 and "New in this release" in arts and "Old FAQ" in arts
    assert "Welcome (updated)" in arts["Welcome"]["content"]["en"]["content"]
    check_articles(state=state, migration=migration, revision=1, strict=standin_strict, dataset=SampleDataset(**CONFIG))
    gone = RecordMap.objects.get(migration=migration, entity="article", source_id="a5")
    assert gone.deleted_in_source and "Deleted in the source" in gone.reason
    assert state["counters"]["spec_violations"] == 0, state["violations"]


def test_a_created_article_whose_answer_was_lost_is_not_made_twice(owner, front):
    migration = _kb_migration(owner, front)
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed"
    ids = {a["id"] for a in front.state()["kb_articles"]}
    # Forget a1's Front id as if the answer had been lost after the intent mark was saved.
    row = RecordMap.objects.get(migration=migration, entity="article", source_id="a1")
    row.front_id, row.applied = "", {"intent": "Welcome"}
    row.save()
    again = drive(start_run(migration=migration, kind="full"))
    assert again.state == "completed", again.recent_errors
    assert {a["id"] for a in front.state()["kb_articles"]} == ids
    assert RecordMap.objects.get(migration=migration, entity="article", source_id="a1").front_id in ids


def test_a_knowledge_base_created_by_name_and_a_demo(owner, front):
    options = {"tag": "migrated", "knowledge_base": {"create": "Imported docs"}}
    migration = make_migration(owner=owner, front=front, source_config=CONFIG, options=options, demo_ids=["1"])
    demo = drive(start_run(migration=migration, kind="demo"))
    assert demo.state == "completed", demo.recent_errors
    state = front.state()
    made = [kb for kb in state["knowledge_bases"] if kb["name"] == "Imported docs"]
    assert len(made) == 1
    assert {a["kb"] for a in state["kb_articles"]} == {made[0]["id"]} and len(state["kb_articles"]) == 5
    full = drive(start_run(migration=migration, kind="full"))
    assert full.state == "completed", full.recent_errors
    assert len([kb for kb in front.state()["knowledge_bases"] if kb["name"] == "Imported docs"]) == 1


def test_no_knowledge_base_chosen_moves_no_article(owner, front):
    migration = make_migration(owner=owner, front=front, source_config=CONFIG)
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed"
    assert front.state()["kb_articles"] == []
    assert not RecordMap.objects.filter(migration=migration, entity="article").exists()


def test_articles_resume_page_by_page_across_chunks(owner, front, settings):
    """Chunks that end after every page (as a worker killed between pages would leave the run) resume from
    the saved cursor: the same articles, none twice."""
    settings.ENGINE_CHUNK_SECONDS = 0
    migration = _kb_migration(owner, front)
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", run.recent_errors
    state = front.state()
    assert len(state["kb_articles"]) == 5 and len(state["kb_categories"]) == 4
    check_articles(state=state, migration=migration, revision=0, strict=False, dataset=SampleDataset(**CONFIG))
    assert run.counters["articles"]["done"] == 5
