import logging

from celery import shared_task

from apps.mturk.errors import MTurkError
from apps.requesters import services
from apps.requesters.models import Requester

logger = logging.getLogger(__name__)


@shared_task
def requesters_refresh_balances() -> None:
    """Keep every account's last known balance fresh for the account pages."""
    for requester in Requester.objects.all():
        try:
            services.requester_balance(requester=requester, refresh=True)
        except (MTurkError, services.CredentialsMissing) as exc:
            logger.warning("balance of %s not refreshed: %s", requester.name, exc)
