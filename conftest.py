"""Root conftest. Test settings live in config/settings_test.py (loaded by pytest-django first)."""

pytest_plugins = ["sandbox.stripe.pytest_plugin", "sandbox.front.pytest_plugin"]
