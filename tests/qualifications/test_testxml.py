"""The test and answer-key checks: MTurk's schema rules, the key against the test's questions and
selections, the value mappings, what a perfect test scores, and hostile XML refused at once."""

from __future__ import annotations

import time

import pytest

from apps.qualifications.testxml import answer_key_build, qualification_test_check

FORM_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd"
)
KEY_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/AnswerKey.xsd"


def selection(qid: str, options=("a", "b", "c"), extra: str = "") -> str:
    choices = "".join(
        f"<Selection><SelectionIdentifier>{o}</SelectionIdentifier><Text>{o.upper()}</Text>"
        "</Selection>"
        for o in options
    )
    return (
        f"<Question><QuestionIdentifier>{qid}</QuestionIdentifier><QuestionContent><Text>{qid}?"
        f"</Text></QuestionContent><AnswerSpecification><SelectionAnswer>{extra}<Selections>"
        f"{choices}</Selections></SelectionAnswer></AnswerSpecification></Question>"
    )


def free_text(qid: str) -> str:
    return (
        f"<Question><QuestionIdentifier>{qid}</QuestionIdentifier><QuestionContent><Text>Why?"
        "</Text></QuestionContent><AnswerSpecification><FreeTextAnswer/></AnswerSpecification>"
        "</Question>"
    )


def form(*questions: str) -> str:
    return f'<QuestionForm xmlns="{FORM_NS}">{"".join(questions)}</QuestionForm>'


def key(*questions: str, mapping: str = "") -> str:
    return f'<AnswerKey xmlns="{KEY_NS}">{"".join(questions)}{mapping}</AnswerKey>'


def keyed(qid: str, *options: tuple[str, str], default: str | None = None) -> str:
    body = "".join(
        f"<AnswerOption><SelectionIdentifier>{s}</SelectionIdentifier>"
        f"<AnswerScore>{score}</AnswerScore></AnswerOption>"
        for s, score in options
    )
    if default is not None:
        body += f"<DefaultScore>{default}</DefaultScore>"
    return f"<Question><QuestionIdentifier>{qid}</QuestionIdentifier>{body}</Question>"


TEST = form(selection("q1"), selection("q2"), free_text("why"))


def check(test=TEST, answer_key="", duration=60, auto_granted=False):
    return qualification_test_check(
        test=test, answer_key=answer_key, test_duration=duration, auto_granted=auto_granted
    )


def test_it_reads_a_valid_test_and_key_and_says_what_a_perfect_test_gets():
    result = check(answer_key=key(keyed("q1", ("a", 3), ("b", 1)), keyed("q2", ("c", 5))))
    assert result.errors == []
    assert [q.identifier for q in result.questions] == ["q1", "q2", "why"]
    assert result.max_summed == 8
    assert result.perfect_value == 8
    assert result.unscored == ["why"]


@pytest.mark.parametrize(
    ("mapping", "kind", "value"),
    [
        (
            "<PercentageMapping><MaximumSummedScore>10</MaximumSummedScore></PercentageMapping>",
            "PercentageMapping",
            80,
        ),
        (
            "<ScaleMapping><SummedScoreMultiplier>2.5</SummedScoreMultiplier></ScaleMapping>",
            "ScaleMapping",
            20,
        ),
        (
            "<RangeMapping><SummedScoreRange><InclusiveLowerBound>0</InclusiveLowerBound>"
            "<InclusiveUpperBound>5</InclusiveUpperBound><QualificationValue>1"
            "</QualificationValue></SummedScoreRange><SummedScoreRange><InclusiveLowerBound>6"
            "</InclusiveLowerBound><InclusiveUpperBound>8</InclusiveUpperBound>"
            "<QualificationValue>2</QualificationValue></SummedScoreRange>"
            "<OutOfRangeQualificationValue>0</OutOfRangeQualificationValue></RangeMapping>",
            "RangeMapping",
            2,
        ),
    ],
)
def test_it_applies_each_value_mapping_to_the_best_score(mapping, kind, value):
    answer_key = key(
        keyed("q1", ("a", 3)),
        keyed("q2", ("c", 5)),
        mapping=f"<QualificationValueMapping>{mapping}</QualificationValueMapping>",
    )
    result = check(answer_key=answer_key)
    assert result.errors == []
    assert (result.mapping, result.perfect_value) == (kind, value)


@pytest.mark.parametrize(
    ("answer_key", "message"),
    [
        (key(keyed("q9", ("a", 1))), "question q9: the test has no question q9"),
        (key(keyed("q1", ("z", 1))), "question q1: the question has no selection 'z'"),
        (key(keyed("q1", ("a", "ten"))), "AnswerScore must be a whole number, not 'ten'"),
        (key(keyed("q1", ("a", "1.5"))), "AnswerScore must be a whole number"),
        (key(keyed("q1", ("a", 1), default="x")), "DefaultScore must be a whole number"),
        (key(keyed("why", ("a", 1))), "only multiple-choice questions can be scored"),
        (key(keyed("q1", ("a", 1)), keyed("q1", ("b", 1))), "it is keyed twice"),
        (
            key(
                keyed("q1", ("a", 1)),
                mapping="<QualificationValueMapping><PercentageMapping></PercentageMapping>"
                "</QualificationValueMapping>",
            ),
            "A PercentageMapping needs a MaximumSummedScore",
        ),
        (
            key(
                keyed("q1", ("a", 1)),
                mapping="<QualificationValueMapping><PercentageMapping><MaximumSummedScore>0"
                "</MaximumSummedScore></PercentageMapping></QualificationValueMapping>",
            ),
            "MaximumSummedScore must be more than 0",
        ),
        (
            key(
                keyed("q1", ("a", 1)),
                mapping="<QualificationValueMapping><ScaleMapping><SummedScoreMultiplier>lots"
                "</SummedScoreMultiplier></ScaleMapping></QualificationValueMapping>",
            ),
            "SummedScoreMultiplier must be a number",
        ),
        (
            key(
                keyed("q1", ("a", 1)),
                mapping="<QualificationValueMapping><RangeMapping><SummedScoreRange>"
                "<InclusiveLowerBound>5</InclusiveLowerBound><InclusiveUpperBound>1"
                "</InclusiveUpperBound><QualificationValue>1</QualificationValue>"
                "</SummedScoreRange></RangeMapping></QualificationValueMapping>",
            ),
            "lower bound 5 is above its upper 1",
        ),
        (
            key(
                keyed("q1", ("a", 1)),
                mapping="<QualificationValueMapping><RangeMapping><SummedScoreRange>"
                "<InclusiveLowerBound>0</InclusiveLowerBound><InclusiveUpperBound>1"
                "</InclusiveUpperBound><QualificationValue>1</QualificationValue>"
                "</SummedScoreRange></RangeMapping></QualificationValueMapping>",
            ),
            "needs an OutOfRangeQualificationValue",
        ),
        (
            key(
                keyed("q1", ("a", 1)),
                mapping="<QualificationValueMapping><GuessMapping/></QualificationValueMapping>",
            ),
            "not GuessMapping",
        ),
        (
            key(keyed("q1", ("a", 1))).replace(f' xmlns="{KEY_NS}"', ""),
            "in MTurk's schema namespace",
        ),
        ("<AnswerKey><Question>", "The answer key is not well-formed XML"),
    ],
)
def test_it_refuses_a_key_that_does_not_fit_the_test(answer_key, message):
    result = check(answer_key=answer_key)
    assert any(message in error for error in result.key_errors), result.key_errors
    assert result.test_errors == []


@pytest.mark.parametrize(
    ("test", "message"),
    [
        (form(selection("q1"), selection("q1")), "QuestionIdentifier 'q1' is used twice"),
        (form(selection("q1", options=("a", "a"))), "SelectionIdentifier 'a' is used twice"),
        (
            form(selection("q1", extra="<StyleSuggestion>wheel</StyleSuggestion>")),
            "StyleSuggestion 'wheel' is not one of",
        ),
        (
            form(selection("q1", extra="<MaxSelectionCount>5</MaxSelectionCount>")),
            "MaxSelectionCount must be from 1 to 3",
        ),
        (
            form(
                "<Question><QuestionIdentifier>f</QuestionIdentifier><QuestionContent><Text>f"
                "</Text></QuestionContent><AnswerSpecification><FileUploadAnswer/>"
                "</AnswerSpecification></Question>"
            ),
            "cannot ask for a file",
        ),
        (
            form(
                "<Question><QuestionIdentifier>x</QuestionIdentifier><AnswerSpecification>"
                "<FreeTextAnswer/></AnswerSpecification></Question>"
            ),
            "it needs a QuestionContent",
        ),
        (
            form(
                "<Overview><FormattedContent><![CDATA[<p>open]]></FormattedContent></Overview>",
                selection("q1"),
            ),
            "FormattedContent is not well-formed XHTML",
        ),
        (form(), "at least one Question"),
        (f'<HTMLQuestion xmlns="{FORM_NS}"/>', "must be a QuestionForm, not a HTMLQuestion"),
        ("<QuestionForm><Question>", "not well-formed XML"),
        ("<QuestionForm>" + "x" * 70_000 + "</QuestionForm>", "longer than MTurk's 65,535 bytes"),
    ],
)
def test_it_refuses_a_test_that_breaks_the_schema_rules(test, message):
    result = check(test=test)
    assert any(message in error for error in result.test_errors), result.test_errors
    assert not result.previewable


def test_a_key_is_not_checked_against_a_broken_test():
    result = check(test="<QuestionForm>", answer_key=key(keyed("q1", ("a", 1))))
    assert result.test_errors and result.key_errors == []


def test_a_test_needs_a_duration_and_cannot_be_auto_granted():
    result = check(duration=None, auto_granted=True)
    assert result.duration_errors == [
        "A test needs a time limit: give the test time limit (TestDurationInSeconds)."
    ]
    assert "MTurk refuses both together" in result.auto_grant_errors[0]
    assert check(test="", answer_key=key(keyed("q1", ("a", 1)))).key_errors == [
        "An answer key needs a test."
    ]


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + f']><QuestionForm xmlns="{FORM_NS}"><Overview><Text>&lol9;</Text></Overview>'
    "</QuestionForm>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE q [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    f'<QuestionForm xmlns="{FORM_NS}"><Overview><Text>&secret;</Text></Overview></QuestionForm>'
)


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_hostile_xml_is_refused_at_once_with_a_clear_error(hostile):
    started = time.monotonic()
    test_result = check(test=hostile)
    key_result = check(answer_key=hostile.replace("QuestionForm", "AnswerKey"))
    assert time.monotonic() - started < 1
    for errors in (test_result.test_errors, key_result.key_errors):
        assert len(errors) == 1 and "declares a DTD or entities" in errors[0]
    assert "root:" not in str(test_result)


def test_the_helper_writes_a_key_that_passes_the_check_and_grades_a_perfect_test_100():
    questions = check().questions
    built = answer_key_build(questions, {"q1": "b", "q2": "c", "why": "x"}, 2)
    result = check(answer_key=built)
    assert result.errors == []
    assert (result.max_summed, result.mapping, result.perfect_value) == (
        4,
        "PercentageMapping",
        100,
    )
    assert result.unscored == ["why"]
    assert answer_key_build(questions, {"q1": "nope"}) == ""
