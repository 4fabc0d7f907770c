"""The file-import source in the wizard: upload an export, see its check, get the template and the format.

The upload is streamed to a temporary file on disk by Django's TemporaryFileUploadHandler (never held in
memory), capped at FILE_IMPORT_MAX_UPLOAD_MB before and while it is read, and only after the access check:
an outsider's upload is never written anywhere. Nothing uploaded is ever served back.
"""

from __future__ import annotations

from functools import lru_cache

from django.contrib import messages
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from connectors.files.spec import ENTITIES
from connectors.files.writer import template_zip
from wizard import imports
from wizard.access import Level
from wizard.steps import Step, step_url
from wizard.views_common import wizard_step

MULTIPART_SLACK = 64 * 1024  # form fields and boundaries around the file


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file handler that stops reading once the upload passes the size limit."""

    def __init__(self, request=None, *, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.too_large = True
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


def _back(migration):
    return redirect(step_url(migration, Step.CONNECT) + "?platform=files")


def _too_large_message() -> str:
    return _("The file is larger than %(mb)s MB, the limit of this installation. Split the attachments into a "
             "second export, or ask your administrator to raise FILE_IMPORT_MAX_UPLOAD_MB.") % {
        "mb": imports.max_upload_bytes() // 1024**2}


@require_POST
@csrf_exempt  # checked by csrf_protect below, once the upload handlers are in place (Django's documented way)
def connect_upload(request, pk):
    handler = CappedUploadHandler(request, max_bytes=imports.max_upload_bytes())
    request.upload_handlers = [handler]
    return _upload(request, pk, handler=handler)


@wizard_step(Step.CONNECT, level=Level.EDITOR, post_level=Level.EDITOR)
def _upload(request, migration, *, handler: CappedUploadHandler):
    # Refusals that need no byte of the body come first: nothing is read, nothing is written.
    refusal = imports.upload_refusal(migration=migration)
    if refusal:
        messages.error(request, refusal)
        return _back(migration)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > imports.max_upload_bytes() + MULTIPART_SLACK:
        messages.error(request, _too_large_message())
        return _back(migration)
    return _receive(request, migration, handler)


@csrf_protect
def _receive(request, migration, handler: CappedUploadHandler):
    uploaded = request.FILES.get("export")
    if handler.too_large:
        messages.error(request, _too_large_message())
        return _back(migration)
    if uploaded is None:
        messages.error(request, _("Choose the ZIP file of your export."))
        return _back(migration)
    stored = imports.store_upload(migration=migration, uploaded_file=uploaded, user=request.user)
    if isinstance(stored, str):
        messages.error(request, stored)
        return _back(migration)
    imports.start_check(migration=migration, upload=stored)
    return _back(migration)


@require_GET
@wizard_step(Step.CONNECT, level=Level.EDITOR)
def connect_upload_status(request, migration):
    """htmx: the newest upload's check (polls itself while a worker is still checking)."""
    return render(request, "wizard/partials/import_status.html", upload_context(migration))


def upload_context(migration) -> dict:
    upload = imports.latest_upload(migration=migration)
    in_use = imports.upload_in_use(migration=migration)
    return {
        "migration": migration, "upload": upload, "in_use": in_use,
        "is_new": upload is not None and (in_use is None or in_use.token != upload.token),
        "max_upload_mb": imports.max_upload_bytes() // 1024**2,
        "max_mistakes": imports.limits().max_mistakes,
    }


@lru_cache(maxsize=1)
def _template_bytes() -> bytes:
    return template_zip()


@require_GET
def import_template(request):
    """The example export (generated, a few KB): every table and column filled with two tickets."""
    response = HttpResponse(_template_bytes(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="frontport-import-template.zip"'
    return response


@require_GET
def import_format(request):
    """The format, rendered from the same description the validator uses (connectors/files/spec.py)."""
    return render(request, "wizard/import_format.html", {"entities": ENTITIES})
