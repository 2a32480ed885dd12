"""Crowd HTML Elements in Chromium, as a worker meets them on the local MTurk's worker site.

`crowd_task(body)` makes a HIT whose question is `body` inside a crowd-form (with the crowd
script loaded as MTurk's templates load it), accepts it on the worker site as a new worker and
returns a `CrowdTask`: `frame` is the question's frame, `submit()` presses the form's Submit,
and `answer()` reads the stored answer back through GetAssignment, as the one taskAnswers
object. `png_data_url` draws test images without the internet; `Surface` addresses an
element's image in its own pixels (clicks, drags, keys).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from defusedxml.ElementTree import fromstring

from tests.emulator.conftest import create_hit, new_worker_id
from tests.emulator.png import png_data_url

pytestmark = pytest.mark.browser
__all__ = ["png_data_url"]  # the element tests draw their images with it

CROWD_SCRIPT = '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>'
ANSWERS_NS = "{http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd}"


def html_question(html: str, frame_height: int = 700) -> str:
    return (
        '<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
        f'2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[{html}]]></HTMLContent>'
        f"<FrameHeight>{frame_height}</FrameHeight></HTMLQuestion>"
    )


def task_answers(answer_xml: str) -> dict:
    """The taskAnswers object of a stored QuestionFormAnswers document."""
    root = fromstring(answer_xml)
    for answer in root.iter(f"{ANSWERS_NS}Answer"):
        if answer.findtext(f"{ANSWERS_NS}QuestionIdentifier") == "taskAnswers":
            data = json.loads(answer.findtext(f"{ANSWERS_NS}FreeText"))
            assert isinstance(data, list) and len(data) == 1, data
            return data[0]
    raise AssertionError(f"no taskAnswers in {answer_xml}")


@dataclass
class CrowdTask:
    page: object
    mturk: object
    hit_id: str
    worker_id: str

    @property
    def frame(self):
        return self.page.frame_locator("iframe.question")

    def submit(self) -> None:
        """Press the crowd-form's Submit and wait for the worker site to take the answer."""
        self.frame.locator("crowd-button[form-action=submit] button").last.click()
        self.page.wait_for_url(re.compile(r"/worker/hits\?notice="))

    def refused(self, problem: str) -> None:
        """Press Submit and see the form refuse with `problem`; nothing is stored."""
        self.frame.locator("crowd-button[form-action=submit] button").last.click()
        self.frame.locator(".crowd-form-problem", has_text=problem).wait_for()
        assert self.mturk.list_assignments_for_hit(HITId=self.hit_id)["NumResults"] == 0

    def answer(self) -> dict:
        found = self.mturk.list_assignments_for_hit(HITId=self.hit_id)["Assignments"]
        assert len(found) == 1, found
        stored = self.mturk.get_assignment(AssignmentId=found[0]["AssignmentId"])
        return task_answers(stored["Assignment"]["Answer"])


@pytest.fixture
def crowd_task(browser, emulator_server, mturk) -> Iterator[Callable[..., CrowdTask]]:
    contexts = []

    def make(
        body: str, *, title: str = "Crowd task", frame_height: int = 700, form: bool = True
    ) -> CrowdTask:
        """`form=False`: the body as it is, for a self-contained element."""
        html = (
            f"{CROWD_SCRIPT}\n<crowd-form>\n{body}\n</crowd-form>" if form else CROWD_SCRIPT + body
        )
        hit = create_hit(mturk, Title=title, Question=html_question(html, frame_height))
        context = browser.new_context(base_url=emulator_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.console_errors = []
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        worker_id = new_worker_id()
        page.goto("/worker/")
        page.fill("input[name=worker_id]", worker_id)
        page.click("text=Work as this worker")
        page.goto(f"/worker/hits/{hit['HITId']}")
        page.get_by_role("button", name=re.compile("Accept")).first.click()
        page.wait_for_url(re.compile(r"/worker/assignments/"))
        task = CrowdTask(page=page, mturk=mturk, hit_id=hit["HITId"], worker_id=worker_id)
        task.frame.locator("crowd-form").first.wait_for(state="attached")
        return task

    yield make
    for context in contexts:
        context.close()


class Surface:
    """The element's image, addressed in pixels of the image itself."""

    def __init__(
        self,
        task,
        element: str,
        image: str = ".crowd-annotate-stage img",
        ready: str = "svg[viewBox]",
    ):
        self.task = task
        self.element = task.frame.locator(element)
        self.image = self.element.locator(image)
        self.element.locator(ready).wait_for(state="attached")
        self.image.evaluate("img => img.complete || new Promise(done => img.onload = done)")
        self.image.scroll_into_view_if_needed()

    def at(self, x: int, y: int) -> tuple[float, float]:
        """Page coordinates of the middle of image pixel (x, y)."""
        self.image.scroll_into_view_if_needed()
        # The frame's own bounding_box() leaves out the iframe's border: add it here.
        frame = self.task.page.locator("iframe.question")
        border = frame.evaluate("el => [el.clientLeft, el.clientTop]")
        outer = frame.bounding_box()
        rect = self.image.evaluate(
            "img => { const r = img.getBoundingClientRect();"
            " return [r.left, r.top, r.width / img.naturalWidth, r.height / img.naturalHeight]; }"
        )
        return (
            outer["x"] + border[0] + rect[0] + (x + 0.5) * rect[2],
            outer["y"] + border[1] + rect[1] + (y + 0.5) * rect[3],
        )

    def click(self, x: int, y: int) -> None:
        self.task.page.mouse.click(*self.at(x, y))

    def drag(self, start: tuple[int, int], end: tuple[int, int]) -> None:
        mouse = self.task.page.mouse
        mouse.move(*self.at(*start))
        mouse.down()
        mouse.move(*self.at(*end), steps=5)
        mouse.up()

    def choose_label(self, label: str) -> None:
        self.element.locator(".crowd-annotate-labels").get_by_label(label, exact=True).check()

    def press(self, key: str) -> None:
        self.task.page.keyboard.press(key)
