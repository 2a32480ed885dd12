import pytest

from apps.audit.models import AuditEvent
from apps.hits.models import HITType
from apps.notifications.services import EVENT_TYPES, hit_type_notifications_configure
from apps.sync.services import requester_sync
from tests.helpers import create_hit

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_hit_type_is_pointed_at_the_accounts_queue_for_every_event(
    queued_account, account_mturk, alice
):
    hit = create_hit(account_mturk)
    requester_sync(requester=queued_account)
    assert hit_type_notifications_configure(
        requester=queued_account, hit_type_id=hit["HITTypeId"], actor=alice
    )
    assert HITType.objects.get(mturk_id=hit["HITTypeId"]).notifications_configured_at is not None
    event = AuditEvent.objects.get(action="notifications.configure")
    assert event.details == {"destination": queued_account.sqs_queue_url}
    assert len(EVENT_TYPES) == 11


def test_without_a_queue_nothing_is_configured(local_account, account_mturk):
    hit = create_hit(account_mturk)
    assert not hit_type_notifications_configure(
        requester=local_account, hit_type_id=hit["HITTypeId"]
    )
