"""The whole wizard in headless Chromium: sign up → … → demo → report → pay → full run → report → delta.

Real pieces only: allauth sign-up with the confirmation email, the sample source, the Front stand-in
(HTTP), the Stripe stand-in (HTTP, signed webhooks to the live server) and a real Celery worker
process running the engine. A full-page screenshot of every step goes to artifacts/screenshots/.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.browser.a11y import audit

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "Lighthouse-keeper-42"
RUN_TIMEOUT_MS = 120_000


def _confirm_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def _wait_finished(page, state: str = "completed") -> None:
    page.wait_for_selector(f'[data-testid="progress-panel"][data-state="{state}"]', timeout=RUN_TIMEOUT_MS)
    page.wait_for_load_state("networkidle")


def test_whole_wizard_path(page, live_server, front_standin, stripe_live_billing, celery_worker_process, shoot):
    base = live_server.url
    page.set_default_timeout(20_000)

    # 1. Sign up, confirm the email, sign in.
    page.goto(base + "/accounts/signup/")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    shoot(page, "01-signup")
    page.click("main form button[type=submit]")
    assert len(mail.outbox) == 1
    page.goto(base + _confirm_link(mail.outbox[0]))
    shoot(page, "02-confirm-email")
    page.click("main form button[type=submit]")
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "ada@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/migrations/$"))
    shoot(page, "03-dashboard-empty")

    # 2. New migration with a custom name, then connect the sample source and the Front stand-in.
    page.click('[data-testid="new-migration"]')
    page.fill("input[name=name]", "Sample desk → Front support")
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/connect/$"))
    page.click('[data-testid="platform-sample"]')
    page.fill("input[name=source-tickets]", "30")
    page.fill("input[name=source-seed]", "7")
    page.fill("input[name=front-api_url]", front_standin.url)
    page.fill("input[name=front-token]", "wrong-token")
    page.click('[data-testid="test-front"]')
    expect(page.locator('[data-testid="check-front-error"]')).to_be_visible()
    page.fill("input[name=front-token]", FRONT_TEST_TOKEN)
    page.click('[data-testid="test-source"]')
    page.click('[data-testid="test-front"]')
    expect(page.locator('[data-testid="check-source-ok"]')).to_be_visible()
    expect(page.locator('[data-testid="check-front-ok"]')).to_be_visible()
    shoot(page, "04-connect")
    audit(page, "path-connect-filled")
    page.click('[data-testid="save-connect"]')

    # 3. Inbox.
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    page.locator("input[name=inbox]").first.check()
    shoot(page, "05-inbox")
    page.click('[data-testid="save-step"]')

    # 4. Objects with their counts.
    expect(page).to_have_url(re.compile(r"/objects/$"))
    expect(page.locator('[data-testid="count-tickets"]')).to_have_text("30")
    shoot(page, "06-objects")
    page.click('[data-testid="save-step"]')

    # 5. Teammates: auto-match, then save.
    expect(page).to_have_url(re.compile(r"/teammates/$"))
    page.click('[data-testid="auto-match"]')
    expect(page.locator(".alert-info").filter(has_text="matched")).to_be_visible()
    shoot(page, "07-teammates")
    page.click('[data-testid="save-step"]')

    # 6. Tickets (statuses, custom fields) and 7. options.
    expect(page).to_have_url(re.compile(r"/tickets/$"))
    shoot(page, "08-tickets")
    page.click('[data-testid="save-step"]')
    expect(page).to_have_url(re.compile(r"/options/$"))
    page.fill("input[name=tag]", "from-sample-desk")
    # Leaving a mapping step with unsaved changes asks first; dismissing keeps the page.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.click("text=← Back")
    assert asked == ["beforeunload"]
    expect(page).to_have_url(re.compile(r"/options/$"))
    shoot(page, "09-options")
    page.click('[data-testid="save-step"]')

    # 8. Demo through the real worker, live progress, then the report.
    expect(page).to_have_url(re.compile(r"/demo/$"))
    shoot(page, "10-demo-start")
    page.click('[data-testid="start-demo"]')
    _wait_finished(page)
    expect(page.locator('[data-testid="to-plan"]')).to_be_visible()
    shoot(page, "11-demo-done")
    page.click('[data-testid="open-report"]')
    expect(page.locator('[data-testid="report-table"] tbody tr').first).to_be_visible()
    shoot(page, "12-demo-report")

    # 9. Plan and payment through the Stripe stand-in (signed webhook to the live server).
    page.goto(page.url.replace("/report/", "/plan/"))
    shoot(page, "13-plan")
    page.click('[data-testid="to-billing"]')
    page.click('[data-testid="plan-signature"]')
    page.click('[data-testid="pay-button"]')
    page.click('[data-testid="standin-pay"]')
    # The return page waits for the signed webhook, then one click leads to the full-run step.
    page.wait_for_selector('[data-testid="order-status"][data-status="paid"]', timeout=30_000)
    shoot(page, "14a-payment-confirmed")
    audit(page, "path-payment-confirmed")
    page.click('[data-testid="continue-full"]')
    expect(page).to_have_url(re.compile(r"/full/$"))
    expect(page.locator('[data-testid="start-full"]')).to_be_visible()
    page.goto(base + "/migrations/")
    shoot(page, "14-dashboard")
    page.click("text=Open")

    # 10. Full migration: checklist, start now, live progress, report.
    expect(page).to_have_url(re.compile(r"/full/$"))
    page.click('[data-testid="checklist-before"]')
    shoot(page, "15-checklist-before")
    page.go_back()
    page.check("input[name=confirm]")
    shoot(page, "16-full-start")
    front_standin.set_faults(latency_ms=250)  # slow Front down so the live run can be watched and paused
    page.click('[data-testid="start-full"]')
    page.wait_for_function(
        "() => { const c = document.querySelector('[data-testid=\"done-tickets\"]'); return c && c.textContent.trim() !== '0'; }",
        timeout=RUN_TIMEOUT_MS)
    shoot(page, "17a-full-running")
    audit(page, "path-full-running")
    page.click('[data-testid="pause"]')
    page.wait_for_selector('[data-testid="progress-panel"][data-state="paused"]', timeout=RUN_TIMEOUT_MS)
    shoot(page, "17b-full-paused")
    audit(page, "path-full-paused")
    front_standin.set_faults(latency_ms=0)
    page.reload()
    page.click('[data-testid="resume"]')
    _wait_finished(page)
    expect(page.locator('[data-testid="verification"]')).to_be_visible()
    shoot(page, "17c-full-done")
    page.click('[data-testid="open-report"]')
    shoot(page, "18-full-report")

    # 11. Delta migration: the source moves on (sample revision 1: new replies, status changes, deletions).
    page.click('[data-testid="step-1"]')
    page.fill("input[name=source-revision]", "1")
    page.click('[data-testid="save-connect"]')
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    page.click('[data-testid="step-9"]')
    page.click('[data-testid="start-delta"]')
    _wait_finished(page)
    shoot(page, "19-delta-done")
    page.click('[data-testid="checklist-after"]')
    shoot(page, "20-checklist-after")

    # A phone-sized screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.go_back()
    shoot(page, "21-phone-full")

    # The same page in French (the language menu in the navigation bar).
    page.set_viewport_size({"width": 1280, "height": 860})
    page.select_option("#fp-language", "fr")
    expect(page.locator("h1")).to_have_text("Migration complète")
    shoot(page, "22-full-french")
    audit(page, "path-full-french")

    # Front received one conversation per migrated ticket, each once.
    state = front_standin.state()
    assert len(state["conversations"]) >= 30
    assert state["counters"]["duplicate_imports_refused"] == 0
