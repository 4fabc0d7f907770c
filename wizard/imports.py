"""Uploaded exports of the file-import source: where they are kept, how they are checked, when they go.

Each upload gets its own folder `FILE_IMPORT_DIR/<migration id>/<random token>/` holding `export.zip`
(mode 0600, never served back, never extracted, never executed), the validator's index and report next to
it, and `upload.json` (original name, size, when, by whom). The migration's source config points at the
ZIP once the user saves the connect step; a new upload never changes a migration by itself.

A refused file is deleted at once (its report stays, to show what is wrong). Uploads are refused while a
run is active, so a run never sees its file change. The whole folder goes when the migration's data is
purged or the migration is deleted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors.files import Mistake, Report, current_report, ensure_checked, sidecars
from connectors.files.spec import Limits
from migrations_engine.selectors import has_active_run
from wizard.lifecycle import register_purger
from wizard.models import Migration

log = logging.getLogger(__name__)
EXPORT_NAME = "export.zip"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a ZIP starts with a local header (or is an empty archive)


@dataclass(frozen=True)
class Upload:
    token: str
    folder: Path
    name: str  # as the user's browser named it (display only, never a path)
    size: int
    uploaded_at: datetime
    report: Report | None  # None while the check is still running

    @property
    def zip_path(self) -> Path:
        return self.folder / EXPORT_NAME

    @property
    def state(self) -> str:
        return "checking" if self.report is None else self.report.verdict

    @property
    def usable(self) -> bool:
        return self.report is not None and not self.report.refused and self.zip_path.exists()


def limits() -> Limits:
    return Limits.from_settings()


def max_upload_bytes() -> int:
    return int(settings.FILE_IMPORT_MAX_UPLOAD_MB) * 1024**2


def _folder_name(migration_id: int, created_at: datetime) -> str:
    # The creation time makes the name unique even where a rolled-back id is handed out again (SQLite).
    return f"{int(migration_id)}-{int(created_at.timestamp() * 1_000_000)}"


def _root(migration: Migration) -> Path:
    return Path(settings.FILE_IMPORT_DIR) / _folder_name(migration.pk, migration.created_at)


def _read(folder: Path) -> Upload | None:
    try:
        meta = json.loads((folder / "upload.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    zip_path = folder / EXPORT_NAME
    report = current_report(zip_path) if zip_path.exists() else Report.load(sidecars(zip_path)[1])
    return Upload(token=folder.name, folder=folder, name=meta.get("name", EXPORT_NAME), size=int(meta.get("size", 0)),
                  uploaded_at=datetime.fromisoformat(meta["uploaded_at"]), report=report)


def uploads(*, migration: Migration) -> list[Upload]:
    """Every upload still on disk, newest first."""
    root = _root(migration)
    if not root.is_dir():
        return []
    found = [u for u in (_read(f) for f in root.iterdir() if f.is_dir()) if u is not None]
    return sorted(found, key=lambda u: u.uploaded_at, reverse=True)


def latest_upload(*, migration: Migration) -> Upload | None:
    found = uploads(migration=migration)
    return found[0] if found else None


def upload_in_use(*, migration: Migration) -> Upload | None:
    """The upload the migration's saved source config points at."""
    path = (migration.source_config or {}).get("path") if migration.source_type == "files" else None
    return next((u for u in uploads(migration=migration) if str(u.zip_path) == path), None)


def source_config(*, migration: Migration) -> dict[str, Any]:
    """The connector config of the newest usable upload ({} when there is none)."""
    usable = next((u for u in uploads(migration=migration) if u.usable), None)
    return {"path": str(usable.zip_path), "name": usable.name} if usable else {}


def upload_refusal(*, migration: Migration) -> str | None:
    """Why a new file cannot be taken now, or None."""
    if migration.purged_at:
        return _("This migration's data was deleted: create a new migration to import a file.")
    if has_active_run(migration=migration):
        return _("A run of this migration is under way: wait until it ends (or cancel it) before uploading a new file.")
    return None


def _safe_display_name(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip() or EXPORT_NAME
    return "".join(ch for ch in name if ch.isprintable())[:120]


def _new_folder(migration: Migration) -> Path:
    folder = _root(migration) / secrets.token_hex(12)
    folder.mkdir(parents=True, mode=0o700)
    return folder


def _finish(migration: Migration, folder: Path, *, name: str, user) -> Upload:
    target = folder / EXPORT_NAME
    os.chmod(target, 0o600)
    meta = {"name": _safe_display_name(name), "size": target.stat().st_size,
            "uploaded_at": timezone.now().isoformat(), "by": getattr(user, "pk", None)}
    (folder / "upload.json").write_text(json.dumps(meta), encoding="utf-8")
    _prune(migration=migration, keep=folder)
    return _read(folder)


def store_upload(*, migration: Migration, uploaded_file, user) -> Upload | str:
    """Move the uploaded temporary file into the migration's store; a sentence when it is not a ZIP."""
    head = uploaded_file.read(4)
    uploaded_file.seek(0)
    if head not in ZIP_MAGIC:
        return _("This is not a ZIP file. Export your tables as CSV or JSON Lines and put them in a ZIP.")
    folder = _new_folder(migration)
    target = folder / EXPORT_NAME
    temp_path = getattr(uploaded_file, "temporary_file_path", None)
    if temp_path is not None:
        shutil.move(temp_path(), target)  # a rename on the same disk (FILE_UPLOAD_TEMP_DIR)
    else:
        with open(target, "wb") as out:
            for chunk in uploaded_file.chunks():
                out.write(chunk)
    return _finish(migration, folder, name=uploaded_file.name, user=user)


class ExportRefused(ValueError):
    """The CLI's export cannot be used; the message says why (the report's first mistakes)."""


def adopt_export(*, migration: Migration, path: str) -> dict[str, Any]:
    """`migration apply`'s way in: copy the export at `path` into the migration's store, check it there and
    return the connector config. A refused file raises ExportRefused and leaves nothing behind."""
    refusal = upload_refusal(migration=migration)
    if refusal:
        raise ExportRefused(refusal)
    folder = _new_folder(migration)
    try:
        with open(path, "rb") as source, open(folder / EXPORT_NAME, "wb") as out:
            if source.read(4) not in ZIP_MAGIC:
                raise ExportRefused(_("This is not a ZIP file. Export your tables as CSV or JSON Lines and put "
                                      "them in a ZIP."))
            source.seek(0)
            shutil.copyfileobj(source, out, 1024 * 1024)
        upload = _finish(migration, folder, name=os.path.basename(path), user=None)
        if check_upload(migration_id=migration.pk, token=upload.token) == "refused":
            report = Report.load(sidecars(upload.zip_path)[1])
            raise ExportRefused(report.summary(limit=20) if report else "The export was refused.")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return {"path": str(folder / EXPORT_NAME), "name": upload.name}


def check_upload(*, migration_id: int, token: str) -> str:
    """Validate one upload (builds its index); a refused file is deleted, its report kept. Returns the verdict."""
    migration = Migration.objects.only("pk", "created_at").filter(pk=migration_id).first()
    if migration is None or not re.fullmatch(r"[0-9a-f]{24}", token):
        return "gone"
    zip_path = _root(migration) / token / EXPORT_NAME
    if not zip_path.exists():
        return "gone"
    try:
        report = ensure_checked(zip_path, limits=limits())
    except Exception as exc:  # noqa: BLE001 - a full disk, a killed process...: say so, never "checking" forever
        log.exception("Checking the uploaded export %s of migration %s failed", token, migration_id)
        report = Report(verdict="refused", mistakes=[Mistake("check_failed", params={"detail": type(exc).__name__})],
                        mistake_count=1, counts={}, left_out={})
        report.save(sidecars(zip_path)[1])
    if report.refused:  # nothing of a refused file is kept but its report
        index, _report, lock = sidecars(zip_path)
        for path in (zip_path, index, lock):
            path.unlink(missing_ok=True)
    return report.verdict


def start_check(*, migration: Migration, upload: Upload) -> None:
    """Small files are checked now; larger ones by a worker while the page polls."""
    if upload.size <= int(settings.FILE_IMPORT_INLINE_CHECK_MB) * 1024**2:
        check_upload(migration_id=migration.pk, token=upload.token)
        return
    from wizard.tasks import check_import

    check_import.delay(migration.pk, upload.token)


def _prune(*, migration: Migration, keep: Path) -> None:
    """Older uploads go, except the one the migration uses and the newest accepted one (the new file may
    still be refused)."""
    found = uploads(migration=migration)
    in_use = upload_in_use(migration=migration)
    newest_usable = next((u for u in found if u.usable and u.folder != keep), None)
    kept = {keep} | {u.folder for u in (in_use, newest_usable) if u is not None}
    for upload in found:
        if upload.folder not in kept:
            shutil.rmtree(upload.folder, ignore_errors=True)


@register_purger
def purge_uploads(migration: Migration) -> dict[str, int]:
    """The uploaded exports, their indexes and reports (cached source content)."""
    root = _root(migration)
    count = sum(1 for f in root.iterdir() if f.is_dir()) if root.is_dir() else 0
    shutil.rmtree(root, ignore_errors=True)
    return {"uploads": count}


@receiver(post_delete, sender=Migration, dispatch_uid="wizard.imports.delete_uploads")
def _delete_uploads(sender, instance: Migration, **kwargs) -> None:
    shutil.rmtree(_root(instance), ignore_errors=True)
