"""Two processes talking to one Front company share its budget and never exceed it together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["sqlite", pytest.param("redis", marks=pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (CI sets it)"))]


def run_workers(standin: FrontStandin, *, keys: list[str], calls: int, redis_url: str, data_dir: Path,
                oauth: str | None = None) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the client works without Django
    extra = [oauth] if oauth else []
    procs = [subprocess.Popen([sys.executable, "-m", "tests.front.budget_worker", standin.url, FRONT_TEST_TOKEN, key,
                               str(calls), redis_url, str(data_dir), *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for key in keys]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_never_exceed_the_company_budget(backend, tmp_path):
    redis_url = os.environ.get("REDIS_URL", "") if backend == "redis" else ""
    # 600 requests/minute = 10/s and a stand-in bucket of only 16 requests (the clients' own bucket holds
    # ~12, the rest absorbs arrival jitter): overuse draws 429s within seconds.
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=600, budget_capacity=16, process_delay_s=0) as standin:
        key = uuid.uuid4().hex
        results = run_workers(standin, keys=[key, key], calls=30, redis_url=redis_url, data_dir=tmp_path)
        counters = standin.state()["counters"]
    assert counters["routes"]["GET /me"] == 60  # both did all their work...
    assert counters["rate_limited_budget"] == 0  # ...without one 429 between them
    assert all(r["budget_429"] == 0 and r["requests"] == 30 for r in results)


def test_without_a_shared_budget_they_would_collide(tmp_path):
    """The control experiment: same load, separate budgets (as two unaware tools would) draws 429s."""
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=600, budget_capacity=16, process_delay_s=0) as standin:
        results = run_workers(standin, keys=[uuid.uuid4().hex, uuid.uuid4().hex], calls=30, redis_url="",
                              data_dir=tmp_path)
        counters = standin.state()["counters"]
    assert counters["rate_limited_budget"] > 0
    assert sum(r["budget_429"] for r in results) == counters["rate_limited_budget"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_both_budgets_are_shared_by_processes_holding_both_connections(backend, tmp_path):
    """Token and partner budgets, each shared across processes and read from its own headers: two processes
    with both connections spend both, and neither draws a 429."""
    import dataclasses

    from tests.front.test_oauth import connect

    redis_url = os.environ.get("REDIS_URL", "") if backend == "redis" else ""
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=600, partner_rpm=600, budget_capacity=16,
                      process_delay_s=0) as standin:
        app, session = connect(standin)
        app.close()
        oauth = json.dumps({"client_id": standin.oauth.client_id, "client_secret": standin.oauth.client_secret,
                            "tokens": dataclasses.asdict(session.store.current())})
        key = uuid.uuid4().hex
        results = run_workers(standin, keys=[key, key], calls=40, redis_url=redis_url, data_dir=tmp_path, oauth=oauth)
        counters = standin.state()["counters"]
    assert counters["routes"]["GET /me"] == 80
    assert counters["rate_limited_budget"] == 0
    assert counters["spent"]["token"] >= 20 and counters["spent"]["partner"] >= 20, counters["spent"]
    assert all(r["budget_429"] == 0 for r in results)
