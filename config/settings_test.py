"""Settings for the test suite: the project's settings with safe defaults for what tests don't set.

The defaults go into os.environ, so worker and stand-in subprocesses started by tests inherit them.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "V2hhdCBhIHRlc3Qga2V5IGZvciBGcm9udHBvcnQhIT0=")
os.environ.setdefault("ALLOW_PRIVATE_URLS", "true")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + Django ORM
# Each test session gets its own data folder (SQLite file, embedded broker queue, cache, rate limits).
os.environ.setdefault("FRONTPORT_DATA_DIR", tempfile.mkdtemp(prefix="frontport-test-"))

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests get a fresh cache namespace each (see tests/support/cache.py): allauth's rate limits live there.
for _cache in CACHES.values():  # noqa: F405
    _cache["KEY_FUNCTION"] = "tests.support.cache.epoch_key"
ENGINE_FRONT_BURST_GATE = False  # the engine tests' Front stand-ins run without burst limits
ENGINE_RETRY_BASE_DELAY = 0.02  # the stand-ins fail instantly: retry quickly
