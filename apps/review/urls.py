from django.urls import path

from apps.review import batch_views, views

urlpatterns = [
    path("review/", views.queue, name="review-queue"),
    path("review/<int:pk>/approve/", views.approve, name="review-approve"),
    path("review/<int:pk>/reject/", views.reject, name="review-reject"),
    path("review/<int:pk>/bonus/", views.bonus, name="review-bonus"),
    path("review/<int:pk>/files/<path:identifier>", views.file_answer, name="review-file"),
    path("review/bulk/", views.bulk_start, name="review-bulk"),
    path("review/quality/", views.quality, name="review-quality"),
    path("review/bonuses/upload/", views.bonus_upload, name="review-bonus-upload"),
    path("review/bonuses/<int:pk>/", views.bonus_batch_detail, name="review-bonus-batch"),
    path("review/bonuses/<int:pk>/pay/", views.bonus_batch_pay, name="review-bonus-batch-pay"),
    path("review/export.csv", views.review_export, name="review-export"),
    path("review/import/", views.review_import, name="review-import"),
    path("review/jobs/<int:pk>/", views.job_detail, name="review-job"),
    path("review/jobs/<int:pk>/apply/", views.job_apply, name="review-job-apply"),
    path("review/jobs/<int:pk>/cancel/", views.job_cancel, name="review-job-cancel"),
    path("review/batches/<int:pk>/", batch_views.batch_review, name="review-batch"),
    path("review/batches/<int:pk>/rules/", batch_views.rule_create, name="review-rule-create"),
    path("review/rules/<int:pk>/toggle/", batch_views.rule_toggle, name="review-rule-toggle"),
    path(
        "review/batches/<int:pk>/rules/<int:rule_pk>/delete/",
        batch_views.rule_delete,
        name="review-rule-delete",
    ),
    path(
        "review/batches/<int:pk>/bonuses/",
        batch_views.batch_bonus_create,
        name="review-batch-bonus",
    ),
    path(
        "review/batches/<int:pk>/quality/", batch_views.batch_quality, name="review-batch-quality"
    ),
    path(
        "review/batches/<int:pk>/scores/",
        batch_views.score_update_create,
        name="review-score-update-create",
    ),
    path("review/scores/<int:pk>/", batch_views.score_update_detail, name="review-score-update"),
    path(
        "review/scores/<int:pk>/apply/",
        batch_views.score_update_apply,
        name="review-score-update-apply",
    ),
]
