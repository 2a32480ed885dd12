"""Hostile strings from workers, CSV files and colleagues: shown as text on every page, exported
with spreadsheet formulas neutralised, refused with a clear message where MTurk would refuse
them, and never a 500."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid

import pytest
from django.utils.html import escape

from apps.audit.models import AuditEvent
from apps.hits.models import HIT, Assignment
from apps.mturk.sqs import QueueMessage
from apps.notifications.services import message_store
from apps.qualifications.models import QualificationType
from apps.sync.services import requester_sync
from tests.batches.conftest import TEMPLATE
from tests.helpers import create_hit, new_worker_id
from tests.security.corpus import (
    ALL,
    BY_NAME,
    COMBINED,
    FORMULAS,
    MARKUP,
    TEMPLATE_SYNTAX,
    assert_escaped,
    assert_neutralised,
)

pytestmark = pytest.mark.django_db(transaction=True)

# What a worker can type into a HIT form: XML 1.0 carries no NUL or C0 controls but tab and
# newlines, so MTurk's answer document cannot hold them either.
TYPEABLE = [h for h in ALL if h.name not in {"nul-byte", "control-characters"}]


def _field(name: str) -> str:
    return name.replace("-", "_")


def _page(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response.content.decode()


def _csv_cells(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body, newline="")))


def _all_neutralised(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert_neutralised(cell)


@pytest.fixture
def answered(local_account, account_mturk, emulator, alice, login):
    """One HIT with one submitted assignment whose every field holds a hostile string."""
    # A HIT made outside the dashboard: its texts are as untrusted as the answers.
    hit = create_hit(
        account_mturk,
        Title=BY_NAME["img-onerror"].value,
        Description=COMBINED[:1999],
        Keywords=BY_NAME["svg-onload"].value,
        RequesterAnnotation=BY_NAME["attribute-breakout"].value,
        MaxAssignments=2,
    )
    worker = new_worker_id()
    assignment_id = emulator.accept(worker, hit["HITId"])
    emulator.submit(assignment_id, answers={_field(h.name): h.value for h in TYPEABLE})
    requester_sync(requester=local_account)
    client = login(alice)
    client.post("/accounts/switch/", {"requester": local_account.pk})
    return {
        "client": client,
        "assignment": Assignment.objects.get(mturk_id=assignment_id),
        "hit": HIT.objects.get(mturk_id=hit["HITId"]),
        "worker": worker,
    }


def test_worker_answers_are_text_on_every_page_and_neutralised_in_every_export(answered):
    client, assignment = answered["client"], answered["assignment"]
    assert assignment.answers[_field("img-onerror")] == BY_NAME["img-onerror"].value
    assert len(assignment.answers[_field("very-long")]) == 100_000

    for url in ("/hits/", f"/hits/{answered['hit'].pk}/"):
        html = _page(client, url)
        assert_escaped(html, BY_NAME["img-onerror"].value)
        assert_escaped(html, COMBINED[:1999], shown=False)
        assert_escaped(html, BY_NAME["attribute-breakout"].value, shown=False)
    pages = {
        "review queue": _page(client, "/review/"),
        "review card (htmx)": _page(client, "/review/", HTTP_HX_REQUEST="true"),
        "HIT": _page(client, f"/hits/{answered['hit'].pk}/"),
        "worker": _page(client, f"/workers/{answered['worker']}/"),
    }
    for where, html in pages.items():
        for hostile in TYPEABLE:
            assert_escaped(html, hostile.value, shown=False)
        assert '<dl id="debug"' not in html, where
    # The queue shows the answers themselves, as text.
    for hostile in MARKUP + TEMPLATE_SYNTAX:
        assert escape(hostile.value) in pages["review queue"], hostile.name

    rows = _csv_cells(client, "/review/export.csv")
    _all_neutralised(rows)
    header, line = rows[0], rows[1]
    for hostile in FORMULAS:
        assert line[header.index(f"Answer.{_field(hostile.name)}")] == "'" + hostile.value
    assert line[header.index(f"Answer.{_field('img-onerror')}")] == BY_NAME["img-onerror"].value


def test_hostile_feedback_is_refused_where_mturk_would_and_shown_as_text_otherwise(answered):
    client, assignment = answered["client"], answered["assignment"]
    url = f"/review/{assignment.pk}/reject/"
    for bad, message in (
        (BY_NAME["control-characters"].value, "control characters"),
        (BY_NAME["nul-byte"].value, "Null characters are not allowed"),
        ("x" * 1025, "at most 1024"),
    ):
        response = client.post(url, {"feedback": bad}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert message in response.content.decode()
        assert Assignment.objects.get(pk=assignment.pk).status == "Submitted"

    feedback = BY_NAME["formula-hyperlink"].value + " " + BY_NAME["img-onerror"].value
    response = client.post(url, {"feedback": feedback}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert_escaped(response.content.decode(), feedback)
    assert Assignment.objects.get(pk=assignment.pk).status == "Rejected"

    assert_escaped(_page(client, "/audit/"), feedback, shown=False)
    assert_escaped(_page(client, "/review/?status=Rejected"), feedback)
    rows = _csv_cells(client, "/audit/export.csv")
    _all_neutralised(rows)
    # The audit's details column is JSON: the feedback is in it as a JSON string.
    in_json = json.dumps(feedback, ensure_ascii=False)[1:-1]
    assert any(in_json in cell for row in rows for cell in row)


def test_hostile_project_names_titles_and_templates(client, carol, account, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client.force_login(carol, backend="django.contrib.auth.backends.ModelBackend")
    client.post("/accounts/switch/", {"requester": account.pk})
    name = BY_NAME["img-onerror"].value[:60]
    data = {
        "name": name,
        "question_kind": "html",
        "template": TEMPLATE + BY_NAME["django-tag"].value + BY_NAME["django-variable"].value,
        "frame_height": "600",
        "title": BY_NAME["script-tag"].value,
        "description": COMBINED[:1900],
        "keywords": BY_NAME["svg-onload"].value,
        "reward": "0.10",
        "max_assignments": "1",
        "lifetime": "3600",
        "assignment_duration": "600",
        "auto_approval_delay": "86400",
        "annotation": BY_NAME["formula-hyperlink"].value[:200],
        **_empty_formset(client),
    }
    response = client.post("/batches/projects/new/", data)
    assert response.status_code == 302, (
        response.context["form"].errors,
        response.context["requirements"].errors,
        response.context["requirements"].non_form_errors(),
        data,
    )
    project_url = response["Location"]
    for url in ("/batches/projects/", project_url, f"{project_url}edit/"):
        html = _page(client, url)
        assert_escaped(html, name)
        assert_escaped(html, BY_NAME["script-tag"].value)

    for hostile in ALL:
        response = client.post(
            "/batches/projects/check/",
            {"template": f"<p>${{x}}</p>{hostile.value}", "question_kind": "html"},
        )
        assert response.status_code == 200, hostile.name
        assert_escaped(response.content.decode(), hostile.value, shown=False)


def _empty_formset(client) -> dict:
    """The management form of the project editor's requirement formset, as the page has it."""
    html = client.get("/batches/projects/new/").content.decode()
    import re

    fields = dict(
        re.findall(
            r'name="([\w-]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"[^>]*value="(\d+)"', html
        )
    )
    return {**fields, **{k: "0" for k in fields if k.endswith("TOTAL_FORMS")}}


def test_hostile_qualification_names_and_descriptions(local_account, emulator, carol, login):
    client = login(carol)
    client.post("/accounts/switch/", {"requester": local_account.pk})
    for hostile in (BY_NAME["img-onerror"], BY_NAME["svg-onload"], BY_NAME["rtl-override"]):
        response = client.post(
            "/qualifications/new/",
            {
                "name": f"{hostile.value} {uuid.uuid4().hex[:6]}",
                "description": COMBINED[:1900],
                "status": "Active",
            },
        )
        assert response.status_code in {200, 302}, hostile.name
    for bad in (BY_NAME["control-characters"], BY_NAME["nul-byte"], BY_NAME["very-long"]):
        before = QualificationType.objects.count()
        response = client.post(
            "/qualifications/new/", {"name": bad.value, "description": "d", "status": "Active"}
        )
        assert response.status_code == 200, bad.name
        assert QualificationType.objects.count() == before
        assert "errorlist" in response.content.decode() or "error" in response.content.decode()
    created = QualificationType.objects.filter(requester=local_account)
    assert created.count() == 3
    html = _page(client, "/qualifications/")
    for qtype in created:
        assert_escaped(html, qtype.name)
        detail = _page(client, f"/qualifications/{qtype.pk}/")
        assert_escaped(detail, qtype.name)
        assert_escaped(detail, qtype.description, shown=False)


def test_hostile_worker_messages(answered, emulator):
    client, worker = answered["client"], answered["worker"]
    customer = answered["assignment"].requester.access_key_id
    url = f"/workers/{worker}/message/"
    for bad in (BY_NAME["control-characters"].value, BY_NAME["nul-byte"].value, "x" * 5000):
        response = client.post(url, {"subject": "Hello", "text": bad}, follow=True)
        assert response.status_code == 200
        assert 'class="message error' in response.content.decode(), repr(bad[:20])
    assert emulator.notifications(customer) == []
    # MTurk lets a requester write only to workers whose work it has reviewed.
    client.post(f"/review/{answered['assignment'].pk}/approve/")
    subject = BY_NAME["script-tag"].value
    text = COMBINED
    response = client.post(url, {"subject": subject, "text": text}, follow=True)
    assert "Message sent." in response.content.decode(), response.content.decode().split(
        'id="messages"'
    )[1][:600]
    sent = emulator.notifications(customer)
    assert len(sent) == 1
    for page in (f"/workers/{worker}/", "/audit/"):
        html = _page(client, page)
        assert_escaped(html, subject, shown=False)
        assert_escaped(html, text, shown=False)
    _all_neutralised(_csv_cells(client, "/audit/export.csv"))


def test_a_hostile_notification_is_stored_and_shown_as_text(account, alice, login, settings):
    client = login(alice)
    sender = settings.NOTIFICATIONS_SENDER_IDS[0]
    hostile_doc = {
        "EventDocId": BY_NAME["script-tag"].value,
        "EventDocVersion": "2014-08-15",
        "Events": [
            {
                "EventType": BY_NAME["img-onerror"].value,
                "EventTimestamp": BY_NAME["svg-onload"].value,
                "HITTypeId": BY_NAME["attribute-breakout"].value,
                "HITId": BY_NAME["closing-textarea"].value,
                "AssignmentId": BY_NAME["iframe"].value,
            },
            "not an event",
        ],
    }
    bodies = [
        json.dumps(hostile_doc),
        BY_NAME["img-onerror"].value,
        json.dumps({"Type": "Notification", "Message": BY_NAME["svg-onload"].value}),
        BY_NAME["very-long"].value,
        # SQS carries no raw control characters, but JSON escapes decode to them.
        json.dumps({"EventDocId": "nul", "Events": [{"EventType": "Assignment\x00Submitted\x1b"}]}),
    ]
    for body in bodies:
        message_store(
            requester=account,
            message=QueueMessage(
                message_id=uuid.uuid4().hex, receipt_handle="r", body=body, sender_id=sender
            ),
        )
    from apps.notifications.models import NotificationEvent

    stored = NotificationEvent.objects.get(event_doc_id="nul")
    assert stored.event_type == "AssignmentSubmitted"
    html = _page(client, f"/accounts/{account.pk}/notifications/", HTTP_HX_REQUEST="true")
    for hostile in MARKUP:
        assert_escaped(html, hostile.value, shown=False)
    html = _page(client, f"/accounts/{account.pk}/")
    for hostile in MARKUP:
        assert_escaped(html, hostile.value, shown=False)


def _csv_bytes(rows: list[tuple[str, str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["image_url", "caption"])
    writer.writerows(rows)
    return out.getvalue().encode()


def _upload(client, project, body: bytes, name: str = "hostile"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("hostile.csv", body, content_type="text/csv")
    return client.post(
        f"/batches/projects/{project.pk}/upload/", {"name": name, "file": upload}, follow=True
    )


def test_hostile_csv_cells_are_text_in_previews_at_mturk_and_in_results(
    local_account, account_mturk, emulator, carol, login, settings, tmp_path
):
    from apps.batches import launch
    from apps.batches.models import Batch
    from tests.batches.conftest import make_project

    settings.VAR_DIR = tmp_path
    client = login(carol)
    client.post("/accounts/switch/", {"requester": local_account.pk})
    project = make_project(local_account, carol)
    hostile = [h for h in TYPEABLE if h.name != "very-long"]
    rows = [(BY_NAME["javascript-link"].value, h.value) for h in hostile]
    response = _upload(client, project, _csv_bytes(rows), name=BY_NAME["svg-onload"].value)
    assert response.status_code == 200
    batch = Batch.objects.get(project=project)
    assert batch.status == "validated", batch.report
    for url in ("/batches/", f"/batches/projects/{project.pk}/", "/review/"):
        assert_escaped(_page(client, url), batch.name, shown=url != "/review/")
    html = response.content.decode()
    for h in hostile:
        assert_escaped(html, h.value, shown=False)
    for index, h in enumerate(hostile):
        frame = _page(client, f"/batches/{batch.pk}/rows/{index}/preview/")
        assert_escaped(frame, h.value)

    membership = carol.memberships.get(requester=local_account)
    from apps.batches import services

    services.batch_launch(membership=membership, actor=carol, batch=batch)
    launch.batch_launch_run(batch.pk)
    batch.refresh_from_db()
    assert batch.status == "launched", batch.error
    questions = {
        row.index: account_mturk.get_hit(HITId=row.hit_mturk_id)["HIT"]["Question"]
        for row in batch.rows.all()
    }
    for index, h in enumerate(hostile):
        assert_escaped(questions[index], h.value, shown=False)

    for row in batch.rows.order_by("index"):
        assignment = emulator.accept(new_worker_id(), row.hit_mturk_id)
        emulator.submit(assignment, answers={"label": hostile[row.index].value})
    requester_sync(requester=local_account)
    cells = _csv_cells(client, f"/batches/{batch.pk}/results.csv")
    _all_neutralised(cells)
    header = cells[0]
    captions = [line[header.index("Input.caption")] for line in cells[1:]]
    for h in FORMULAS:
        assert "'" + h.value in captions, h.name
    jsonl = client.get(f"/batches/{batch.pk}/results.jsonl")
    lines = [json.loads(line) for line in b"".join(jsonl.streaming_content).splitlines()]
    assert {h.value for h in hostile} <= {
        v for line in lines for v in json.dumps(line, ensure_ascii=False) and _values(line)
    }
    html = _page(client, f"/batches/{batch.pk}/")
    for h in hostile:
        assert_escaped(html, h.value, shown=False)
    # Row values are never made into links on the dashboard's own pages.
    for url in (f"/batches/{batch.pk}/", "/review/", "/hits/"):
        html = _page(client, url)
        tags = re.findall(r"<[a-zA-Z][^<>]*>", html)
        assert not [t for t in tags if re.search(r"=[\"']?\s*javascript:", t, re.I)], url


def _values(data) -> set[str]:
    if isinstance(data, dict):
        return set().union(*(_values(v) for v in data.values())) if data else set()
    if isinstance(data, list):
        return set().union(*(_values(v) for v in data)) if data else set()
    return {data} if isinstance(data, str) else set()


@pytest.mark.parametrize(
    ("hostile", "message"),
    [
        ("control-characters", "control characters"),
        ("nul-byte", "control characters"),
        ("very-long", "65,535 bytes: row 2"),
        ("very-long-cell", "Row 2 cannot be read: a cell is longer than"),
    ],
)
def test_csv_cells_mturk_would_refuse_stop_the_batch_with_a_clear_error(
    account, carol, login, settings, tmp_path, hostile, message
):
    from apps.batches.models import Batch
    from tests.batches.conftest import make_project

    settings.VAR_DIR = tmp_path
    client = login(carol)
    client.post("/accounts/switch/", {"requester": account.pk})
    project = make_project(account, carol)
    value = (
        BY_NAME["very-long"].value * 2 if hostile == "very-long-cell" else BY_NAME[hostile].value
    )
    response = _upload(client, project, _csv_bytes([("https://example.org/a.png", value)]))
    assert response.status_code == 200
    assert not Batch.objects.filter(project=project).exists()  # a file with errors makes none
    html = response.content.decode()
    assert escape(message) in html and "row 2" in html.lower()
    assert_escaped(html, value, shown=False)


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example"],
)
def test_a_hostile_next_never_leads_off_the_site(objects, alice, login, target):
    client = login(alice)
    client.post("/accounts/switch/", {"requester": objects["account"].pk})
    a = objects["assignment"].pk
    for url, data in (
        (f"/review/{a}/reject/", {"feedback": "no", "next": target}),
        (f"/review/{a}/approve/", {"next": target}),
        ("/accounts/switch/", {"requester": objects["account"].pk, "next": target}),
    ):
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/") and not response["Location"].startswith(
            ("//", "/\\")
        ), (url, response["Location"])
    kept = client.post(f"/review/{a}/approve/", {"next": "/review/?status=Rejected"})
    assert kept["Location"] == "/review/?status=Rejected"


QUERY_PARAMETERS = [
    "page",
    "q",
    "status",
    "hit_type",
    "batch",
    "hit",
    "worker",
    "answer",
    "sort",
    "method",
    "format",
    "row",
    "refresh",
    "next",
    "submitted_from",
    "agreement_below",
    "soon",
    "action",
    "actor",
    "target",
    "environment",
]


HOSTILE_QUERY = ["img-onerror", "very-long", "nul-byte", "rtl-override", "formula-at"]


@pytest.mark.parametrize("shift", [0, 1])
def test_hostile_query_parameters_on_every_page(client, targets, alice, shift):
    """Every page, as a page and as an htmx fragment, with each query parameter the pages read
    set to a hostile value (a different one per parameter, shifted between the two runs)."""
    from urllib.parse import urlencode

    from tests.security.urlwalk import dashboard_routes

    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    client.post("/accounts/switch/", {"requester": targets["objects"]["account"].pk})
    query = urlencode(
        {
            name: BY_NAME[HOSTILE_QUERY[(n + shift) % len(HOSTILE_QUERY)]].value
            for n, name in enumerate(QUERY_PARAMETERS)
        }
    )
    problems = []
    for route in dashboard_routes():
        if route.methods is not None and "GET" not in route.methods:
            continue
        url = targets["url_of"](route.route, route.name) + "?" + query
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(url, **headers)
            if response.status_code >= 500:
                problems.append(f"{route.name}: {response.status_code}")
                continue
            if BY_NAME["img-onerror"].raw in _body_of(response):
                problems.append(f"{route.name}: the markup came back unescaped")
    assert not problems, "\n".join(problems)


def _body_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


FORM_FIELDS = [
    "name",
    "description",
    "title",
    "keywords",
    "annotation",
    "template",
    "question_kind",
    "feedback",
    "reason",
    "amount",
    "token",
    "subject",
    "text",
    "value",
    "worker_id",
    "workers",
    "username",
    "role",
    "kind",
    "hits",
    "seconds",
    "assignments",
    "decision",
    "status",
    "requester",
    "action",
    "ids",
    "scope",
    "mode",
    "days",
    "source",
    "qualification_type",
    "confirm_name",
    "expire",
    "block_reason",
    "test",
    "answer_key",
    "test_duration",
    "retry_delay",
    "endpoint_url",
    "environment",
    "credential_source",
    "frame_height",
    "reward",
    "max_assignments",
]
HOSTILE_FORM = ["img-onerror", "nul-byte", "very-long", "formula-hyperlink", "svg-onload"]


# Views whose answer is the posted template itself, rendered as a worker would see it.
SHOWS_THE_TEMPLATE = {"batches-project-draft-preview"}


def test_hostile_form_values_on_every_post_view(targets, alice, login):
    """Every view that takes a POST, as an admin, with every field it might read set to a
    hostile value: a message or a form error, never a 500, never the markup unescaped."""
    client = login(alice)
    client.post("/accounts/switch/", {"requester": targets["objects"]["account"].pk})
    data = {
        name: BY_NAME[HOSTILE_FORM[n % len(HOSTILE_FORM)]].value
        for n, name in enumerate(FORM_FIELDS)
    }
    problems = []
    for name, (url, _) in sorted(targets["urls"].items()):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.post(url, data, **headers)
            if response.status_code >= 500:
                problems.append(f"{name}: {response.status_code}")
                continue
            if name in SHOWS_THE_TEMPLATE:
                # The requester's own markup, as their workers would see it: in a frame that
                # may run no script and reach nothing.
                policy = response.get("Content-Security-Policy", "")
                if "script-src 'none'" not in policy or "sandbox" not in policy:
                    problems.append(f"{name}: the template's markup is shown unsandboxed")
            elif BY_NAME["img-onerror"].raw in _body_of(response):
                problems.append(f"{name}: the markup came back unescaped")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("hostile", ["img-onerror", "svg-onload", "rtl-override", "nul-byte"])
def test_a_hostile_worker_id_in_the_address(objects, alice, login, hostile):
    from urllib.parse import quote

    client = login(alice)
    client.post("/accounts/switch/", {"requester": objects["account"].pk})
    before = AuditEvent.objects.count()
    worker = quote(BY_NAME[hostile].value, safe="")
    for method, path, data in (
        ("get", "", None),
        ("post", "block/", {"reason": "r"}),
        ("post", "message/", {"subject": "s", "text": "t"}),
        ("post", "score/", {"qualification_type": str(objects["qtype"].pk), "value": "1"}),
    ):
        response = getattr(client, method)(f"/workers/{worker}/{path}", data, follow=True)
        assert response.status_code in {200, 404}, (path, response.status_code)
        assert_escaped(response.content.decode(), BY_NAME[hostile].value, shown=False)
    assert AuditEvent.objects.count() == before  # nothing was done for such a worker


def test_every_csv_the_product_writes_goes_through_the_neutralising_writer():
    """One rule everywhere: only mturkdash/exports.py writes CSV. (The batch's input file is
    handed back as it was uploaded: it is the requester's own file, not an export.)"""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    writers = [
        f"{path.relative_to(repo)}:{number}"
        for path in [*repo.glob("apps/**/*.py"), *repo.glob("mturkdash/**/*.py")]
        if "emulator" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"csv\.(writer|DictWriter)\(", line)
    ]
    assert len(writers) == 1 and writers[0].startswith("mturkdash/exports.py:"), writers
