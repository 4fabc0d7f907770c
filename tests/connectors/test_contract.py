"""Collects the shared connector contract; the `harness` fixture (conftest.py) runs it per connector."""

from tests.connectors.contract import *  # noqa: F403
from tests.connectors.contract_organizations import *  # noqa: F403, E402
