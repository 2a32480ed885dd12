from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from mturkdash import views

urlpatterns = [
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("apps.requesters.urls")),
    path("", include("apps.audit.urls")),
    path("", include("apps.hits.urls")),
    path("", include("apps.batches.urls")),
    path("", include("apps.notifications.urls")),
    path("", include("apps.review.urls")),
    path("", include("apps.workers.urls")),
    path("", include("apps.qualifications.urls")),
    path("", include("apps.sync.urls")),
    path("", include("apps.studies.urls")),
]
