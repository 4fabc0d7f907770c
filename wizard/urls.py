from django.urls import path

from wizard import views

app_name = "wizard"
urlpatterns = [
    path("migrations/", views.dashboard, name="dashboard"),
    path("migrations/new/", views.create_migration, name="create"),
]

# Sharing, access and data lifecycle (wizard/sharing_views.py, wizard/lifecycle_views.py)
from wizard import lifecycle_views, sharing_views  # noqa: E402

urlpatterns += [
    path("migrations/<int:pk>/sharing/", sharing_views.sharing, name="sharing"),
    path("migrations/<int:pk>/sharing/invite/", sharing_views.invite, name="share_invite"),
    path("migrations/<int:pk>/sharing/link/", sharing_views.create_link, name="share_link"),
    path("migrations/<int:pk>/sharing/<int:share_id>/revoke/", sharing_views.revoke, name="share_revoke"),
    path("migrations/<int:pk>/sharing/<int:share_id>/level/", sharing_views.change_level, name="share_level"),
    path("share/<str:token>/", sharing_views.accept, name="share_accept"),
    path("migrations/<int:pk>/data/delete/", lifecycle_views.delete_data, name="data_delete"),
]
