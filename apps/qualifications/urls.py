from django.urls import path

from apps.qualifications import views

urlpatterns = [
    path("qualifications/", views.type_list, name="qualifications-list"),
    path("qualifications/new/", views.type_create, name="qualifications-create"),
    path(
        "qualifications/requirements/",
        views.requirements_builder,
        name="qualifications-requirements",
    ),
    path("qualifications/test-check/", views.type_test_check, name="qualifications-test-check"),
    path(
        "qualifications/test-preview/<str:digest>/",
        views.type_test_preview,
        name="qualifications-test-preview",
    ),
    path("qualifications/<int:pk>/", views.type_detail, name="qualifications-detail"),
    path("qualifications/<int:pk>/edit/", views.type_edit, name="qualifications-edit"),
    path("qualifications/<int:pk>/delete/", views.type_delete, name="qualifications-delete"),
    path("qualifications/<int:pk>/scores/", views.score_grant, name="qualifications-grant"),
    path(
        "qualifications/<int:pk>/scores/upload/", views.scores_upload, name="qualifications-upload"
    ),
    path(
        "qualifications/<int:pk>/scores/refresh/",
        views.scores_refresh,
        name="qualifications-scores-refresh",
    ),
    path(
        "qualifications/<int:pk>/requests/<int:request_pk>/",
        views.request_decide,
        name="qualifications-request",
    ),
    path("qualifications/<int:pk>/group/", views.group_add, name="qualifications-group-add"),
    path(
        "qualifications/batches/<int:pk>/exclude/",
        views.batch_exclude,
        name="qualifications-batch-exclude",
    ),
]
