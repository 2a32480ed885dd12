"""Every view that changes something, for every persona: anonymous is sent to sign in, an
outsider gets 404, a role below the action's gets 403, and the allowed roles get through (their
calls to an unreachable MTurk end in a message, never a 500)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.batches.models import Batch, Project
from apps.hits.models import HIT, Assignment, HITType
from apps.qualifications.models import QualificationRequest, QualificationType
from apps.review.models import (
    AutoReviewRule,
    BonusBatch,
    BulkReview,
    RedundancyRule,
    ScoreUpdate,
)
from apps.studies.models import Study
from apps.workers.models import Worker, WorkerUpdate
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ORDER = ["viewer", "reviewer", "manager", "admin"]
PERSONAS = {"viewer": "victor", "reviewer": "bob", "manager": "carol", "admin": "alice"}
WORKER = "AWORKER0000001"


@pytest.fixture
def objects(account, settings):
    settings.MTURK_MAX_ATTEMPTS = 1
    settings.MTURK_CONNECT_TIMEOUT = 0.2
    hit_type = HITType.objects.create(
        requester=account,
        mturk_id="T" * 30,
        title="t",
        reward=Decimal("0.10"),
        assignment_duration=60,
        auto_approval_delay=60,
    )
    hit = HIT.objects.create(
        requester=account,
        mturk_id="H" * 30,
        hit_type=hit_type,
        hit_type_mturk_id=hit_type.mturk_id,
        title="t",
        status="Assignable",
        reward=Decimal("0.10"),
    )
    assignment = Assignment.objects.create(
        requester=account,
        mturk_id="A" * 30,
        hit=hit,
        worker_id=WORKER,
        status="Submitted",
        submit_time=timezone.now(),
    )
    Worker.objects.create(requester=account, worker_id=WORKER, submitted=1)
    qtype = QualificationType.objects.create(requester=account, mturk_id="Q" * 30, name="q")
    qrequest = QualificationRequest.objects.create(
        requester=account, mturk_id="R" * 30, qualification_type=qtype, worker_id=WORKER
    )
    job = BulkReview.objects.create(
        requester=account,
        items=[{"id": assignment.pk, "action": "approve", "feedback": ""}],
        total=1,
        status="preview",
    )
    bonus_batch = BonusBatch.objects.create(requester=account)
    project = Project.objects.create(
        requester=account, name="p", template="x", title="t", description="d", reward=1
    )
    batch = Batch.objects.create(
        project=project, requester=account, name="b", hit_type_mturk_id=hit_type.mturk_id
    )
    update = WorkerUpdate.objects.create(requester=account)
    study = Study.objects.create(
        project=Project.objects.create(
            requester=account,
            name="s",
            template="x",
            title="t",
            description="d",
            reward=1,
            kind="study",
        ),
        survey_url="https://survey.example.org/",
        fixed_code="CODE",
    )
    rule = AutoReviewRule.objects.create(
        requester=account, batch=batch, kind="approve_after_days", days=3
    )
    RedundancyRule.objects.create(
        requester=account, batch=batch, threshold=0.7, extra=2, max_per_hit=7, cost_cap=1
    )
    score_update = ScoreUpdate.objects.create(
        requester=account,
        batch=batch,
        qualification_type=qtype,
        source="gold",
        changes=[{"worker_id": WORKER, "current": None, "value": 50}],
    )
    return {
        "account": account,
        "study": study,
        "assignment": assignment,
        "qtype": qtype,
        "qrequest": qrequest,
        "job": job,
        "bonus_batch": bonus_batch,
        "batch": batch,
        "project": project,
        "member": MembershipFactory(
            requester=account, user=UserFactory(username="mallory"), role="viewer"
        ),
        "rule": rule,
        "score_update": score_update,
        "update": update,
    }


def _csv(name="f.csv", body=b"WorkerId,Value\n"):
    return {"file": SimpleUploadedFile(name, body, content_type="text/csv")}


# (name, url, data, least role allowed)
def _actions(o):
    a, q = o["assignment"].pk, o["qtype"].pk
    acct = o["account"].pk
    return [
        ("account edit", f"/accounts/{acct}/edit/", {"name": "x"}, "admin"),
        (
            "member add",
            f"/accounts/{acct}/members/add/",
            {"username": "victor", "role": "viewer"},
            "admin",
        ),
        ("test notification", f"/accounts/{acct}/notifications/test/", {}, "admin"),
        ("sync now", "/sync/now/", {}, "reviewer"),
        ("approve", f"/review/{a}/approve/", {}, "reviewer"),
        ("reject", f"/review/{a}/reject/", {"feedback": "no"}, "reviewer"),
        ("bonus", f"/review/{a}/bonus/", {"amount": "0.10", "reason": "r"}, "reviewer"),
        ("bulk review", "/review/bulk/", {"action": "approve", "ids": [str(a)]}, "reviewer"),
        (
            "review upload",
            "/review/import/",
            _csv(body=b"AssignmentId,Approve,Reject\n"),
            "reviewer",
        ),
        ("review job apply", f"/review/jobs/{o['job'].pk}/apply/", {}, "reviewer"),
        ("review job cancel", f"/review/jobs/{o['job'].pk}/cancel/", {}, "reviewer"),
        (
            "bonus upload",
            "/review/bonuses/upload/",
            _csv(body=b"WorkerId,AssignmentId,Amount,Reason\n"),
            "reviewer",
        ),
        ("bonus batch pay", f"/review/bonuses/{o['bonus_batch'].pk}/pay/", {}, "reviewer"),
        ("batch bonuses refresh", f"/batches/{o['batch'].pk}/bonuses/refresh/", {}, "reviewer"),
        (
            "project reward",
            f"/batches/projects/{o['project'].pk}/reward/",
            {"expected": "9.99", "reward": "0.84"},
            "manager",
        ),
        ("top-up pay", f"/review/batches/{o['batch'].pk}/topup/pay/", {"rate": "12"}, "manager"),
        (
            "review rule add",
            f"/review/batches/{o['batch'].pk}/rules/",
            {"kind": "approve_after_days", "days": "2"},
            "manager",
        ),
        ("review rule toggle", f"/review/rules/{o['rule'].pk}/toggle/", {}, "manager"),
        (
            "review rule delete",
            f"/review/batches/{o['batch'].pk}/rules/{o['rule'].pk}/delete/",
            {},
            "manager",
        ),
        (
            "redundancy apply",
            f"/review/batches/{o['batch'].pk}/redundancy/apply/",
            {"threshold": "70", "extra": "2", "max_per_hit": "7", "expected_total": "0.00"},
            "manager",
        ),
        (
            "redundancy rule",
            f"/review/batches/{o['batch'].pk}/redundancy/rule/",
            {"threshold": "70", "extra": "2", "max_per_hit": "7", "cost_cap": "1.00"},
            "manager",
        ),
        (
            "redundancy rule toggle",
            f"/review/batches/{o['batch'].pk}/redundancy/rule/toggle/",
            {},
            "manager",
        ),
        (
            "batch bonus by rule",
            f"/review/batches/{o['batch'].pk}/bonuses/",
            {"mode": "per_approved", "amount": "0.10", "reason": "r"},
            "reviewer",
        ),
        (
            "scores from quality",
            f"/review/batches/{o['batch'].pk}/scores/",
            {"qualification_type": str(q), "source": "agreement"},
            "manager",
        ),
        (
            "scores from quality apply",
            f"/review/scores/{o['score_update'].pk}/apply/",
            {},
            "manager",
        ),
        ("block", f"/workers/{WORKER}/block/", {"reason": "r"}, "manager"),
        ("unblock", f"/workers/{WORKER}/unblock/", {}, "manager"),
        ("message", f"/workers/{WORKER}/message/", {"subject": "s", "text": "t"}, "manager"),
        (
            "message many",
            "/workers/message/",
            {"batch": str(o["batch"].pk), "worker_ids": WORKER, "subject": "s", "text": "t"},
            "manager",
        ),
        (
            "worker score",
            f"/workers/{WORKER}/score/",
            {"qualification_type": str(q), "value": "1"},
            "manager",
        ),
        ("compensate", f"/workers/{WORKER}/compensate/", {"amount": "1", "reason": "r"}, "manager"),
        ("worker upload", "/workers/import/", _csv(body=b"WorkerId\n"), "manager"),
        ("worker update apply", f"/workers/updates/{o['update'].pk}/", {}, "manager"),
        (
            "qualification create",
            "/qualifications/new/",
            {"name": "n", "description": "d", "status": "Active"},
            "manager",
        ),
        (
            "qualification edit",
            f"/qualifications/{q}/edit/",
            {"description": "d", "status": "Active"},
            "manager",
        ),
        ("qualification delete", f"/qualifications/{q}/delete/", {}, "manager"),
        (
            "qualification grant",
            f"/qualifications/{q}/scores/",
            {"worker_id": WORKER, "value": "1"},
            "manager",
        ),
        ("qualification upload", f"/qualifications/{q}/scores/upload/", _csv(), "manager"),
        ("qualification scores refresh", f"/qualifications/{q}/scores/refresh/", {}, "reviewer"),
        (
            "qualification request",
            f"/qualifications/{q}/requests/{o['qrequest'].pk}/",
            {"decision": "reject"},
            "manager",
        ),
        ("group add", f"/qualifications/{q}/group/", {"workers": WORKER}, "manager"),
        ("batch exclude", f"/qualifications/batches/{o['batch'].pk}/exclude/", {}, "manager"),
        (
            "member role",
            f"/accounts/{acct}/members/{o['member'].pk}/role/",
            {"role": "reviewer"},
            "admin",
        ),
        ("member remove", f"/accounts/{acct}/members/{o['member'].pk}/remove/", {}, "admin"),
        ("project new", "/batches/projects/new/", {"name": ""}, "manager"),
        ("project edit", f"/batches/projects/{o['project'].pk}/edit/", {"name": ""}, "manager"),
        ("project copy", f"/batches/projects/{o['project'].pk}/copy/", {"name": "c"}, "manager"),
        (
            "project draft preview",
            f"/batches/projects/preview/?project={o['project'].pk}",
            {"template": "<p>x</p>"},
            "manager",
        ),
        (
            "batch upload",
            f"/batches/projects/{o['project'].pk}/upload/",
            {"name": "b", **_csv()},
            "manager",
        ),
        ("batch launch", f"/batches/{o['batch'].pk}/launch/", {}, "manager"),
        ("batch retry", f"/batches/{o['batch'].pk}/retry/", {}, "manager"),
        ("batch resume", f"/batches/{o['batch'].pk}/resume/", {}, "manager"),
        ("batch action", f"/batches/{o['batch'].pk}/actions/", {"kind": "expire"}, "manager"),
        ("batch cancel", f"/batches/{o['batch'].pk}/cancel/", {}, "manager"),
        (
            "batch waves plan",
            f"/batches/{o['batch'].pk}/waves/plan/",
            {"size": "1", "done_percent": "50"},
            "manager",
        ),
        ("batch waves pause", f"/batches/{o['batch'].pk}/waves/pause/", {}, "manager"),
        ("batch waves resume", f"/batches/{o['batch'].pk}/waves/resume/", {}, "manager"),
        ("batch waves release", f"/batches/{o['batch'].pk}/waves/release/", {}, "manager"),
        ("batch waves cancel", f"/batches/{o['batch'].pk}/waves/cancel/", {}, "manager"),
        ("study new", "/studies/new/", {"name": ""}, "manager"),
        ("study edit", f"/studies/{o['study'].pk}/edit/", {"name": ""}, "manager"),
        (
            "study publish",
            f"/studies/{o['study'].pk}/publish/",
            {"participants": "9"},
            "manager",
        ),
        (
            "study auto approve",
            f"/studies/{o['study'].pk}/auto-approve/",
            {"enabled": "1"},
            "manager",
        ),
    ]


ACTION_NAMES = [
    "account edit",
    "member add",
    "test notification",
    "sync now",
    "approve",
    "reject",
    "bonus",
    "bulk review",
    "review upload",
    "review job apply",
    "review job cancel",
    "bonus upload",
    "bonus batch pay",
    "batch bonuses refresh",
    "project reward",
    "top-up pay",
    "review rule add",
    "review rule toggle",
    "review rule delete",
    "redundancy apply",
    "redundancy rule",
    "redundancy rule toggle",
    "batch bonus by rule",
    "scores from quality",
    "scores from quality apply",
    "block",
    "unblock",
    "message",
    "message many",
    "worker score",
    "compensate",
    "worker upload",
    "worker update apply",
    "qualification create",
    "qualification edit",
    "qualification delete",
    "qualification grant",
    "qualification upload",
    "qualification scores refresh",
    "qualification request",
    "group add",
    "batch exclude",
    "member role",
    "member remove",
    "project new",
    "project edit",
    "project copy",
    "project draft preview",
    "batch upload",
    "batch launch",
    "batch retry",
    "batch resume",
    "batch action",
    "batch cancel",
    "batch waves plan",
    "batch waves pause",
    "batch waves resume",
    "batch waves release",
    "batch waves cancel",
    "study new",
    "study edit",
    "study publish",
    "study auto approve",
]


@pytest.mark.parametrize("name", ACTION_NAMES)
def test_role_matrix(request, client, objects, alice, bob, carol, victor, charlie, name):
    (url, data, least) = next((u, d, r) for n, u, d, r in _actions(objects) if n == name)

    response = client.post(url, data)
    assert response.status_code == 302 and "/login/" in response["Location"], f"anonymous {name}"

    client.force_login(charlie, backend="django.contrib.auth.backends.ModelBackend")
    before = _footprint(objects["account"])
    status = client.post(url, _fresh(data)).status_code
    if name in SESSION_SCOPED:
        # acts on the outsider's own current account: ours must not change
        assert status in {200, 302}, f"outsider {name}: {status}"
    else:
        assert status == 404, f"outsider {name}: {status}"
    assert _footprint(objects["account"]) == before, f"outsider {name} changed the account"

    for role in ORDER:
        user = request.getfixturevalue(PERSONAS[role])
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        client.post("/accounts/switch/", {"requester": objects["account"].pk})
        status = client.post(url, _fresh(data)).status_code
        if ORDER.index(role) < ORDER.index(least):
            assert status == 403, f"{role} {name}: {status}"
        else:
            assert status in {200, 302}, f"{role} {name}: {status}"


# Pages that act on the person's current account (chosen in the switcher), not on an id in the URL.
SESSION_SCOPED = {
    "sync now",
    "bulk review",
    "review upload",
    "bonus upload",
    "worker upload",
    "qualification create",
    "project new",
    "study new",
} | {"block", "unblock", "message", "worker score", "compensate"}


def _footprint(account) -> tuple:
    from apps.audit.models import AuditEvent

    return (
        AuditEvent.objects.filter(requester=account).count(),
        BulkReview.objects.filter(requester=account).count(),
        BonusBatch.objects.filter(requester=account).count(),
        WorkerUpdate.objects.filter(requester=account).count(),
        AutoReviewRule.objects.filter(requester=account).count(),
        ScoreUpdate.objects.filter(requester=account).count(),
        QualificationType.objects.filter(requester=account).count(),
    )


def _fresh(data):
    """Uploaded files are consumed by a request; give each request its own."""
    if "file" in data:
        return {
            **data,
            "file": SimpleUploadedFile(
                data["file"].name, b"WorkerId,Value\n", content_type="text/csv"
            ),
        }
    return data
