"""Stream N tickets from a source and print throughput and memory: `python bench/source_stream.py`.

Default: 20,000 tickets from the Zendesk stand-in (run as its own process, so only the connector's
memory is measured), unthrottled. Memory (RSS) is printed as the stream goes: it must stay flat, since
the connector holds one page at a time. Options:
  --source sample|zendesk|files   --tickets N   --seed S   --page-size N
  --format jsonl|csv        files: the export's tables (written to a temporary folder by a child process;
                            attachments shortened to 4 KB, their count unchanged), then checked (index
                            built: time and RSS printed), then streamed
  --zendesk-limits          keep Zendesk's real limits (700 requests/min, 10 exports/min)
  --latency-ms MS           the stand-in answers each request after MS (a real API's round trip)
  --workers N               parallel comment fetches of the Zendesk connector (default 4)
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 1024 / 1024


def start_standin(tickets: int, seed: int, limits: bool, latency_ms: int) -> tuple[subprocess.Popen, str]:
    args = [sys.executable, "-m", "sandbox.zendesk", "--port", "0", "--tickets", str(tickets), "--seed", str(seed),
            "--latency-ms", str(latency_ms)]
    if not limits:
        args += ["--rpm", "0", "--export-rpm", "0"]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if " on " not in line:
        proc.kill()
        raise SystemExit(f"the Zendesk stand-in did not start: {line!r}")
    return proc, line.split(" on ")[1].split(" ")[0]


def write_export(folder: Path, tickets: int, seed: int, fmt: str) -> str:
    """The sample help desk as an export ZIP, written by a child process (its memory is not ours)."""
    path = folder / f"export-{tickets}.{fmt}.zip"
    code = ("import sys; from pathlib import Path; from connectors.files.writer import write_sample_export; "
            "from connectors.sample import SampleDataset; "
            f"write_sample_export(SampleDataset(tickets={tickets}, seed={seed}), Path(sys.argv[1]), fmt='{fmt}', "
            "attachment_cap=4096)")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True)
    print(f"export written in {time.perf_counter() - started:.1f} s: {path.stat().st_size / 1024**2:.1f} MB ZIP",
          flush=True)
    return str(path)


def check_export(path: str) -> None:
    """Validate the export and build its index (what the wizard does after an upload), with time and RSS."""
    from connectors.files import ensure_checked

    gc.collect()
    before = rss_mb()
    peak = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], rss_mb())

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    started = time.perf_counter()
    report = ensure_checked(Path(path))
    elapsed = time.perf_counter() - started
    stop.set()
    watcher.join()
    lines = sum(report.counts.values())
    print(f"checked in {elapsed:.1f} s ({lines / elapsed:,.0f} lines/s): {report.verdict}, {report.counts}; "
          f"rss {before:.1f} MB before, peak {peak[0]:.1f} MB, after {rss_mb():.1f} MB", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", choices=("zendesk", "sample", "files"), default="zendesk")
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--zendesk-limits", action="store_true")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    from django.conf import settings

    settings.configure(ALLOW_PRIVATE_URLS=True)  # the stand-in listens on loopback
    from connectors.registry import get_connector

    proc = None
    tmp = None
    if args.source == "files":
        tmp = tempfile.TemporaryDirectory(prefix="frontport-bench-export-")
        config = {"path": write_export(Path(tmp.name), args.tickets, args.seed, args.format), "page_size": args.page_size}
        check_export(config["path"])
    elif args.source == "zendesk":
        proc, url = start_standin(args.tickets, args.seed, args.zendesk_limits, args.latency_ms)
        config = {"url": url, "email": "agent1@example.com", "token": "zd-admin-token", "page_size": args.page_size,
                  "workers": args.workers}
        if not args.zendesk_limits:
            config["export_per_minute"] = 100_000
    else:
        config = {"tickets": args.tickets, "seed": args.seed, "page_size": args.page_size}
    try:
        connector = get_connector(args.source, config)
        connector.check()
        gc.collect()
        start_rss = rss_mb()
        peak = start_rss
        print(f"source={args.source} tickets={args.tickets} page_size={args.page_size} start_rss={start_rss:.1f} MB",
              flush=True)
        started = time.perf_counter()
        count = messages = 0
        report_every = max(1, args.tickets // 10)
        for page in connector.tickets():
            for ticket in page.tickets:
                count += 1
                messages += len(ticket.messages)
                if count % report_every == 0:
                    now_rss = rss_mb()
                    peak = max(peak, now_rss)
                    elapsed = time.perf_counter() - started
                    print(f"  {count:>8} tickets  {count / elapsed:8.1f} tickets/s  rss={now_rss:7.1f} MB", flush=True)
        elapsed = time.perf_counter() - started
        end_rss = rss_mb()
        stats = getattr(getattr(connector, "client", None), "http", None)
        calls = stats.stats["requests"] if stats else 0
        print(f"done: {count} tickets, {messages} messages in {elapsed:.1f} s = {count / elapsed:.1f} tickets/s; "
              f"rss start {start_rss:.1f} MB, peak {max(peak, end_rss):.1f} MB, end {end_rss:.1f} MB "
              f"(growth {max(peak, end_rss) - start_rss:+.1f} MB)" + (f"; {calls} HTTP calls = {calls / elapsed * 60:.0f}/min, {stats.stats['status_429']} answered 429, "
                 f"{stats.stats['paced_seconds']:.0f} s paced" if stats else ""),
              flush=True)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=10)
        if tmp:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
