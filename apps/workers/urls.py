from django.urls import path

from apps.workers import views

urlpatterns = [
    path("workers/", views.worker_list, name="workers-list"),
    path("workers/export.csv", views.worker_export, name="workers-export"),
    path("workers/import/", views.worker_import, name="workers-import"),
    path("workers/updates/<int:pk>/", views.worker_update, name="workers-update"),
    path("workers/<str:worker_id>/", views.worker_detail, name="workers-detail"),
    path("workers/<str:worker_id>/block/", views.worker_block, name="workers-block"),
    path("workers/<str:worker_id>/unblock/", views.worker_unblock, name="workers-unblock"),
    path("workers/<str:worker_id>/message/", views.worker_message, name="workers-message"),
    path("workers/<str:worker_id>/score/", views.worker_score, name="workers-score"),
    path("workers/<str:worker_id>/compensate/", views.worker_compensate, name="workers-compensate"),
]
