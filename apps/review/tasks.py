from celery import shared_task

from apps.requesters.models import Requester
from apps.review import bulk, services


@shared_task
def bulk_review_chunk(job_id: int, start: int, end: int) -> None:
    bulk.bulk_review_run_chunk(job_id=job_id, start=start, end=end)


@shared_task
def bonuses_retry_pending_all() -> None:
    """Deliver bonuses left pending by a crash or an outage, with their stored tokens."""
    for requester in Requester.objects.all():
        services.bonuses_retry_pending(requester=requester)
