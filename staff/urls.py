from django.urls import path

from staff import views

app_name = "staff"
urlpatterns = [
    path("", views.console, name="console"),
    path("audit/", views.audit_log, name="audit"),
    path("migrations/<int:pk>/", views.migration_detail, name="migration"),
    path("migrations/<int:pk>/extend/", views.extend, name="extend"),
    path("migrations/<int:pk>/purge/", views.purge, name="purge"),
    path("migrations/<int:pk>/retry-failed/", views.retry_failed, name="retry_failed"),
    path("runs/<int:run_id>/pause/", views.run_action, {"action": "pause"}, name="run_pause"),
    path("runs/<int:run_id>/resume/", views.run_action, {"action": "resume"}, name="run_resume"),
]
