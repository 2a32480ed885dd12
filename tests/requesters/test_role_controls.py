"""A person sees a button or link only for what their role on the account lets them do: the
account page, its notifications card, the Sync page and the qualification pages, for each role.
The server refuses all the same (tests/test_role_matrix.py); here is what the page offers."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.qualifications import services as qualification_services
from apps.qualifications.models import QualificationRequest, QualificationScore
from apps.requesters.models import Membership

pytestmark = pytest.mark.django_db

PERSONAS = ["victor", "bob", "carol", "alice"]  # viewer, reviewer, manager, admin
WORKER = "A1CONTROLWORKER"


@pytest.fixture
def personas(request, alice, bob, carol, victor):
    return {name: request.getfixturevalue(name) for name in PERSONAS}


def _page(login, user, url: str, **extra) -> str:
    response = login(user).get(url, **extra)
    assert response.status_code == 200, url
    return response.content.decode()


# The account page: editing is for admins, and so is the members' management.
ACCOUNT_ADMIN_CONTROLS = [
    "Edit account",
    "/members/add/",
    "/role/",
    "/remove/",
    ">Remove</button>",
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_account_page_offers_edit_and_members_to_admins_only(login, personas, account, persona):
    page = _page(login, personas[persona], f"/accounts/{account.pk}/")
    for control in ACCOUNT_ADMIN_CONTROLS:
        assert (control in page) is (persona == "alice"), f"{persona}: {control}"
    # Everyone may read the balance again.
    assert "Check now" in page


@pytest.fixture
def queued(local_account, sqs_queue):
    local_account.sqs_queue_url = sqs_queue
    local_account.save(update_fields=["sqs_queue_url"])
    return local_account


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_test_notification_is_offered_to_admins_only(login, personas, queued, persona):
    fragment = _page(
        login, personas[persona], f"/accounts/{queued.pk}/notifications/", HTTP_HX_REQUEST="true"
    )
    assert "Waiting in the queue" in fragment
    assert ("Send test notification" in fragment) is (persona == "alice"), persona


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_sync_page_offers_sync_to_reviewers_and_up(login, personas, persona, settings):
    settings.SYNC_INTERVAL_SECONDS = 5400
    page = _page(login, personas[persona], "/sync/")
    allowed = persona != "victor"
    assert ("Sync now" in page) is allowed and ("Full sync" in page) is allowed, persona
    assert "a reconciliation runs every 1 hour 30 minutes as the safety net" in page


def test_a_viewer_reads_the_sync_page_without_buttons_and_is_refused_a_sync(
    login, personas, account
):
    """Syncing writes what MTurk holds into the dashboard: reviewers and up start it."""
    viewer = login(personas["victor"])
    page = viewer.get("/sync/").content.decode()
    assert "Sync now" not in page and "Full sync" not in page
    assert 'action="/sync/now/"' not in page
    assert "No sync has run for this account yet." in page  # the page itself still reads
    assert viewer.post("/sync/now/", {"full": "0"}).status_code == 403
    page = _page(login, personas["bob"], "/sync/")
    assert "Sync now" in page


@pytest.fixture
def qualification_types(carol, local_account):
    membership = Membership.objects.select_related("requester").get(user=carol)
    plain = qualification_services.qualification_type_create(
        membership=membership,
        actor=carol,
        data={"name": "Careful labellers", "description": "d", "status": "Active"},
    )
    group = qualification_services.qualification_type_create(
        membership=membership,
        actor=carol,
        data={"name": "Done it before", "description": "d", "status": "Active"},
        group="exclude",
    )
    QualificationScore.objects.create(
        requester=local_account,
        qualification_type=plain,
        worker_id=WORKER,
        value=80,
        granted_at=timezone.now(),
    )
    QualificationRequest.objects.create(
        requester=local_account,
        mturk_id="R" * 30,
        qualification_type=plain,
        worker_id="A1REQUESTWORKER",
        submitted_at=timezone.now(),
    )
    return plain, group


# What managing qualifications looks like on the pages, by the URL each control posts to or
# opens, and by the words on its button.
LIST_CONTROLS = ["New qualification", "New exclusion group", "New inclusion list"]


def _detail_controls(qtype) -> list[str]:
    base = f"/qualifications/{qtype.pk}"
    controls = [
        f'href="{base}/edit/"',
        f'action="{base}/delete/"',
        "Delete this type",
        f'action="{base}/scores/"',
        ">Grant</button>",
        ">Revoke</button>",
        f'action="{base}/scores/upload/"',
        "Grant from CSV",
    ]
    if qtype.group:
        controls += [f'action="{base}/group/"']
    else:
        controls += [f'action="{base}/requests/', ">Accept</button>", ">Change</button>"]
    return controls


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_qualification_pages_offer_management_to_managers_and_admins(
    login, personas, qualification_types, persona
):
    manages = persona in {"carol", "alice"}
    user = personas[persona]
    page = _page(login, user, "/qualifications/")
    for control in LIST_CONTROLS:
        assert (control in page) is manages, f"{persona}: {control}"
    assert "Try requirements" in page  # nothing is saved there: open to every role
    for qtype in qualification_types:
        page = _page(login, user, f"/qualifications/{qtype.pk}/")
        assert qtype.name in page
        for control in _detail_controls(qtype):
            assert (control in page) is manages, f"{persona} on {qtype.name}: {control}"
        # Reading scores from MTurk is a sync, which reviewers and up may start.
        assert ("Read scores from MTurk" in page) is (persona != "victor"), persona
    # What the page lists stays visible to everyone.
    page = _page(login, user, f"/qualifications/{qualification_types[0].pk}/")
    assert WORKER in page and "A1REQUESTWORKER" in page


def test_the_score_refresh_follows_the_role_the_sync_requires(login, personas, qualification_types):
    plain, _ = qualification_types
    page = _page(login, personas["victor"], f"/qualifications/{plain.pk}/")
    assert "Read scores from MTurk" not in page
    page = _page(login, personas["bob"], f"/qualifications/{plain.pk}/")
    assert "Read scores from MTurk" in page


def test_the_navigation_links_only_to_pages_never_to_actions(login, personas):
    page = _page(login, personas["victor"], "/")
    nav = page.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    assert ">Accounts<" in nav and ">Audit<" in nav
    for action in ("/new/", "/upload/", "/import/", "New ", "Upload", "Add "):
        assert action not in nav, action
