"""Study pages: the list, the form, a study with codes judged (valid, invalid, a repeat), read by
every role; the form and its actions for managers only, 404 for another account."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.requesters.roles import Action, role_allows
from apps.studies import services
from tests.pages.conftest import ROLES, check_refusal

pytestmark = pytest.mark.django_db(transaction=True)


def _study(lab):
    study, _ = services.study_save(
        membership=lab.membership("manager"),
        actor=lab.user("manager"),
        data={
            "name": "Habits <b>study</b>",
            "title": "A survey about habits",
            "description": "Follow the link.",
            "survey_url": "https://survey.example.org/s/1",
            "worker_param": "workerId",
            "assignment_param": "assignmentId",
            "minutes": 5,
            "reward": "1.00",
            "code_mode": "fixed",
            "fixed_code": "K7Q2MX94",
            "excluded": [],
        },
    )
    return study


def test_study_pages(lab, checks):
    study = _study(lab)
    for role in ROLES:
        where = f"studies-list [one study] as {role}"
        page = lab.get(role, reverse("studies-list"), where=where)
        if checks.that(page.status == 200, where, f"answers {page.status}"):
            checks.page(where, page, role)
            checks.that(page.has_text("Habits <b>study</b>"), where, "the study, escaped")
            manager = role_allows(role, Action.LAUNCH)
            checks.that(
                bool(page.links_to("studies-new")) == manager, where, "New study for managers"
            )

        where = f"studies-detail [fixed code, not published] as {role}"
        page = lab.get(role, reverse("studies-detail", args=[study.pk]), where=where)
        if checks.that(page.status == 200, where, f"answers {page.status}"):
            checks.page(where, page, role)
            checks.that(page.has_text("Not published yet."), where, "no batch yet")
            checks.that(page.has_text("K7Q2MX94"), where, "the fixed code is said")
            checks.that(
                page.has_text("Took part: Habits <b>study</b>"), where, "its exclusion group"
            )
            checks.that(
                bool(page.posts_to("studies-publish")) == role_allows(role, Action.LAUNCH),
                where,
                "publishing for managers only",
            )

        where = f"studies-edit as {role}"
        page = lab.get(role, reverse("studies-edit", args=[study.pk]), where=where)
        if role_allows(role, Action.LAUNCH):
            checks.that(page.status == 200, where, f"answers {page.status}")
            checks.that(page.has_text("Survey URL"), where, "the form")
        else:
            check_refusal(checks, where, page, 403)

        where = f"studies-new as {role}"
        page = lab.get(role, reverse("studies-new"), where=where)
        if role_allows(role, Action.LAUNCH):
            checks.that(page.status == 200, where, f"answers {page.status}")
            checks.that(page.has_text("Save the study"), where, "the form")
        else:
            checks.that(page.status in (302, 403), where, f"answers {page.status}")
    for name in ("studies-detail", "studies-edit"):
        where = f"{name} as outsider"
        page = lab.get("outsider", reverse(name, args=[study.pk]), where=where)
        checks.that(page.status == 404, where, f"answers {page.status}, not 404")
    checks.done()
