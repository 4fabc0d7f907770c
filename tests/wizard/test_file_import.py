"""Uploading an export in the connect step: streamed to disk, capped, checked, shown as a list of mistakes,
never served back; only editors may upload; the saved connection points at the checked file (issue 19)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload
from django.urls import reverse

from connectors.files.writer import template_zip
from migrations_engine.models import Run
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.connectors.files_support import good_members
from wizard import imports
from wizard.access import Level
from wizard.lifecycle import purge_migration_data
from wizard.models import Migration
from wizard.sharing import share_accept, share_link_create, share_set_level
from wizard.tasks import check_import
from wizard.views_import import CappedUploadHandler

pytestmark = pytest.mark.django_db
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    """Each test its own store: migration ids repeat from one test to the next."""
    settings.FILE_IMPORT_DIR = tmp_path / "imports"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "incoming")
    Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir()
    return settings.FILE_IMPORT_DIR


def _url(name, migration):
    return reverse(f"wizard:{name}", args=[migration.pk])


def _zip_bytes(members) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _upload(client, migration, data: bytes, name="export.zip"):
    return client.post(_url("connect_upload", migration), {"export": SimpleUploadedFile(name, data)})


def _stored_files(settings) -> list[Path]:
    root = Path(settings.FILE_IMPORT_DIR)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_template_upload_is_accepted_and_saving_connects_the_file(owner_client, migration, front_standin, settings):
    response = _upload(owner_client, migration, template_zip(), name="my export.zip")
    assert response.status_code == 302 and response["Location"].endswith("connect/?platform=files")
    page = owner_client.get(response["Location"]).content.decode()
    assert 'data-state="accepted"' in page and "my export.zip" in page
    assert 'data-testid="upload-export"' in page and reverse("wizard:import_template") in page
    upload = imports.latest_upload(migration=migration)
    assert upload.zip_path.stat().st_mode & 0o777 == 0o600
    assert str(upload.zip_path).startswith(str(settings.FILE_IMPORT_DIR))
    # The page's own form cannot name a path: a typed one is ignored, the checked upload is used.
    saved = owner_client.post(_url("connect", migration), {
        "platform": "files", "source-path": "/etc/passwd", "front-api_url": front_standin.url,
        "front-token": FRONT_TEST_TOKEN})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    migration.refresh_from_db()
    assert migration.source_type == "files"
    assert migration.source_config == {"path": str(upload.zip_path), "name": "my export.zip"}
    assert migration.furthest_step == Migration.Step.INBOX
    assert migration.source_account_name == "my export.zip: 2 tickets"
    # Statuses and mailboxes come from the file.
    statuses = owner_client.get(_url("tickets", migration))
    assert statuses.status_code in (200, 302)


def test_broken_export_lists_every_mistake_and_a_refused_file_is_deleted(owner_client, migration, settings):
    members = good_members()
    members["tickets.csv"] = members["tickets.csv"].replace("2024-03-01T10:00:00Z", "01/03/2024")
    members["messages.csv"] += "m9,t7,2024-03-01T10:00:00Z,customer,c1,x\n"
    _upload(owner_client, migration, _zip_bytes(members))
    page = owner_client.get(_url("connect", migration) + "?platform=files").content.decode()
    assert 'data-state="partial"' in page and "2 mistakes" in page
    assert "<code>tickets.csv, line 3, column created_at</code>" in page
    assert "“01/03/2024” is not an ISO 8601 date with a UTC offset" in page
    assert "<code>messages.csv, line 5, column ticket_id</code>" in page
    # Refused: the required column is missing. Nothing of it stays but its report.
    members["tickets.csv"] = members["tickets.csv"].replace("status,", "state,", 1)
    _upload(owner_client, migration, _zip_bytes(members))
    page = owner_client.get(_url("connect", migration) + "?platform=files").content.decode()
    assert 'data-state="refused"' in page and "The required column “status” is missing." in page
    latest = imports.latest_upload(migration=migration)
    assert latest.state == "refused" and not latest.zip_path.exists()
    assert not any(p.name.endswith((".zip", ".sqlite3")) for p in latest.folder.iterdir())
    # French readers get the mistakes in French.
    fr = owner_client.get(_url("connect", migration) + "?platform=files", **FRENCH).content.decode()
    assert "ligne 1, colonne status" in fr and "La colonne obligatoire « status » manque." in fr


def test_a_refused_file_cannot_be_connected(owner_client, migration, front_standin):
    _upload(owner_client, migration, _zip_bytes({"notes.csv": "id\n"}))
    assert imports.latest_upload(migration=migration).state == "refused"
    response = owner_client.post(_url("connect", migration), {
        "platform": "files", "front-api_url": front_standin.url, "front-token": FRONT_TEST_TOKEN})
    assert response.status_code == 422
    assert "Upload the export file (a ZIP) first." in response.content.decode()
    migration.refresh_from_db()
    assert migration.furthest_step == Migration.Step.CONNECT


def test_size_limit_before_reading_and_while_reading(owner_client, migration, settings):
    settings.FILE_IMPORT_MAX_UPLOAD_MB = 1
    page = owner_client.get(_upload(owner_client, migration, bytes(2 * 1024**2))["Location"]).content.decode()
    assert "larger than 1 MB" in page
    assert _stored_files(settings) == []
    handler = CappedUploadHandler(None, max_bytes=10)
    handler.new_file("export", "e.zip", "application/zip", None)
    handler.receive_data_chunk(b"x" * 8, 0)
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x" * 8, 8)
    assert handler.too_large


def test_not_a_zip_is_refused_and_not_kept(owner_client, migration, settings):
    page = owner_client.get(_upload(owner_client, migration, b"id,subject\n1,hi\n", name="tickets.csv")["Location"])
    assert "This is not a ZIP file." in page.content.decode()
    assert _stored_files(settings) == []


def test_no_file_chosen(owner_client, migration):
    page = owner_client.get(owner_client.post(_url("connect_upload", migration), {})["Location"])
    assert "Choose the ZIP file of your export." in page.content.decode()


def test_only_editors_upload_and_nothing_is_written_for_others(client, other_user, migration, settings):
    client.force_login(other_user)
    assert _upload(client, migration, template_zip()).status_code == 404  # a stranger
    link = share_link_create(migration=migration, level=Level.VIEWER, created_by=migration.owner, expires_in_days=1)
    share = share_accept(token=link.url.rstrip("/").rsplit("/", 1)[1], user=other_user)
    assert _upload(client, migration, template_zip()).status_code == 404  # a viewer
    assert client.get(_url("connect_upload_status", migration)).status_code == 404
    assert _stored_files(settings) == []
    incoming = Path(settings.FILE_UPLOAD_TEMP_DIR)
    assert not list(incoming.iterdir())
    share_set_level(share=share, level=Level.EDITOR)
    assert _upload(client, migration, template_zip()).status_code == 302
    assert imports.latest_upload(migration=migration).state == "accepted"


def test_no_new_file_while_a_run_is_active(owner_client, migration, settings):
    Run.objects.create(migration=migration, kind="demo", state="running", settings={})
    page = owner_client.get(_upload(owner_client, migration, template_zip())["Location"]).content.decode()
    assert "A run of this migration is under way" in page
    assert _stored_files(settings) == []


def test_large_files_are_checked_by_a_worker_while_the_page_polls(owner_client, migration, settings):
    settings.FILE_IMPORT_INLINE_CHECK_MB = 0
    _upload(owner_client, migration, template_zip())
    status_url = _url("connect_upload_status", migration)
    waiting = owner_client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-state="checking"' in waiting and f'hx-get="{status_url}"' in waiting
    upload = imports.latest_upload(migration=migration)
    assert check_import(migration.pk, upload.token) == "accepted"  # what the worker runs
    done = owner_client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-state="accepted"' in done and "hx-get" not in done


def test_a_new_upload_replaces_older_ones_but_keeps_the_one_in_use(owner_client, migration, front_standin):
    _upload(owner_client, migration, template_zip())
    first = imports.latest_upload(migration=migration)
    owner_client.post(_url("connect", migration), {
        "platform": "files", "front-api_url": front_standin.url, "front-token": FRONT_TEST_TOKEN})
    for _ in range(3):
        _upload(owner_client, migration, _zip_bytes(good_members()))
    # Kept: the one in use, the newest, and the newest accepted before it (in case the newest is refused).
    found = imports.uploads(migration=migration)
    assert len(found) == 3 and found[2].folder == first.folder
    _upload(owner_client, migration, _zip_bytes({"notes.csv": "id\n"}))  # refused
    found = imports.uploads(migration=migration)
    assert [u.state for u in found] == ["refused", "accepted", "accepted"] and found[2].folder == first.folder
    assert imports.source_config(migration=migration)["path"] == str(found[1].zip_path)
    page = owner_client.get(_url("connect", migration) + "?platform=files").content.decode()
    assert "The migration keeps using" in page


def test_purge_and_delete_remove_the_uploads(owner_client, owner, migration, settings):
    _upload(owner_client, migration, template_zip())
    assert _stored_files(settings)
    result = purge_migration_data(migration=migration, actor=owner, reason="test")
    assert result.cleared["wizard.imports.purge_uploads"] == {"uploads": 1}
    assert _stored_files(settings) == []
    other = Migration.objects.create(owner=owner, name="Another")
    _upload(owner_client, other, template_zip())
    assert _stored_files(settings)
    other.delete()
    assert _stored_files(settings) == []


def test_template_and_format_pages(client, settings, tmp_path):
    response = client.get(reverse("wizard:import_template"))
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    path = tmp_path / "template.zip"
    path.write_bytes(response.content)
    from connectors.files import ensure_checked

    report = ensure_checked(path)
    assert report.verdict == "accepted" and report.counts["tickets"] == 2 and report.counts["attachments"] == 1
    page = client.get(reverse("wizard:import_format")).content.decode()
    assert "tickets.csv" in page and "updated_at" in page and "ISO 8601" in page
    fr = client.get(reverse("wizard:import_format"), **FRENCH).content.decode()
    assert "Format de l’import par fichier" in fr


def test_the_setup_steps_read_the_file(owner_client, migration, front_standin, tmp_path):
    """Inbox (mailboxes of the file), objects (counts), teammates (agents), tickets (the file's statuses)."""
    from connectors.files.writer import write_sample_export
    from connectors.sample import SampleDataset

    export = write_sample_export(SampleDataset(tickets=30, seed=3), tmp_path / "desk.zip")
    _upload(owner_client, migration, export.read_bytes(), name="desk.zip")
    assert owner_client.post(_url("connect", migration), {
        "platform": "files", "front-api_url": front_standin.url, "front-token": FRONT_TEST_TOKEN}).status_code == 302
    inbox = owner_client.get(_url("inbox", migration)).content.decode()
    assert 'name="mailbox"' in inbox and '<option value="1">1</option>' in inbox
    inbox_id = inbox.split('name="inbox" value="')[1].split('"')[0]
    assert owner_client.post(_url("inbox", migration), {"inbox": inbox_id, "mailbox": ""}).status_code == 302
    owner_client.get(_url("objects", migration))
    migration.refresh_from_db()
    assert migration.record_counts["tickets"] == 30 and migration.record_counts["agents"] == 4
    assert migration.record_counts["contacts"] == 10
    assert owner_client.post(_url("objects", migration), {"objects": ["tickets", "contacts", "agents"]}).status_code == 302
    teammates = owner_client.get(_url("teammates", migration)).content.decode()
    assert "agent1@example.com" in teammates and "agent4@example.com" in teammates
    default = teammates.split('id="default-teammate" name="default">')[1].split('value="')[1].split('"')[0]
    assert owner_client.post(_url("teammates", migration), {"default": default}).status_code == 302
    tickets = owner_client.get(_url("tickets", migration)).content.decode()
    dataset = SampleDataset(tickets=30, seed=3)
    statuses = {dataset.ticket(i).status for i in range(1, 31)}
    assert len(statuses) >= 3 and all(f">{s}<" in tickets for s in statuses)


def test_the_tickets_step_offers_the_files_own_statuses(owner_client, migration, tmp_path):
    members = good_members()
    members["tickets.csv"] = members["tickets.csv"].replace(",solved,", ",Awaiting parts,")
    path = tmp_path / "e.zip"
    path.write_bytes(_zip_bytes(members))
    migration.source_type, migration.source_config = "files", {"path": str(path)}
    migration.furthest_step = Migration.Step.TICKETS
    migration.save()
    page = owner_client.get(_url("tickets", migration)).content.decode()
    assert ">Awaiting parts<" in page


def test_a_check_that_cannot_finish_says_so(owner_client, migration, settings, monkeypatch):
    settings.FILE_IMPORT_INLINE_CHECK_MB = 0
    _upload(owner_client, migration, template_zip())
    upload = imports.latest_upload(migration=migration)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(imports, "ensure_checked", disk_full)
    assert check_import(migration.pk, upload.token) == "refused"
    page = owner_client.get(_url("connect_upload_status", migration), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-state="refused"' in page and "The check could not finish (OSError)" in page
    assert not upload.zip_path.exists()
