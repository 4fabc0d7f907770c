"""Settings for the test suite: the project's settings with safe defaults for what tests don't set.

The defaults go into os.environ, so worker and stand-in subprocesses started by tests inherit them.
"""

import os
import re
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "V2hhdCBhIHRlc3Qga2V5IGZvciBGcm9udHBvcnQhIT0=")
os.environ.setdefault("ALLOW_PRIVATE_URLS", "true")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + Django ORM
# Each test session gets its own data folder (SQLite file, embedded broker queue, cache, rate limits).
os.environ.setdefault("FRONTPORT_DATA_DIR", tempfile.mkdtemp(prefix="frontport-test-"))


def _redis_url_for_xdist_worker(url: str, worker: str) -> str:
    """Under pytest-xdist (`-n 2`) each test process gets its own Redis database, as it gets its own
    test database from pytest-django: queues, cache and budgets of one process never meet another's.
    Worker gwK uses the URL's database number minus K (plus K when that would go below 0)."""
    match = re.match(r"^(redis://[^/]*)(?:/(\d+))?$", url)
    if not match or not worker.startswith("gw"):
        return url
    base, index = match.group(1), int(match.group(2) or 0)
    k = int(worker[2:])
    return f"{base}/{index - k if index - k >= 0 else index + k}"


_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
# Worker and stand-in subprocesses inherit the environment (already moved) and load these settings again.
if _XDIST_WORKER and os.environ.get("FRONTPORT_TEST_XDIST_WORKER") != _XDIST_WORKER:
    os.environ["FRONTPORT_TEST_XDIST_WORKER"] = _XDIST_WORKER
    # The controller's data folder is inherited: each worker takes a folder of its own inside it.
    os.environ["FRONTPORT_DATA_DIR"] = os.path.join(os.environ["FRONTPORT_DATA_DIR"], _XDIST_WORKER)
    os.makedirs(os.environ["FRONTPORT_DATA_DIR"], exist_ok=True)
    for _name in ("REDIS_URL", "CELERY_BROKER_URL"):
        if os.environ.get(_name):
            os.environ[_name] = _redis_url_for_xdist_worker(os.environ[_name], _XDIST_WORKER)

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests get a fresh cache namespace each (see tests/support/cache.py): allauth's rate limits live there.
for _cache in CACHES.values():  # noqa: F405
    _cache["KEY_FUNCTION"] = "tests.support.cache.epoch_key"
ENGINE_FRONT_BURST_GATE = False  # the engine tests' Front stand-ins run without burst limits
ENGINE_RETRY_BASE_DELAY = 0.02  # the stand-ins fail instantly: retry quickly
