"""Pytest fixtures for the Front stand-in, usable by every test package.

Registered in the root conftest.py (`pytest_plugins`), so any test can ask for `front_standin`
(a fresh company per test, fast settings) or `front_client` (a FrontClient pointed at it, with its own
rate budget so tests never share one).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sandbox.front import FrontStandin

FRONT_TEST_TOKEN = "test-front-token"  # noqa: S105 - the stand-in's token in tests, not a secret


@pytest.fixture
def front_standin() -> Iterator[FrontStandin]:
    """A running Front stand-in: generous budget, no latency, imports visible after 50 ms."""
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=6000, latency_ms=0, process_delay_s=0.05) as standin:
        yield standin


@pytest.fixture
def front_client(front_standin: FrontStandin):
    """A FrontClient on the stand-in, with short back-offs and a budget of its own."""
    from connectors.front import FrontClient
    from connectors.http import RetryPolicy

    client = FrontClient(token=FRONT_TEST_TOKEN, api_url=front_standin.url, budget_key=f"test-{uuid.uuid4().hex}",
                         retry=RetryPolicy(max_attempts=5, base_delay=0.02, max_delay=0.2), uid_initial_delay=0.05)
    yield client
    client.close()
