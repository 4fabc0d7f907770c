from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from config import health
from config.admin_login import admin_login_redirect

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    # Before admin.site.urls: staff sign in through allauth (verification and rate limits apply).
    path("admin/login/", admin_login_redirect, name="admin_login_redirect"),
    path("admin/", admin.site.urls),
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("", include("wizard.urls")),
    path("staff/", include("staff.urls")),
]

if "billing" in settings.INSTALLED_APPS:
    urlpatterns.append(path("billing/", include("billing.urls")))

handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
