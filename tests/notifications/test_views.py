import pytest

from apps.notifications.services import notifications_poll
from tests.helpers import create_hit
from tests.notifications.conftest import document

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_account_page_shows_queue_depth_and_last_events(
    login, alice, queued_account, account_mturk, deliver
):
    hit = create_hit(account_mturk)
    deliver(
        document({"EventType": "HITCreated", "HITId": hit["HITId"], "HITTypeId": hit["HITTypeId"]})
    )
    deliver(
        document({"EventType": "HITExpired", "HITId": hit["HITId"], "HITTypeId": hit["HITTypeId"]})
    )
    notifications_poll(requester=queued_account, wait_seconds=1, max_messages=1)
    fragment = (
        login(alice)
        .get(f"/accounts/{queued_account.pk}/notifications/", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "HITCreated" in fragment
    assert "1 waiting" in fragment or "0 waiting, 1 in flight" in fragment
    assert "Send test notification" in fragment


def test_only_an_admin_sends_a_test_notification(login, victor, queued_account):
    assert (
        login(victor).post(f"/accounts/{queued_account.pk}/notifications/test/").status_code == 403
    )
