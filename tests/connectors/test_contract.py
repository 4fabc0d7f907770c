"""Collects the shared connector contract; the `harness` fixture (conftest.py) runs it per connector."""

from tests.connectors.contract import *  # noqa: F403
from tests.connectors.contract_organizations import *  # noqa: F403, E402


def test_every_registered_connector_runs_the_contract():
    """A connector in the registry without a harness would skip the contract: every key has one."""
    from connectors.registry import SOURCES
    from tests.connectors.conftest import HARNESSES, _load

    assert sorted(_load(path).key for path in HARNESSES) == sorted(SOURCES)
from tests.connectors.contract_knowledge import *  # noqa: F403, E402
