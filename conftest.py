"""Root conftest. Test settings live in config/settings_test.py (loaded by pytest-django first)."""

# Fixtures of the stand-ins, usable from every test package. Append-only, so each helper's line
# keeps the others' plugins.
pytest_plugins = ["sandbox.front.pytest_plugin"]
pytest_plugins = [*pytest_plugins, "sandbox.zendesk.pytest_plugin"]
pytest_plugins = [*pytest_plugins, "sandbox.stripe.pytest_plugin"]
