"""Report downloads (CSV, JSON Lines): every record of an entity, streamed from the engine's report rows."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.http import Http404, StreamingHttpResponse
from django.utils.text import slugify

from config.spreadsheet import safe_cell
from migrations_engine.selectors import report_rows
from wizard import selectors
from wizard.access import Level
from wizard.steps import Step
from wizard.views_common import wizard_step

CSV_COLUMNS = ["entity", "source_id", "ticket_source_id", "state", "reason", "front_id", "front_conversation_id",
               "front_url", "source_url", "deleted_in_source", "attempts"]


class _Echo:
    """csv.writer target that hands each line back instead of buffering the file."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[dict]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for row in rows:
        yield writer.writerow([safe_cell(row.get(c)) for c in CSV_COLUMNS])


def _json_lines(rows: Iterator[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps({c: row.get(c) for c in CSV_COLUMNS}, ensure_ascii=False, default=str) + "\n"


@wizard_step(Step.DEMO, level=Level.VIEWER)
def report_export(request, migration, fmt: str):
    entity = request.GET.get("entity") or "ticket"
    state = request.GET.get("state") or None
    if entity not in selectors.REPORT_ENTITIES or state not in (None, *selectors.STATE_LABELS) or fmt not in ("csv", "jsonl"):
        raise Http404
    rows = report_rows(migration=migration, entity=entity, state=state)
    lines = _csv_lines(rows) if fmt == "csv" else _json_lines(rows)
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson; charset=utf-8"
    response = StreamingHttpResponse(lines, content_type=content_type)
    name = f"{slugify(migration.name) or 'migration'}-{entity}{'-' + state if state else ''}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
