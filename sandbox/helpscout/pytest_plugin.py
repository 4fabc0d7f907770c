"""pytest fixture `helpscout_standin`: a running Help Scout stand-in (120 conversations, unthrottled).

Registered in the root conftest.py through `pytest_plugins`.
"""

from __future__ import annotations

import pytest

from sandbox.helpscout import HelpScoutStandin


@pytest.fixture
def helpscout_standin():
    with HelpScoutStandin(tickets=120, seed=1) as standin:
        yield standin
