"""Front tests: the stand-in fixtures live in sandbox/front/pytest_plugin.py (registered for the whole suite
in the root conftest.py); importing them here keeps this package self-sufficient."""

from sandbox.front.pytest_plugin import front_client, front_standin  # noqa: F401
