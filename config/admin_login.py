"""Staff sign in through the same allauth login as everyone (email verification and rate limits apply).

Django admin's own login form would skip both, so `/admin/login/` only redirects to allauth's login,
keeping where the admin wanted to send the user next.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def admin_login_redirect(request: HttpRequest) -> HttpResponseRedirect:
    next_url = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = reverse("admin:index")
    return HttpResponseRedirect(reverse("account_login") + "?" + urlencode({"next": next_url}))
