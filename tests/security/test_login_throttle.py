"""Sign-in throttling behind a reverse proxy: the client address comes from X-Forwarded-For only with
TRUSTED_PROXY_COUNT, and no one can lock the real user out of their account (config/accounts.py)."""

from __future__ import annotations

import logging
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

from config import urls
from config.accounts import KNOWN_DEVICE_COOKIE
from config.client_ip import ClientIPLogFilter
from staff.models import AuditLog
from staff.services import audit

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
PASSWORD = "Correct-horse-battery-7"


def _user(email: str):
    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _login(client: Client, email: str, password: str, *, client_ip: str, via_proxy: bool = True):
    headers = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": client_ip} if via_proxy else {"REMOTE_ADDR": client_ip}
    return client.post("/accounts/login/", {"login": email, "password": password}, **headers)


def _signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def test_behind_the_proxy_one_clients_failures_do_not_stop_another(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    _user("real@acme.test")
    attacker = Client()
    for n in range(10):
        assert not _signed_in(_login(attacker, f"nobody{n}@acme.test", "wrong", client_ip="203.0.113.5"))
    refused = _login(attacker, "nobody@acme.test", "wrong", client_ip="203.0.113.5")
    assert refused.status_code == 429 or "Too many" in refused.content.decode()
    assert _signed_in(_login(Client(), "real@acme.test", PASSWORD, client_ip="198.51.100.7"))


def test_without_the_setting_the_header_is_ignored(settings):
    """TRUSTED_PROXY_COUNT=0: X-Forwarded-For is anyone's text, so everyone behind the proxy is one client."""
    settings.TRUSTED_PROXY_COUNT = 0
    _user("real@acme.test")
    attacker = Client()
    for n in range(10):
        _login(attacker, f"nobody{n}@acme.test", "wrong", client_ip="203.0.113.5")
    assert not _signed_in(_login(Client(), "real@acme.test", PASSWORD, client_ip="198.51.100.7"))


def test_a_forged_header_from_outside_the_trusted_proxies_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    attacker = Client()
    for n in range(10):  # straight to the app, a new "client" in the header every time
        attacker.post("/accounts/login/", {"login": f"x{n}@acme.test", "password": "wrong"},
                      REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = attacker.post("/accounts/login/", {"login": "x@acme.test", "password": "wrong"},
                             REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert response.status_code == 429 or "Too many" in response.content.decode()


def test_an_attacker_failing_on_an_account_does_not_stop_its_owner(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    _user("real@acme.test")
    attacker = Client()
    for _ in range(8):
        _login(attacker, "real@acme.test", "wrong", client_ip="203.0.113.5")
    # The attacker's own address is slowed down for this account, even with the right password...
    blocked = _login(attacker, "real@acme.test", PASSWORD, client_ip="203.0.113.5")
    assert not _signed_in(blocked) and "Too many failed login attempts" in blocked.content.decode()
    # ...and the owner, from their own address, signs in at once.
    assert _signed_in(_login(Client(), "real@acme.test", PASSWORD, client_ip="198.51.100.7"))


def test_many_addresses_guessing_one_account_leave_its_owners_browser_and_email_unlock_open(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed_account": "6/h/key"}
    _user("real@acme.test")
    owners_browser = Client()
    assert _signed_in(_login(owners_browser, "real@acme.test", PASSWORD, client_ip="198.51.100.7"))
    assert KNOWN_DEVICE_COOKIE in owners_browser.cookies
    owners_browser.post("/accounts/logout/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")

    for n in range(6):  # a guesser spread over many addresses
        _login(Client(), "real@acme.test", "wrong", client_ip=f"203.0.113.{n + 10}")
    # A browser never used for this account is refused, even with the right password, and told why.
    stranger = _login(Client(), "real@acme.test", PASSWORD, client_ip="198.51.100.99")
    assert not _signed_in(stranger) and "reset your password" in stranger.content.decode()
    # The owner's browser (it signed in before) is not affected by failures elsewhere.
    assert _signed_in(_login(owners_browser, "real@acme.test", PASSWORD, client_ip="198.51.100.7"))
    # A forged or foreign cookie does not count as a known browser.
    forged = Client()
    forged.cookies[KNOWN_DEVICE_COOKIE] = "not-signed"
    assert not _signed_in(_login(forged, "real@acme.test", PASSWORD, client_ip="198.51.100.98"))

    # Unlock by email: a password reset clears the account's count for every address.
    Client().post("/accounts/password/reset/", {"email": "real@acme.test"}, REMOTE_ADDR=PROXY,
                  HTTP_X_FORWARDED_FOR="198.51.100.99")
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[-1].body).group(1)
    resetter = Client()
    form_page = resetter.get(link, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.99", follow=True)
    new_password = "Another-staple-battery-8"
    done = resetter.post(form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
                         {"password1": new_password, "password2": new_password},
                         REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert done.status_code == 302, done.content[:300]
    assert _signed_in(_login(Client(), "real@acme.test", new_password, client_ip="198.51.100.99"))


def _log_record_client_ip() -> str:
    record = logging.LogRecord("frontport.probe", logging.WARNING, __file__, 1, "probe", None, None)
    ClientIPLogFilter().filter(record)  # what the console handler's filter adds to every record
    return record.client_ip


def test_logs_and_audit_rows_carry_the_client_address(settings):
    user = _user("staff@frontport.test")
    captured = {}

    def view_probe(request):
        captured["log"] = _log_record_client_ip()
        captured["row"] = audit(actor=user, action="test.probe", target=user)
        captured["remote"] = request.META["REMOTE_ADDR"]
        return HttpResponse("ok")

    class ProbeUrls:
        urlpatterns = [path("probe/", view_probe), *urls.urlpatterns]

    settings.ROOT_URLCONF = ProbeUrls
    # Two proxies: the client is the second entry from the right; "1.2.3.4" was typed by the client.
    settings.TRUSTED_PROXY_COUNT = 2
    Client().get("/probe/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5, 10.0.0.1")
    assert captured["remote"] == "203.0.113.5"
    assert captured["log"] == "203.0.113.5"
    assert AuditLog.objects.get(pk=captured["row"].pk).details["client_ip"] == "203.0.113.5"
    assert _log_record_client_ip() == "-"  # outside a request


def test_the_client_address_is_parsed_never_copied():
    from django.test import RequestFactory

    from config.client_ip import resolve_client_ip

    factory = RequestFactory()
    with override_settings(TRUSTED_PROXY_COUNT=1):
        assert resolve_client_ip(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="<script>")) == PROXY
        assert resolve_client_ip(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="[2001:db8::1]:443")) == "2001:db8::1"
        assert resolve_client_ip(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5:5555")) == "203.0.113.5"
    with override_settings(TRUSTED_PROXY_COUNT=0):
        assert resolve_client_ip(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5")) == PROXY
