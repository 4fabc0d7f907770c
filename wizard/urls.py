from django.urls import path

from wizard import front_oauth, views, views_export, views_import, views_runs, views_setup

app_name = "wizard"
m = "migrations/<int:pk>/"
urlpatterns = [
    path("migrations/", views.dashboard, name="dashboard"),
    path("migrations/new/", views.create_migration, name="create"),
    path(m, views.open_migration, name="open"),
    path(m + "rename/", views.rename_migration, name="rename"),
    path(m + "connect/", views_setup.connect, name="connect"),
    path(m + "connect/test/<str:which>/", views_setup.connect_test, name="connect_test"),
    path(m + "connect/sandbox/", views_setup.connect_sandbox, name="connect_sandbox"),
    path(m + "connect/front-oauth/", front_oauth.start, name="front_oauth_start"),
    path("front/oauth/callback/", front_oauth.callback, name="front_oauth_callback"),
    path(m + "connect/upload/", views_import.connect_upload, name="connect_upload"),
    path(m + "connect/upload/status/", views_import.connect_upload_status, name="connect_upload_status"),
    path("imports/template.zip", views_import.import_template, name="import_template"),
    path("imports/format/", views_import.import_format, name="import_format"),
    path(m + "inbox/", views_setup.inbox, name="inbox"),
    path(m + "objects/", views_setup.objects, name="objects"),
    path(m + "teammates/", views_setup.teammates, name="teammates"),
    path(m + "tickets/", views_setup.tickets, name="tickets"),
    path(m + "options/", views_setup.options, name="options"),
    path(m + "demo/", views_runs.demo, name="demo"),
    path(m + "demo/action/", views_runs.demo_action, name="demo_action"),
    path(m + "runs/<int:run_id>/progress/", views_runs.progress_partial, name="progress"),
    path(m + "runs/<int:run_id>/series/", views_runs.progress_series, name="series"),
    path(m + "report/", views_runs.report, name="report"),
    path(m + "report.<str:fmt>", views_export.report_export, name="report_export"),
    path(m + "plan/", views_runs.plan, name="plan"),
    path(m + "full/", views_runs.full, name="full"),
    path(m + "full/action/", views_runs.full_action, name="full_action"),
    path(m + "checklist/<str:which>/", views_runs.checklist, name="checklist"),
]

# Sharing, access and data lifecycle (wizard/sharing_views.py, wizard/lifecycle_views.py)
from wizard import lifecycle_views, sharing_views  # noqa: E402

urlpatterns += [
    path("migrations/<int:pk>/sharing/", sharing_views.sharing, name="sharing"),
    path("migrations/<int:pk>/sharing/invite/", sharing_views.invite, name="share_invite"),
    path("migrations/<int:pk>/sharing/link/", sharing_views.create_link, name="share_link"),
    path("migrations/<int:pk>/sharing/<int:share_id>/revoke/", sharing_views.revoke, name="share_revoke"),
    path("migrations/<int:pk>/sharing/<int:share_id>/level/", sharing_views.change_level, name="share_level"),
    path("migrations/<int:pk>/leave/", sharing_views.leave, name="share_leave"),
    path("share/<str:token>/", sharing_views.accept, name="share_accept"),
    path("migrations/<int:pk>/data/delete/", lifecycle_views.delete_data, name="data_delete"),
]
