"""The embedded default generates its own Stripe webhook signing secret per install (never the public
sandbox constant), keeps it in FRONTPORT_DATA_DIR/local.env, and both the app and the stand-in use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from config.embedded import ensure_local_secrets, local_env
from sandbox.stripe.constants import SANDBOX_WEBHOOK_SECRET

ROOT = Path(__file__).resolve().parents[2]


def test_each_install_gets_its_own_webhook_secret_once(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    ensure_local_secrets(first)
    ensure_local_secrets(second)
    secret = local_env(first)["STRIPE_WEBHOOK_SECRET"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert secret != SANDBOX_WEBHOOK_SECRET and secret != local_env(second)["STRIPE_WEBHOOK_SECRET"]
    ensure_local_secrets(first)  # a later start keeps it
    assert local_env(first)["STRIPE_WEBHOOK_SECRET"] == secret
    assert oct((first / "local.env").stat().st_mode & 0o777) == "0o600"


def test_the_app_checks_webhooks_with_the_generated_secret(tmp_path):
    ensure_local_secrets(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "SECRET_KEY", "FIELD_ENCRYPTION"))}
    env.update(FRONTPORT_DATA_DIR=str(tmp_path), SANDBOX_STRIPE_URL="http://127.0.0.1:9", DJANGO_SETTINGS_MODULE="config.settings")
    env.pop("DATABASE_URL", None)
    shown = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.STRIPE_WEBHOOK_SECRET)"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert shown == local_env(tmp_path)["STRIPE_WEBHOOK_SECRET"]
