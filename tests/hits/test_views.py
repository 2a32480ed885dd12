from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.hits.models import HIT, SyncRun
from apps.requesters.models import Membership
from apps.sync.services import requester_sync
from tests.fixtures.celery import wait_for
from tests.helpers import create_hit, work

pytestmark = pytest.mark.django_db(transaction=True)

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def synced(local_account, account_mturk, emulator):
    dog = create_hit(
        account_mturk, Title="Find the dog", RequesterAnnotation="batch 7", MaxAssignments=2
    )
    create_hit(account_mturk, Title="Transcribe a receipt")
    assignment_id, _ = work(emulator, dog["HITId"], {"label": XSS})
    requester_sync(requester=local_account)
    return {"dog": HIT.objects.get(mturk_id=dog["HITId"]), "assignment_id": assignment_id}


def test_the_list_shows_the_accounts_hits_with_counters_and_filters(login, alice, synced):
    client = login(alice)
    page = client.get("/hits/").content.decode()
    assert "Find the dog" in page and "Transcribe a receipt" in page
    assert "1 / 2" in page  # completed of max
    filtered = client.get("/hits/", {"text": "batch 7"}, HTTP_HX_REQUEST="true").content.decode()
    assert filtered.lstrip().startswith('<section id="results">')
    assert "Find the dog" in filtered and "Transcribe a receipt" not in filtered
    by_status = client.get(
        "/hits/", {"status": "Reviewable"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Find the dog" not in by_status


def test_the_detail_shows_answers_escaped(login, alice, synced):
    page = login(alice).get(f"/hits/{synced['dog'].pk}/").content.decode()
    assert synced["assignment_id"] in page
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_another_accounts_hit_answers_404(login, charlie, synced):
    assert login(charlie).get(f"/hits/{synced['dog'].pk}/").status_code == 404


def test_the_list_is_of_the_current_account_only(login, alice, charlie, synced, other_account):
    Membership.objects.create(user=charlie, requester=synced["dog"].requester, role="viewer")
    client = login(charlie)
    client.post("/accounts/switch/", {"requester": other_account.pk})
    assert "Find the dog" not in client.get("/hits/").content.decode()


def test_sync_now_runs_in_a_real_worker_and_the_status_page_shows_calls(
    login, bob, local_account, account_mturk, celery_worker_process
):
    create_hit(account_mturk, Title="Appears after sync")
    client = login(bob)
    response = client.post("/sync/now/", {"full": "0"})
    assert response.status_code == 302
    wait_for(
        lambda: SyncRun.objects.filter(requester=local_account, ok=True).exists(),
        message="the sync",
    )
    assert HIT.objects.filter(requester=local_account, title="Appears after sync").exists()
    page = client.get("/sync/").content.decode()
    assert "ListHITs 1" in page


def test_the_sync_command_prints_changes_and_calls(local_account, account_mturk, capsys):
    create_hit(account_mturk)
    call_command("sync", "--requester", local_account.name)
    out = capsys.readouterr().out
    assert f"{local_account.name}: ok" in out
    assert "hits_listed 1" in out
    assert "ListHITs 1" in out
