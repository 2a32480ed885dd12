import logging

from celery import shared_task

from apps.requesters.models import Requester
from apps.sync.services import SyncBusy, requester_sync

logger = logging.getLogger(__name__)


@shared_task
def requesters_sync_all_task() -> None:
    for requester_id in Requester.objects.values_list("pk", flat=True):
        requester_sync_task.delay(requester_id)


@shared_task(soft_time_limit=3000, time_limit=3300)
def requester_sync_task(requester_id: int, full: bool = False) -> None:
    try:
        requester_sync(requester=Requester.objects.get(pk=requester_id), full=full)
    except SyncBusy as exc:
        logger.info("%s", exc)
