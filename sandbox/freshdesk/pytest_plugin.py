"""pytest fixture `freshdesk_standin`: a running Freshdesk stand-in (120 tickets, unthrottled).

Registered in the root conftest.py through `pytest_plugins`.
"""

from __future__ import annotations

import pytest

from sandbox.freshdesk import FreshdeskStandin


@pytest.fixture
def freshdesk_standin():
    with FreshdeskStandin(tickets=120, seed=1) as standin:
        yield standin
