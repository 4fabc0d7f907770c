"""The embedded default's worker and its beat: one process group, so nothing of it outlives it.

`celery worker -B` forks the beat scheduler (and the pool) as children. Killed with SIGKILL, the worker
cannot stop them: the beat would keep ticking next to the one a restart brings, and every periodic task
would run twice. So the worker leads its own process group, the group is killed whenever the worker
stops (config/embedded.py's supervisor), and its id is kept in FRONTPORT_DATA_DIR/worker.pgid so that a
start after a crash of the supervisor itself first reaps what was left of the previous worker.
Linux (/proc) is where the members of a group are found; elsewhere only the group signal is sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

WORKER_PGID_FILE = "worker.pgid"
_MARKER = "FRONTPORT_WORKER_OF"


def start_worker(
    *, python: str, env: dict[str, str], data_dir: Path, extra: list[str] | None = None, stdout=None
) -> subprocess.Popen:
    reap_stale_worker(data_dir)
    proc = subprocess.Popen(
        [python, "-m", "celery", "-A", "config", "worker", "-B", "--loglevel", "INFO", "--concurrency", "2",
         "-Q", "celery,demos,runs",  # every queue (settings.CELERY_TASK_QUEUES): the one worker does it all
         "-s", str(data_dir / "celerybeat-schedule"), *(extra or [])],
        cwd=BASE_DIR,
        env={**env, _MARKER: str(data_dir)},  # inherited by the beat and the pool: how reaping knows them
        start_new_session=True,  # its own process group: the beat and pool children are in it
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout is not None else None,
    )
    (data_dir / WORKER_PGID_FILE).write_text(str(proc.pid))
    return proc


def stop_worker_group(proc: subprocess.Popen, *, data_dir: Path, timeout: float = 10.0) -> None:
    """Stop the worker and every process of its group (beat, pool), even when the worker is already dead."""
    _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _group_members(proc.pid):
        if proc.poll() is None:
            try:
                proc.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
        else:
            time.sleep(0.2)
    _signal_group(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait(timeout=5)
    (data_dir / WORKER_PGID_FILE).unlink(missing_ok=True)


def reap_stale_worker(data_dir: Path) -> int:
    """Kill what is left of a previous worker of this data folder (its beat, its pool); how many processes."""
    pgid_file = data_dir / WORKER_PGID_FILE
    try:
        pgid = int(pgid_file.read_text().strip())
    except (OSError, ValueError):
        return 0
    # The id may have been reused since: only processes started for this same data folder are ours.
    marker = f"{_MARKER}={data_dir}\0".encode()
    ours = [pid for pid in _group_members(pgid) if marker in _environ_of(pid)]
    for pid in ours:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    pgid_file.unlink(missing_ok=True)
    return len(ours)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group `pgid`, read from /proc (empty where there is none)."""
    members = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _environ_of(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""
