"""Per-test cache isolation that also reaches the live server's thread.

allauth keeps its rate-limit counters (e.g. one confirmation email per address per 3 minutes) in the
cache. Tests that sign up the same address must not see each other's counters, so every test gets a
new key epoch. The counter is process-wide (not per thread), unlike `cache.version`.
"""

import itertools

_epochs = itertools.count(1)
EPOCH = 0


def next_epoch() -> None:
    global EPOCH
    EPOCH = next(_epochs)


def epoch_key(key: str, key_prefix: str, version: int) -> str:
    return f"{key_prefix}:{version}:t{EPOCH}:{key}"
