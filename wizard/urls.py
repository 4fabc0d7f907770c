from django.urls import path

from wizard import views

app_name = "wizard"
urlpatterns = [
    path("migrations/", views.dashboard, name="dashboard"),
    path("migrations/new/", views.create_migration, name="create"),
]
