#!/usr/bin/env python3
"""Frontport's two commands, for a fresh machine with only Python 3.11+:

    python3 dev.py run     # install what is needed, run the product at http://127.0.0.1:8000 (PORT=...)
    python3 dev.py test    # install what is needed (incl. test tools), run ruff, mypy, the import
                           # contracts (.importlinter), then the whole test suite

Everything is installed into ./.venv from pyproject.toml; a stamp file skips the install when nothing
changed. Extra arguments after `test` go to pytest (e.g. `python3 dev.py test -k healthz`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("FRONTPORT_VENV", ROOT / ".venv"))
PY = VENV / "bin" / "python"
CHROMIUM = Path("/usr/bin/chromium")


def requirements(*, dev: bool) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    if dev:
        reqs += project["optional-dependencies"]["dev"]
    return reqs


def ensure_venv(*, dev: bool) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit("Frontport needs Python 3.11 or newer.")
    if not PY.exists():
        print(f"Creating virtual environment in {VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    reqs = requirements(dev=dev)
    stamp = VENV / (".frontport-dev" if dev else ".frontport-run")
    digest = hashlib.sha256("\n".join(reqs).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("Installing dependencies ...", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", *reqs], check=True)
    subprocess.run([str(PY), "-m", "pip", "check"], check=True)
    stamp.write_text(digest)


def ensure_chromium() -> None:
    """Browser tests use Debian's Chromium (Playwright's own browser download is not available)."""
    if CHROMIUM.exists():
        return
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        print("Installing Debian's chromium for the browser tests ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([apt, "update", "-qq"], check=True, env=env)
        subprocess.run([apt, "install", "-y", "-qq", "chromium"], check=True, env=env)
    else:
        print("NOTE: /usr/bin/chromium is missing and cannot be installed here (needs root + apt-get): "
              "browser tests will be skipped.", flush=True)


def run() -> int:
    ensure_venv(dev=False)
    os.chdir(ROOT)
    os.execv(str(PY), [str(PY), "-m", "config.embedded"])
    return 0  # not reached


def test(args: list[str]) -> int:
    ensure_venv(dev=True)
    ensure_chromium()
    os.chdir(ROOT)
    lint = subprocess.run([str(PY), "-m", "ruff", "check", "."])
    if lint.returncode != 0:
        print("ruff found problems (above); fix them before the tests run.", flush=True)
        return lint.returncode
    types = subprocess.run([str(PY), "-m", "mypy"])  # what it checks: [tool.mypy] in pyproject.toml
    if types.returncode != 0:
        print("mypy found problems (above); fix them before the tests run.", flush=True)
        return types.returncode
    contracts = subprocess.run([str(VENV / "bin" / "lint-imports"), "--no-cache"])
    if contracts.returncode != 0:
        print("An import contract is broken (above; .importlinter, docs/architecture.md).", flush=True)
        return contracts.returncode
    return subprocess.run([str(PY), "-m", "pytest", *args]).returncode


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in {"run", "test"}:
        print(__doc__)
        return 2
    return run() if argv[1] == "run" else test(argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
