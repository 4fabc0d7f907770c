"""Sharing in headless Chromium: the owner creates a share link, a colleague opens it signed out, signs
in, confirms on the invitation page and has access; the owner withdraws it and the colleague's next page is a 404. Then staff
search the console and pause a run, and the audit log shows it. Screenshots go to artifacts/screenshots/."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from migrations_engine.models import Run
from wizard.models import Migration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Lighthouse-keeper-42"


def _user(email: str, **extra):
    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")


def test_share_link_accept_and_revoke_then_staff_console(page, browser, live_server, shoot, csp_watch):
    base = live_server.url
    page.set_default_timeout(20_000)
    owner = _user("owner@acme.test")
    _user("colleague@acme.test")
    _user("support@frontport.test", is_staff=True)
    migration = Migration.objects.create(owner=owner, name="Acme desk → Front", source_type="sample", furthest_step=Migration.Step.FULL,
                                         front_token="tok", front_inbox_id="inb_1")
    run = Run.objects.create(migration=migration, kind="full", state="running", lineage="g0",
                             counters={"tickets": {"total": 40, "done": 12, "failed": 1, "skipped": 0}})

    # The owner creates a viewer link; it is shown once.
    _sign_in(page, base, "owner@acme.test")
    page.goto(f"{base}/migrations/{migration.pk}/sharing/")
    page.select_option("#id_level >> nth=1", "1")
    page.click("text=Create link")
    link = page.locator('[data-testid="new-share-url"] input').input_value()
    assert re.search(r"/share/[A-Za-z0-9_\-]{40,}/$", link)
    shoot(page, "sharing-01-link-created")

    # The colleague opens it signed out, signs in, and has access to this migration.
    colleague = browser.new_context(viewport={"width": 1280, "height": 860})
    csp_watch.attach(colleague)
    other = colleague.new_page()
    other.set_default_timeout(20_000)
    other.goto(link.replace("http://127.0.0.1:8000", base))
    expect(other.locator("main")).to_contain_text("viewer")
    shoot(other, "sharing-02-invitation-signed-out")
    other.click('[data-testid="share-sign-in"]')
    other.fill("input[name=login]", "colleague@acme.test")
    other.fill("input[name=password]", PASSWORD)
    other.click("main form button[type=submit]")
    # Signing in leads back to the invitation: nothing is accepted until the colleague says so.
    expect(other.locator('[data-testid="accept-share"]')).to_be_visible()
    assert Migration.objects.get(pk=migration.pk).shares.filter(accepted_by__isnull=False).count() == 0
    shoot(other, "sharing-02b-confirm-after-sign-in")
    other.click('[data-testid="accept-share"]')
    other.goto(base + "/migrations/")
    expect(other.locator("main")).to_contain_text("Acme desk → Front")
    shoot(other, "sharing-03-colleague-dashboard")
    assert other.goto(f"{base}/migrations/{migration.pk}/report/").status != 404

    # The owner withdraws it; the colleague's very next request is refused.
    page.reload()
    expect(page.locator('[data-testid="shares"]')).to_contain_text("colleague@acme.test")
    shoot(page, "sharing-04-shares-list")
    page.click('[data-testid="shares"] >> text=Withdraw')
    expect(page.locator('[data-testid="shares"]')).to_contain_text("withdrawn")
    assert other.goto(f"{base}/migrations/{migration.pk}/report/").status == 404
    colleague.close()

    # Staff: search by the customer's email, pause the run, see it in the audit log.
    page.context.clear_cookies()
    _sign_in(page, base, "support@frontport.test")
    page.goto(base + "/staff/?q=owner%40acme")
    expect(page.locator('[data-testid="staff-migrations"]')).to_contain_text("12/40 done")
    shoot(page, "sharing-05-staff-console")
    page.click("text=Acme desk → Front")
    page.click('[data-testid="staff-runs"] >> text=Pause')
    expect(page.locator('[data-testid="audit-log"]')).to_contain_text("run.pause")
    shoot(page, "sharing-06-staff-migration")
    run.refresh_from_db()
    assert run.state == "paused"


def test_colleague_leaves_through_the_confirmation(page, live_server, shoot):
    """The colleague opens "Leave this migration", reads the confirmation, confirms, lands on their
    dashboard without it; their next request to it is a 404 and the owner's sharing page no longer
    lists them."""
    from wizard.sharing import share_link_create

    base = live_server.url
    page.set_default_timeout(20_000)
    owner = _user("owner@acme.test")
    colleague = _user("colleague@acme.test")
    migration = Migration.objects.create(owner=owner, name="Acme desk → Front", source_type="sample",
                                         furthest_step=Migration.Step.FULL, front_token="tok", front_inbox_id="inb_1")
    share = share_link_create(migration=migration, level=2, created_by=owner, expires_in_days=7).share
    share.accepted_by = colleague
    share.save(update_fields=["accepted_by"])

    _sign_in(page, base, "colleague@acme.test")
    page.goto(f"{base}/migrations/{migration.pk}/report/")
    page.click('[data-testid="leave-open"]')
    dialog = page.locator('[data-testid="leave-dialog"]')
    expect(dialog).to_be_visible()
    # Bootstrap fades the dialog in: wait until it is fully shown before the screenshot.
    page.wait_for_function("() => getComputedStyle(document.getElementById('fp-leave')).opacity === '1'")
    expect(dialog).to_contain_text("The migration and its runs are not changed.")
    shoot(page, "sharing-07-leave-confirmation")
    dialog.locator('[data-testid="leave-confirm"]').click()
    page.wait_for_url(f"{base}/migrations/")
    expect(page.locator("main")).to_contain_text("You left “Acme desk → Front”")
    expect(page.locator("main table")).to_have_count(0)  # their dashboard no longer lists it
    shoot(page, "sharing-08-left")
    assert page.goto(f"{base}/migrations/{migration.pk}/report/").status == 404

    page.context.clear_cookies()
    _sign_in(page, base, "owner@acme.test")
    page.goto(f"{base}/migrations/{migration.pk}/sharing/")
    expect(page.locator('[data-testid="shares"]')).not_to_contain_text("colleague@acme.test")
