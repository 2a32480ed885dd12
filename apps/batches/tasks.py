"""Celery tasks of batches: thin shells that take ids and call launch.py / actions.py.

A worker that starts queues again the work a dead worker may have left: CSV checks, launches
(still launching or cancelling), bulk actions not done, reads of resolved HITs. With the
file-system broker a SIGKILLed worker's prefetched tasks are gone; every one of these tasks is
idempotent (it only finishes what is left, each row exactly once).
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready

from apps.batches.actions import batch_action_run
from apps.batches.checking import batch_check
from apps.batches.launch import batch_chunk_run, batch_launch_run, batch_rows_read
from apps.batches.models import (
    ActionStatus,
    Batch,
    BatchAction,
    BatchRow,
    BatchStatus,
    RowStatus,
)
from apps.batches.waves import batch_waves_due

logger = logging.getLogger(__name__)


@shared_task(soft_time_limit=600, time_limit=660)
def batch_check_task(batch_id: int) -> None:
    batch_check(batch_id)


@shared_task(soft_time_limit=600, time_limit=660)
def batch_launch_task(batch_id: int) -> None:
    batch_launch_run(batch_id)


@shared_task(soft_time_limit=3000, time_limit=3300)
def batch_chunk_task(batch_id: int, first_index: int, last_index: int) -> None:
    batch_chunk_run(batch_id, first_index, last_index)


@shared_task(soft_time_limit=3000, time_limit=3300)
def batch_action_task(action_id: int) -> None:
    batch_action_run(action_id)


@shared_task(soft_time_limit=3000, time_limit=3300)
def batch_rows_read_task(batch_id: int) -> None:
    batch = Batch.objects.select_related("requester").filter(pk=batch_id).first()
    if batch is not None:
        batch_rows_read(batch)


@shared_task
def batches_resume_all() -> None:
    for batch_id in Batch.objects.filter(status=BatchStatus.CHECKING).values_list("pk", flat=True):
        batch_check_task.delay(batch_id)
    for batch_id in Batch.objects.filter(
        status__in=[BatchStatus.LAUNCHING, BatchStatus.CANCELLING]
    ).values_list("pk", flat=True):
        logger.info("resuming the launch of batch %s", batch_id)
        batch_launch_task.delay(batch_id)
    # Bulk actions carry on from the HITs they had not handled yet.
    for action_id in BatchAction.objects.exclude(status=ActionStatus.DONE).values_list(
        "pk", flat=True
    ):
        batch_action_task.delay(action_id)
    # Launches that ended before their resolved HITs were all read.
    unread = (
        BatchRow.objects.filter(
            status=RowStatus.CREATED,
            hit__isnull=True,
            batch__status__in=[BatchStatus.LAUNCHED, BatchStatus.CANCELLED],
        )
        .values_list("batch_id", flat=True)
        .distinct()
    )
    for batch_id in unread:
        batch_rows_read_task.delay(batch_id)


@worker_ready.connect
def _resume_on_start(sender=None, **kwargs) -> None:
    batches_resume_all.delay()


@shared_task(soft_time_limit=50, time_limit=55)
def batch_waves_task() -> None:
    """Every minute (beat): release the waves that are due, and relaunch any whose task was lost."""
    batch_waves_due()
