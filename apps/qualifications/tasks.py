from celery import shared_task

from apps.qualifications.groups import groups_grant_now


@shared_task
def groups_grant(assignment_ids: list[int]) -> None:
    groups_grant_now(assignment_ids)
