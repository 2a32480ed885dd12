"""The template linter: each problem of an HTML template's markup found on its line, as an error
(the template cannot work) or a warning, in the editor's check and on save."""

from __future__ import annotations

import pytest

from apps.batches import templating
from apps.batches.lint import CROWD_ELEMENTS, lint_html
from apps.batches.models import Project, QuestionKind
from tests.batches.test_project_form import POST

CROWD_SCRIPT = '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>\n'


def lines(template: str) -> list[str]:
    return [str(finding) for finding in lint_html(template)]


def test_a_clean_template_has_no_findings():
    template = (
        '<form method="post">\n'
        '<img src="${image_url}" alt="The photo to describe">\n'
        '<input name="caption">\n'
        '<input type="submit" value="Submit">\n'
        "</form>"
    )
    assert lint_html(template) == []
    crowd = (
        CROWD_SCRIPT + '<crowd-form>\n<crowd-input name="note"></crowd-input>\n'
        '<crowd-radio-group><crowd-radio-button name="yes">Yes</crowd-radio-button>'
        "</crowd-radio-group>\n</crowd-form>"
    )
    assert lint_html(crowd) == []


def test_a_form_inside_a_form_is_an_error_on_its_line():
    template = (
        '<crowd-form>\n<p>Hi</p>\n<form><input name="x"><button>Go</button></form>\n</crowd-form>'
    )
    findings = lint_html(template)
    assert [(f.line, f.error) for f in findings] == [(3, True)]
    assert str(findings[0]) == (
        "Line 3: <form> inside the <crowd-form> of line 1: browsers drop a form inside a form, "
        "and the answers in it with it."
    )


def test_crowd_elements_that_answer_need_a_name():
    template = (
        CROWD_SCRIPT
        + '<crowd-form>\n<crowd-input label="Note"></crowd-input>\n'
        + (
            '<crowd-bounding-box src="x.png" labels="[\'a\']"></crowd-bounding-box>\n'
            "<crowd-alert>Not an answer</crowd-alert>\n</crowd-form>"
        )
    )
    assert lines(template) == [
        "Line 3: <crowd-input> has no name: its answer would not be saved.",
        "Line 4: <crowd-bounding-box> has no name: its answer would not be saved.",
    ]


def test_unknown_crowd_tags_are_named_once():
    template = (
        '<crowd-form>\n<crowd-hologram name="h"></crowd-hologram>\n'
        '<crowd-hologram name="i"></crowd-hologram>\n</crowd-form>'
    )
    assert lines(template) == [
        "Line 2: <crowd-hologram> is not a Crowd HTML Element: workers see nothing there."
    ]


def test_every_element_the_local_mturk_defines_is_known():
    """The linter and the crowd script agree on the 31 elements."""
    assert len(CROWD_ELEMENTS) == 31
    known = "\n".join(
        f'<{tag} name="n{i}"></{tag}>' for i, tag in enumerate(sorted(CROWD_ELEMENTS))
    )
    assert not [
        f for f in lint_html(f"<crowd-form>{known}</crowd-form>") if "not a Crowd" in f.message
    ]


def test_images_need_alt_text_and_forms_a_submit_button():
    template = '<form>\n<img src="${image_url}">\n<input name="caption">\n</form>'
    assert lines(template) == [
        'Line 1: this form has no submit button (an <input type="submit"> or a <button>): '
        "workers could not send their answer.",
        "Line 2: an image without alt text: workers using a screen reader, or whose image fails "
        "to load, are told nothing.",
    ]
    # an empty alt is a choice (a decorative image), and a plain <button> submits
    assert lint_html('<form><img src="x" alt=""><input name="a"><button>Send</button></form>') == []


def test_an_unclosed_form_is_still_checked_for_its_submit_button():
    assert [f.line for f in lint_html('<p>\n<form>\n<input name="a">')] == [2]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("<crowd-form><form></form></crowd-form>", "errors"),
        ("<crowd-form><crowd-input></crowd-input></crowd-form>", "warnings"),
    ],
)
def test_the_editors_check_files_each_finding_as_error_or_warning(template, expected):
    check = templating.check(CROWD_SCRIPT + template, kind=QuestionKind.HTML, frame_height=600)
    found = getattr(check, expected)
    assert any(text.startswith("Line 2:") for text in found), (check.errors, check.warnings)


@pytest.mark.django_db
def test_the_live_check_shows_findings_with_their_lines(login, carol):
    template = (
        CROWD_SCRIPT
        + '<crowd-form>\n<img src="${image_url}">\n<crowd-input></crowd-input>\n</crowd-form>'
    )
    fragment = login(carol).post(
        "/batches/projects/check/", {"template": template, "question_kind": "html"}
    )
    text = fragment.content.decode()
    assert '<p class="warning">Line 3: an image without alt text' in text
    assert '<p class="warning">Line 4: &lt;crowd-input&gt; has no name' in text


@pytest.mark.django_db
def test_a_nested_form_is_refused_on_save(login, carol):
    post = dict(
        POST,
        template="<crowd-form>\n<form><input name='a'><button>Go</button></form>\n</crowd-form>",
    )
    page = login(carol).post("/batches/projects/new/", post).content.decode()
    assert "Line 2: &lt;form&gt; inside the &lt;crowd-form&gt; of line 1" in page
    assert not Project.objects.filter(name=POST["name"]).exists()
