"""The type editor in a real browser: the test is drawn in its sandboxed frame as it is typed,
errors replace the frame when the XML breaks, with no inline script and no policy violation."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.qualifications.test_testxml import form, selection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Requester accounts")


def _type(page, text: str) -> None:
    editor = page.locator("#id_test")
    editor.fill(text)
    editor.press("End")  # a key goes up: the debounced check runs


def test_the_preview_follows_the_test_as_it_is_typed(page, carol, account):
    _sign_in(page, "carol")
    page.goto("/qualifications/new/")
    page.wait_for_selector("#test-check >> text=Type or paste a QuestionForm")

    _type(page, form(selection("colour")).replace("colour?", "Which colour is the sky?"))
    page.wait_for_selector("iframe.test-preview")
    frame = page.frame_locator("iframe.test-preview")
    assert frame.locator("text=Which colour is the sky?").count() == 1
    assert frame.locator("input[type=radio][name=colour]").count() == 3
    assert page.locator("iframe.test-preview").get_attribute("sandbox") == ""
    assert page.locator("#test-check >> text=A test needs a time limit").count() == 1

    _type(page, form(selection("colour")).replace("colour?", "Which colour is grass?"))
    frame.locator("text=Which colour is grass?").wait_for()

    _type(page, form(selection("colour"), selection("colour")))
    page.wait_for_selector("#test-check >> text=is used twice")
    assert page.locator("iframe.test-preview").count() == 0

    _type(page, "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><QuestionForm>&e;")
    page.wait_for_selector("#test-check >> text=declares a DTD or entities")

    page.fill("#id_test_duration", "10")
    page.select_option("#id_test_duration_unit", "minutes")
    _type(page, form(selection("colour")))
    page.wait_for_selector("iframe.test-preview")
    assert page.locator("#test-check >> text=A test needs a time limit").count() == 0
    assert page.console_errors == []
