"""Honest live progress: samples of a run's work while it runs, and the rate and ETA read from them.

The engine keeps a short time series in `Run.series`, one point per sample:
`[unix seconds, tickets handled, Front calls, budget requests per minute, segment start]`
(older runs have only the first three). A point is taken when the tickets phase of a chunk starts
(segment start: the interval before it, a hand-off or a pause, is not work) and then every
`ENGINE_PROGRESS_SECONDS` while tickets are handled (from the heartbeat), so the rate exists from the
first records of the first chunk, and the throughput chart grows as the run goes.

The estimate (`estimate()`, pure) reads that series and the live counters:

* **rate**: tickets handled per minute over a sliding window (`ENGINE_RATE_WINDOW_SECONDS`), intervals
  between samples plus the live one (last sample -> now, from the counters saved with each ticket);
* **ETA**: from that rate, and from the Front budget: calls per ticket measured so far (in the same
  window) x tickets left / the budget's rate. Whichever is slower wins: a run paced by its budget is
  predicted by the budget (steady even when tickets complete in bursts), a run slowed by anything else
  (the source, a shared budget, retries) by its records rate;
* **measuring** until the first records are done (no rate before there is anything to measure).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from migrations_engine.models import Run

# A gap before a segment start longer than this is a pause (or a back-off, or a queue): left out of the
# rate with the refilling after it. Shorter ones are the hand-off between chunks, which every run pays
# every ENGINE_CHUNK_SECONDS: they count, or the rate would promise more than the run delivers.
HANDOFF_SECONDS = 15.0
SERIES_CAP = 240  # points kept: older halves are thinned, so the chart still spans the whole run
BUDGET_SAFETY = 0.985  # connectors/budget.py paces a hair under the vendor's limit


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


@dataclass(frozen=True)
class Point:
    t: float
    handled: int
    calls: int
    rpm: float = 0.0  # the Front budget's requests per minute (all budgets the run's clients use)
    start: bool = False  # first point of a segment: the interval before it is not work

    @classmethod
    def parse(cls, raw: list) -> Point:
        return cls(float(raw[0]), int(raw[1]), int(raw[2]), float(raw[3]) if len(raw) > 3 and raw[3] else 0.0,
                   bool(raw[4]) if len(raw) > 4 else False)

    def raw(self) -> list:
        return [int(self.t), self.handled, self.calls, round(self.rpm, 2), 1 if self.start else 0]


def append_point(series: list[list], point: Point, *, cap: int = SERIES_CAP) -> list[list]:
    """The series with `point` added; past `cap` points the older half keeps every other point (and
    every segment start, which the estimate needs)."""
    series = [*series, point.raw()]
    if len(series) > cap:
        half = len(series) // 2
        older = [p for i, p in enumerate(series[:half]) if i % 2 == 0 or Point.parse(p).start]
        series = older + series[half:]
    return series


@dataclass(frozen=True)
class Estimate:
    measuring: bool  # active, and nothing handled yet to measure a rate from
    rate_per_min: float | None  # tickets per minute in the window (None while measuring)
    eta_seconds: int | None  # while running with a known total
    records_eta_seconds: int | None
    budget_eta_seconds: int | None
    calls_per_ticket: float | None  # Front calls per ticket lately (the slope of calls over tickets)
    budget_rpm: float | None  # the Front budget the run is paced by, as last sampled


def estimate(*, series: list[list], handled: int, total: int | None, running: bool, now: float,
             window: float | None = None) -> Estimate:
    """Rate and ETA of a run from its series and live ticket count (see the module's docstring)."""
    window = window if window is not None else _setting("ENGINE_RATE_WINDOW_SECONDS", 120)
    points = [Point.parse(p) for p in series if isinstance(p, list | tuple) and len(p) >= 3]
    rpm = _last_rpm(points)
    rate = _records_rate(points, handled=handled, running=running, now=now, window=window)
    if running and handled == 0:
        return Estimate(True, None, None, None, None, None, rpm)
    per_ticket = _calls_per_ticket([p for p in points if p.t >= now - window] if running else points) \
        or _calls_per_ticket(points)
    left = max(0, total - handled) if total else None
    records_eta = budget_eta = None
    if running and left is not None:
        if rate:
            records_eta = int(left * 60 / rate)
        if rpm and per_ticket and points:
            # Calls still to make: every ticket at the measured cost, less what the tickets in flight
            # already spent (calls so far beyond the cost of those completed).
            first = next((p for p in points if p.start), points[0])
            spent = points[-1].calls - first.calls
            calls_left = max(per_ticket * left * 0.05, per_ticket * (total or 0) - spent) if left else 0.0
            budget_eta = max(0, int(calls_left / (rpm * BUDGET_SAFETY / 60.0) - (now - points[-1].t)))
    etas = [e for e in (records_eta, budget_eta) if e is not None]
    return Estimate(False, rate, max(etas) if etas else None, records_eta, budget_eta, per_ticket, rpm)


def _records_rate(points: list[Point], *, handled: int, running: bool, now: float, window: float) -> float | None:
    """Tickets per minute over the window's working time: intervals between samples and the live one
    (last sample -> now), without the run's first filling (from its start to its first completed ticket,
    when nothing can complete yet) nor a pause and the filling after it; chunk hand-offs count."""
    ends = list(points)
    stalled_after = 3 * _sample_seconds()  # this long without a sample, or without a completed ticket: slow
    if running and points and (handled > points[-1].handled or now - points[-1].t > stalled_after):
        # The live interval counts once tickets completed since the last sample (its counters are saved
        # with each ticket), or once samples stopped coming (a stalled run must not keep its old rate).
        ends.append(Point(now, handled, points[-1].calls))
    since = (ends[-1].t if ends else now) - window
    seconds = done = filled = first = quiet = 0.0  # quiet: the trailing time without a completed ticket
    filling = bool(ends) and ends[0].start
    for before, after in zip(ends, ends[1:], strict=False):
        if after.start and after.t - before.t > HANDOFF_SECONDS:
            filling = True  # a pause, a back-off, a wait for a worker: not how fast the run goes
            continue
        if after.t <= before.t:
            continue
        if filling:  # the tickets completing at the end of a filling were worked on during it
            filled += after.t - before.t
            if after.handled > before.handled:
                filling, first = False, after.handled - before.handled
            continue
        if after.t <= since:
            continue
        seconds += after.t - before.t
        gained = max(0, after.handled - before.handled)
        done += gained
        quiet = 0.0 if gained else quiet + after.t - before.t
    if quiet < stalled_after:
        # Completions are saved in batches (a group's, or a second's): a quiet spell shorter than three
        # samples is the wait for the next batch, not a slowdown. A longer one counts (a stalled run).
        seconds -= quiet
    if done <= 0 and filled > 0 and first > 0:
        # Only the first records so far (they may all have been saved at once, then a quiet moment): a
        # cautious figure over the whole time, never 0 while the run has just shown it moves.
        return round(first * 60.0 / (filled + seconds), 2)
    if seconds <= 0:
        return None
    return round(done * 60.0 / seconds, 2)


def _sample_seconds() -> float:
    return _setting("ENGINE_PROGRESS_SECONDS", 5)


def _settled(points: list[Point]) -> list[Point]:
    """The points of steady work: without each segment's filling (its start up to its first completed
    ticket), when calls are made for tickets that cannot complete yet."""
    out: list[Point] = []
    filling, base = False, 0
    for point in points:
        if point.start:
            filling, base = True, point.handled
            continue
        if filling and point.handled <= base:
            continue
        filling = False
        out.append(point)
    return out


def _calls_per_ticket(points: list[Point]) -> float | None:
    """Front calls per ticket: the least-squares slope of calls over tickets handled in steady work (the
    calls of tickets still in flight shift the line, not its slope). None with too little to measure."""
    points = _settled(points)
    if len(points) < 3 or points[-1].handled - points[0].handled < 3:
        return None
    n = len(points)
    mean_h = sum(p.handled for p in points) / n
    mean_c = sum(p.calls for p in points) / n
    spread = sum((p.handled - mean_h) ** 2 for p in points)
    if spread <= 0:
        return None
    slope = sum((p.handled - mean_h) * (p.calls - mean_c) for p in points) / spread
    return round(slope, 3) if slope > 0 else None


def _last_rpm(points: list[Point]) -> float | None:
    return next((p.rpm for p in reversed(points) if p.rpm), None)


class Sampler:
    """Takes the run's progress points while a chunk handles tickets (called from the heartbeat).

    `handled()` and `calls()` read the chunk's live counters and clients; `rpm()` the Front budget's
    current limit. Thread-safe: ticket threads beat, one of them samples at a time."""

    def __init__(self, run: Run, *, handled: Callable[[], int], calls: Callable[[], int],
                 rpm: Callable[[], float]) -> None:
        self.run, self.handled, self.calls, self.rpm = run, handled, calls, rpm
        self.every = _sample_seconds()
        self.last = 0.0
        self._lock = threading.Lock()

    def start(self) -> None:
        """The segment-start point of this chunk's tickets phase."""
        self._take(start=True)

    def maybe_sample(self) -> None:
        if time.monotonic() - self.last < self.every or not self._lock.acquire(blocking=False):
            return
        try:
            if time.monotonic() - self.last >= self.every:
                self._take(start=False)
        finally:
            self._lock.release()

    def _take(self, *, start: bool) -> None:
        from migrations_engine.parallel import write_lock

        self.last = time.monotonic()
        point = Point(time.time(), self.handled(), self.calls(), self.rpm(), start)
        with write_lock():
            series = list(Run.objects.filter(pk=self.run.pk).values_list("series", flat=True).first() or [])
            Run.objects.filter(pk=self.run.pk).update(series=append_point(series, point))
