from django.urls import path

from apps.review.bonuses import views as bonuses
from apps.review.decisions import views as decisions
from apps.review.decisions.results import batch_results
from apps.review.quality import downloads as quality_downloads
from apps.review.quality import views as quality

urlpatterns = [
    path("review/", decisions.queue, name="review-queue"),
    path("review/<int:pk>/approve/", decisions.approve, name="review-approve"),
    path("review/<int:pk>/reject/", decisions.reject, name="review-reject"),
    path("review/<int:pk>/bonus/", bonuses.bonus, name="review-bonus"),
    path("review/<int:pk>/files/<path:identifier>", decisions.file_answer, name="review-file"),
    path("review/bulk/", decisions.bulk_start, name="review-bulk"),
    path("review/quality/", quality.quality, name="review-quality"),
    path("review/bonuses/upload/", bonuses.bonus_upload, name="review-bonus-upload"),
    path("review/bonuses/<int:pk>/", bonuses.bonus_batch_detail, name="review-bonus-batch"),
    path("review/bonuses/<int:pk>/pay/", bonuses.bonus_batch_pay, name="review-bonus-batch-pay"),
    path("review/export.csv", decisions.review_export, name="review-export"),
    path("review/import/", decisions.review_import, name="review-import"),
    path("review/jobs/<int:pk>/", decisions.job_detail, name="review-job"),
    path("review/jobs/<int:pk>/apply/", decisions.job_apply, name="review-job-apply"),
    path("review/jobs/<int:pk>/cancel/", decisions.job_cancel, name="review-job-cancel"),
    path("review/batches/<int:pk>/", quality.batch_review, name="review-batch"),
    path("review/batches/<int:pk>/rules/", quality.rule_create, name="review-rule-create"),
    path("review/rules/<int:pk>/toggle/", quality.rule_toggle, name="review-rule-toggle"),
    path(
        "review/batches/<int:pk>/rules/<int:rule_pk>/delete/",
        quality.rule_delete,
        name="review-rule-delete",
    ),
    path(
        "review/batches/<int:pk>/bonuses/",
        bonuses.batch_bonus_create,
        name="review-batch-bonus",
    ),
    path("review/batches/<int:pk>/topup/", bonuses.batch_topup, name="review-batch-topup"),
    path(
        "review/batches/<int:pk>/topup/pay/",
        bonuses.batch_topup_pay,
        name="review-batch-topup-pay",
    ),
    path("review/batches/<int:pk>/quality/", quality.batch_quality, name="review-batch-quality"),
    path(
        "review/batches/<int:pk>/aggregate.csv",
        quality_downloads.aggregate_csv,
        name="review-batch-aggregate-csv",
    ),
    path(
        "review/batches/<int:pk>/aggregate.jsonl",
        quality_downloads.aggregate_jsonl,
        name="review-batch-aggregate-jsonl",
    ),
    path("review/batches/<int:pk>/results/", batch_results, name="review-batch-results"),
    path(
        "review/batches/<int:pk>/redundancy/",
        quality.batch_redundancy,
        name="review-batch-redundancy",
    ),
    path(
        "review/batches/<int:pk>/redundancy/apply/",
        quality.redundancy_apply,
        name="review-redundancy-apply",
    ),
    path(
        "review/batches/<int:pk>/redundancy/rule/",
        quality.redundancy_rule_save,
        name="review-redundancy-rule",
    ),
    path(
        "review/batches/<int:pk>/redundancy/rule/toggle/",
        quality.redundancy_rule_toggle,
        name="review-redundancy-rule-toggle",
    ),
    path(
        "review/batches/<int:pk>/scores/",
        quality.score_update_create,
        name="review-score-update-create",
    ),
    path("review/scores/<int:pk>/", quality.score_update_detail, name="review-score-update"),
    path(
        "review/scores/<int:pk>/apply/",
        quality.score_update_apply,
        name="review-score-update-apply",
    ),
]
