"""pytest fixture `intercom_standin`: a running Intercom stand-in (120 conversations, unthrottled), in the
reading the `standin_strict` fixture asks for when the test uses it, else the default reading.

Registered in the root conftest.py through `pytest_plugins`.
"""

from __future__ import annotations

import pytest

from sandbox.intercom import IntercomStandin


@pytest.fixture
def intercom_standin(request):
    strict = request.getfixturevalue("standin_strict") if "standin_strict" in request.fixturenames else False
    with IntercomStandin(tickets=120, seed=1, strict=strict) as standin:
        yield standin
