"""Many worker processes opening a fresh SQLite budget file at the same moment all get a working budget.

Seen in CI: two processes' first `PRAGMA journal_mode=WAL` raced and one died with "database is locked".
"""

import multiprocessing
from pathlib import Path

from connectors.budget import SharedBudget

PROCESSES = 8


def _open(data_dir: str, barrier, results) -> None:
    barrier.wait()
    try:
        budget = SharedBudget("front:race", default_limit=600, redis_url="", data_dir=Path(data_dir))
        budget._connect().execute("SELECT count(*) FROM budget").fetchone()
        results.put("ok")
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}")


def test_simultaneous_first_opens_of_the_budget_file_never_fail(tmp_path):
    ctx = multiprocessing.get_context("fork")
    for round_ in range(20):  # a fresh file each round: the race is on the first switch to WAL
        data_dir = tmp_path / f"round{round_}"
        data_dir.mkdir()
        barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
        procs = [ctx.Process(target=_open, args=(str(data_dir), barrier, results)) for _ in range(PROCESSES)]
        for p in procs:
            p.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        assert outcomes == ["ok"] * PROCESSES, outcomes
