"""Root conftest. Test settings live in config/settings_test.py (loaded by pytest-django first)."""

# Append-only, so each helper's line keeps the others' plugins.
pytest_plugins = [*globals().get("pytest_plugins", []), "sandbox.zendesk.pytest_plugin"]
