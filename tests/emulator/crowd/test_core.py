"""The core every crowd element rests on: crowd-form's taskAnswers, its refusal while a field
has a problem, native inputs beside crowd elements, and the notice for an undefined element."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_a_form_of_inputs_answers_with_one_task_answers_object(crowd_task):
    task = crowd_task(
        '<crowd-input name="note" label="Note" required></crowd-input>'
        '<crowd-checkbox name="sure">I am sure</crowd-checkbox>'
        '<crowd-checkbox name="flaws" value="blurry">Blurry</crowd-checkbox>'
        '<crowd-checkbox name="flaws" value="dim">Too dim</crowd-checkbox>'
        '<crowd-checkbox name="flaws" value="exposed" checked>Too bright</crowd-checkbox>'
        '<crowd-radio-group><crowd-radio-button name="yes" value="yes">Yes</crowd-radio-button>'
        '<crowd-radio-button name="no" value="no">No</crowd-radio-button></crowd-radio-group>'
        '<label>Native <input name="native" value=""></label>'
    )
    task.refused("Note is required.")
    task.frame.locator("crowd-input input").fill("a <b>note</b>")
    task.frame.locator("crowd-checkbox[name=sure] input").check()
    task.frame.locator("crowd-checkbox[value=blurry] input").check()
    task.frame.locator("crowd-checkbox[value=exposed] input").uncheck()
    task.frame.locator("crowd-radio-button[name=no] input").check()
    task.frame.locator("input[name=native]").fill("typed")
    task.submit()
    assert task.answer() == {
        "note": "a <b>note</b>",
        "sure": {"on": True},
        # boxes sharing a name answer as one object, a key per value (the reference's example)
        "flaws": {"blurry": True, "dim": False, "exposed": False},
        "yes": {"yes": False},
        "no": {"no": True},
        "native": "typed",
    }
    assert task.page.console_errors == []


def test_an_element_nobody_defined_shows_a_notice(crowd_task):
    task = crowd_task('<crowd-no-such-thing name="x"></crowd-no-such-thing>')
    notice = task.frame.locator(".crowd-unsupported")
    notice.wait_for()
    assert "crowd-no-such-thing" in notice.inner_text()


def test_inputs_take_the_references_length_limits(crowd_task):
    """crowd-input's `max-length` and `min-length`, as the reference spells them: the worker
    cannot type past the maximum, and a shorter text than the minimum is refused."""
    task = crowd_task(
        '<crowd-input name="code" label="Completion code" max-length="6" min-length="4" required>'
        "</crowd-input>"
    )
    field = task.frame.locator("crowd-input input")
    field.press_sequentially("ABCDEFGHIJ")
    assert field.input_value() == "ABCDEF"
    field.fill("")
    field.press_sequentially("AB")
    task.refused("Completion code:")
    field.fill("ABCD")
    task.submit()
    assert task.answer() == {"code": "ABCD"}
    assert task.page.console_errors == []
