"""A request budget shared by every process that talks to one vendor account (a Front company).

Front counts requests per company per minute, whatever token or worker sends them, so pacing must be
shared: token buckets kept in Redis (one atomic Lua script) when REDIS_URL is set, else in a SQLite
file under DATA_DIR (BEGIN IMMEDIATE makes each read-modify-write atomic across processes, so no
separate file lock is needed).

The company bucket refills at `limit/60 * SAFETY` per second and holds only ~1.2 s of refill, so callers
are spread evenly instead of bursting; `limit` is learned from `x-ratelimit-limit`. Each resource (an
endpoint with an id) has its own one-token bucket, shared the same way, that keeps every process together
under Front's burst limit of 5 requests per second. A budget 429 blocks every process until its
`retry-after`; a burst 429 (budget not exhausted) blocks only that resource.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from connectors import deadline
from connectors.http import retry_after_seconds, setting

SAFETY = 0.985  # a hair under the vendor's rate: clocks and network jitter never tip us over
BUCKET_SECONDS = 1.2  # company bucket depth in seconds of refill: absorbs scheduling jitter
PERSON_WAITING_BUCKET_SECONDS = 30.0  # the depth a call under a web request's deadline may draw on
BURST_PER_SECOND = 5  # Front's per-resource burst limit
BURST_WINDOW = 1.1  # seconds: a little over one, as Front measures on arrival and arrivals jitter
BURST_LIMIT_PER_MINUTE = BURST_PER_SECOND * 60 / BURST_WINDOW

_LUA = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local default_limit = tonumber(ARGV[2])
local safety = tonumber(ARGV[3])
local depth = tonumber(ARGV[4])
local share = tonumber(ARGV[5]) or 1
local reserve = tonumber(ARGV[6]) or 0
-- An optional lane (KEYS[2]) in the same round trip: 'mark' holds it for ARGV[8] ms, 'check' leaves
-- ARGV[9] tokens in the bucket while someone else holds it (migrations_engine/budgets.py, demo lane).
local lane = ARGV[7] or ''
if lane == 'mark' then
  redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[8]))
elseif lane == 'check' and redis.call('EXISTS', KEYS[2]) == 1 then
  reserve = math.max(reserve, tonumber(ARGV[9]))
end
local v = redis.call('HMGET', key, 'tokens', 'ts', 'limit', 'blocked_until')
local limit = tonumber(v[3]) or default_limit
local rate = limit / 60.0 * safety * share
local cap = math.max(1.0, rate * depth)
local tokens = tonumber(v[1]) or cap
local ts = tonumber(v[2]) or now
local blocked = tonumber(v[4]) or 0
tokens = math.min(cap, tokens + math.max(0, now - ts) * rate)
local wait = 0
if now < blocked then
  wait = blocked - now
elseif tokens >= 1 + reserve then
  tokens = tokens - 1
else
  wait = (1 + reserve - tokens) / rate
end
redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now), 'limit', tostring(limit))
redis.call('EXPIRE', key, 3600)
return tostring(wait)
"""


@dataclass(frozen=True)
class Lane:
    """A key whose presence makes other callers leave `reserve` tokens: `mode` "mark" holds it for `hold`
    seconds, "check" obeys it."""

    key: str
    mode: str
    hold: float
    reserve: float


def _take(tokens: float, ts: float, limit: float, blocked: float, now: float, depth: float,
          share: float = 1.0, reserve: float = 0.0) -> tuple[float, float]:
    """The same arithmetic as the Lua script, for the SQLite store: returns (new tokens, wait).
    `reserve`: tokens this caller must leave in the bucket (for callers who go first)."""
    rate = limit / 60.0 * SAFETY * share
    cap = max(1.0, rate * depth)
    tokens = min(cap, tokens + max(0.0, now - ts) * rate)
    if now < blocked:
        return tokens, blocked - now
    if tokens >= 1 + reserve:
        return tokens - 1, 0.0
    return tokens, (1 + reserve - tokens) / rate


def _use_wal(db: sqlite3.Connection, *, attempts: int = 60) -> None:
    """Switch the budget file to WAL (once per file: the mode persists).

    Switching needs an exclusive lock, and SQLite may answer "database is locked" at once instead of
    waiting out the busy timeout, e.g. when several workers open the file at the same moment.
    """
    for attempt in range(attempts):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))


class SharedBudget:
    """Pacer for connectors.http.HttpClient. `key` names the vendor account (e.g. a Front company).

    kind: which of the account's budgets this is ("token": the company's own, "partner": Front's separate
    budget for OAuth partner apps). share: the part of the budget's rate this caller may spend (a
    migration leaving the team's own integrations the rest of the company budget); 1.0 = all of it.
    """

    def __init__(self, key: str, *, default_limit: int = 50, redis_url: str | None = None,
                 data_dir: Path | None = None, kind: str = "token", share: float = 1.0) -> None:
        self.key = f"frontport:budget:{key}"
        self.kind = kind
        self.share = max(0.0, min(1.0, share))
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
        self.waited = 0.0
        self._known_limit: int | None = None
        self._takes = 0
        self.budget_429 = 0
        self.burst_429 = 0
        self.calls = 0  # answers observed on this budget by this process (benchmarks, progress)

    @property
    def backend(self) -> str:
        return "redis" if self._redis is not None else "sqlite"

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection to the budget file, opened once (opening costs more than a take)."""
        db = getattr(self._threads, "db", None)
        if db is None:
            assert self._db_path is not None  # the SQLite store (no Redis)
            db = sqlite3.connect(self._db_path, timeout=30, isolation_level=None, check_same_thread=False)
            _use_wal(db)
            db.execute("PRAGMA synchronous=NORMAL")  # a budget lost in a power cut refills in a minute
            self._threads.db = db
        return db

    def _burst_key(self, resource: str) -> str:
        return f"{self.key}:burst:{hashlib.sha1(resource.encode(), usedforsecurity=False).hexdigest()[:16]}"

    # --- the shared buckets -------------------------------------------------------------------
    def _try_take(self, key: str | None = None, *, limit: float | None = None, depth: float = BUCKET_SECONDS,
                  reserve: float = 0.0, lane: Lane | None = None) -> float:
        """Take one token from a bucket (the company's by default); 0 when taken, else seconds to wait.
        `reserve`: leave that many tokens for others (callers that go first, migrations_engine/budgets.py).
        `lane` (Redis only): a lane marked or checked in the same script, one round trip per call."""
        share = self.share if key is None else 1.0  # a burst gate is Front's, never shared out
        key = key or self.key
        default = limit or self.default_limit
        now = time.time()
        if share <= 0:
            return 3600.0  # a budget this caller may not spend (0 %): never taken
        if self._redis is not None:
            if lane is None:
                return float(self._script(keys=[key], args=[now, default, SAFETY, depth, share, reserve]))
            return float(self._script(keys=[key, lane.key], args=[now, default, SAFETY, depth, share, reserve,
                                                                  lane.mode, int(lane.hold * 1000), lane.reserve]))
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT tokens, ts, lim, blocked_until FROM budget WHERE key=?", (key,)).fetchone()
            lim = row[2] if row else default
            cap = max(1.0, lim / 60.0 * SAFETY * share * depth)
            tokens, ts, blocked = (row[0], row[1], row[3]) if row else (cap, now, 0.0)
            tokens, wait = _take(tokens, ts, lim, blocked, now, depth, share, reserve)
            db.execute(
                "INSERT INTO budget (key, tokens, ts, lim, blocked_until) VALUES (?,?,?,?,?) ON CONFLICT(key)"
                " DO UPDATE SET tokens=excluded.tokens, ts=excluded.ts",
                (key, tokens, now, lim, blocked),
            )
            self._takes += 1
            if self._takes % 1000 == 0:  # per-resource rows of long-finished conversations
                db.execute("DELETE FROM budget WHERE key LIKE ? AND ts < ?", (f"{self.key}:burst:%", now - 3600))
            db.execute("COMMIT")
            return wait
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _set(self, key: str | None = None, **fields: float) -> None:
        key = key or self.key
        if self._redis is not None:
            self._redis.hset(key, mapping={k: str(v) for k, v in fields.items()})
            self._redis.expire(key, 3600)
            return
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            if not db.execute("SELECT 1 FROM budget WHERE key=?", (key,)).fetchone():
                default = self.default_limit if key == self.key else BURST_LIMIT_PER_MINUTE
                db.execute("INSERT INTO budget (key, tokens, ts, lim, blocked_until) VALUES (?, 0, ?, ?, 0)",
                           (key, time.time(), default))
            column = {"limit": "lim", "blocked_until": "blocked_until", "tokens": "tokens", "ts": "ts"}
            for name, value in fields.items():
                db.execute(f"UPDATE budget SET {column[name]}=? WHERE key=?", (value, key))  # noqa: S608
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
        """Forget the company bucket (tests, or after a plan change)."""
        if self._redis is not None:
            self._redis.delete(self.key)
        else:
            with self._connect() as db:
                db.execute("DELETE FROM budget WHERE key=?", (self.key,))

    # --- Pacer protocol -----------------------------------------------------------------------
    def _wait_for(self, key: str | None = None, *, limit: float | None = None,
                  depth: float = BUCKET_SECONDS) -> float:
        waited = 0.0
        while True:
            wait = self._try_take(key, limit=limit, depth=depth)
            if wait <= 0:
                return waited
            deadline.check_wait(wait, service="The vendor's rate limit")  # a web request cannot wait that long
            time.sleep(min(wait, 5.0))
            waited += min(wait, 5.0)

    def acquire(self, resource: str | None) -> float:
        # A person waiting for a page (a caller's deadline, connectors/deadline.py) may spend what the
        # company bucket saved up while idle, so a connection check's dozen calls do not trickle out at
        # the run's even pace (at 50 rpm, 1.2 s each would pass the deadline); a run spreads its calls.
        depth = BUCKET_SECONDS if deadline.current() is None else PERSON_WAITING_BUCKET_SECONDS
        waited = self._wait_for(depth=depth)
        if resource:
            waited += self._burst_gate(resource)
        self.waited += waited
        return waited

    def _burst_gate(self, resource: str) -> float:
        """Keep every process together under 5 requests per second on one resource (one token, spaced)."""
        return self._wait_for(self._burst_key(resource), limit=BURST_LIMIT_PER_MINUTE, depth=0.0)

    def try_acquire(self, *, depth: float | None = None) -> float:
        """Take one call from this budget without waiting: 0 when taken, else seconds until one is due."""
        if depth is None:
            depth = BUCKET_SECONDS if deadline.current() is None else PERSON_WAITING_BUCKET_SECONDS
        return self._try_take(depth=depth)

    def observe(self, response: httpx.Response, resource: str | None) -> None:
        self.calls += 1
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
        now = time.time()
        if remaining is not None and remaining > 0:
            # Budget left, so this is the per-resource burst limit: only this resource waits.
            self.burst_429 += 1
            if resource:
                self._set(self._burst_key(resource), blocked_until=now + retry_after, tokens=0, ts=now)
        else:
            self.budget_429 += 1
            # The company budget is spent (perhaps by someone else): every process waits, and the
            # bucket restarts empty so nobody bursts when the block lifts.
            self._set(blocked_until=now + retry_after, tokens=0, ts=now)
