"""Record-map rows of the knowledge-base records (entities `kb`, `category`, `article`) and the run's
`articles` counter, moved in the same transaction as the row (once per article and run: a page handled
again after an interruption is not counted twice)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from migrations_engine.journal import RunContext
from migrations_engine.models import RecordMap, Run
from migrations_engine.parallel import write_lock

COUNTED = "article"
DELETED_REASON = "Deleted in the source since an earlier run; the Front article was left as it is."


class KbRecords:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def _rows(self, entity: str) -> Any:
        return RecordMap.objects.filter(migration_id=self.ctx.migration.pk, entity=entity)

    def get(self, entity: str, source_id: str) -> RecordMap | None:
        return self._rows(entity).filter(source_id=source_id).first()

    def front_id(self, entity: str, source_id: str | None) -> str:
        row = self.get(entity, source_id or "") if source_id else None
        return row.front_id if row else ""

    def front_ids(self, entity: str) -> set[str]:
        return set(self._rows(entity).exclude(front_id="").values_list("front_id", flat=True))

    def _write(self, entity: str, source_id: str, *, state: str | None = None, count: bool = True,
               **changes: Any) -> None:
        ctx = self.ctx
        with ctx.counters_lock, write_lock(), transaction.atomic():
            row, created = RecordMap.objects.get_or_create(migration_id=ctx.migration.pk, entity=entity,
                                                           source_id=source_id)
            fresh = created or row.last_run_id != ctx.run.pk
            for key, value in changes.items():
                setattr(row, key, value)
            if state is not None:  # a settled row: seen by this run (a mark before a create is not)
                row.state = state
                row.attempts += 1 if fresh else 0
                row.last_run_id, row.lineage, row.deleted_in_source = ctx.run.pk, ctx.lineage, False
            row.save()
            if fresh and state is not None and count and entity == COUNTED:
                self._count({"done": "done", "failed": "failed"}.get(str(state), "skipped"))

    def _count(self, what: str) -> None:
        ctx = self.ctx
        counters = ctx.counters if ctx.counters is not None else (ctx.run.counters or {})
        entry = counters.setdefault("articles", {"total": 0, "done": 0, "failed": 0, "skipped": 0})
        entry[what] = entry.get(what, 0) + 1
        entry["total"] = max(entry.get("total", 0), entry["done"] + entry["failed"] + entry["skipped"])
        ctx.run.counters = counters
        Run.objects.filter(pk=ctx.run.pk).update(counters=counters)

    # ---- what the phase writes ---------------------------------------------------------------
    def intend(self, entity: str, source_id: str, name: str) -> None:
        """Mark the row before a create: an answer lost on the way back is then looked for, not resent."""
        row = self.get(entity, source_id)
        applied = dict(row.applied or {}) if row else {}
        self._write(entity, source_id, applied={**applied, "intent": name[:255]})

    def keep_id(self, entity: str, source_id: str, *, front_id: str, slug: str) -> None:
        """Save the Front id the moment Front answers (before the other locales are written)."""
        row = self.get(entity, source_id)
        applied = {k: v for k, v in dict(row.applied or {}).items() if k not in ("intent", "locales")} if row else {}
        self._write(entity, source_id, front_id=front_id, applied={**applied, "slug": slug})

    def done(self, entity: str, source_id: str, *, front_id: str, applied: dict[str, Any], reason: str,
             url: str = "", count: bool = True) -> None:
        extra: dict[str, Any] = {"source_url": url[:500]} if url else {}
        self._write(entity, source_id, state=RecordMap.State.DONE, count=count, front_id=front_id,
                    applied=applied, reason=reason[:1000], **extra)

    def failed(self, entity: str, source_id: str, *, reason: str, url: str = "", count: bool = True) -> None:
        row = self.get(entity, source_id)
        applied = {k: v for k, v in dict(row.applied or {}).items() if k != "locales"} if row else {}
        extra: dict[str, Any] = {"source_url": url[:500]} if url else {}
        self._write(entity, source_id, state=RecordMap.State.FAILED, count=count, reason=reason[:1000],
                    applied=applied, **extra)

    def skipped(self, entity: str, source_id: str, *, reason: str, url: str = "") -> None:
        extra: dict[str, Any] = {"source_url": url[:500]} if url else {}
        self._write(entity, source_id, state=RecordMap.State.SKIPPED, reason=reason[:1000], **extra)

    def seen(self, entity: str, source_id: str) -> None:
        """Unchanged since the last run: no call, the row marks it seen (and counts it once per run)."""
        row = self.get(entity, source_id)
        if row is not None and row.last_run_id != self.ctx.run.pk:
            self._write(entity, source_id, state=row.state, reason=row.reason)

    def report_deleted(self) -> int:
        """Articles no run listed since the last full listing: deleted in the source, reported."""
        with write_lock():
            return (self._rows(COUNTED).exclude(last_run_id=self.ctx.run.pk).exclude(front_id="")
                    .update(deleted_in_source=True, reason=DELETED_REASON))
