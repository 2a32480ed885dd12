from apps.mturk.answers import parse_answers

NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"


def _xml(*answers: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><QuestionFormAnswers xmlns="{NS}">{"".join(answers)}</QuestionFormAnswers>'


def test_free_text_and_repeated_names_keep_every_value():
    parsed = parse_answers(
        _xml(
            "<Answer><QuestionIdentifier>label</QuestionIdentifier><FreeText>cat</FreeText></Answer>",
            "<Answer><QuestionIdentifier>tag</QuestionIdentifier><FreeText>a</FreeText></Answer>",
            "<Answer><QuestionIdentifier>tag</QuestionIdentifier><FreeText>b</FreeText></Answer>",
        )
    )
    assert parsed.error == ""
    assert parsed.answers == {"label": "cat", "tag": ["a", "b"]}


def test_selections_other_text_and_files():
    parsed = parse_answers(
        _xml(
            "<Answer><QuestionIdentifier>colour</QuestionIdentifier>"
            "<SelectionIdentifier>red</SelectionIdentifier><SelectionIdentifier>blue</SelectionIdentifier></Answer>",
            "<Answer><QuestionIdentifier>one</QuestionIdentifier><SelectionIdentifier>x</SelectionIdentifier></Answer>",
            "<Answer><QuestionIdentifier>other</QuestionIdentifier><OtherSelectionText>mauve</OtherSelectionText></Answer>",
            "<Answer><QuestionIdentifier>photo</QuestionIdentifier><UploadedFileKey>k/1</UploadedFileKey>"
            "<UploadedFileSizeInBytes>2048</UploadedFileSizeInBytes></Answer>",
        )
    )
    assert parsed.answers == {
        "colour": ["red", "blue"],
        "one": "x",
        "other": "mauve",
        "photo": "k/1",
    }
    assert parsed.files == {"photo": {"key": "k/1", "size": 2048}}


def test_crowd_form_task_answers_are_flattened():
    text = '[{"category":{"label":"Cat"},"sure":{"on":true},"note":"&lt;b&gt;"}]'
    parsed = parse_answers(
        _xml(
            f"<Answer><QuestionIdentifier>taskAnswers</QuestionIdentifier><FreeText>{text}</FreeText></Answer>"
        )
    )
    assert parsed.answers == {"category.label": "Cat", "sure.on": "true", "note": "<b>"}


def test_hostile_and_broken_xml_gives_an_error_not_an_exception():
    laughs = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><QuestionFormAnswers/>'
    assert parse_answers(laughs).error.startswith("refused hostile XML")
    assert parse_answers("<QuestionFormAnswers><Answer>").error.startswith("malformed XML")
    assert parse_answers("<html/>").error == "unexpected root element 'html'"
    assert parse_answers("").answers == {}
