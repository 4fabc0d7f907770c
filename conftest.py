"""Root conftest. Test settings live in config/settings_test.py (loaded by pytest-django first)."""

# Fixtures of the stand-ins, usable from every test package.
pytest_plugins = ["sandbox.front.pytest_plugin"]
