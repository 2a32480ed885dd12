"""The worker site in a real browser (Debian's headless Chromium through Playwright)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from .conftest import QUESTION_FORM_NS, create_hit, new_worker_id

pytestmark = pytest.mark.browser

PLAIN_FORM = """<!DOCTYPE html><html><head><title>Label</title></head><body>
<form id="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" id="assignmentId" name="assignmentId" value="">
<label>Caption <input type="text" name="caption"></label>
<label><input type="checkbox" name="tags" value="cute"> cute</label>
<label><input type="checkbox" name="tags" value="blurry"> blurry</label>
<input type="submit" id="submitButton" value="Submit"></form></body></html>"""

CROWD_FORM = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form answer-format="flatten-objects">
  <crowd-classifier name="category" categories="['Cat', 'Dog']" header="What is it?">
    <classification-target>A small animal that meows.</classification-target>
  </crowd-classifier>
  <crowd-input name="note" label="Note"></crowd-input>
  <crowd-hologram name="hologram"></crowd-hologram>
</crowd-form>"""

CONSTRAINED_FORM = (
    f'<QuestionForm xmlns="{QUESTION_FORM_NS}"><Overview><Title>Counting</Title></Overview>'
    "<Question><QuestionIdentifier>count</QuestionIdentifier><IsRequired>true</IsRequired>"
    "<QuestionContent><Text>How many cats?</Text></QuestionContent><AnswerSpecification>"
    '<FreeTextAnswer><Constraints><IsNumeric minValue="1" maxValue="10"/></Constraints>'
    "</FreeTextAnswer></AnswerSpecification></Question>"
    "<Question><QuestionIdentifier>color</QuestionIdentifier><IsRequired>true</IsRequired>"
    "<QuestionContent><Text>Which colour?</Text></QuestionContent><AnswerSpecification>"
    "<SelectionAnswer><StyleSuggestion>radiobutton</StyleSuggestion><Selections>"
    "<Selection><SelectionIdentifier>red</SelectionIdentifier><Text>Red</Text></Selection>"
    "<Selection><SelectionIdentifier>blue</SelectionIdentifier><Text>Blue</Text></Selection>"
    "</Selections></SelectionAnswer></AnswerSpecification></Question></QuestionForm>"
)

TEST_FORM = (
    f'<QuestionForm xmlns="{QUESTION_FORM_NS}"><Question><QuestionIdentifier>q1'
    "</QuestionIdentifier><QuestionContent><Text>2 + 2?</Text></QuestionContent>"
    "<AnswerSpecification><SelectionAnswer><Selections>"
    "<Selection><SelectionIdentifier>three</SelectionIdentifier><Text>3</Text></Selection>"
    "<Selection><SelectionIdentifier>four</SelectionIdentifier><Text>4</Text></Selection>"
    "</Selections></SelectionAnswer></AnswerSpecification></Question></QuestionForm>"
)
TEST_KEY = (
    '<AnswerKey xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
    '2005-10-01/AnswerKey.xsd"><Question><QuestionIdentifier>q1</QuestionIdentifier>'
    "<AnswerOption><SelectionIdentifier>four</SelectionIdentifier><AnswerScore>1</AnswerScore>"
    "</AnswerOption></Question><QualificationValueMapping><PercentageMapping>"
    "<MaximumSummedScore>1</MaximumSummedScore></PercentageMapping>"
    "</QualificationValueMapping></AnswerKey>"
)


def html_question(html: str) -> str:
    return (
        '<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
        f'2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[{html}]]></HTMLContent>'
        "<FrameHeight>450</FrameHeight></HTMLQuestion>"
    )


@pytest.fixture
def worker_page(browser, emulator_server) -> Iterator:
    """A page on the local MTurk, signed in as a brand-new worker."""
    context = browser.new_context(base_url=emulator_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    worker_id = new_worker_id()
    page.goto("/worker/")
    page.fill("input[name=worker_id]", worker_id)
    page.click("text=Work as this worker")
    page.worker_id = worker_id
    yield page
    context.close()


def accept_from_list(page, title: str) -> None:
    page.goto("/worker/hits")
    row = page.locator("tr", has_text=title)
    row.get_by_role("button", name="Accept & work").click()
    page.wait_for_url(re.compile(r"/worker/assignments/"))


def only_assignment(mturk, hit_id: str) -> dict:
    found = mturk.list_assignments_for_hit(HITId=hit_id)["Assignments"]
    assert len(found) == 1
    return found[0]


def test_a_worker_accepts_and_submits_a_plain_html_form(worker_page, mturk):
    hit = create_hit(mturk, Title="Caption a plain photo", Question=html_question(PLAIN_FORM))
    page = worker_page
    accept_from_list(page, "Caption a plain photo")
    assert page.locator("#timer").is_visible()
    frame = page.frame_locator("iframe.question")
    frame.locator("input[name=caption]").fill("a <cat> & a dog")
    frame.locator("input[value=cute]").check()
    frame.locator("input[value=blurry]").check()
    frame.locator("#submitButton").click()
    page.wait_for_url(re.compile(r"/worker/hits\?notice="))
    assert "submitted" in page.locator(".notice").inner_text()
    assignment = only_assignment(mturk, hit["HITId"])
    assert assignment["WorkerId"] == page.worker_id
    answer = assignment["Answer"]
    assert "<FreeText>a &lt;cat&gt; &amp; a dog</FreeText>" in answer
    assert answer.count("<QuestionIdentifier>tags</QuestionIdentifier>") == 2
    assert "assignmentId" not in answer


def test_the_frame_is_sandboxed_and_the_preview_cannot_submit(worker_page, mturk):
    hit = create_hit(mturk, Title="Preview only", Question=html_question(PLAIN_FORM))
    page = worker_page
    page.goto(f"/worker/hits/{hit['HITId']}")
    frame_element = page.locator("iframe.question")
    # Popups may open (a study's survey link), outside the sandbox; the frame keeps its own
    # opaque origin (no allow-same-origin), so the HIT's script cannot reach the site.
    assert frame_element.get_attribute("sandbox") == (
        "allow-forms allow-scripts allow-popups allow-popups-to-escape-sandbox"
    )
    assert "assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE" in frame_element.get_attribute("src")
    frame = page.frame_locator("iframe.question")
    frame.locator("input[name=caption]").fill("too early")
    frame.locator("#submitButton").click()
    frame.locator("text=accept the HIT before submitting").wait_for()
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["NumberOfAssignmentsPending"] == 0


def test_a_crowd_form_submits_task_answers_and_flags_unsupported_elements(worker_page, mturk):
    hit = create_hit(mturk, Title="Classify with crowd", Question=html_question(CROWD_FORM))
    page = worker_page
    accept_from_list(page, "Classify with crowd")
    frame = page.frame_locator("iframe.question")
    frame.locator(".crowd-unsupported").wait_for()
    assert "crowd-hologram" in frame.locator(".crowd-unsupported").inner_text()
    frame.locator("crowd-button button").click()  # nothing chosen yet: refused
    frame.locator(".crowd-form-problem", has_text="Choose a category").wait_for()
    frame.locator("label", has_text="Dog").locator("input").check()
    frame.locator("crowd-input input").fill("barks")
    frame.locator("crowd-button button").click()
    page.wait_for_url(re.compile(r"/worker/hits\?notice="))
    answer = only_assignment(mturk, hit["HITId"])["Answer"]
    assert "<QuestionIdentifier>taskAnswers</QuestionIdentifier>" in answer
    assert "&quot;category&quot;:{&quot;label&quot;:&quot;Dog&quot;}" in answer.replace(
        '"', "&quot;"
    )
    assert "barks" in answer


def test_a_question_form_refuses_an_answer_that_breaks_its_constraints(worker_page, mturk):
    hit = create_hit(mturk, Title="Count the cats", Question=CONSTRAINED_FORM)
    page = worker_page
    accept_from_list(page, "Count the cats")
    frame = page.frame_locator("iframe.question")
    frame.locator("input[name=count]").fill("42")
    frame.locator("input[value=blue]").check()
    frame.get_by_role("button", name="Submit").click()
    frame.locator(".problem", has_text="at most 10").wait_for()
    assert mturk.list_assignments_for_hit(HITId=hit["HITId"])["NumResults"] == 0
    frame.locator("input[name=count]").fill("3")
    frame.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/worker/hits\?notice="))
    answer = only_assignment(mturk, hit["HITId"])["Answer"]
    assert "<SelectionIdentifier>blue</SelectionIdentifier>" in answer
    assert "<FreeText>3</FreeText>" in answer


def test_a_qualification_test_is_graded_by_its_answer_key(worker_page, mturk):
    qtype = mturk.create_qualification_type(
        Name="Arithmetic (browser)",
        Description="Add two numbers",
        QualificationTypeStatus="Active",
        Test=TEST_FORM,
        AnswerKey=TEST_KEY,
        TestDurationInSeconds=300,
    )["QualificationType"]
    page = worker_page
    page.goto("/worker/qualifications")
    row = page.locator("tr", has_text="Arithmetic (browser)")
    row.get_by_role("button", name="Take the test").click()
    frame = page.frame_locator("iframe.question")
    frame.locator("input[value=four]").check()
    frame.get_by_role("button", name="Submit the test").click()
    page.wait_for_url(re.compile(r"/worker/qualifications\?notice="))
    assert "value 100" in page.locator(".notice").inner_text()
    score = mturk.get_qualification_score(
        QualificationTypeId=qtype["QualificationTypeId"], WorkerId=page.worker_id
    )["Qualification"]
    assert score["IntegerValue"] == 100


def test_a_worker_returns_a_hit_and_sees_it_in_their_history(worker_page, mturk):
    hit = create_hit(mturk, Title="Return me", Question=html_question(PLAIN_FORM))
    page = worker_page
    accept_from_list(page, "Return me")
    page.get_by_role("button", name="Return").click()
    page.wait_for_url(re.compile(r"/worker/hits"))
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["NumberOfAssignmentsAvailable"] == 1
    page.goto("/worker/me")
    assert page.locator("tr", has_text="Return me").locator("text=Returned").is_visible()


def test_groups_a_worker_may_not_discover_are_hidden(worker_page, mturk):
    qtype = mturk.create_qualification_type(
        Name="hidden-group", Description="x", QualificationTypeStatus="Active"
    )["QualificationType"]
    create_hit(
        mturk,
        Title="Secret group",
        QualificationRequirements=[
            {
                "QualificationTypeId": qtype["QualificationTypeId"],
                "Comparator": "Exists",
                "ActionsGuarded": "DiscoverPreviewAndAccept",
            }
        ],
    )
    create_hit(mturk, Title="Open group")
    page = worker_page
    page.goto("/worker/hits")
    assert page.locator("tr", has_text="Open group").is_visible()
    assert page.locator("tr", has_text="Secret group").count() == 0


def test_a_worker_finds_a_hit_by_search_works_it_and_sees_it_on_their_dashboard(worker_page, mturk):
    word = "zq" + new_worker_id().lower()[1:9]
    create_hit(
        mturk, Title=f"Short caption {word}", Reward="0.10", Question=html_question(PLAIN_FORM)
    )
    hit = create_hit(
        mturk, Title=f"Long caption {word}", Reward="0.90", Question=html_question(PLAIN_FORM)
    )
    page = worker_page
    page.goto("/worker/hits")
    page.get_by_label("Search").fill(word)
    page.get_by_label("Sort by").select_option(label="Reward: highest first")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"sort=reward"))
    titles = page.locator("table.groups tbody tr strong").all_inner_texts()
    assert titles == [f"Long caption {word}", f"Short caption {word}"]

    page.locator("tr", has_text="Long caption").get_by_role("link", name="Preview").click()
    assert page.get_by_text("Preview: accept the HIT to work on it.").is_visible()
    page.get_by_role("button", name="Accept").click()
    page.wait_for_url(re.compile(r"/worker/assignments/"))
    frame = page.frame_locator("iframe.question")
    frame.locator("input[name=caption]").fill("a long caption")
    frame.locator("#submitButton").click()
    page.wait_for_url(re.compile(r"/worker/hits\?notice="))

    page.get_by_test_id("worker-id").click()
    waiting = page.locator("[data-count=submitted]")
    assert waiting.inner_text().split() == ["1", "waiting", "for", "approval"]
    assert page.locator("[data-earnings=pending] strong").inner_text() == "$0.90"
    assert page.locator("tr[data-status=Submitted]", has_text=f"Long caption {word}").is_visible()
    assert only_assignment(mturk, hit["HITId"])["WorkerId"] == page.worker_id


def test_a_link_in_the_hit_opens_in_a_window_of_its_own(worker_page, mturk):
    """A study's survey link (`target="_blank"`) opens, and the page it opens is not sandboxed."""
    study = (
        '<p><a id="survey" href="/worker/" target="_blank" rel="noopener">Open the survey</a></p>'
        + PLAIN_FORM
    )
    create_hit(mturk, Title="A study with a link", Question=html_question(study))
    page = worker_page
    accept_from_list(page, "A study with a link")
    with page.expect_popup() as opened:
        page.frame_locator("iframe.question").locator("#survey").click()
    survey = opened.value
    survey.wait_for_load_state()
    assert survey.url.endswith("/worker/")
    # A sandboxed page has an opaque origin, where reading document.cookie throws.
    assert survey.evaluate("() => typeof document.cookie") == "string"


STUDY = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
<p id="seen"></p>
<p><a data-survey-link data-worker-param="workerId" data-assignment-param="assignmentId"
   href="SURVEY_URL" target="_blank" rel="noopener">Open the survey</a></p>
<crowd-input name="completion_code" data-completion-code label="Completion code" required>
</crowd-input>
</crowd-form>
<script>
(function () {
  var params = new URLSearchParams(location.search);
  var link = document.querySelector("a[data-survey-link]");
  var assignment = params.get("assignmentId");
  document.getElementById("seen").textContent = location.search;
  if (!assignment || assignment === "ASSIGNMENT_ID_NOT_AVAILABLE") { link.hidden = true; return; }
  var url = new URL(link.href);
  url.searchParams.set(link.dataset.workerParam, params.get("workerId"));
  url.searchParams.set(link.dataset.assignmentParam, assignment);
  link.href = url.toString();
})();
</script>"""


def test_a_worker_takes_a_studys_survey_and_types_its_code(worker_page, mturk, emulator):
    """The HIT's script reads the ids from its frame's location.search, as on MTurk: hidden in
    the preview, the survey link gets them once accepted; the survey's code goes back in."""
    survey = emulator.survey_create("hmac", secret="browser", title="Attention study")
    hit = create_hit(
        mturk,
        Title="An attention study",
        Question=html_question(STUDY.replace("SURVEY_URL", survey["Url"])),
    )
    page = worker_page
    page.goto(f"/worker/hits/{hit['HITId']}")
    frame = page.frame_locator("iframe.question")
    frame.locator("#seen", has_text="assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE").wait_for()
    assert frame.locator("a[data-survey-link]").is_hidden()
    page.get_by_role("button", name="Accept").click()
    page.wait_for_url(re.compile(r"/worker/assignments/"))
    assignment_id = page.url.rsplit("/", 1)[1]
    frame.locator("#seen", has_text=f"workerId={page.worker_id}").wait_for()
    seen = frame.locator("#seen").inner_text()
    assert f"assignmentId={assignment_id}" in seen and f"hitId={hit['HITId']}" in seen
    assert "turkSubmitTo=" in seen
    with page.expect_popup() as opened:
        frame.locator("a[data-survey-link]").click()
    survey_page = opened.value
    survey_page.wait_for_load_state()
    assert f"workerId={page.worker_id}" in survey_page.url
    survey_page.locator("input[name=clarity][value='4']").check()
    survey_page.locator("input[name=pet][value=Dogs]").check()
    survey_page.get_by_role("button", name="Finish the survey").click()
    code = survey_page.locator("#completion-code").inner_text()
    assert re.fullmatch(r"[0-9A-F]{10}", code)
    frame.locator("crowd-input input").fill(code)
    frame.locator("crowd-button button").click()
    page.wait_for_url(re.compile(r"/worker/hits\?notice="))
    answer = only_assignment(mturk, hit["HITId"])["Answer"]
    assert f"&quot;completion_code&quot;:&quot;{code}&quot;" in answer.replace('"', "&quot;")
    (response,) = emulator.survey(survey["SurveyId"])["Responses"]
    assert (response["WorkerId"], response["AssignmentId"], response["Code"]) == (
        page.worker_id,
        assignment_id,
        code,
    )
