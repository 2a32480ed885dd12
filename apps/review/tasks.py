from celery import shared_task
from celery.signals import worker_ready

from apps.requesters.models import Requester
from apps.review import bonus_csv, bulk, services


@shared_task
def bulk_review_chunk(job_id: int, start: int, end: int) -> None:
    bulk.bulk_review_run_chunk(job_id=job_id, start=start, end=end)


@shared_task
def bonuses_retry_pending_all() -> None:
    """Deliver bonuses left pending by a crash or an outage, with their stored tokens."""
    for requester in Requester.objects.all():
        services.bonuses_retry_pending(requester=requester)


@shared_task(soft_time_limit=3000, time_limit=3300)
def bonus_batch_pay(batch_id: int, user_id: int) -> None:
    from apps.requesters.models import Membership
    from apps.review.models import BonusBatch

    batch = BonusBatch.objects.get(pk=batch_id)
    membership = Membership.objects.select_related("requester", "user").get(
        user_id=user_id, requester=batch.requester
    )
    bonus_csv.bonus_batch_pay(membership=membership, actor=membership.user, batch=batch)


@shared_task
def bonus_batches_resume_all() -> None:
    """Pay what is left of bulk bonuses a dead worker was paying (each row still once)."""
    for batch_id, user_id in bonus_csv.bonus_batches_unfinished():
        bonus_batch_pay.delay(batch_id, user_id)


@worker_ready.connect
def _resume_bonus_batches_on_start(sender=None, **kwargs) -> None:
    # With the file-system broker a SIGKILLed worker's task is gone with it.
    bonus_batches_resume_all.delay()


@shared_task(soft_time_limit=3000, time_limit=3300)
def auto_review_rules_run() -> None:
    """Every enabled automatic review rule, once (beat: `review-auto-rules`); then the stored
    gold figures of batches whose work changed."""
    from apps.review import gold, rules

    rules.rules_run_all()
    gold.gold_refresh_stale()


@shared_task(soft_time_limit=3000, time_limit=3300)
def score_update_run_task(update_id: int) -> None:
    from apps.review import scores

    scores.score_update_run(update_id=update_id)
