"""Root conftest. Test settings live in config/settings_test.py (loaded by pytest-django first)."""
