"""`python manage.py migration apply|run|status|report` — the headless CLI (docs/cli.md)."""

from __future__ import annotations

import csv
import json
import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from config.spreadsheet import safe_cell
from migrations_engine import selectors
from migrations_engine.models import Run
from wizard.models import Migration

ENTITIES = ("ticket", "contact", "agent", "message", "note")


class Command(BaseCommand):
    help = "Create, run and inspect migrations without the web wizard."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        apply = sub.add_parser("apply", help="create or update a migration from a JSON file; prints its id")
        apply.add_argument("file")
        apply.add_argument("--owner", help="email of the owner (created if unknown)")
        apply.add_argument("--check", action="store_true",
                           help="only validate the file (JSON Schema in docs/cli.md) and print every mistake")
        run = sub.add_parser("run", help="start a run of migration ID")
        run.add_argument("id", type=int)
        run.add_argument("--kind", required=True, choices=["demo", "full", "delta", "remigration", "retry-failed"])
        run.add_argument("--wait", action="store_true", help="wait until the run ends, then print a JSON summary")
        run.add_argument("--inline", action="store_true", help="run it in this process (no worker needed)")
        run.add_argument("--ids", help="demo: comma-separated source ticket ids (at most 20)")
        run.add_argument("--timeout", type=float, default=0, help="with --wait: give up after this many seconds")
        run.add_argument("--remove-demo-data", action="store_true",
                         help="first set to deleted the Front conversations earlier demos created")
        run.add_argument("--reuse-demo-data", action="store_true",
                         help="full run: keep the latest demo's conversations when nothing that shapes them "
                              "changed, else set them to deleted and import again (the wizard's default)")
        status = sub.add_parser("status", help="progress of migration ID's latest runs, as JSON")
        status.add_argument("id", type=int)
        report = sub.add_parser("report", help="every record of migration ID with Front ids, state and reason")
        report.add_argument("id", type=int)
        report.add_argument("--format", choices=["json", "csv"], default="json")
        report.add_argument("--entity", choices=ENTITIES, help="one entity only (default: all)")
        report.add_argument("--state", choices=["pending", "done", "failed", "skipped"])

    def handle(self, *args, **options):
        try:
            return getattr(self, f"_{options['action']}")(options)
        except BrokenPipeError:
            # The reader stopped early (`migration report 7 | head`): nothing went wrong here. Point the
            # process's stdout at /dev/null so Python's own flush at exit does not fail again.
            stdout = sys.stdout
            if getattr(self.stdout, "_out", None) is stdout and stdout is not None:
                os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
            return None

    def _migration(self, pk: int) -> Migration:
        try:
            return Migration.objects.get(pk=pk)
        except Migration.DoesNotExist:
            raise CommandError(f"There is no migration {pk}.") from None

    def _apply(self, options):
        from migrations_engine.cli import FileError, apply_file, refusal, validate_file

        data = _read_json(options["file"])
        if options.get("check"):
            mistakes = validate_file(data=data)
            if mistakes:
                raise CommandError(refusal(mistakes).replace("; nothing was created or changed", ""))
            self.stdout.write(f"{options['file']} is a valid migration file.")
            return
        try:
            migration = apply_file(data=data, owner_email=options.get("owner"))
        except FileError as exc:
            raise CommandError(str(exc)) from None
        if migration.source_type == "files":  # an export accepted with mistakes: say which lines are left out
            from wizard.imports import upload_in_use

            upload = upload_in_use(migration=migration)
            if upload and upload.report and upload.report.verdict == "partial":
                self.stderr.write(upload.report.summary(limit=20))
        self.stdout.write(str(migration.pk))

    def _run(self, options):
        from migrations_engine.services import RunRefused, start_run

        migration = self._migration(options["id"])
        ids = [i for i in (options.get("ids") or "").split(",") if i.strip()] or None
        extra = {}
        if options.get("remove_demo_data"):
            extra["demo_conversations_removed"] = self._remove_demo_data(migration)
        try:
            run = start_run(migration=migration, kind=options["kind"], ids=ids,
                            settle_demo=bool(options.get("reuse_demo_data")))
        except RunRefused as exc:
            raise CommandError(exc.reason) from None
        if options["inline"]:
            run = _run_inline(run)
        elif options["wait"]:
            run = self._wait(run, timeout=options["timeout"])
        else:
            self.stdout.write(json.dumps({"run_id": run.pk, "kind": run.kind, "state": run.state, **extra}))
            return
        self.stdout.write(json.dumps({**_summary(run), **extra}, indent=1))
        if run.state != Run.State.COMPLETED:
            sys.exit(1)

    def _remove_demo_data(self, migration: Migration) -> int:
        """What the wizard's "remove previous demo data" does: earlier demos' conversations set to deleted."""
        from connectors.base import ConnectorError
        from migrations_engine.services import RunRefused, remove_demo_data

        try:
            return remove_demo_data(migration=migration)
        except RunRefused as exc:
            raise CommandError(exc.reason) from None
        except ConnectorError as exc:
            raise CommandError(f"The demo data could not be removed: {exc}") from None

    def _wait(self, run: Run, *, timeout: float) -> Run:
        from config.celery import app

        started = time.monotonic()
        warned = False
        while True:
            run.refresh_from_db()
            if not run.is_active or (run.state == Run.State.PAUSED and not run.resume_at):
                return run
            if not warned and time.monotonic() - started > 10 and run.heartbeat_at is None:
                try:
                    alive = bool(app.control.ping(timeout=2))
                except Exception:  # noqa: BLE001 - a broker without remote control
                    alive = False
                if not alive:
                    self.stderr.write("No Celery worker answers: start one (`celery -A config worker -B`) "
                                      "or use --inline. Still waiting...")
                warned = True
            if timeout and time.monotonic() - started > timeout:
                raise CommandError(f"Run {run.pk} is still {run.state} after {timeout:.0f} s.")
            time.sleep(1)

    def _status(self, options):
        migration = self._migration(options["id"])
        runs = [selectors.run_progress(run=r).as_dict() for r in selectors.latest_runs(migration=migration, limit=5)]
        for r in runs:
            r.pop("series", None)
        self.stdout.write(json.dumps({"migration": migration.pk, "name": migration.name,
                                      "records": selectors.report_summary(migration=migration), "runs": runs},
                                     indent=1))

    def _report(self, options):
        migration = self._migration(options["id"])
        entities = [options["entity"]] if options.get("entity") else list(ENTITIES)
        rows = (row for entity in entities
                for row in selectors.report_rows(migration=migration, entity=entity, state=options.get("state")))
        if options["format"] == "json":
            self.stdout.write(json.dumps(list(rows), indent=1))
            return
        columns = ["entity", "source_id", "ticket_source_id", "state", "reason", "front_id",
                   "front_conversation_id", "front_url", "source_url", "deleted_in_source", "attempts", "lineage"]
        writer = csv.DictWriter(self.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:  # the same formula neutralising as the web export
            writer.writerow({column: safe_cell(row.get(column)) for column in columns})


def _read_json(path: str):
    """The file's JSON, or a refusal saying why it cannot be read in plain words."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not a UTF-8 text file; nothing was created.") from None
    if not text.strip():
        raise CommandError(f"{path} is empty: it must hold one JSON object (see docs/cli.md); nothing was created.")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                           "nothing was created.") from None


def _run_inline(run: Run) -> Run:
    from migrations_engine import runner

    while True:
        run.refresh_from_db()
        if run.state != Run.State.RUNNING:
            return run
        if runner.execute_chunk(run.pk) in ("wait", "busy"):
            time.sleep(1)


def _summary(run: Run) -> dict:
    progress = selectors.run_progress(run=run).as_dict()
    return {"run_id": run.pk, "kind": run.kind, "state": run.state, "reason": run.reason,
            "counts": progress["entities"], "front_calls": run.front_calls,
            "elapsed_seconds": progress["elapsed_seconds"], "recent_errors": progress["recent_errors"],
            **({"demo_data": progress["demo_data"]} if progress.get("demo_data") else {})}
