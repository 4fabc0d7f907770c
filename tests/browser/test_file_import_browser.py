"""The file import in headless Chromium: the upload form (fields tied to a form outside the connect form),
a broken export's mistakes listed, the template accepted, the connection saved. Screenshots under
artifacts/screenshots/file-import-*.png."""

import io
import zipfile

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from connectors.files.writer import template_zip
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.connectors.files_support import good_members
from wizard.models import Migration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Lighthouse-keeper-42"


def _broken_zip() -> bytes:
    members = good_members()
    members["tickets.csv"] = members["tickets.csv"].replace("2024-03-01T10:00:00Z", "yesterday")
    members["messages.csv"] += "m4,t9,2024-03-01T10:00:00Z,customer,c1,<p>?</p>\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_upload_check_and_connect(page, live_server, shoot, front_standin, settings, tmp_path):
    settings.FILE_IMPORT_DIR = tmp_path / "imports"
    base = live_server.url
    page.set_default_timeout(20_000)
    user = get_user_model().objects.create_user(username="ops@acme.test", email="ops@acme.test", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    migration = Migration.objects.create(owner=user, name="Home-grown desk → Front")
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.goto(f"{base}/migrations/{migration.pk}/connect/")
    page.click('[data-testid="platform-files"]')
    expect(page.locator('[data-testid="import-status"]')).to_contain_text("No file uploaded yet.")

    page.set_input_files('[data-testid="export-file"]', files=[
        {"name": "broken.zip", "mimeType": "application/zip", "buffer": _broken_zip()}])
    page.click('[data-testid="upload-export"]')
    mistakes = page.locator('[data-testid="import-mistakes"]')
    expect(mistakes).to_contain_text("tickets.csv, line 3, column created_at")
    expect(mistakes).to_contain_text("messages.csv, line 5, column ticket_id")
    expect(page.locator('[data-testid="import-partial"]')).to_be_visible()
    shoot(page, "file-import-01-mistakes")

    page.set_input_files('[data-testid="export-file"]', files=[
        {"name": "acme-export.zip", "mimeType": "application/zip", "buffer": template_zip()}])
    page.click('[data-testid="upload-export"]')
    expect(page.locator('[data-testid="import-accepted"]')).to_be_visible()
    shoot(page, "file-import-02-accepted")

    page.click('[data-testid="test-source"]')
    expect(page.locator("#source-check")).to_contain_text("acme-export.zip: 2 tickets")
    page.fill("input[name=front-api_url]", front_standin.url)
    page.fill("input[name=front-token]", FRONT_TEST_TOKEN)
    page.click('[data-testid="save-connect"]')
    expect(page).to_have_url(f"{base}/migrations/{migration.pk}/inbox/")
    migration.refresh_from_db()
    assert migration.source_type == "files" and migration.source_config["name"] == "acme-export.zip"
    shoot(page, "file-import-03-inbox")
