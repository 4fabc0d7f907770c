"""Root conftest: environment defaults for the test run, set before Django settings load."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "V2hhdCBhIHRlc3Qga2V5IGZvciBGcm9udHBvcnQhIT0=")
os.environ.setdefault("ALLOW_PRIVATE_URLS", "true")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + Django ORM
# Each test session gets its own data folder (SQLite file, embedded broker queue, cache).
os.environ.setdefault("FRONTPORT_DATA_DIR", tempfile.mkdtemp(prefix="frontport-test-"))

pytest_plugins = ["sandbox.stripe.pytest_plugin"]
