from celery import shared_task

from apps.studies.services import studies_run_all


@shared_task
def studies_check_task() -> None:
    studies_run_all()
