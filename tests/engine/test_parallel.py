"""Several tickets at once (migrations_engine/parallel.py, page.py): same result as one at a time."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from connectors.registry import get_connector
from migrations_engine import pipeline
from migrations_engine.models import RecordMap
from migrations_engine.parallel import TicketPool, thread_count
from migrations_engine.services import start_run
from tests.engine.compare import check_fidelity
from tests.engine.conftest import drive


def test_pool_keeps_order_and_hands_errors_back():
    with TicketPool(3) as pool:
        outcomes = pool.run([lambda i=i: i * 2 if i != 4 else 1 / 0 for i in range(9)])
    assert [o.value for o in outcomes if o.error is None] == [0, 2, 4, 6, 10, 12, 14, 16]
    assert isinstance(outcomes[4].error, ZeroDivisionError)


def test_pool_of_one_runs_inline():
    with TicketPool(1) as pool:
        names = pool.run([lambda: threading.current_thread().name] * 3)
    assert {o.value for o in names} == {threading.current_thread().name}


@pytest.mark.django_db
def test_inside_a_transaction_tickets_run_inline(settings):
    # Other threads could not see the rows of the caller's open transaction.
    settings.ENGINE_TICKET_THREADS = 6
    assert connection.in_atomic_block and thread_count() == 1


@pytest.mark.django_db(transaction=True)
def test_threaded_run_lands_every_ticket_once_with_exact_counters(migration, front, settings, monkeypatch):
    settings.ENGINE_TICKET_THREADS = 6
    assert thread_count() == 6
    threads: set[str] = set()
    real_import = pipeline.import_phase

    def spy(ctx, work):  # records which threads did the work; behaviour unchanged
        threads.add(threading.current_thread().name)
        return real_import(ctx, work)

    monkeypatch.setattr(pipeline, "import_phase", spy)
    migration.source_config = {"tickets": 120, "seed": 11}
    migration.save()
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", (run.reason, run.recent_errors)
    assert len(threads) > 1 and all(name.startswith("ticket-") for name in threads)

    state = front.state()
    seen = check_fidelity(migration=migration, run=run, connector=get_connector("sample", migration.source_config),
                          state=state)
    assert seen["messages"] > 100 and seen["notes"] > 20
    # Two tickets of one requester at the same time still make one contact: one per handle in Front.
    handles = [h["handle"] for c in state["contacts"] for h in c["handles"]]
    assert len(handles) == len(set(handles))
    # The counters, kept by several threads, equal what the record map says.
    for entity, rows in (("tickets", "ticket"), ("contacts", "contact")):
        for status in ("done", "failed", "skipped"):
            stored = RecordMap.objects.filter(migration=migration, entity=rows, state=status).count()
            assert run.counters[entity][status] == stored, (entity, status)
    assert not RecordMap.objects.filter(migration=migration, state="pending").exists()
    # Front calls are counted across threads and both clients (imports and comments).
    calls = sum(front.state()["counters"]["routes"].values())
    assert run.front_calls == calls


@pytest.mark.django_db(transaction=True)
def test_a_pause_stops_every_thread_and_resumes_without_duplicates(migration, front, settings, monkeypatch):
    import time

    from migrations_engine.models import Run
    from migrations_engine.services import pause_run, resume_run

    settings.ENGINE_TICKET_THREADS = 4
    migration.source_config = {"tickets": 120, "seed": 5}
    migration.save()
    run = start_run(migration=migration, kind="full")
    started = {"count": 0}
    real_import = pipeline.import_phase

    def pause_midway(ctx, work):
        started["count"] += 1
        if started["count"] == 30:  # a user presses Pause while four tickets are in flight
            pause_run(run=Run.objects.get(pk=run.pk))
            time.sleep(1.1)  # the heartbeat renews at most once a second: let this ticket's beat see it
        return real_import(ctx, work)

    monkeypatch.setattr(pipeline, "import_phase", pause_midway)
    run = drive(run)
    assert run.state == "paused"
    handled = RecordMap.objects.filter(migration=migration, entity="ticket", last_run=run).exclude(state="pending")
    assert 0 < handled.count() < 100  # it stopped part way, not at the end

    monkeypatch.setattr(pipeline, "import_phase", real_import)
    run = drive(resume_run(run=run))
    assert run.state == "completed", (run.reason, run.recent_errors)
    check_fidelity(migration=migration, run=run, connector=get_connector("sample", migration.source_config),
                   state=front.state())
    # What the stopped tickets had imported was in the journal: nothing was sent twice, even refused.
    assert front.state()["counters"]["duplicate_imports_refused"] == 0
    for status in ("done", "failed", "skipped"):
        stored = RecordMap.objects.filter(migration=migration, entity="ticket", state=status).count()
        assert run.counters["tickets"][status] == stored, status


@pytest.mark.django_db(transaction=True)
def test_a_ticket_listed_twice_in_a_page_is_handled_once(migration, front, settings, monkeypatch):
    from connectors.base import TicketPage
    from connectors.sample.connector import SampleConnector

    settings.ENGINE_TICKET_THREADS = 6
    real_tickets = SampleConnector.tickets

    def repeats_tickets(self, **kwargs):  # as an incremental export may list an updated ticket twice
        for page in real_tickets(self, **kwargs):
            yield TicketPage(tickets=page.tickets + page.tickets[:10], cursor=page.cursor)

    monkeypatch.setattr(SampleConnector, "tickets", repeats_tickets)
    migration.source_config = {"tickets": 40, "seed": 7}
    migration.save()
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", (run.reason, run.recent_errors)
    monkeypatch.setattr(SampleConnector, "tickets", real_tickets)
    check_fidelity(migration=migration, run=run, connector=get_connector("sample", migration.source_config),
                   state=front.state())
    assert run.counters["tickets"]["done"] + run.counters["tickets"]["skipped"] == 40


@pytest.mark.django_db(transaction=True)
def test_a_demos_first_ticket_goes_alone_then_the_rest_in_parallel(migration, front, settings, monkeypatch):
    # Someone is watching a demo for its first conversation: its first ticket is imported before any
    # other ticket starts (on a tight budget their contacts and tags would come first); the rest of the
    # demo still runs on several threads. A full run starts all its threads at once.
    settings.ENGINE_TICKET_THREADS = 4
    started: list[tuple[str, str]] = []  # (ticket id, event) in the order the threads saw them
    lock = threading.Lock()
    real_import = pipeline.import_phase

    def spy(ctx, work):
        with lock:
            started.append((work.ticket.source_id, "start"))
        real_import(ctx, work)
        with lock:
            started.append((work.ticket.source_id, "imported"))

    monkeypatch.setattr(pipeline, "import_phase", spy)
    demo = drive(start_run(migration=migration, kind="demo"))
    assert demo.state == "completed", (demo.reason, demo.recent_errors)
    first = started[0][0]
    assert started[1] == (first, "imported"), started[:4]
    assert len({t for t, _ in started}) == demo.counters["tickets"]["done"] + demo.counters["tickets"]["skipped"] > 8
    # After it, several tickets were in flight together.
    in_flight, most = set(), 0
    for ticket, event in started[2:]:
        (in_flight.add if event == "start" else in_flight.discard)(ticket)
        most = max(most, len(in_flight))
    assert most > 1

    started.clear()
    full = drive(start_run(migration=migration, kind="full"))
    assert full.state == "completed"
    assert started[1][1] == "start", started[:4]  # no lead ticket: a second one started at once
