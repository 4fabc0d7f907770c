"""Runs the shared contract suite (contract.py) against every connector listed in HARNESSES.

A new connector joins with one line here: "module:HarnessClass" (see harness.py for what it provides).
"""

from __future__ import annotations

from importlib import import_module

import pytest

HARNESSES = [
    "tests.connectors.harness:SampleHarness",
    "tests.connectors.zendesk_harness:ZendeskHarness",
    "tests.connectors.hsfd_harness:HelpScoutHarness",
    "tests.connectors.hsfd_harness:FreshdeskHarness",
    "tests.connectors.intercom_harness:IntercomHarness",
    "tests.connectors.files_harness:FilesHarness",
]


def _load(path: str):
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


@pytest.fixture(scope="module", params=HARNESSES, ids=lambda p: p.rsplit(":", 1)[1].removesuffix("Harness").lower())
def harness(request):
    instance = _load(request.param)()  # a harness or connector that fails to import fails the suite
    yield instance
    close = getattr(instance, "close", None)
    if close:
        close()
