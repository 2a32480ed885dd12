from django.urls import path, re_path

from . import surveys, views

urlpatterns = [
    path("worker/", views.identity, name="worker-identity"),
    path("worker/identity", views.identity_set, name="worker-identity-set"),
    path("worker/hits", views.hit_groups, name="worker-hits"),
    path("worker/me", views.worker_me, name="worker-me"),
    path("worker/hits/<str:hit_id>", views.hit_preview_page, name="worker-hit-preview"),
    path("worker/hits/<str:hit_id>/accept", views.hit_accept_view, name="worker-hit-accept"),
    path(
        "worker/assignments/<str:assignment_id>",
        views.assignment_work,
        name="worker-assignment",
    ),
    path(
        "worker/assignments/<str:assignment_id>/return",
        views.assignment_return_view,
        name="worker-assignment-return",
    ),
    path("worker/qualifications", views.qualifications, name="worker-qualifications"),
    path(
        "worker/qualifications/test",
        views.qualification_test_submit,
        name="worker-qualification-test-submit",
    ),
    path(
        "worker/qualifications/<str:qualification_type_id>/request",
        views.qualification_request_view,
        name="worker-qualification-request",
    ),
    path(
        "worker/qualifications/<str:qualification_type_id>/test",
        views.qualification_test,
        name="worker-qualification-test",
    ),
    path("mturk/externalSubmit", views.external_submit, name="worker-external-submit"),
    # An HTMLQuestion's frame, with the MTurk parameters in its URL (mturkcontent.com's
    # /dynamic/hit on MTurk).
    path("dynamic/hit", views.html_question_frame, name="worker-html-question-frame"),
    path("mturk/uploads/<str:token>", views.uploaded_file, name="worker-uploaded-file"),
    re_path(r"^survey/new/?$", surveys.survey_new, name="survey-new"),
    re_path(r"^survey/(?P<key>[a-z0-9]{1,32})/?$", surveys.survey_take, name="survey-take"),
]
