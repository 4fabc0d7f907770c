from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("migrations/<int:pk>/plan/", views.plan, name="plan"),
    path("migrations/<int:pk>/checkout/", views.checkout, name="checkout"),
    path("migrations/<int:pk>/payment/success/", views.success, name="success"),
    path("migrations/<int:pk>/payment/cancelled/", views.cancel, name="cancel"),
    path("migrations/<int:pk>/orders/", views.history, name="history"),
    path("migrations/<int:pk>/orders/<int:order_pk>/", views.receipt, name="receipt"),
    path("migrations/<int:pk>/orders/<int:order_pk>/status/", views.order_status, name="order_status"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
