"""pytest fixture `zendesk_standin`: a running Zendesk stand-in (200 tickets, unthrottled) per test.

Registered in the root conftest.py through `pytest_plugins`.
"""

from __future__ import annotations

import pytest

from sandbox.zendesk.standin import ZendeskStandin


@pytest.fixture
def zendesk_standin():
    with ZendeskStandin(tickets=200, seed=1) as standin:
        yield standin
