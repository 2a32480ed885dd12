from django.urls import path

from apps.review import views

urlpatterns = [
    path("review/", views.queue, name="review-queue"),
    path("review/<int:pk>/approve/", views.approve, name="review-approve"),
    path("review/<int:pk>/reject/", views.reject, name="review-reject"),
    path("review/<int:pk>/bonus/", views.bonus, name="review-bonus"),
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
]
