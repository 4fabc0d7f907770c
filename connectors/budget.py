"""A request budget shared by every process that talks to one vendor account (a Front company).

Front counts requests per company per minute, whatever token or worker sends them, so pacing must be
shared: a token bucket kept in Redis (one atomic Lua script) when REDIS_URL is set, else in a SQLite
file under DATA_DIR (BEGIN IMMEDIATE makes each read-modify-write atomic across processes).

The bucket refills at `limit/60 * SAFETY` per second and holds only a couple of tokens, so callers are
spread evenly instead of bursting; `limit` is learned from `x-ratelimit-limit`. A budget 429 blocks
every process until its `retry-after`; a burst 429 (per-resource, budget not exhausted) only slows
the resource that drew it, locally.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

from connectors.http import retry_after_seconds, setting

SAFETY = 0.985  # a hair under the vendor's rate: clocks and network jitter never tip us over
BUCKET_SECONDS = 1.2  # bucket depth in seconds of refill: enough to absorb scheduling jitter
BURST_PER_SECOND = 5  # Front's per-resource burst limit
BURST_WINDOW = 1.1  # seconds

_LUA = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local default_limit = tonumber(ARGV[2])
local safety = tonumber(ARGV[3])
local depth = tonumber(ARGV[4])
local v = redis.call('HMGET', key, 'tokens', 'ts', 'limit', 'blocked_until')
local limit = tonumber(v[3]) or default_limit
local rate = limit / 60.0 * safety
local cap = math.max(1.0, rate * depth)
local tokens = tonumber(v[1]) or cap
local ts = tonumber(v[2]) or now
local blocked = tonumber(v[4]) or 0
tokens = math.min(cap, tokens + math.max(0, now - ts) * rate)
local wait = 0
if now < blocked then
  wait = blocked - now
elseif tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now), 'limit', tostring(limit))
redis.call('EXPIRE', key, 3600)
return tostring(wait)
"""


def _take(tokens: float, ts: float, limit: float, blocked: float, now: float) -> tuple[float, float]:
    """The same arithmetic as the Lua script, for the SQLite store: returns (new tokens, wait)."""
    rate = limit / 60.0 * SAFETY
    cap = max(1.0, rate * BUCKET_SECONDS)
    tokens = min(cap, tokens + max(0.0, now - ts) * rate)
    if now < blocked:
        return tokens, blocked - now
    if tokens >= 1:
        return tokens - 1, 0.0
    return tokens, (1 - tokens) / rate


class SharedBudget:
    """Pacer for connectors.http.HttpClient. `key` names the vendor account (e.g. a Front company)."""

    def __init__(self, key: str, *, default_limit: int = 50, redis_url: str | None = None,
                 data_dir: Path | None = None) -> None:
        self.key = f"frontport:budget:{key}"
        self.default_limit = default_limit
        redis_url = setting("REDIS_URL", "") if redis_url is None else redis_url
        self._redis = None
        self._db_path: Path | None = None
        self._threads = threading.local()
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url)
            self._script = self._redis.register_script(_LUA)
        else:
            base = Path(data_dir or setting("DATA_DIR", Path.cwd() / "var"))
            base.mkdir(parents=True, exist_ok=True)
            self._db_path = base / "rate-budget.sqlite3"
            with self._connect() as db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS budget (key TEXT PRIMARY KEY, tokens REAL, ts REAL,"
                    " lim REAL, blocked_until REAL)"
                )
        self._local = threading.Lock()
        self._burst: dict[str, list[float]] = defaultdict(list)
        self._burst_blocked: dict[str, float] = {}
        self.waited = 0.0
        self._known_limit: int | None = None
        self.budget_429 = 0
        self.burst_429 = 0

    @property
    def backend(self) -> str:
        return "redis" if self._redis is not None else "sqlite"

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection to the budget file, opened once (opening costs more than a take)."""
        db = getattr(self._threads, "db", None)
        if db is None:
            db = sqlite3.connect(self._db_path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # a budget lost in a power cut refills in a minute
            self._threads.db = db
        return db

    # --- the shared bucket ------------------------------------------------------------------
    def _try_take(self) -> float:
        now = time.time()
        if self._redis is not None:
            return float(self._script(keys=[self.key], args=[now, self.default_limit, SAFETY, BUCKET_SECONDS]))
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT tokens, ts, lim, blocked_until FROM budget WHERE key=?", (self.key,)).fetchone()
            limit = row[2] if row else self.default_limit
            cap = max(1.0, limit / 60.0 * SAFETY * BUCKET_SECONDS)
            tokens, ts, blocked = (row[0], row[1], row[3]) if row else (cap, now, 0.0)
            tokens, wait = _take(tokens, ts, limit, blocked, now)
            db.execute(
                "INSERT INTO budget (key, tokens, ts, lim, blocked_until) VALUES (?,?,?,?,?) ON CONFLICT(key)"
                " DO UPDATE SET tokens=excluded.tokens, ts=excluded.ts",
                (self.key, tokens, now, limit, blocked),
            )
            db.execute("COMMIT")
            return wait
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _set(self, **fields: float) -> None:
        if self._redis is not None:
            self._redis.hset(self.key, mapping={k: str(v) for k, v in fields.items()})
            return
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT 1 FROM budget WHERE key=?", (self.key,)).fetchone()
            if not row:
                db.execute("INSERT INTO budget (key, tokens, ts, lim, blocked_until) VALUES (?, 0, ?, ?, 0)",
                           (self.key, time.time(), self.default_limit))
            column = {"limit": "lim", "blocked_until": "blocked_until", "tokens": "tokens", "ts": "ts"}
            for name, value in fields.items():
                db.execute(f"UPDATE budget SET {column[name]}=? WHERE key=?", (value, self.key))  # noqa: S608
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _get(self, name: str) -> float | None:
        if self._redis is not None:
            raw = self._redis.hget(self.key, name)
            return float(raw) if raw is not None else None
        column = {"limit": "lim", "blocked_until": "blocked_until"}[name]
        with self._connect() as db:
            row = db.execute(f"SELECT {column} FROM budget WHERE key=?", (self.key,)).fetchone()  # noqa: S608
        return float(row[0]) if row and row[0] is not None else None

    @property
    def limit(self) -> float:
        return self._get("limit") or self.default_limit

    def reset(self) -> None:
        """Forget the bucket (tests, or after a plan change)."""
        if self._redis is not None:
            self._redis.delete(self.key)
        else:
            with self._connect() as db:
                db.execute("DELETE FROM budget WHERE key=?", (self.key,))

    # --- Pacer protocol -----------------------------------------------------------------------
    def acquire(self, resource: str | None) -> float:
        waited = 0.0
        while True:
            wait = self._try_take()
            if wait <= 0:
                break
            time.sleep(min(wait, 5.0))
            waited += min(wait, 5.0)
        if resource:
            waited += self._burst_gate(resource)
        self.waited += waited
        return waited

    def _burst_gate(self, resource: str) -> float:
        """Keep one process under 5 requests/second on one resource (Front's burst limit)."""
        waited = 0.0
        with self._local:
            now = time.monotonic()
            blocked = self._burst_blocked.get(resource, 0.0)
            recent = [t for t in self._burst[resource] if now - t < BURST_WINDOW]
            delay = max(blocked - now, 0.0)
            if len(recent) >= BURST_PER_SECOND:
                # A little over one second: Front measures on arrival, and arrivals jitter.
                delay = max(delay, BURST_WINDOW - (now - recent[0]))
            if delay > 0:
                time.sleep(delay)
                waited = delay
                now = time.monotonic()
            recent.append(now)
            self._burst[resource] = recent[-BURST_PER_SECOND:]
        return waited

    def observe(self, response: httpx.Response, resource: str | None) -> None:
        headers = response.headers
        try:
            limit = int(headers["x-ratelimit-limit"]) if "x-ratelimit-limit" in headers else None
            remaining = int(headers["x-ratelimit-remaining"]) if "x-ratelimit-remaining" in headers else None
        except ValueError:
            limit = remaining = None
        if limit and limit != self._known_limit:
            if limit != int(self.limit):
                self._set(limit=limit)
            self._known_limit = limit
        if response.status_code != 429:
            if remaining is not None and remaining <= 0 and limit:
                # Someone outside this budget (another tool on the same company) is spending it: hold
                # every process for one request's worth of refill rather than draw a 429.
                self._set(blocked_until=time.time() + 60.0 / limit)
            return
        retry_after = retry_after_seconds(response) or 1.0
        if remaining is not None and remaining > 0:
            # Budget left, so this is the per-resource burst limit: slow this resource only.
            self.burst_429 += 1
            with self._local:
                self._burst_blocked[resource or ""] = time.monotonic() + retry_after
        else:
            self.budget_429 += 1
            # The company budget is spent (perhaps by someone else): every process waits, and the
            # bucket restarts empty so nobody bursts when the block lifts.
            now = time.time()
            self._set(blocked_until=now + retry_after, tokens=0, ts=now)
