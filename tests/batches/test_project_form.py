"""The project editor: durations in days, hours and minutes; `${` that starts no placeholder
warned about with its line; an empty new form without errors; a live check that keeps up."""

from __future__ import annotations

import pytest

from apps.batches.forms import ProjectForm
from apps.batches.models import Project
from tests.batches.conftest import make_project

pytestmark = pytest.mark.django_db

POST = {
    "name": "Sentiment",
    "question_kind": "html",
    "template": "<p>${text}</p><form><input name='label'></form>",
    "frame_height": "0",
    "title": "Rate a sentence",
    "description": "Positive or negative?",
    "keywords": "text",
    "reward": "0.10",
    "max_assignments": "3",
    "lifetime": "3",
    "lifetime_unit": "days",
    "assignment_duration": "10",
    "assignment_duration_unit": "minutes",
    "auto_approval_delay": "2",
    "auto_approval_delay_unit": "hours",
    "annotation": "",
    "req-TOTAL_FORMS": "1",
    "req-INITIAL_FORMS": "0",
    "req-MIN_NUM_FORMS": "0",
    "req-MAX_NUM_FORMS": "10",
    "req-0-qualification_type": "",
}


def test_it_keeps_durations_entered_in_units_as_seconds(login, carol):
    response = login(carol).post("/batches/projects/new/", POST)

    assert response.status_code == 302, response.content.decode()[:2000]
    project = Project.objects.get(name="Sentiment")
    assert (project.lifetime, project.assignment_duration, project.auto_approval_delay) == (
        259_200,
        600,
        7_200,
    )


def test_the_edit_form_shows_seconds_back_in_the_largest_whole_unit(login, carol, project):
    Project.objects.filter(pk=project.pk).update(lifetime=259_200, assignment_duration=5_400)

    page = login(carol).get(f"/batches/projects/{project.pk}/edit/").content.decode()

    assert 'name="lifetime" value="3"' in page
    assert '<option value="days" selected>days</option>' in page.split('name="lifetime_unit"')[1]
    assert 'name="assignment_duration" value="90"' in page
    minutes = page.split('name="assignment_duration_unit"')[1].split("</select>")[0]
    assert '<option value="minutes" selected>' in minutes


def test_a_duration_out_of_range_is_refused_in_its_units(login, carol):
    post = dict(POST, auto_approval_delay="31", auto_approval_delay_unit="days")

    page = login(carol).post("/batches/projects/new/", post).content.decode()

    assert "31 days is out of range: between 0 seconds and 30 days." in page
    assert not Project.objects.exists()
    # nothing typed is lost: the form comes back with the values entered
    assert 'name="auto_approval_delay" value="31"' in page
    assert 'name="lifetime" value="3"' in page


def test_a_duration_that_is_no_number_is_refused(login, carol):
    post = dict(POST, lifetime="three", lifetime_unit="days")

    page = login(carol).post("/batches/projects/new/", post).content.decode()

    assert "Enter a whole number." in page
    assert not Project.objects.exists()


def test_a_plain_number_of_seconds_is_still_understood():
    data = {k: v for k, v in POST.items() if not k.endswith("_unit")}
    data.update(lifetime="86400", assignment_duration="600", auto_approval_delay="3600")
    form = ProjectForm(data=data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["lifetime"] == 86_400
    assert form.cleaned_data["auto_approval_delay"] == 3_600


def test_the_project_page_and_list_show_durations_in_words(login, victor, carol, account):
    make_project(account, carol, lifetime=259_200, assignment_duration=5_400)
    project = Project.objects.get()

    page = login(victor).get(f"/batches/projects/{project.pk}/").content.decode()
    listed = login(victor).get("/batches/projects/").content.decode()

    assert "<dt>Lifetime</dt><dd>3 days</dd>" in page
    assert "<dt>Time allotted</dt><dd>1 hour 30 minutes</dd>" in page
    assert "<dt>Auto-approval after</dt><dd>1 day</dd>" in page
    assert "259200" not in page
    assert "1 hour 30 minutes" in listed


def test_the_new_project_form_opens_without_an_error(login, carol):
    page = login(carol).get("/batches/projects/new/").content.decode()

    assert 'class="error"' not in page and "errorlist" not in page
    check = page.split('id="check"')[1].split("</div>")[0]
    assert "no form input" not in page and "none" in check
    # the defaults read as MTurk's site shows them
    assert 'name="lifetime" value="3"' in page


def test_the_live_check_of_an_empty_template_says_nothing_wrong(login, carol):
    fragment = login(carol).post(
        "/batches/projects/check/", {"template": "  ", "question_kind": "html"}
    )

    assert 'class="error"' not in fragment.content.decode()


def test_the_live_check_keeps_up_with_typing(login, carol):
    page = login(carol).get("/batches/projects/new/").content.decode()
    editor = page.split('id="id_template"')[1].split(">")[0]

    assert 'hx-trigger="keyup changed delay:300ms, change"' in editor
    assert 'hx-sync="this:replace"' in editor


@pytest.mark.parametrize(
    ("template", "warning"),
    [
        ("<input name=a>\n<p>${text</p>", "Line 2: ${text is not a placeholder"),
        ("<input name=a>\n\n<p>${}</p>", "Line 3: ${} names no column"),
        ("<input name=a>${ok} ${a|upper}", "Line 1: ${a|upper} is not a placeholder"),
    ],
)
def test_the_live_check_warns_about_a_broken_placeholder(login, carol, template, warning):
    fragment = login(carol).post(
        "/batches/projects/check/", {"template": template, "question_kind": "html"}
    )

    text = fragment.content.decode()
    assert f'<p class="warning">{warning}' in text


def test_a_broken_placeholder_is_warned_before_and_after_the_save(login, carol):
    post = dict(POST, template="<form><input name='label'>\n<p>${text</p></form>")
    client = login(carol)

    response = client.post("/batches/projects/new/", post, follow=True)

    project = Project.objects.get(name="Sentiment")
    page = response.content.decode()
    assert "Line 2: ${text is not a placeholder" in page
    edit = client.get(f"/batches/projects/{project.pk}/edit/").content.decode()
    assert "Line 2: ${text is not a placeholder" in edit


def test_a_hostile_template_is_escaped_in_the_warning(login, carol):
    fragment = login(carol).post(
        "/batches/projects/check/",
        {"template": "<input name=a>${<img/src=x/onerror=alert(1)>", "question_kind": "html"},
    )

    text = fragment.content.decode()
    assert "<img/src" not in text and "Line 1: ${ is not a placeholder" in text
