"""A Content-Security-Policy header on every response, a fresh nonce each time, and no template that
needs 'unsafe-inline': no inline event handler, no style attribute, no <script>/<style> without the nonce."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.access.conftest import make_migration, make_user

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*["']""", re.IGNORECASE)
BARE_BLOCK = re.compile(r"<(script|style)(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*type=\"application/json\")[^>]*>",
                        re.IGNORECASE)


def _policy(response) -> str:
    return response["Content-Security-Policy"]


@pytest.mark.django_db
def test_every_kind_of_page_carries_the_policy():
    owner = make_user("o@acme.test")
    migration = make_migration(owner, "Acme")
    signed_in = Client()
    signed_in.force_login(owner)
    responses = [
        Client().get("/"),
        Client().get("/accounts/login/"),
        Client().get("/no-such-page/"),
        Client().get("/healthz"),
        Client().get("/static/css/frontport.css"),
        Client().get("/admin/login/"),
        signed_in.get("/migrations/"),
        signed_in.get(f"/migrations/{migration.pk}/sharing/"),
    ]
    for response in responses:
        policy = _policy(response)
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    nonces = {re.search(r"'nonce-([^']+)'", _policy(r)).group(1) for r in responses}
    assert len(nonces) == len(responses)  # a new nonce per response


@pytest.mark.django_db
def test_inline_scripts_carry_this_responses_nonce():
    owner = make_user("o@acme.test")
    migration = make_migration(owner, "Acme")
    client = Client()
    client.force_login(owner)
    response = client.get(f"/migrations/{migration.pk}/full/", follow=True)
    nonce = re.search(r"'nonce-([^']+)'", _policy(response)).group(1)
    scripts = re.findall(r"<script([^>]*)>", response.content.decode())
    inline = [attrs for attrs in scripts if "src=" not in attrs]
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)


def test_no_template_needs_unsafe_inline():
    offenders = []
    for directory in TEMPLATE_DIRS:
        for path in directory.rglob("*.html"):
            text = path.read_text()
            for pattern in (INLINE_HANDLER, STYLE_ATTRIBUTE, BARE_BLOCK):
                offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []
