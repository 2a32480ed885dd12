from django.urls import path

from apps.requesters import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/switch/", views.switch, name="requesters-switch"),
    path("accounts/new/", views.create, name="requesters-create"),
    path("accounts/mturk-health/", views.mturk_health, name="requesters-mturk-health"),
    path("accounts/<int:pk>/", views.detail, name="requesters-detail"),
    path("accounts/<int:pk>/edit/", views.edit, name="requesters-edit"),
    path("accounts/<int:pk>/balance/", views.balance, name="requesters-balance"),
    path("accounts/<int:pk>/members/add/", views.member_add, name="requesters-member-add"),
    path(
        "accounts/<int:pk>/members/<int:member_pk>/role/",
        views.member_role,
        name="requesters-member-role",
    ),
    path(
        "accounts/<int:pk>/members/<int:member_pk>/remove/",
        views.member_remove,
        name="requesters-member-remove",
    ),
]
