from django.urls import path

from apps.notifications import views

urlpatterns = [
    path(
        "accounts/<int:pk>/notifications/", views.notification_status, name="notifications-status"
    ),
    path(
        "accounts/<int:pk>/notifications/test/", views.notification_test, name="notifications-test"
    ),
]
