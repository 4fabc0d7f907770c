"""Interval migration: weekly windows in the migration's time zone (e.g. Fri 20:00 -> Mon 06:00).

A run checks its window with every heartbeat; outside it, it pauses cleanly (after the current ticket)
with `resume_at` set to the next window start, and the periodic tick resumes it then.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

WEEK_MINUTES = 7 * 24 * 60


def _minute_of_week(dt: datetime) -> int:
    return dt.weekday() * 24 * 60 + dt.hour * 60 + dt.minute


def _windows(run) -> list[tuple[int, int]]:
    """[(start minute of week, end minute of week)] from the run's settings snapshot."""
    out = []
    for w in run.settings.get("windows") or []:
        sh, sm = (int(x) for x in str(w["start_time"]).split(":")[:2])
        eh, em = (int(x) for x in str(w["end_time"]).split(":")[:2])
        out.append((int(w["start_day"]) * 1440 + sh * 60 + sm, int(w["end_day"]) * 1440 + eh * 60 + em))
    return out


def _inside(minute: int, start: int, end: int) -> bool:
    if start <= end:
        return start <= minute < end
    return minute >= start or minute < end  # wraps past Sunday midnight


def in_window(run, now: datetime | None = None) -> bool:
    windows = _windows(run)
    if not windows:
        return True
    local = (now or timezone.now()).astimezone(ZoneInfo(run.settings.get("time_zone") or "UTC"))
    minute = _minute_of_week(local)
    return any(_inside(minute, s, e) for s, e in windows)


def outside_window(run) -> bool:
    return not in_window(run)


def next_window_start(run, now: datetime | None = None) -> datetime | None:
    windows = _windows(run)
    if not windows:
        return None
    tz = ZoneInfo(run.settings.get("time_zone") or "UTC")
    local = (now or timezone.now()).astimezone(tz).replace(second=0, microsecond=0)
    minute = _minute_of_week(local)
    wait = min((s - minute) % WEEK_MINUTES or WEEK_MINUTES for s, _e in windows)
    return (local + timedelta(minutes=wait)).astimezone(ZoneInfo("UTC"))


def pause_until_next_window(run) -> None:
    from migrations_engine.models import Run

    when = next_window_start(run)
    Run.objects.filter(pk=run.pk, state=Run.State.RUNNING).update(
        state=Run.State.PAUSED, resume_at=when,
        reason=f"Outside the migration window: resumes at {when:%Y-%m-%d %H:%M} UTC." if when else "Paused.",
    )
