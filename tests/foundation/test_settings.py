"""Start-up fails with a message naming a missing or bad variable; production passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "p" * 20 + "-production-secret-key-with-enough-entropy-0123456789"
FERNET = "V2hhdCBhIHRlc3Qga2V5IGZvciBGcm9udHBvcnQhIT0="


def manage(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {
        "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "REDIS_URL", "HTTPS", "ALLOWED_HOSTS"}}
    base["FRONTPORT_DATA_DIR"] = str(tmp_path)  # no local.env there
    base.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=base,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "False", "FIELD_ENCRYPTION_KEY": FERNET}, "SECRET_KEY"),
        ({"DEBUG": "False", "SECRET_KEY": GOOD_KEY}, "FIELD_ENCRYPTION_KEY"),
        ({"DEBUG": "maybe", "SECRET_KEY": GOOD_KEY, "FIELD_ENCRYPTION_KEY": FERNET}, "DEBUG"),
        ({"SECRET_KEY": GOOD_KEY, "FIELD_ENCRYPTION_KEY": FERNET, "DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL"),
        ({"SECRET_KEY": "short", "FIELD_ENCRYPTION_KEY": FERNET}, "SECRET_KEY"),
    ],
)
def test_bad_or_missing_variable_stops_startup_naming_it(env, named, tmp_path):
    result = manage(["check"], env, tmp_path)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert named in last_line, result.stderr[-2000:]


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        "DEBUG": "False",
        "SECRET_KEY": GOOD_KEY,
        "FIELD_ENCRYPTION_KEY": FERNET,
        "HTTPS": "true",
        "ALLOWED_HOSTS": "frontport.example.com",
    }
    result = manage(["check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_embedded_default_needs_no_environment(tmp_path):
    """With nothing set, the launcher's generated local.env is enough for manage.py."""
    from config.embedded import ensure_local_secrets

    ensure_local_secrets(tmp_path)
    first = (tmp_path / "local.env").read_text()
    ensure_local_secrets(tmp_path)
    assert (tmp_path / "local.env").read_text() == first  # generated once, then reused
    assert oct((tmp_path / "local.env").stat().st_mode & 0o777) == "0o600"
    result = manage(["check"], {}, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
