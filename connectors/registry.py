"""Which source platforms Frontport can migrate from. Adding one = one package + one line below.

The wizard's platform list comes from `SOURCES` (in this order); the engine builds connectors with
`get_connector(key, config)`.
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

from connectors.base import InvalidConfig, SourceConnector

log = logging.getLogger(__name__)

# key -> "module:Class". Imported lazily so one broken connector cannot take the whole app down.
_CONNECTORS: dict[str, str] = {
    "zendesk": "connectors.zendesk:ZendeskConnector",
    "sample": "connectors.sample:SampleConnector",
    "freshdesk": "connectors.freshdesk:FreshdeskConnector",
    "helpscout": "connectors.helpscout:HelpScoutConnector",
    "intercom": "connectors.intercom:IntercomConnector",
    "files": "connectors.files:FileExportConnector",
}


def _load(path: str) -> type[SourceConnector] | None:
    module, _, name = path.partition(":")
    try:
        return getattr(import_module(module), name)
    except ImportError as exc:  # a connector whose package (or a dependency of it) is missing
        log.warning("Source connector %s is unavailable: %s", path, exc)
        return None


class _Registry(dict):
    """A dict of key -> connector class that resolves entries on first access."""

    def __init__(self) -> None:
        super().__init__()
        for key, path in _CONNECTORS.items():
            cls = _load(path)
            if cls is not None:
                self[key] = cls


SOURCES: dict[str, type[SourceConnector]] = _Registry()


def register(key: str, path: str) -> None:
    """Add a connector at run time (plugins, tests)."""
    cls = _load(path)
    if cls is None:
        raise ImportError(path)
    _CONNECTORS[key] = path
    SOURCES[key] = cls


def choices() -> list[tuple[str, str]]:
    """(key, label) pairs for the wizard's platform list."""
    return [(key, cls.label) for key, cls in SOURCES.items()]


def get_connector(key: str, config: dict[str, Any]) -> SourceConnector:
    try:
        cls = SOURCES[key]
    except KeyError:
        raise InvalidConfig(f"Unknown source platform {key!r}.") from None
    return cls(config)
