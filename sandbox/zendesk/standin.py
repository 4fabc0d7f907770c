"""`ZendeskStandin`: run the stand-in server in a background thread (tests, benchmarks, embedded mode)."""

from __future__ import annotations

import threading
from typing import Any

from connectors.sample.generator import SampleDataset
from sandbox.zendesk.server import DEFAULT_TOKENS, Limits, StandinState, ZendeskServer

DEFAULT_HOSTS = ("127.0.0.1", "acme.zendesk.localhost")


class ZendeskStandin:
    """with ZendeskStandin(tickets=200, seed=1) as zd: zd.url, zd.admin_config(), zd.refuse_next(2)...

    `strict=True` takes the other reading of every Zendesk guess in docs/vendor-guesses.md (deleted
    users not listed, deleted authors sideloaded, lists paged by cursor). Only the hosts in `hosts` are "the account": any other Host header (e.g. http://localhost:PORT)
    is answered like a Zendesk subdomain that does not exist.
    """

    def __init__(self, *, tickets: int = 200, seed: int = 1, revision: int = 0, rpm: int = 0,
                 export_rpm: int = 0, window_s: float = 60.0, host: str = "127.0.0.1", port: int = 0,
                 hosts: tuple[str, ...] = DEFAULT_HOSTS, tokens: dict[str, str] | None = None,
                 latency_ms: int = 0, strict: bool = False) -> None:
        self.state = StandinState(
            dataset=SampleDataset(tickets=tickets, seed=seed, revision=revision),
            limits=Limits(rpm=rpm, export_rpm=export_rpm, window_s=window_s),
            hosts=hosts, tokens={**DEFAULT_TOKENS, **(tokens or {})}, latency_s=latency_ms / 1000,
            strict=strict,
        )
        self._server = ZendeskServer((host, port), self.state)
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> ZendeskStandin:
        self._thread = threading.Thread(target=self._server.serve_forever, name="zendesk-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ZendeskStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- what a connector needs -------------------------------------------------------------------
    def admin_config(self, **extra: Any) -> dict[str, Any]:
        return {"url": self.url, "email": "agent1@example.com", "token": self.state.tokens["admin"], **extra}

    def agent_config(self, **extra: Any) -> dict[str, Any]:
        return {"url": self.url, "email": "agent2@example.com", "token": self.state.tokens["agent"], **extra}

    def oauth_config(self, **extra: Any) -> dict[str, Any]:
        return {"url": self.url, "oauth_token": self.state.tokens["oauth"], **extra}

    # ---- control and inspection ------------------------------------------------------------------------
    def set_dataset(self, *, tickets: int | None = None, seed: int | None = None, revision: int | None = None) -> None:
        """Change the account's data (e.g. revision+1: replies added, statuses changed, tickets deleted)."""
        ds = self.state.dataset
        with self.state.lock:
            self.state.dataset = SampleDataset(tickets=ds.tickets if tickets is None else tickets,
                                               seed=ds.seed if seed is None else seed,
                                               revision=ds.revision if revision is None else revision)
            self.state._tickets.clear()

    def set_limits(self, *, rpm: int | None = None, export_rpm: int | None = None,
                   window_s: float | None = None) -> None:
        with self.state.lock:
            lim = self.state.limits
            self.state.limits = Limits(rpm=lim.rpm if rpm is None else rpm,
                                       export_rpm=lim.export_rpm if export_rpm is None else export_rpm,
                                       window_s=lim.window_s if window_s is None else window_s)
            self.state.account_hits.clear()
            self.state.export_hits.clear()

    def refuse(self, path: str, status: int = 404) -> None:
        """Answer every request for `path` (e.g. "/api/v2/brands") with `status`, as an account or plan
        without that endpoint would; `refuse(path, 0)` serves it again."""
        with self.state.lock:
            key = path.removesuffix(".json")
            if status:
                self.state.refused[key] = status
            else:
                self.state.refused.pop(key, None)

    def refuse_next(self, count: int, *, retry_after: int = 1) -> None:
        """Answer the next `count` requests with 429 and `Retry-After: retry_after`."""
        with self.state.lock:
            self.state.refusals = count
            self.state.refusal_retry_after = retry_after

    def reset_log(self) -> None:
        with self.state.lock:
            self.state.log.clear()
            self.state.early_retries = 0
            self.state.counters.clear()

    def requests(self) -> list[tuple[str, str, str]]:
        with self.state.lock:
            return list(self.state.log)

    @property
    def early_retries(self) -> int:
        return self.state.early_retries

    @property
    def counters(self) -> dict[str, int]:
        return dict(self.state.counters)
