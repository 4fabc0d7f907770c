"""Client CPU per outbound HTTP call (connectors/http.py + the Front client) against a local keep-alive server.

    python bench/http_client.py [--calls 2000] [--threads 1] [--profile]

Starts the Front stand-in (unthrottled, response validation off) in a subprocess, then fires the engine's
hot routes through one FrontClient: POST JSON (~1.5 KB import body), GET small JSON (a contact lookup),
POST multipart with a 2 KB attachment. Pacing is a no-op, so the figure is the client's own work: JSON
encoding, building the request, the transport, reading and decoding the answer. Prints client CPU
(user+sys of this process, so the server's CPU is not counted) in ms per call, per route and overall.
(About 0.5-0.8 ms per call with httpx's own stack on the 2-core machine; the engine's budget is DESIGN §7's
15 ms of CPU per ticket of ~7 calls, see bench/full_run.py.)
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOKEN = "bench-http-token"  # noqa: S105 - the stand-in's token, not a secret

from bench.full_run import start_front  # noqa: E402 - after the path set-up above


class NoBudget:
    """The pacer interface of SharedBudget without its store: the bench measures HTTP work, not pacing."""

    budget_429 = burst_429 = 0
    waited = 0.0

    def acquire(self, resource: str | None) -> float:
        return 0.0

    def observe(self, response: object, resource: str | None) -> None:
        return None


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per route")
    parser.add_argument("--threads", type=int, default=1, help="threads sharing one client")
    parser.add_argument("--profile", action="store_true", help="print the top functions by own time")
    args = parser.parse_args()

    import os

    os.environ.setdefault("ALLOW_PRIVATE_URLS", "true")  # the stand-in listens on loopback
    from connectors.front import FrontClient, ImportedMessage
    from connectors.front.types import Upload

    proc, url = start_front(token=TOKEN, rpm=1_000_000, burst_per_second=1_000_000, process_delay_s=0.0)
    try:
        client = FrontClient(token=TOKEN, api_url=url, budget=NoBudget())  # type: ignore[arg-type]
        inbox = client.inboxes()[0]["id"]
        body = "<p>" + "Hello, this is a historical message body. " * 30 + "</p>"  # ~1.3 KB
        counter = iter(range(10**9))
        lock = threading.Lock()

        def message() -> ImportedMessage:
            with lock:
                n = next(counter)
            return ImportedMessage(external_id=f"bench-{n}", created_at=datetime(2022, 1, 1, tzinfo=UTC),
                                   sender_handle=f"customer{n % 50}@example.com", sender_name="A Customer",
                                   body=body, subject="Where is my order?", to=["support@example.com"],
                                   tags=["migrated"], thread_ref=f"ticket-{n}")

        attachment = b"x" * 2048
        routes: dict[str, Callable[[], object]] = {
            "POST json (import)": lambda: client.import_message(inbox, message()),
            "GET small json (contact)": lambda: client.find_contact(source="email", handle="nobody@example.com"),
            "POST multipart (2 KB file)": lambda: client.import_message(
                inbox, message(), [Upload("note.txt", "text/plain", len(attachment), [attachment])]),
        }
        for call in routes.values():  # warm-up: connections open, modules imported
            for _ in range(20):
                call()
        profiler = cProfile.Profile() if args.profile else None
        total_cpu = total_calls = 0.0
        print(f"{'route':28} {'calls':>6} {'CPU ms/call':>12}")
        for name, call in routes.items():
            per_thread = args.calls // args.threads

            def run(call: Callable[[], object] = call, n: int = per_thread) -> None:
                for _ in range(n):
                    call()

            if profiler:
                profiler.enable()
            start = cpu()
            if args.threads == 1:
                run()  # in this thread, so --profile sees it
            else:
                threads = [threading.Thread(target=run) for _ in range(args.threads)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            spent = cpu() - start
            if profiler:
                profiler.disable()
            calls = per_thread * args.threads
            total_cpu += spent
            total_calls += calls
            print(f"{name:28} {calls:>6} {1000 * spent / calls:>12.3f}")
        print(f"{'all routes':28} {int(total_calls):>6} {1000 * total_cpu / total_calls:>12.3f}")
        print(f"requests counted by the client: {client.stats.get('requests')}")
        client.close()
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    finally:
        proc.terminate()
        proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
