"""Review's Celery tasks, thin: they load what their ids name and call a service.

Services that start one of these import it inside the function, after `transaction.on_commit`.
"""

from celery import shared_task
from celery.signals import worker_ready

from apps.requesters.models import Membership
from apps.review.bonuses import bulk as bonus_bulk
from apps.review.bonuses import services as bonus_services
from apps.review.decisions import bulk
from apps.review.models import BonusBatch
from apps.review.quality import gold, redundancy, rules, scores


@shared_task
def bulk_review_chunk_task(job_id: int, start: int, end: int) -> None:
    bulk.bulk_review_run_chunk(job_id=job_id, start=start, end=end)


@shared_task
def bonuses_retry_pending_task() -> None:
    """Deliver bonuses left pending by a crash or an outage, with their stored tokens (beat:
    `review-bonuses-retry`)."""
    bonus_services.bonuses_retry_pending_all()


@shared_task(soft_time_limit=3000, time_limit=3300)
def bonus_batch_pay_task(batch_id: int, user_id: int) -> None:
    batch = BonusBatch.objects.get(pk=batch_id)
    membership = Membership.objects.select_related("requester", "user").get(
        user_id=user_id, requester=batch.requester
    )
    bonus_bulk.bonus_batch_pay(membership=membership, actor=membership.user, batch=batch)


@shared_task
def bonus_batches_resume_task() -> None:
    """Pay what is left of bulk bonuses a dead worker was paying (each row still once)."""
    bonus_bulk.bonus_batches_resume()


@worker_ready.connect
def _resume_bonus_batches_on_start(sender=None, **kwargs) -> None:
    # With the file-system broker a SIGKILLed worker's task is gone with it.
    bonus_batches_resume_task.delay()


@shared_task(soft_time_limit=3000, time_limit=3300)
def auto_review_rules_task() -> None:
    """Every enabled automatic review rule, once (beat: `review-auto-rules`); then the stored
    gold figures of batches whose work changed."""
    rules.rules_run_all()
    gold.gold_refresh_stale()


@shared_task(soft_time_limit=3000, time_limit=3300)
def score_update_run_task(update_id: int) -> None:
    scores.score_update_run(update_id=update_id)


@shared_task(soft_time_limit=3000, time_limit=3300)
def redundancy_rules_task() -> None:
    """Every enabled adaptive-redundancy rule, once (beat: `review-redundancy`)."""
    redundancy.rules_run_all()
