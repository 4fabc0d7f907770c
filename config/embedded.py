"""Run the whole product on the embedded default: `python -m config.embedded` (what `dev.py run` calls).

Starts, and supervises as one unit: the sandbox stand-ins (Front, Zendesk, Stripe, Help Scout, Freshdesk),
one Celery worker with the beat scheduler inside it, and the web server (gunicorn) on 127.0.0.1:PORT.
SQLite and kombu's filesystem broker live under FRONTPORT_DATA_DIR (default ./var). Secrets that the
embedded default needs are generated once into FRONTPORT_DATA_DIR/local.env. Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from config.worker_group import start_worker, stop_worker_group

BASE_DIR = Path(__file__).resolve().parent.parent
SANDBOX_FRONT_TOKEN = "sandbox-front-token"  # noqa: S105 - the offline Front stand-in's token: not a secret
# The offline Stripe stand-in's API key: it only ever works against that loopback stand-in.
SANDBOX_STRIPE_SECRET_KEY = "sk_test_frontport_sandbox"  # noqa: S105 - not a secret

SANDBOX_OAUTH_CLIENT_ID = "frontport-sandbox"  # the OAuth app registered with the offline Front stand-in

# (name, python module, port offset from PORT, settings variable that tells the app its URL, extra args)
STANDINS = [
    ("Front stand-in", "sandbox.front", 1, "SANDBOX_FRONT_URL", ["--token", SANDBOX_FRONT_TOKEN]),
    ("Zendesk stand-in", "sandbox.zendesk", 2, "SANDBOX_ZENDESK_URL", ["--tickets", "200"]),
    ("Stripe stand-in", "sandbox.stripe", 3, "SANDBOX_STRIPE_URL", []),
    ("Help Scout stand-in", "sandbox.helpscout", 4, "SANDBOX_HELPSCOUT_URL", ["--tickets", "200"]),
    ("Freshdesk stand-in", "sandbox.freshdesk", 5, "SANDBOX_FRESHDESK_URL", ["--tickets", "200"]),
    ("Intercom stand-in", "sandbox.intercom", 6, "SANDBOX_INTERCOM_URL", ["--tickets", "200"]),
]


def ensure_local_secrets(data_dir: Path) -> None:
    """Generate SECRET_KEY, FIELD_ENCRYPTION_KEY and the Stripe stand-in's webhook signing secret once;
    later starts reuse them (data stays readable). Nothing secret is shared between installs."""
    from cryptography.fernet import Fernet

    env_file = data_dir / "local.env"
    existing = env_file.read_text().splitlines() if env_file.exists() else []
    keys = {line.split("=", 1)[0] for line in existing if "=" in line}
    added = []
    if "SECRET_KEY" not in keys:
        added.append(f"SECRET_KEY={secrets.token_urlsafe(50)}")
    if "FIELD_ENCRYPTION_KEY" not in keys:
        added.append(f"FIELD_ENCRYPTION_KEY={Fernet.generate_key().decode()}")
    if "STRIPE_WEBHOOK_SECRET" not in keys:
        added.append(f"STRIPE_WEBHOOK_SECRET=whsec_{secrets.token_hex(24)}")
    if "FRONT_OAUTH_SANDBOX_SECRET" not in keys:
        added.append(f"FRONT_OAUTH_SANDBOX_SECRET={secrets.token_urlsafe(24)}")
    if added:
        env_file.write_text("\n".join(existing + added) + "\n")
        env_file.chmod(0o600)


def local_env(data_dir: Path) -> dict[str, str]:
    """The generated values of FRONTPORT_DATA_DIR/local.env (the children that are not Django read them here)."""
    env_file = data_dir / "local.env"
    lines = env_file.read_text().splitlines() if env_file.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def standin_settings(module: str, url: str, env: dict[str, str]) -> list[str]:
    """What a started stand-in changes: the product's settings through the environment its children
    inherit (the product never imports the sandbox), and the stand-in's own extra arguments."""
    if module == "sandbox.front":
        env.setdefault("FRONT_APP_URL", f"{url}/__sandbox")  # report links open the stand-in's own pages
        if not env.get("FRONT_OAUTH_CLIENT_ID") and env.get("FRONT_OAUTH_SANDBOX_SECRET"):
            # No Front OAuth app configured: "Connect with Front" goes through the stand-in's OAuth server,
            # registered with this install's own client secret (local.env).
            env["FRONT_OAUTH_CLIENT_ID"] = SANDBOX_OAUTH_CLIENT_ID
            env["FRONT_OAUTH_CLIENT_SECRET"] = env["FRONT_OAUTH_SANDBOX_SECRET"]
            env["FRONT_OAUTH_URL"] = env["FRONT_OAUTH_API_URL"] = url
            # `--option=value`: a generated secret may begin with "-", which argparse would take for an option.
            return [f"--oauth-client-id={SANDBOX_OAUTH_CLIENT_ID}",
                    f"--oauth-client-secret={env['FRONT_OAUTH_SANDBOX_SECRET']}"]
    if module == "sandbox.stripe" and not env.get("STRIPE_SECRET_KEY"):
        # No real Stripe configured: billing runs against the stand-in, with its key and this install's
        # webhook signing secret (already in `env`, from local.env).
        env["STRIPE_SECRET_KEY"] = SANDBOX_STRIPE_SECRET_KEY
        env["STRIPE_API_BASE"] = env.get("STRIPE_API_BASE") or url
        return [f"--api-key={env['STRIPE_SECRET_KEY']}", f"--webhook-secret={env['STRIPE_WEBHOOK_SECRET']}"]
    return []


def wait_for_http(url: str, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback URL we built
                if resp.status < 500:
                    return True
        except Exception:  # noqa: S112 - not up yet
            time.sleep(0.3)
            continue
    return False


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("HOST", "127.0.0.1")
    data_dir = Path(os.environ.get("FRONTPORT_DATA_DIR", BASE_DIR / "var")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    ensure_local_secrets(data_dir)

    env = dict(os.environ)
    env.setdefault("FRONTPORT_DATA_DIR", str(data_dir))
    env.setdefault("ALLOW_PRIVATE_URLS", "true")  # the stand-ins listen on loopback
    env.setdefault("SITE_URL", f"http://{host}:{port}")
    env.setdefault("ALLOWED_HOSTS", f"{host},localhost,127.0.0.1")
    env.setdefault("SANDBOX_FRONT_TOKEN", SANDBOX_FRONT_TOKEN)
    # This install's own webhook signing secret, for the Stripe stand-in (which signs) and the app (which checks).
    env.setdefault("STRIPE_WEBHOOK_SECRET", local_env(data_dir)["STRIPE_WEBHOOK_SECRET"])
    env.setdefault("FRONT_OAUTH_SANDBOX_SECRET", local_env(data_dir)["FRONT_OAUTH_SANDBOX_SECRET"])
    python = sys.executable

    subprocess.run([python, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=BASE_DIR, env=env, check=True)

    children: list[tuple[str, subprocess.Popen]] = []
    lines = []
    for name, module, offset, variable, extra in STANDINS:
        sport = port + offset
        url = f"http://127.0.0.1:{sport}"
        env[variable] = url
        extra = [*extra, *standin_settings(module, url, env)]
        proc = subprocess.Popen([python, "-m", module, "--port", str(sport), *extra], cwd=BASE_DIR, env=env)
        children.append((name, proc))
        lines.append(f"  {name:<17} {url}")

    worker = start_worker(python=python, env=env, data_dir=data_dir)
    children.append(("worker", worker))
    children.append(
        (
            "web",
            subprocess.Popen(
                [python, "-m", "gunicorn", "config.wsgi:application", "--bind", f"{host}:{port}", "--workers", "2",
                 "--threads", "4", "--timeout", "120", "--access-logfile", "-"],
                cwd=BASE_DIR,
                env=env,
            ),
        )
    )

    def stop(*_args) -> None:
        for _name, proc in reversed(children):
            if proc.poll() is None and proc is not worker:
                proc.terminate()
        stop_worker_group(worker, data_dir=data_dir)  # even if the worker itself is gone: its beat is not
        deadline = time.monotonic() + 10
        for _name, proc in children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    try:
        if wait_for_http(f"http://{host}:{port}/static/css/frontport.css", timeout=60):
            print(f"\nFrontport is running at http://{host}:{port}  (Ctrl-C to stop)", flush=True)
            if lines:
                print("Offline sandbox:\n" + "\n".join(lines), flush=True)
                print(f"  Front stand-in token: {SANDBOX_FRONT_TOKEN}", flush=True)
            print(f"Data folder: {data_dir}\n", flush=True)
        while True:
            for name, proc in children:
                if proc.poll() is not None:
                    print(f"{name} stopped (exit {proc.returncode}); stopping Frontport.", file=sys.stderr)
                    stop()
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        stop()
        return 0


if __name__ == "__main__":
    sys.exit(main())
