from celery import shared_task

from apps.qualifications.groups import groups_grant_now
from apps.qualifications.guards import guards_grant_now


@shared_task
def groups_grant(assignment_ids: list[int]) -> None:
    groups_grant_now(assignment_ids)


@shared_task
def guards_grant(assignment_ids: list[int]) -> None:
    guards_grant_now(assignment_ids)
