from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from apps.audit.models import AppendOnlyError, AuditEvent
from apps.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_events_are_append_only(alice, account):
    event = audit_record(
        actor=alice, requester=account, action="bonus.send", amount=Decimal("1.00")
    )
    event.action = "nothing"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(amount=Decimal("0"))
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "bonus.send"


def test_the_system_is_named_when_no_person_acted(account):
    assert audit_record(actor=None, requester=account, action="sync.run").actor_name == "system"


def test_a_person_sees_only_their_accounts_events(login, alice, charlie, account, other_account):
    audit_record(
        actor=alice, requester=account, action="hit.expire", target_type="hit", target_id="H1"
    )
    audit_record(
        actor=charlie,
        requester=other_account,
        action="hit.delete",
        target_type="hit",
        target_id="H2",
    )
    page = login(alice).get("/audit/").content.decode()
    assert "hit.expire" in page
    assert "hit.delete" not in page


def test_filters_narrow_the_list(login, alice, account):
    audit_record(
        actor=alice,
        requester=account,
        action="bonus.send",
        amount=Decimal("2.00"),
        fee=Decimal("0.40"),
    )
    audit_record(actor=alice, requester=account, action="hit.expire", target_id="HIT9")
    client = login(alice)
    page = client.get("/audit/", {"money_only": "on"}).content.decode()
    assert "bonus.send" in page and "hit.expire" not in page
    page = client.get("/audit/", {"target": "HIT9"}).content.decode()
    assert "hit.expire" in page and "bonus.send" not in page
    fragment = client.get("/audit/", {"action": "bonus"}, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="events">')


def test_the_csv_export_streams_every_matching_event_and_neutralises_formulas(
    login, alice, account
):
    audit_record(
        actor=alice,
        requester=account,
        action="bonus.send",
        target_id='=HYPERLINK("http://evil")',
        amount=Decimal("1.50"),
        fee=Decimal("0.30"),
        details={"reason": "+good work"},
    )
    response = login(alice).get("/audit/export.csv")
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["time", "account", "who", "action"]
    assert rows[1][2:4] == ["alice", "bonus.send"]
    assert rows[1][5] == '\'=HYPERLINK("http://evil")'
    assert rows[1][6:8] == ["1.50", "0.30"]


def test_the_page_escapes_what_it_shows(login, alice, account):
    audit_record(
        actor=alice, requester=account, action="note", details={"x": "<script>alert(1)</script>"}
    )
    page = login(alice).get("/audit/").content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page


def test_details_read_as_names_and_values(login, alice, account):
    audit_record(
        actor=alice,
        requester=account,
        action="bonus.send",
        details={"worker": "A1WORKER", "reason": "Careful work"},
    )
    page = login(alice).get("/audit/").content.decode()
    # PostgreSQL's jsonb keeps keys in its own order: check each pair, not their sequence.
    assert '<span class="muted">worker</span> A1WORKER' in page
    assert '<span class="muted">reason</span> Careful work' in page
    assert "{&#x27;worker&#x27;" not in page
