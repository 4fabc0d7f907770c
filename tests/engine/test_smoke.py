from migrations_engine.models import RecordMap
from migrations_engine.services import start_run
from tests.engine.conftest import drive


def test_full_run_smoke(migration, front):
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", (run.reason, run.recent_errors)
    print(run.counters, run.front_calls, run.elapsed_seconds)
    for r in RecordMap.objects.exclude(state="done"):
        print(r.entity, r.source_id, r.state, r.reason)
    state = front.state()
    print(len(state["conversations"]), state["counters"])
