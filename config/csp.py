"""Content-Security-Policy on every response, with a fresh nonce per request.

Scripts and styles load only from this site (htmx, Bootstrap and Chart.js are vendored under
static/vendor/); the few inline <script>/<style> blocks carry `nonce="{{ request.csp_nonce }}"`. Inline
event handlers (onclick=...) and style="..." attributes are not allowed: static/js/frontport.js wires
the behaviour (data-fp-* attributes) and htmx's indicator styles live in static/css/frontport.css
(htmx.config.includeIndicatorStyles is off). No eval: htmx.config.allowEval is off too.
`form-action` is left open on purpose: paying redirects a form post to the payment provider's page.
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest

HEADER = "Content-Security-Policy"


def policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy(request.csp_nonce)
        return response
