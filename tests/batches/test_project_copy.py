"""Copy project: into the same account or another of the same person's, with everything but
the name and the batches; custom qualification types stay in their own account."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.batches.models import Project
from apps.mturk.constants import (
    QUAL_LOCALE,
    QUAL_MASTERS_PRODUCTION,
    QUAL_MASTERS_SANDBOX,
    QUAL_PERCENT_APPROVED,
)
from apps.qualifications.models import QualificationType
from apps.requesters.models import Environment
from tests.batches.conftest import make_batch, make_project, rows_csv
from tests.factories import MembershipFactory, RequesterFactory

pytestmark = pytest.mark.django_db

SYSTEM = [
    {
        "QualificationTypeId": QUAL_PERCENT_APPROVED,
        "Comparator": "GreaterThanOrEqualTo",
        "IntegerValues": [95],
        "ActionsGuarded": "Accept",
    },
    {
        "QualificationTypeId": QUAL_LOCALE,
        "Comparator": "EqualTo",
        "LocaleValues": [{"Country": "US"}],
    },
]
COPIED = [
    "question_kind",
    "template",
    "frame_height",
    "title",
    "description",
    "keywords",
    "reward",
    "max_assignments",
    "lifetime",
    "assignment_duration",
    "auto_approval_delay",
    "qualification_requirements",
    "annotation",
    "gold_fields",
]


def _qtype(account, mturk_id: str, name: str) -> QualificationType:
    return QualificationType.objects.create(
        requester=account, mturk_id=mturk_id, name=name, description=name, status="Active"
    )


@pytest.fixture
def source(account, carol):
    own = _qtype(account, "3OWNTYPEAAAAAAAAAAAAAAAAAAAAA1", "Did study 1")
    project = make_project(
        account,
        carol,
        qualification_requirements=[
            *SYSTEM,
            {"QualificationTypeId": own.mturk_id, "Comparator": "DoesNotExist"},
        ],
        gold_fields={"label": "gold_label"},
        frame_height=450,
        lifetime=259_200,
    )
    make_batch(project, carol, rows_csv(2))
    return project


@pytest.fixture
def elsewhere(carol):
    """Another account where carol is a manager too."""
    other = RequesterFactory(name="Second lab")
    MembershipFactory(user=carol, requester=other, role="manager")
    return other


def test_the_copy_form_proposes_copy_of_and_this_account(login, carol, source, elsewhere):
    page = login(carol).get(f"/batches/projects/{source.pk}/copy/").content.decode()

    assert 'value="Copy of Label images"' in page
    assert f'<option value="{source.requester_id}" selected>Lab account (Local MTurk)' in page
    assert f'<option value="{elsewhere.pk}">Second lab' in page


def test_it_copies_everything_within_the_account_and_opens_the_edit_page(login, carol, source):
    response = login(carol).post(
        f"/batches/projects/{source.pk}/copy/",
        {"name": "Copy of Label images", "requester": source.requester_id},
    )

    copy = Project.objects.get(name="Copy of Label images")
    assert response.status_code == 302
    assert response["Location"] == f"/batches/projects/{copy.pk}/edit/"
    assert copy.pk != source.pk and copy.requester_id == source.requester_id
    for name in COPIED:
        assert getattr(copy, name) == getattr(source, name), name
    assert copy.created_by == carol and not copy.batches.exists()
    event = AuditEvent.objects.get(action="project.copy")
    assert (event.target_type, event.target_id) == ("project", str(copy.pk))
    assert event.details["from_project"] == source.pk and event.actor == carol


def test_the_name_can_be_changed_and_a_taken_name_is_refused(login, carol, source):
    client = login(carol)
    taken = client.post(
        f"/batches/projects/{source.pk}/copy/",
        {"name": "Label images", "requester": source.requester_id},
    )
    assert taken.status_code == 200
    assert "Lab account already has a project named Label images." in taken.content.decode()

    client.post(
        f"/batches/projects/{source.pk}/copy/",
        {"name": "Pilot 2", "requester": source.requester_id},
    )
    assert Project.objects.filter(name="Pilot 2").exists()
    again = client.get(f"/batches/projects/{source.pk}/copy/").content.decode()
    assert 'value="Copy of Label images"' in again
    client.post(
        f"/batches/projects/{source.pk}/copy/",
        {"name": "Copy of Label images", "requester": source.requester_id},
    )
    third = client.get(f"/batches/projects/{source.pk}/copy/").content.decode()
    assert 'value="Copy of Label images (2)"' in third


def test_a_custom_requirement_stops_a_copy_into_another_account(login, carol, source, elsewhere):
    page = login(carol).post(
        f"/batches/projects/{source.pk}/copy/",
        {"name": "Copy of Label images", "requester": elsewhere.pk},
    )

    text = page.content.decode()
    assert page.status_code == 200
    assert "Second lab cannot require qualification types of Lab account" in text
    assert "Did study 1 does not exist" in text
    assert "Copy without the requirements the other account cannot use" in text
    assert not Project.objects.filter(requester=elsewhere).exists()


def test_it_copies_into_another_account_without_them_when_asked(login, carol, source, elsewhere):
    client = login(carol)
    response = client.post(
        f"/batches/projects/{source.pk}/copy/",
        {"name": "Copy of Label images", "requester": elsewhere.pk, "drop_foreign": "on"},
        follow=True,
    )

    copy = Project.objects.get(requester=elsewhere)
    assert copy.qualification_requirements == SYSTEM
    assert copy.template == source.template and copy.gold_fields == source.gold_fields
    text = response.content.decode()
    assert "Left out, as Second lab cannot use another account&#x27;s qualification types" in text
    assert "Did study 1 does not exist" in text
    # the edit page of the copy, in its own account
    assert "Edit Copy of Label images" in text
    assert AuditEvent.objects.filter(action="project.copy", requester=elsewhere).exists()
    # the account switcher follows the copy into its account
    assert "Projects of Second lab" in client.get("/batches/projects/").content.decode()
    assert AuditEvent.objects.filter(action="project.copy.out", requester=source.requester).exists()


def test_the_targets_own_types_and_masters_carry_over(login, carol, account):
    production = RequesterFactory(name="Production lab", environment=Environment.PRODUCTION)
    MembershipFactory(user=carol, requester=production, role="admin")
    shared = _qtype(production, "3SHAREDAAAAAAAAAAAAAAAAAAAAA1", "Trained")
    project = make_project(
        account,
        carol,
        qualification_requirements=[
            {"QualificationTypeId": QUAL_MASTERS_SANDBOX, "Comparator": "Exists"},
            {"QualificationTypeId": shared.mturk_id, "Comparator": "Exists"},
        ],
    )

    login(carol).post(
        f"/batches/projects/{project.pk}/copy/",
        {"name": "In production", "requester": production.pk},
    )

    copy = Project.objects.get(requester=production)
    assert copy.qualification_requirements == [
        {"QualificationTypeId": QUAL_MASTERS_PRODUCTION, "Comparator": "Exists"},
        {"QualificationTypeId": shared.mturk_id, "Comparator": "Exists"},
    ]


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_a_viewer_or_reviewer_cannot_copy(login, source, role, elsewhere):
    person = MembershipFactory(requester=source.requester, role=role).user
    MembershipFactory(user=person, requester=elsewhere, role="manager")
    client = login(person)

    assert client.get(f"/batches/projects/{source.pk}/copy/").status_code == 403
    post = client.post(
        f"/batches/projects/{source.pk}/copy/", {"name": "Mine", "requester": elsewhere.pk}
    )
    assert post.status_code == 403
    page = client.get(f"/batches/projects/{source.pk}/").content.decode()
    assert "Copy project" not in page and ">Edit</a>" not in page
    assert "Upload and check" not in page
    assert Project.objects.count() == 1


def test_a_copy_into_an_account_the_person_is_not_in_is_404(login, carol, source, other_account):
    response = login(carol).post(
        f"/batches/projects/{source.pk}/copy/", {"name": "Theirs", "requester": other_account.pk}
    )

    assert response.status_code == 404
    assert not Project.objects.filter(requester=other_account).exists()


def test_a_copy_into_an_account_where_the_person_only_views_is_403(login, carol, source):
    watched = RequesterFactory(name="Watched lab")
    MembershipFactory(user=carol, requester=watched, role="viewer")

    response = login(carol).post(
        f"/batches/projects/{source.pk}/copy/", {"name": "Theirs", "requester": watched.pk}
    )

    assert response.status_code == 403
    assert not Project.objects.filter(requester=watched).exists()


def test_an_outsider_cannot_see_or_copy_the_project(login, charlie, source, other_account):
    client = login(charlie)

    assert client.get(f"/batches/projects/{source.pk}/copy/").status_code == 404
    response = client.post(
        f"/batches/projects/{source.pk}/copy/", {"name": "Stolen", "requester": other_account.pk}
    )
    assert response.status_code == 404
    assert not Project.objects.filter(requester=other_account).exists()


def test_hostile_input_is_refused_or_escaped(login, carol, source):
    client = login(carol)
    forged = client.post(
        f"/batches/projects/{source.pk}/copy/", {"name": "x", "requester": "1 OR 1=1"}
    )
    assert forged.status_code == 200 and "Enter a whole number." in forged.content.decode()

    client.post(
        f"/batches/projects/{source.pk}/copy/",
        {"name": "<script>alert(1)</script>", "requester": source.requester_id},
        follow=True,
    )
    copy = Project.objects.get(name="<script>alert(1)</script>")
    page = client.get(f"/batches/projects/{copy.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_project_page_offers_copy_to_managers(login, carol, source):
    page = login(carol).get(f"/batches/projects/{source.pk}/").content.decode()

    assert f'href="/batches/projects/{source.pk}/copy/">Copy project</a>' in page
