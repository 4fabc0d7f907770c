"""Root conftest. Test settings live in config/settings_test.py (loaded by pytest-django first)."""

pytest_plugins = ["sandbox.stripe.pytest_plugin"]
# Fixtures of the Front stand-in (front_standin, front_client), usable from every test package.
pytest_plugins += ["sandbox.front.pytest_plugin"]
# Append-only, so each helper's line keeps the others' plugins.
pytest_plugins += ["sandbox.zendesk.pytest_plugin"]
pytest_plugins += ["sandbox.helpscout.pytest_plugin", "sandbox.freshdesk.pytest_plugin"]
pytest_plugins += ["sandbox.intercom.pytest_plugin"]
