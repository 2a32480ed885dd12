"""Qualification pages: a type without requests and one with a worker's pending request (and a
retry delay, a duration), read by every role; its forms; the requirements builder."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from apps.qualifications import services as qualifications
from apps.qualifications.models import QualificationType
from apps.requesters.roles import Action, role_allows
from tests.pages.conftest import ROLES, check_refusal

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTER_WORKER = "APAGESREQUEST001"
GRANTED_WORKER = "APAGESGRANTED001"
APPROVAL_RATE = "000000000000000000L0"


@dataclass
class Types:
    quiet: QualificationType  # no request, one score granted
    asked: QualificationType  # a pending request, a retry delay of one day


@pytest.fixture
def types(lab) -> Types:
    manager, actor = lab.membership("manager"), lab.user("manager")
    for worker_id in (GRANTED_WORKER, REQUESTER_WORKER):
        lab.emulator.set_worker(worker_id)
    quiet = qualifications.qualification_type_create(
        membership=manager,
        actor=actor,
        data={"name": "Careful labeller", "description": "Labels with care.", "status": "Active"},
    )
    qualifications.worker_score_set(
        membership=manager,
        actor=actor,
        worker_id=GRANTED_WORKER,
        qualification_type=quiet,
        value=80,
    )
    asked = qualifications.qualification_type_create(
        membership=manager,
        actor=actor,
        data={
            "name": "Bird expert",
            "description": "Knows birds.",
            "status": "Active",
            "retry_delay": 86400,
        },
    )
    lab.emulator.request_qualification(REQUESTER_WORKER, asked.mturk_id)
    lab.sync()
    assert asked.requests.filter(status="Pending").count() == 1
    return Types(quiet=quiet, asked=asked)


def test_qualification_detail(lab, types, checks):
    for state, qtype in (("without requests", types.quiet), ("with a request", types.asked)):
        url = reverse("qualifications-detail", args=[qtype.pk])
        for role in ROLES:
            where = f"qualifications-detail [{state}] as {role}"
            page = lab.get(role, url, where=where)
            if not checks.that(page.status == 200, where, f"answers {page.status}"):
                continue
            checks.page(where, page, role)
            checks.that(qtype.name in page.heading(), where, "the heading names the type")
            may = role_allows(role, Action.QUALIFICATIONS)
            decide = page.posts_to("qualifications-request")
            if state == "with a request":
                checks.that(REQUESTER_WORKER in page.text, where, "the pending request is listed")
                if may:
                    checks.that(
                        decide and {"Accept", "Reject"} <= set(decide[0].button_texts),
                        where,
                        "a manager can accept or reject the request",
                    )
            else:
                checks.that(page.has_text("No pending request"), where, "says nobody asked for it")
                checks.that(GRANTED_WORKER in page.text, where, "the granted worker is listed")
                checks.that(not decide, where, "no request to decide")
            if may:
                checks.that(page.posts_to("qualifications-grant"), where, "a manager grants")
                checks.that(page.links_to("qualifications-edit"), where, "a manager edits it")
        where = f"qualifications-detail [{state}] as outsider"
        check_refusal(checks, where, lab.get("outsider", url, where=where), 404)
    checks.done()


def test_qualification_list(lab, types, checks):
    for role in ROLES:
        where = f"qualifications-list [one type asked for] as {role}"
        page = lab.get(role, reverse("qualifications-list"), where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.page(where, page, role)
        for qtype in (types.quiet, types.asked):
            checks.that(qtype.name in page.text, where, f"{qtype.name} is listed")
        if role_allows(role, Action.QUALIFICATIONS):
            checks.that(page.links_to("qualifications-create"), where, "a manager adds a type")
    page = lab.get("outsider", reverse("qualifications-list"), where="qualifications-list")
    checks.that(
        types.quiet.name not in page.text,
        "qualifications-list as outsider",
        "another account's types are not listed",
    )
    checks.done()


def test_qualification_forms(lab, types, checks):
    edit = reverse("qualifications-edit", args=[types.asked.pk])
    for role in ROLES:
        for name, url in (("qualifications-create", reverse("qualifications-create")),
                          ("qualifications-edit", edit)):  # fmt: skip
            where = f"{name} as {role}"
            page = lab.get(role, url, where=where)
            if role_allows(role, Action.QUALIFICATIONS):
                checks.that(page.status == 200, where, f"answers {page.status}")
                checks.page(where, page, role)
                checks.that(page.posts_to(name), where, "the form saves the type")
            else:
                check_refusal(checks, where, page, 403)
    check_refusal(checks, "qualifications-edit as outsider", lab.get("outsider", edit), 404)
    checks.done()


def test_requirements_builder(lab, types, checks):
    query = {
        "req-TOTAL_FORMS": "2",
        "req-INITIAL_FORMS": "0",
        "req-0-qualification_type": APPROVAL_RATE,
        "req-0-comparator": "GreaterThanOrEqualTo",
        "req-0-values": "95",
        "req-1-qualification_type": types.quiet.mturk_id,
        "req-1-comparator": "DoesNotExist",
    }
    for role in ROLES:
        where = f"qualifications-requirements [empty] as {role}"
        page = lab.get(role, reverse("qualifications-requirements"), where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.page(where, page, role)
        where = f"qualifications-requirements [approval rate, not Careful labeller] as {role}"
        page = lab.get(role, reverse("qualifications-requirements"), where=where, **query)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.page(where, page, role)
        checks.that(
            page.has_text("95%") and page.has_text("Careful labeller"),
            where,
            "who can work is said by name: the approval rate and the type's name",
        )
        for qid in (APPROVAL_RATE, types.quiet.mturk_id):
            checks.that(qid not in page.prose, where, f"the sentence shows no raw id {qid}")
    checks.done()
