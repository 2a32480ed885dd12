from django.urls import path, register_converter

from apps.workers import views


class WorkerIdConverter:
    """A worker id as MTurk writes them (letters and digits, at most 64): anything else in the
    address answers 404 before a view or the database sees it."""

    regex = "[A-Za-z0-9]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(WorkerIdConverter, "worker")

urlpatterns = [
    path("workers/", views.worker_list, name="workers-list"),
    path("workers/export.csv", views.worker_export, name="workers-export"),
    path("workers/import/", views.worker_import, name="workers-import"),
    path("workers/updates/<int:pk>/", views.worker_update, name="workers-update"),
    # Before the worker pages: "message" would otherwise read as a worker id.
    path("workers/message/", views.workers_message_many, name="workers-message-many"),
    path("workers/messages/<int:pk>/", views.workers_message_result, name="workers-message-result"),
    path("workers/<worker:worker_id>/", views.worker_detail, name="workers-detail"),
    path("workers/<worker:worker_id>/block/", views.worker_block, name="workers-block"),
    path("workers/<worker:worker_id>/unblock/", views.worker_unblock, name="workers-unblock"),
    path("workers/<worker:worker_id>/message/", views.worker_message, name="workers-message"),
    path("workers/<worker:worker_id>/score/", views.worker_score, name="workers-score"),
    path(
        "workers/<worker:worker_id>/compensate/", views.worker_compensate, name="workers-compensate"
    ),
]
