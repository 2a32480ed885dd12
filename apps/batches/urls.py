from django.urls import path

from apps.batches import views
from apps.batches.eligibility import views as eligibility
from apps.batches.pay import views as pay

urlpatterns = [
    path("batches/", views.batch_list, name="batches-list"),
    path("batches/projects/", views.project_list, name="batches-projects"),
    path("batches/projects/new/", views.project_edit, name="batches-project-new"),
    path("batches/projects/gallery/", views.gallery, name="batches-gallery"),
    path("batches/projects/gallery/<slug:slug>/", views.starter_detail, name="batches-starter"),
    path(
        "batches/projects/gallery/<slug:slug>/preview/",
        views.starter_preview,
        name="batches-starter-preview",
    ),
    path(
        "batches/projects/gallery/<slug:slug>/example.csv",
        views.starter_example_csv,
        name="batches-starter-csv",
    ),
    path("batches/projects/check/", views.project_check, name="batches-project-check"),
    path(
        "batches/projects/preview/",
        views.project_draft_preview,
        name="batches-project-draft-preview",
    ),
    path("batches/projects/<int:pk>/", views.project_detail, name="batches-project"),
    path("batches/projects/<int:pk>/edit/", views.project_edit, name="batches-project-edit"),
    path("batches/projects/<int:pk>/copy/", views.project_copy, name="batches-project-copy"),
    path(
        "batches/projects/<int:pk>/preview/", views.project_preview, name="batches-project-preview"
    ),
    path("batches/projects/<int:pk>/reward/", pay.project_reward, name="batches-project-reward"),
    path("batches/projects/<int:pk>/upload/", views.batch_upload, name="batches-upload"),
    path("batches/<int:pk>/", views.batch_detail, name="batches-detail"),
    path(
        "batches/<int:pk>/eligibility/",
        eligibility.batch_eligibility,
        name="batches-eligibility",
    ),
    path("batches/<int:pk>/progress/", views.batch_progress, name="batches-progress"),
    path(
        "batches/<int:pk>/rows/<int:index>/preview/", views.row_preview, name="batches-row-preview"
    ),
    path("batches/<int:pk>/launch/", views.batch_launch, name="batches-launch"),
    path("batches/<int:pk>/retry/", views.batch_retry, name="batches-retry"),
    path("batches/<int:pk>/cancel/", views.batch_cancel, name="batches-cancel"),
    path("batches/<int:pk>/resume/", views.batch_resume, name="batches-resume"),
    path("batches/<int:pk>/actions/", views.batch_action, name="batches-action"),
    path(
        "batches/<int:pk>/bonuses/refresh/",
        views.batch_bonuses_refresh,
        name="batches-bonuses-refresh",
    ),
    path("batches/<int:pk>/results.csv", views.results_csv, name="batches-results-csv"),
    path("batches/<int:pk>/results.jsonl", views.results_jsonl, name="batches-results-jsonl"),
    path("batches/<int:pk>/input.csv", views.input_csv, name="batches-input"),
    path("batches/<int:pk>/waves/", views.batch_waves, name="batches-waves"),
    path("batches/<int:pk>/waves/plan/", views.batch_waves_plan, name="batches-waves-plan"),
    path("batches/<int:pk>/waves/pause/", views.batch_waves_pause, name="batches-waves-pause"),
    path("batches/<int:pk>/waves/resume/", views.batch_waves_resume, name="batches-waves-resume"),
    path(
        "batches/<int:pk>/waves/release/", views.batch_waves_release, name="batches-waves-release"
    ),
    path("batches/<int:pk>/waves/cancel/", views.batch_waves_cancel, name="batches-waves-cancel"),
]
