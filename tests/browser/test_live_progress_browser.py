"""Honest live progress on the page (issue 15, acceptance 1): a full run of 200 tickets against the Front
stand-in at a paced budget, watched through the full-migration page the way a user watches it.

The page is polled every second and what it shows is recorded with timestamps. From those records:
a numeric rate and time left appear with the first records (only "measuring…" before), never go back
to "—" while the run runs, the chart fills in as it goes, and the time left shown at half way is within
±25 % of the time the run then really took (a ratio of recorded values; no wall-clock limit).
"""

from __future__ import annotations

import re
import time

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from migrations_engine.models import Run
from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.browser.a11y import audit
from tests.engine.conftest import make_migration
from tests.support.worker import WorkerProcess
from wizard.models import Migration

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "Lighthouse-keeper-42"
TICKETS = 200
BUDGET_RPM = 900  # the company budget binds: ~15 calls a second for ~7 calls a ticket
READ_PANEL = """() => {
  const p = document.querySelector('[data-testid="progress-panel"]');
  if (!p) return null;
  const text = id => (p.querySelector(`[data-testid="${id}"]`) || {}).textContent || "";
  return {state: p.dataset.state, handled: +p.dataset.handled, total: +p.dataset.total || null,
          measuring: p.dataset.measuring === "1", rate: p.dataset.rate ? +p.dataset.rate : null,
          eta: p.dataset.eta ? +p.dataset.eta : null, rateText: text("rate").trim(), etaText: text("eta").trim(),
          chart: !document.getElementById("throughput-box")?.classList.contains("d-none")};
}"""


@pytest.fixture
def paced_front():
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=BUDGET_RPM, burst_per_second=100_000, latency_ms=0,
                      process_delay_s=0.02, validate_responses=False) as standin:
        yield standin


@pytest.fixture
def paced_worker(transactional_db, tmp_path):
    """A real worker whose only pace is the company budget (no per-resource burst gate on this stand-in)."""
    worker = WorkerProcess(log_path=tmp_path / "worker.log", extra_env={
        "ENGINE_FRONT_BURST_GATE": "false", "ENGINE_PROGRESS_SECONDS": "3"}).start()
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


def test_rate_and_time_left_are_honest_from_the_first_records(page, live_server, paced_front, paced_worker, shoot):
    base = live_server.url
    page.set_default_timeout(20_000)
    owner = get_user_model().objects.create_user(username="ada@acme.test", email="ada@acme.test", password=PASSWORD)
    EmailAddress.objects.create(user=owner, email="ada@acme.test", verified=True, primary=True)
    migration = make_migration(owner=owner, front=paced_front, source_config={"tickets": TICKETS, "seed": 5},
                               furthest_step=Migration.Step.FULL, name="Paced run")
    Run.objects.create(migration=migration, kind="demo", state="completed", lineage="d0")  # the demo step is done
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "ada@acme.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.goto(f"{base}/migrations/{migration.pk}/full/")
    page.check("input[name=confirm]")
    page.click('[data-testid="start-full"]')
    started = time.time()
    expect(page).to_have_url(re.compile(r"/full/$"))

    seen: list[tuple[float, dict]] = []
    shot_running = False
    while True:
        try:
            panel = page.evaluate(READ_PANEL)
        except PlaywrightError:  # the page reloads itself once the run ends
            panel = None
        if panel:
            seen.append((time.time(), panel))
            if panel["state"] != "running" and panel["state"] != "scheduled":
                break
            if not shot_running and panel["handled"] >= TICKETS // 4:
                shoot(page, "live-progress-running")
                audit(page, "live-progress-running")
                shot_running = True
        page.wait_for_timeout(1_000)
    run = Run.objects.get(migration=migration, kind="full")
    assert run.state == "completed", (run.reason, run.recent_errors)
    end = run.finished_at.timestamp()
    running = [(t, p) for t, p in seen if p["state"] == "running" and t < end]

    # "measuring…" only until the first records; from then on a number for both, on the page and in data.
    before = [p for _t, p in running if p["handled"] == 0]
    assert all(p["measuring"] and "measuring" in p["rateText"] and p["eta"] is None for p in before)
    first = next(i for i, (_t, p) in enumerate(running) if p["rate"] and p["eta"] is not None)
    t_first, p_first = running[first]
    assert p_first["handled"] <= TICKETS // 10, p_first  # with the first records, not at the end
    assert re.search(r"\d", p_first["rateText"]) and re.search(r"\d|minute", p_first["etaText"])
    for _t, p in running[first:]:
        assert p["rate"] and p["eta"] is not None and not p["measuring"], p  # never back to "—"
    # The chart is fed as the run goes (it shows once two samples exist).
    assert any(p["chart"] for _t, p in running if p["handled"] < TICKETS)

    # The time left shown at half way, against the time the run then really took.
    t_half, p_half = next((t, p) for t, p in running if p["total"] and p["handled"] >= p["total"] / 2)
    ratio = p_half["eta"] / (end - t_half)
    print(f"\nfirst rate and ETA {t_first - started:.1f} s after the start, at {p_first['handled']} tickets: "
          f"{p_first['rateText']} / {p_first['etaText']}; at half way ({p_half['handled']}/{p_half['total']}): "
          f"ETA {p_half['eta']} s, really {end - t_half:.1f} s (ratio {ratio:.2f}); run {end - started:.0f} s")
    assert 0.75 <= ratio <= 1.25
    shoot(page, "live-progress-done")
