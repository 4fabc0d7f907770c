"""Which source platforms Frontport can migrate from. Adding one = one package + one line below.

The wizard's platform list comes from `SOURCES` (in this order); the engine builds connectors with
`get_connector(key, config)`. Every connector is imported plainly: a broken one stops start-up and the
test suite (the shared contract suite runs against each entry here), it is never left out quietly.
"""

from __future__ import annotations

from typing import Any

from connectors.base import InvalidConfig, SourceConnector
from connectors.files import FileExportConnector
from connectors.freshdesk import FreshdeskConnector
from connectors.helpscout import HelpScoutConnector
from connectors.intercom import IntercomConnector
from connectors.sample import SampleConnector
from connectors.zendesk import ZendeskConnector

SOURCES: dict[str, type[SourceConnector]] = {
    "zendesk": ZendeskConnector,
    "sample": SampleConnector,
    "freshdesk": FreshdeskConnector,
    "helpscout": HelpScoutConnector,
    "intercom": IntercomConnector,
    "files": FileExportConnector,
}


def choices() -> list[tuple[str, str]]:
    """(key, label) pairs for the wizard's platform list."""
    return [(key, cls.label) for key, cls in SOURCES.items()]


def get_connector(key: str, config: dict[str, Any]) -> SourceConnector:
    try:
        cls = SOURCES[key]
    except KeyError:
        raise InvalidConfig(f"Unknown source platform {key!r}.") from None
    return cls(config)
