"""The compose healthcheck (config/healthcheck.py) against a real server: healthy only on 200 + "ok",
with a Host the production settings accept; a redirect or a refused host is unhealthy."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from config.healthcheck import host_header, probe


class _Redirects(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(301)
        self.send_header("Location", "https://frontport.example.com/healthz")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_host_header_comes_from_allowed_hosts():
    assert host_header("frontport.example.com,www.example.com") == "frontport.example.com"
    assert host_header("*, .example.com") == "example.com"
    assert host_header("") == "localhost"


def test_a_redirect_is_unhealthy():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirects)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        healthy, seen = probe(f"http://127.0.0.1:{server.server_address[1]}/healthz", host="frontport.example.com")
    finally:
        server.shutdown()
    assert not healthy and seen == "HTTP 301"


@pytest.mark.django_db(transaction=True)
def test_production_hosts_and_https_redirect_still_get_the_real_answer(live_server, celery_worker_process):
    url = live_server.url + "/healthz"
    with override_settings(ALLOWED_HOSTS=["frontport.example.com"], SECURE_SSL_REDIRECT=True):
        healthy, seen = probe(url, host=host_header("frontport.example.com"))
        assert healthy, seen
        refused, seen = probe(url, host="attacker.example")
        assert not refused and seen == "HTTP 400"
