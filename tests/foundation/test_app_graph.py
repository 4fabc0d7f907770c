"""The app graph of docs/architecture.md holds: import contracts (.importlinter), no optional-app guards.

Every app is always installed, so an `except ImportError` or a broad `except Exception` between our own
apps only hides real errors. Broad handlers that remain guard the outside world (a broker, a mail
server, a vendor, a page that must answer in words) and are listed below with their reason.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("config", "wizard", "connectors", "migrations_engine", "billing", "staff")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# (file, function) -> why a broad handler there is right. Each entry must still match a handler.
BROAD_HANDLERS_ALLOWED = {
    ("config/settings.py", "<module>"): "django-environ raises several types for a malformed URL; re-raised "
                                        "as ImproperlyConfigured naming the variable",
    ("config/embedded.py", "wait_for_http"): "polls a server that is not up yet",
    ("config/health.py", "_check_database"): "/healthz reports each dependency's failure instead of failing",
    ("config/health.py", "_check_broker"): "same",
    ("config/health.py", "_check_worker"): "same",
    ("config/logging.py", "RedactSecretsFilter.filter"): "a broken log format string must not kill logging",
    ("connectors/http.py", "setting"): "connectors run without Django too (benchmarks, stand-in tools): "
                                       "then settings come from the environment (an ImportError of Django, "
                                       "a library, not one of our apps)",
    ("connectors/zendesk/mapping.py", "build_ticket"): "bad vendor data is a record skipped with its reason, "
                                                       "never a crash (DESIGN §7)",
    ("connectors/zendesk/mapping.py", "_build_ticket"): "same, for one unreadable comment",
    ("connectors/helpscout/mapping.py", "ticket_from"): "same",
    ("connectors/helpscout/mapping.py", "_ticket_from"): "same, for one unreadable thread",
    ("connectors/freshdesk/mapping.py", "ticket_from"): "same",
    ("connectors/freshdesk/mapping.py", "_ticket_from"): "same, for one unreadable conversation",
    ("connectors/freshdesk/mapping.py", "deleted_stub"): "same",
    ("connectors/intercom/mapping.py", "ticket_from"): "same",
    ("connectors/intercom/mapping.py", "_ticket"): "same, for one unreadable message or part",
    ("connectors/intercom/people.py", "People.contacts"): "an unreadable person: their messages still name them",
    ("connectors/files/connector.py", "FileExportConnector._stream"): "zipfile raises BadZipFile, zlib.error, "
                                                                      "OSError...: re-raised as VendorError",
    ("connectors/files/validate.py", "_Check.counts"): "an abandoned index has nothing to count",
    ("wizard/imports.py", "check_upload"): "checking an upload in the background: a full disk or a killed "
                                           "process is reported, never 'checking' forever",
    ("wizard/connections.py", "source_connector"): "a page turns every failure of a vendor call into a "
                                                   "sentence (DESIGN §1 step 2); unexpected ones are logged",
    ("wizard/connections.py", "check_source"): "same",
    ("wizard/connections.py", "with_source"): "same",
    ("wizard/connections.py", "front_client"): "same",
    ("wizard/connections.py", "_preflight"): "same (the token and the OAuth connection checks)",
    ("wizard/connections.py", "with_front"): "same",
    ("wizard/connections.py", "front_client_for"): "same",
    ("migrations_engine/context.py", "prepare"): "the inbox's address is optional (a missing scope only "
                                                 "costs the default 'to' address)",
    ("migrations_engine/page.py", "_guarded"): "bad input is data: a ticket that fails records its reason "
                                               "and the run goes on",
    ("migrations_engine/parallel.py", "TicketPool._serve"): "a worker thread hands any error to the caller",
    ("migrations_engine/parallel.py", "TicketPool.run"): "same contract without threads",
    ("migrations_engine/runner.py", "_execute"): "a bug stops the run with its reason recorded",
    ("migrations_engine/services.py", "enqueue_chunk"): "broker down: the periodic tick enqueues the run later",
    ("migrations_engine/tasks.py", "_resume_on_worker_start"): "broker down: the beat schedule does it",
    ("migrations_engine/notify.py", "notify_run_event"): "a mail server outage must not stop the engine",
    ("migrations_engine/management/commands/migration.py", "Command._wait"): "a broker without remote "
                                                                             "control cannot be pinged",
}
IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}
BROAD = {"Exception", "BaseException", "<bare>"}
OURS = {*PRODUCT, "sandbox"}


def _caught(node: ast.expr | None) -> set[str]:
    if node is None:
        return {"<bare>"}
    if isinstance(node, ast.Tuple):
        return set().union(*(_caught(e) for e in node.elts))
    if isinstance(node, ast.Name | ast.Attribute):
        return {node.id if isinstance(node, ast.Name) else node.attr}
    return set()


def _product_files():
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT / package).parts[:-1]:
                yield path


def _imports_ours(body: list[ast.stmt]) -> bool:
    """Whether these statements import one of our own packages (always installed: never guard that)."""
    for node in (n for stmt in body for n in ast.walk(stmt)):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] in OURS for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in OURS:
            return True
    return False


class _Handlers(ast.NodeVisitor):
    """Collects (file, enclosing function, line, caught names) of handlers that may swallow an error;
    an ImportError handler around an import of our own packages is marked "<ours>"."""

    def __init__(self, rel: str) -> None:
        self.rel, self.stack, self.found = rel, [], []

    def visit_FunctionDef(self, node):  # also classes and async functions, below
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_Try(self, node):
        for handler in node.handlers:
            caught = _caught(handler.type)
            if caught & IMPORT_ERRORS and _imports_ours(node.body):
                caught = {*caught, "<ours>"}
            last = handler.body[-1]
            if not (isinstance(last, ast.Raise) and last.exc is None):  # cleaning up, then re-raising is fine
                self.found.append((self.rel, ".".join(self.stack) or "<module>", handler.lineno, caught))
        self.generic_visit(node)


def _handlers() -> list[tuple[str, str, int, set[str]]]:
    found = []
    for path in _product_files():
        visitor = _Handlers(path.relative_to(ROOT).as_posix())
        visitor.visit(ast.parse(path.read_text()))
        found += visitor.found
    return found


def test_no_import_error_guards_between_our_apps():
    guards = [f"{f}:{line} ({func})" for f, func, line, caught in _handlers() if "<ours>" in caught]
    installed = [f"{p.relative_to(ROOT)}" for p in _product_files() if "apps.is_installed(" in p.read_text()]
    assert not guards + installed, "import the app plainly instead: " + ", ".join(guards + installed)


def test_broad_handlers_only_where_the_allow_list_says_why():
    broad = {(f, func): line for f, func, line, caught in _handlers() if caught & (BROAD | IMPORT_ERRORS)}
    unexplained = [f"{f}:{line} ({func})" for (f, func), line in broad.items() if (f, func) not in BROAD_HANDLERS_ALLOWED]
    assert not unexplained, ("catch what the callee documents (e.g. RunRefused), or add the place to "
                             f"BROAD_HANDLERS_ALLOWED with a reason: {unexplained}")
    stale = sorted(set(BROAD_HANDLERS_ALLOWED) - set(broad))
    assert not stale, f"no broad handler left there: remove from BROAD_HANDLERS_ALLOWED: {stale}"


def test_wizard_and_staff_never_query_the_engines_tables():
    """They name engine models (states, kinds) but read through migrations_engine.selectors."""
    query = re.compile(r"\b(Run|RecordMap|FrontWrite|Checkpoint|EngineState|Schedule)\.objects\b"
                       r"|\.(runs|record_maps|front_writes|windows)\.|\bruns__|get_model\(\s*\"migrations_engine")
    hits = [f"{p.relative_to(ROOT)}:{n}" for package in ("wizard", "staff") for p in sorted((ROOT / package).rglob("*.py"))
            if "migrations" not in p.parts for n, line in enumerate(p.read_text().splitlines(), 1) if query.search(line)]
    assert not hits, f"ask migrations_engine.selectors instead: {hits}"


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(cwd / ".importlinter")],
                          cwd=cwd, capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def code_copy(tmp_path_factory) -> Path:
    """The product's Python files and the contracts, copied: violations are planted there, never here."""
    copy = tmp_path_factory.mktemp("graph")
    for package in (*PRODUCT, "sandbox"):
        shutil.copytree(ROOT / package, copy / package,
                        ignore=lambda folder, names: [n for n in names if not n.endswith(".py")
                                                      and not (Path(folder) / n).is_dir()] + ["__pycache__"])
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    return copy


def test_import_contracts_hold(code_copy):
    result = _lint_imports(code_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_each_contract_fails_on_a_deliberate_violation(code_copy):
    planted = {
        "connectors/_probe.py": "from wizard.models import Migration\n",
        "migrations_engine/_probe.py": "from wizard import views_runs\n",
        "billing/_probe.py": "from sandbox.stripe import constants\n",
        "staff/_probe.py": "from migrations_engine import pipeline\n",
    }
    for name, code in planted.items():
        (code_copy / name).write_text(code)
    try:
        result = _lint_imports(code_copy)
    finally:
        for name in planted:
            (code_copy / name).unlink()
    assert result.returncode != 0
    assert "4 broken" in result.stdout, result.stdout
    for name in planted:
        assert name.replace("/", ".").removesuffix(".py") in result.stdout, name
