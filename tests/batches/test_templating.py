from __future__ import annotations

from defusedxml import ElementTree as SafeET

from apps.batches import templating
from apps.batches.models import QuestionKind

NS = (
    "{http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd}"
)


def _html_content(question: str) -> str:
    return SafeET.fromstring(question.encode()).find(f"{NS}HTMLContent").text


def test_it_lists_variables_in_order_once_with_raw_ones_apart():
    template = "${a} ${ b } ${a} ${c|raw} <input>"
    assert templating.variables(template) == ["a", "b", "c"]
    assert templating.raw_variables(template) == ["c"]


def test_a_script_in_a_cell_arrives_as_text_in_an_html_question():
    question = templating.question(
        "<p>${text}</p><input name=x>",
        {"text": "<script>alert(1)</script> & ]]>"},
        kind=QuestionKind.HTML,
        frame_height=400,
    )
    content = _html_content(question)
    assert "<script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; ]]&gt;" in content
    assert "<FrameHeight>400</FrameHeight>" in question


def test_a_raw_placeholder_inserts_markup_even_with_a_cdata_end_in_it():
    question = templating.question(
        "<div>${html|raw}</div><input>", {"html": "<b>x</b> ]]> y"}, kind="html", frame_height=0
    )
    assert _html_content(question) == "<div><b>x</b> ]]> y</div><input>"


def test_questionform_values_are_xml_escaped():
    template = (
        '<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
        '2017-11-06/QuestionForm.xsd"><Question><QuestionIdentifier>q</QuestionIdentifier>'
        "<QuestionContent><Text>${text}</Text></QuestionContent><AnswerSpecification>"
        "<FreeTextAnswer/></AnswerSpecification></Question></QuestionForm>"
    )
    question = templating.question(
        template, {"text": 'a < b & "c"'}, kind=QuestionKind.QUESTIONFORM, frame_height=0
    )
    root = SafeET.fromstring(question.encode())
    assert root.find(".//{*}Text").text == 'a < b & "c"'
    assert templating.check(template, kind=QuestionKind.QUESTIONFORM, frame_height=0).ok
    broken = templating.check("<QuestionForm>${x}", kind=QuestionKind.QUESTIONFORM, frame_height=0)
    assert "not well-formed" in broken.errors[0]


def test_external_values_are_percent_encoded_in_the_query():
    question = templating.question(
        "https://example.org/task?item=${item}&n=1",
        {"item": "a b&c=<d>"},
        kind=QuestionKind.EXTERNAL,
        frame_height=600,
    )
    url = SafeET.fromstring(question.encode()).find(".//{*}ExternalURL").text
    assert url == "https://example.org/task?item=a%20b%26c%3D%3Cd%3E&n=1"
    check = templating.check("http://example.org/?q=${q}", kind="external", frame_height=0)
    assert check.errors == ["The external URL must be an https:// URL."]


def test_the_check_wants_a_form_input_or_a_crowd_form_and_warns_about_raw():
    assert not templating.check("<p>${x}</p>", kind="html", frame_height=0).ok
    assert templating.check("<crowd-form>${x}</crowd-form>", kind="html", frame_height=0).ok
    check = templating.check("<textarea>${x|raw}</textarea>", kind="html", frame_height=0)
    assert check.ok and check.variables == ["x"] and "without escaping: x" in check.warnings[0]
    big = templating.check("<input>" + "x" * 70000, kind="html", frame_height=0)
    assert "at most 65,535" in big.errors[0]


def test_the_size_calculator_agrees_with_the_built_question():
    template = "<p>${a} ${a} ${b|raw}</p><input>"
    for values in [{"a": "<&>é", "b": "]]>"}, {"a": "plain", "b": "<i>ü</i>"}, {}]:
        for kind in ("html", "questionform", "external"):
            calculator = templating.SizeCalculator(template, kind=kind, frame_height=10)
            built = templating.question(template, values, kind=kind, frame_height=10)
            assert calculator.size(values) == len(built.encode()), (kind, values)


def test_a_questionform_preview_is_drawn_as_html_with_values_as_text():
    from apps.batches.previews import worker_view

    template = (
        '<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
        '2017-11-06/QuestionForm.xsd"><Question><QuestionIdentifier>mood</QuestionIdentifier>'
        "<QuestionContent><Text>How does ${text} feel?</Text></QuestionContent>"
        "<AnswerSpecification><SelectionAnswer><Selections><Selection><SelectionIdentifier>pos"
        "</SelectionIdentifier><Text>Good</Text></Selection></Selections></SelectionAnswer>"
        "</AnswerSpecification></Question><Question><QuestionIdentifier>why"
        "</QuestionIdentifier><QuestionContent><Text>Why?</Text></QuestionContent>"
        "<AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question></QuestionForm>"
    )
    page = worker_view("questionform", template, {"text": "<script>x()</script>"})
    assert "<p>How does &lt;script&gt;x()&lt;/script&gt; feel?</p>" in page
    assert '<input type="radio" name="mood" value="pos"> Good' in page
    assert '<textarea name="why"' in page


def test_a_dollar_brace_that_starts_no_placeholder_is_warned_with_its_line():
    template = "<input name=a>\n<p>${text</p>\n${}\n${ok} ${a|upper} costs $5 {not this}"

    warnings = templating.check(template, kind=QuestionKind.HTML, frame_height=0).warnings

    assert [w.split(":", 1)[0] + ": " + w.split(": ", 1)[1].split(" ", 1)[0] for w in warnings] == [
        "Line 2: ${text",
        "Line 3: ${}",
        "Line 4: ${a|upper}",
    ]
    assert "reaches workers as typed" in warnings[0]


def test_well_formed_placeholders_give_no_such_warning():
    template = "<input name=a>${one} ${ two } ${three|raw} $ {four} $100"

    assert templating.malformed_placeholders(template) == []
