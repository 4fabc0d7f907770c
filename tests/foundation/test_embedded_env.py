"""The product knows no stand-in: the embedded launcher hands the stand-ins' addresses and keys to the
web server and worker through the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from config.embedded import SANDBOX_OAUTH_CLIENT_ID, SANDBOX_STRIPE_SECRET_KEY, standin_settings
from sandbox.front.__main__ import build_parser as build_front_parser

ROOT = Path(__file__).resolve().parents[2]


def test_without_a_stripe_key_billing_runs_against_the_standin():
    env = {"STRIPE_WEBHOOK_SECRET": "whsec_this_install"}  # generated into local.env by the launcher
    args = standin_settings("sandbox.stripe", "http://127.0.0.1:8003", env)
    assert env == {"STRIPE_SECRET_KEY": SANDBOX_STRIPE_SECRET_KEY, "STRIPE_WEBHOOK_SECRET": "whsec_this_install",
                   "STRIPE_API_BASE": "http://127.0.0.1:8003"}
    assert args == [f"--api-key={SANDBOX_STRIPE_SECRET_KEY}", "--webhook-secret=whsec_this_install"]


def test_a_configured_stripe_key_is_left_alone():
    env = {"STRIPE_SECRET_KEY": "sk_live_operator", "STRIPE_WEBHOOK_SECRET": "whsec_operator"}
    assert standin_settings("sandbox.stripe", "http://127.0.0.1:8003", env) == []
    assert env == {"STRIPE_SECRET_KEY": "sk_live_operator", "STRIPE_WEBHOOK_SECRET": "whsec_operator"}


def test_a_generated_secret_beginning_with_a_dash_reaches_the_front_standin_whole():
    # secrets.token_urlsafe() begins with "-" once in 64 installs; argparse must not take it for an option.
    env = {"FRONT_OAUTH_SANDBOX_SECRET": "-Xq3_generated"}
    args = build_front_parser().parse_args(standin_settings("sandbox.front", "http://127.0.0.1:8001", env))
    assert args.oauth_client_secret == "-Xq3_generated"
    assert args.oauth_client_id == SANDBOX_OAUTH_CLIENT_ID


def test_report_links_point_at_the_front_standin_unless_configured():
    env: dict[str, str] = {}
    assert standin_settings("sandbox.front", "http://127.0.0.1:8001", env) == []
    assert env == {"FRONT_APP_URL": "http://127.0.0.1:8001/__sandbox"}
    env = {"FRONT_APP_URL": "https://app.frontapp.com"}
    standin_settings("sandbox.front", "http://127.0.0.1:8001", env)
    assert env == {"FRONT_APP_URL": "https://app.frontapp.com"}


def test_connect_with_front_goes_through_the_standin_unless_an_oauth_app_is_configured():
    env = {"FRONT_OAUTH_SANDBOX_SECRET": "generated-per-install"}  # local.env
    args = standin_settings("sandbox.front", "http://127.0.0.1:8001", env)
    assert args == [f"--oauth-client-id={SANDBOX_OAUTH_CLIENT_ID}", "--oauth-client-secret=generated-per-install"]
    assert env["FRONT_OAUTH_CLIENT_ID"] == SANDBOX_OAUTH_CLIENT_ID
    assert env["FRONT_OAUTH_CLIENT_SECRET"] == "generated-per-install"
    assert env["FRONT_OAUTH_URL"] == env["FRONT_OAUTH_API_URL"] == "http://127.0.0.1:8001"
    operator = {"FRONT_OAUTH_SANDBOX_SECRET": "x", "FRONT_OAUTH_CLIENT_ID": "real-app", "FRONT_OAUTH_CLIENT_SECRET": "s"}
    assert standin_settings("sandbox.front", "http://127.0.0.1:8001", operator) == []
    assert operator["FRONT_OAUTH_CLIENT_ID"] == "real-app" and "FRONT_OAUTH_URL" not in operator


def test_the_running_product_imports_no_standin(tmp_path):
    """Settings, every app and every URL load without the sandbox package being imported (the import
    contract checks the code; this checks a real start, in a fresh process: tests import the stand-ins)."""
    code = ("import sys, django; django.setup(); from django.urls import get_resolver; "
            "get_resolver().url_patterns; import migrations_engine.runner, migrations_engine.tasks; "
            "from django.conf import settings; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sandbox'), 'sandbox' in settings.INSTALLED_APPS)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "FRONTPORT_DATA_DIR": str(tmp_path),
           "DEBUG": "true", "STRIPE_SECRET_KEY": ""}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] False", out.stdout + out.stderr
