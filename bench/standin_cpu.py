"""CPU the Front stand-in spends per API call, on a migration's call mix (a repeatable yardstick).

    python bench/standin_cpu.py [--tickets 300] [--profile out.txt]

Starts the stand-in in its own process exactly as bench/full_run.py does (unthrottled, answers not
validated), then plays tickets over ONE keep-alive connection: per ticket a contact lookup and create,
four imports (JSON like FrontClient.import_body; every 20th with an attachment, as multipart), a uid
lookup and 1-2 comments, plus a few invalid requests (400s) so the error path is measured too. Prints the
stand-in's CPU (user+sys, read with psutil) per call, overall and for the main routes (measured by
playing each route alone). --profile runs py-spy on the stand-in meanwhile (raw output).
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.full_run import TOKEN, start_front  # noqa: E402

BODY_HTML = "<p>" + "Hello, my order has not arrived yet and I would like to know where it is. " * 12 + "</p>"


class Player:
    def __init__(self, url: str) -> None:
        host, port = url.split("//")[1].split(":")
        self.conn = http.client.HTTPConnection(host, int(port))
        self.calls = 0
        self.inbox = ""
        self.teammate = ""

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json",
             expect: tuple[int, ...] = (200, 201, 202, 204)) -> dict | None:
        headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json", "User-Agent": "frontport-bench",
                   "Accept-Encoding": "gzip, deflate"}
        if body is not None:
            headers["Content-Type"] = content_type
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        self.calls += 1
        if response.status not in expect:
            raise SystemExit(f"{method} {path}: {response.status} {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def post(self, path: str, obj: dict, expect: tuple[int, ...] = (200, 201, 202, 204)) -> dict | None:
        return self.call("POST", path, json.dumps(obj).encode(), expect=expect)

    def setup(self) -> None:
        self.inbox = self.call("GET", "/inboxes")["_results"][0]["id"]
        self.teammate = self.call("GET", "/teammates")["_results"][1]["id"]

    # --- one call of each kind ---------------------------------------------------------------------
    def contact(self, n: int) -> None:
        email = f"customer{n}-{uuid.uuid4().hex[:6]}@example.org"
        self.call("GET", f"/contacts/alt:email:{email}", expect=(404,))
        self.post("/contacts", {"name": f"Customer {n}", "handles": [{"source": "email", "handle": email}]})
        self.email = email

    def import_body(self, n: int, k: int) -> dict:
        inbound = k % 2 == 0
        sender = {"handle": self.email, "name": f"Customer {n}"} if inbound else \
            {"handle": "support@acme.example", "name": "Alice Agent", "author_id": self.teammate}
        return {"sender": sender, "to": ["support@acme.example" if inbound else self.email], "body": BODY_HTML,
                "body_format": "html", "external_id": f"sample:{uuid.uuid4().hex[:8]}:{n}:{k}",
                "created_at": 1_600_000_000 + n * 100 + k, "subject": f"Order {n} has not arrived",
                "metadata": {"is_inbound": inbound, "is_archived": True, "should_skip_rules": True,
                             "thread_ref": f"sample-{n}"}, "tags": ["migrated"]}

    def import_message(self, n: int, k: int) -> str:
        body = self.import_body(n, k)
        if (n * 4 + k) % 20 == 19:
            return self.import_multipart(body)
        return self.post(f"/inboxes/{self.inbox}/imported_messages", body)["message_uid"]

    def import_multipart(self, obj: dict) -> str:
        from connectors.front.forms import flatten_form

        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                 for k, v in flatten_form(obj)]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="attachments[0]"; filename="a.pdf"\r\n'
                     f"Content-Type: application/pdf\r\n\r\n".encode() + b"%PDF" * 2000 + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.call("POST", f"/inboxes/{self.inbox}/imported_messages", b"".join(parts),
                         content_type=f"multipart/form-data; boundary={boundary}")["message_uid"]

    def resolve(self, uid: str) -> str:
        for _ in range(200):
            self.conn.request("GET", f"/messages/alt:uid:{uid}", headers={"Authorization": f"Bearer {TOKEN}"})
            response = self.conn.getresponse()
            raw = response.read()
            self.calls += 1
            if response.status == 200:
                return json.loads(raw)["_links"]["related"]["conversation"].rsplit("/", 1)[1]
            time.sleep(0.01)
        raise SystemExit("uid never resolved")

    def comment(self, cnv: str, n: int) -> None:
        self.post(f"/conversations/{cnv}/comments", {"body": f"(Alice, 2021-03-01) note {n}", "author_id": self.teammate})

    def invalid(self, n: int) -> None:
        body = self.import_body(n, 0)
        del body["external_id"]
        self.post(f"/inboxes/{self.inbox}/imported_messages", body, expect=(400,))

    def ticket(self, n: int) -> None:
        self.contact(n)
        uids = [self.import_message(n, k) for k in range(4)]
        cnv = self.resolve(uids[0])
        for c in range(1 + n % 2):
            self.comment(cnv, c)
        if n % 25 == 0:
            self.invalid(n)


def measure(front: psutil.Process, fn) -> float:
    before = sum(front.cpu_times()[:2])
    fn()
    return sum(front.cpu_times()[:2]) - before


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--profile", help="py-spy raw output file")
    args = parser.parse_args()
    front_args = argparse.Namespace(rpm=1_000_000, latency_ms=0, process_delay_s=0.0, burst=1_000_000)
    proc, url = start_front(front_args)
    spy = None
    try:
        front = psutil.Process(proc.pid)
        player = Player(url)
        player.setup()
        for n in range(20):  # warm up (first-call caches, imports)
            player.ticket(n)
        if args.profile:
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-r", "200", "-f", "raw",
                                    "-o", args.profile, "--pid", str(proc.pid)])
            time.sleep(1)
        player.calls = 0
        cpu = measure(front, lambda: [player.ticket(n) for n in range(20, 20 + args.tickets)])
        report = {"tickets": args.tickets, "calls": player.calls, "standin_cpu_s": round(cpu, 2),
                  "standin_ms_per_call": round(1000 * cpu / player.calls, 3), "per_route_ms": {}}
        reps = 300
        cnv = player.resolve(player.import_message(10_000, 0))
        singles = {
            "POST imported_messages (json)": lambda: [player.post(f"/inboxes/{player.inbox}/imported_messages",
                                                                  player.import_body(10_001 + i, 0)) for i in range(reps)],
            "POST comments": lambda: [player.comment(cnv, i) for i in range(reps)],
            "GET /messages/alt:uid": lambda: [player.resolve(player.last_uid) for _ in range(reps)],
            "GET /contacts/alt:email (404)": lambda: [player.call("GET", "/contacts/alt:email:nobody@example.org",
                                                                  expect=(404,)) for _ in range(reps)],
            "POST /contacts": lambda: [player.post("/contacts", {"name": "X", "handles": [
                {"source": "email", "handle": f"x{uuid.uuid4().hex}@example.org"}]}) for _ in range(reps)],
            "400 (missing external_id)": lambda: [player.invalid(i) for i in range(reps)],
        }
        player.last_uid = player.import_message(10_000, 1)
        player.resolve(player.last_uid)
        for name, fn in singles.items():
            report["per_route_ms"][name] = round(1000 * measure(front, fn) / reps, 3)
        print(json.dumps(report, indent=1))
    finally:
        if spy:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=30)
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
