import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from apps.mturk.errors import MTurkError
from apps.notifications import services
from apps.requesters.models import Requester

logger = logging.getLogger(__name__)


@shared_task
def notifications_poll_all() -> None:
    for requester_id in Requester.objects.exclude(sqs_queue_url="").values_list("pk", flat=True):
        notifications_poll.delay(requester_id)


@shared_task
def notifications_poll(requester_id: int) -> None:
    # One long poll per account at a time; a second one would only split the same messages.
    key = f"notifications-poll:{requester_id}"
    if not cache.add(key, "1", timeout=settings.NOTIFICATIONS_WAIT_SECONDS + 30):
        return
    try:
        requester = Requester.objects.get(pk=requester_id)
        result = services.notifications_poll(
            requester=requester, wait_seconds=settings.NOTIFICATIONS_WAIT_SECONDS
        )
        if result.received or result.failed:
            logger.info("notifications of %s: %s", requester.name, result)
    except MTurkError as exc:
        logger.warning("notifications of account %s not polled: %s", requester_id, exc)
    finally:
        cache.delete(key)
