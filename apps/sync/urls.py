from django.urls import path

from apps.sync import views

urlpatterns = [
    path("sync/", views.sync_status, name="sync-status"),
    path("sync/now/", views.sync_now, name="sync-now"),
]
