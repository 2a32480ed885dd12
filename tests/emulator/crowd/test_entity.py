"""crowd-entity-annotation worked as a worker would: words and phrases highlighted with the mouse,
labels chosen by button or key, spans changed and removed, self-contained (its own Submit) as
the reference writes it or inside a crowd-form; offsets in Unicode characters of the text."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

TEXT = "Ada Lovelace met Charles Babbage in London in 1833."
LABELS = (
    "[{label: 'person', shortDisplayName: 'per', fullDisplayName: 'Person'},"
    " {label: 'place', shortDisplayName: 'pla', fullDisplayName: 'Place'},"
    " {label: 'date', shortDisplayName: 'dat', fullDisplayName: 'Date'}]"
)

# The page position of the middle of the left or right edge of the text's character `index`
# (in UTF-16 units of the text, which is what the DOM counts).
CHARACTER_EDGE = """(el, [index, side]) => {
  const view = (el.shadowRoot || el).querySelector('.crowd-entity-text');
  const walker = document.createTreeWalker(view, NodeFilter.SHOW_TEXT);
  let left = index;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (left < node.data.length) {
      const range = document.createRange();
      range.setStart(node, left);
      range.setEnd(node, left + 1);
      const r = range.getBoundingClientRect();
      return [side === 'left' ? r.left + 1 : r.right - 1, r.top + r.height / 2];
    }
    left -= node.data.length;
  }
  throw new Error('no character ' + index);
}"""


class Text:
    def __init__(self, task):
        self.task = task
        self.element = task.frame.locator("crowd-entity-annotation")
        self.element.locator(".crowd-entity-text").wait_for()

    def page_point(self, index: int, side: str) -> tuple[float, float]:
        x, y = self.element.evaluate(CHARACTER_EDGE, [index, side])
        frame = self.task.page.locator("iframe.question")
        border = frame.evaluate("el => [el.clientLeft, el.clientTop]")
        outer = frame.bounding_box()
        return outer["x"] + border[0] + x, outer["y"] + border[1] + y

    def highlight(self, phrase: str, text: str = TEXT) -> None:
        """Drag across `phrase` as a worker would."""
        start = text.index(phrase)
        mouse = self.task.page.mouse
        mouse.move(*self.page_point(start, "left"))
        mouse.down()
        mouse.move(*self.page_point(start + len(phrase) - 1, "right"), steps=6)
        mouse.up()

    def double_click(self, word: str, text: str = TEXT) -> None:
        x, y = self.page_point(text.index(word) + len(word) // 2, "left")
        self.task.page.mouse.dblclick(x, y)

    @property
    def view(self):
        return self.element.locator(".crowd-entity-text")

    def status(self) -> str:
        return self.element.locator(".crowd-entity-status").inner_text()

    def label_button(self, name: str):
        return self.element.locator(".crowd-entity-labels button", has_text=name)

    def marks(self) -> list[tuple[str, str]]:
        marks = self.element.locator(".crowd-entity-text mark")
        return [
            (m.inner_text().strip(), m.get_attribute("data-label")) for m in marks.element_handles()
        ]


def span(label: str, phrase: str, text: str = TEXT) -> dict:
    start = text.index(phrase)
    return {"endOffset": start + len(phrase), "label": label, "startOffset": start}


def test_a_self_contained_widget_labels_highlighted_text_and_submits_itself(crowd_task):
    task = crowd_task(
        f'<crowd-entity-annotation name="ner" header="Mark the names" labels="{LABELS}"'
        f' text="{TEXT}"><short-instructions>Mark people, places and dates.</short-instructions>'
        "</crowd-entity-annotation>",
        form=False,
    )
    text = Text(task)
    assert task.frame.get_by_text("Mark people, places and dates.").is_visible()
    text.highlight("Ada Lovelace")  # Person is chosen at first
    text.label_button("Place").click()
    text.highlight("London")
    text.element.locator(".crowd-entity-text").press("3")  # Date, by its key
    text.highlight("1833")
    text.highlight("Charles Babbage")  # still Date: choose the span, then Person
    text.element.locator("mark", has_text="Charles Babbage").click()
    text.label_button("Person").click()
    assert text.marks() == [
        ("Ada Lovelace", "person"),
        ("Charles Babbage", "person"),
        ("London", "place"),
        ("1833", "date"),
    ]
    task.submit()

    assert task.answer() == {
        "ner": {
            "entities": [
                span("person", "Ada Lovelace"),
                span("person", "Charles Babbage"),
                span("place", "London"),
                span("date", "1833"),
            ]
        }
    }
    assert task.page.console_errors == []


def test_initial_spans_are_shown_changed_and_removed(crowd_task):
    initial = (
        "[{label: 'person', startOffset: 0, endOffset: 12},"
        " {label: 'place', startOffset: 17, endOffset: 32}]"
    )
    task = crowd_task(
        f'<crowd-entity-annotation name="ner" labels="{LABELS}" text="{TEXT}"'
        f' initial-value="{initial}"></crowd-entity-annotation>',
        form=False,
    )
    text = Text(task)
    assert text.marks() == [("Ada Lovelace", "person"), ("Charles Babbage", "place")]
    # Charles Babbage is a person: choose the span, then the label.
    text.element.locator("mark", has_text="Charles Babbage").click()
    text.label_button("Person").click()
    # Ada's span goes, by its x button.
    text.element.get_by_role("button", name="Remove Person from Ada Lovelace").click()
    # A highlight over part of a labelled span is refused.
    text.highlight("Babbage in London")
    assert "overlaps a labelled span" in text.element.locator(".crowd-entity-status").inner_text()
    task.submit()
    assert task.answer() == {"ner": {"entities": [span("person", "Charles Babbage")]}}
    assert task.page.console_errors == []


def test_delete_removes_the_chosen_span_and_spaces_at_the_ends_are_left_out(crowd_task):
    task = crowd_task(
        f'<crowd-entity-annotation name="ner" labels="{LABELS}" text="{TEXT}">'
        "</crowd-entity-annotation>",
        form=False,
    )
    text = Text(task)
    text.highlight(" met ")
    text.highlight("London")
    assert text.marks() == [("met", "person"), ("London", "person")]
    text.element.locator("mark", has_text="met").click()
    text.element.locator(".crowd-entity-text").press("Delete")
    task.submit()
    assert task.answer() == {"ner": {"entities": [span("person", "London")]}}
    assert task.page.console_errors == []


def test_inside_a_crowd_form_it_answers_beside_the_other_fields(crowd_task):
    task = crowd_task(
        f'<crowd-entity-annotation name="ner" labels="{LABELS}" text="{TEXT}">'
        "</crowd-entity-annotation>"
        '<crowd-input name="note" label="Note"></crowd-input>'
    )
    text = Text(task)
    text.highlight("Charles Babbage")
    task.frame.locator("crowd-input input").fill("clear text")
    task.submit()
    assert task.answer() == {
        "ner": {"entities": [span("person", "Charles Babbage")]},
        "note": "clear text",
    }
    assert task.page.console_errors == []


def test_a_scripts_questions_added_to_its_form_are_answered_too(crowd_task):
    """The reference's own example moves questions into the widget's form once
    `all-crowd-elements-ready` fires."""
    task = crowd_task(
        f'<crowd-entity-annotation name="ner" labels="{LABELS}" text="{TEXT}">'
        '<div id="more"><crowd-radio-group>'
        '<crowd-radio-button name="tech" value="tech">Technology</crowd-radio-button>'
        '<crowd-radio-button name="history" value="history">History</crowd-radio-button>'
        "</crowd-radio-group></div></crowd-entity-annotation>"
        "<script>document.addEventListener('all-crowd-elements-ready', () => {"
        " document.querySelector('crowd-entity-annotation').shadowRoot"
        ".querySelector('crowd-form').form.appendChild(document.getElementById('more')); });"
        "</script>",
        form=False,
    )
    text = Text(task)
    task.frame.locator("crowd-radio-button[name=history] input").check()
    text.highlight("1833")
    task.submit()
    assert task.answer() == {
        "ner": {"entities": [span("person", "1833")]},
        "tech": {"tech": False},
        "history": {"history": True},
    }
    assert task.page.console_errors == []


def test_hostile_text_is_shown_as_text_and_offsets_count_unicode_characters(crowd_task):
    hostile = "😀 <img src=x onerror=alert(1)> Zoë"
    escaped = hostile.replace("<", "&lt;").replace(">", "&gt;")
    task = crowd_task(
        f'<crowd-entity-annotation name="ner" labels="{LABELS}" text="{escaped}">'
        "</crowd-entity-annotation>",
        form=False,
    )
    text = Text(task)
    assert text.element.locator("img").count() == 0
    assert text.element.locator(".crowd-entity-text").inner_text() == hostile
    # The emoji is two UTF-16 units but one character: the DOM counts units.
    units = hostile.encode("utf-16-le")
    zoe = units.index("Zoë".encode("utf-16-le")) // 2
    mouse = task.page.mouse
    mouse.move(*text.page_point(zoe, "left"))
    mouse.down()
    mouse.move(*text.page_point(zoe + 2, "right"), steps=6)
    mouse.up()
    task.submit()
    assert task.answer() == {"ner": {"entities": [span("person", "Zoë", hostile)]}}
    assert task.page.console_errors == []


def test_initial_spans_left_alone_are_answered_as_they_were(crowd_task):
    initial = (
        "[{label: 'date', startOffset: 46, endOffset: 50},"
        " {label: 'person', startOffset: 0, endOffset: 3},"
        " {label: 'nobody', startOffset: 4, endOffset: 12},"
        " {label: 'place', startOffset: 30, endOffset: 80}]"
    )
    task = crowd_task(
        f'<crowd-entity-annotation name="ner" labels="{LABELS}" text="{TEXT}"'
        f' initial-value="{initial}"></crowd-entity-annotation>',
        form=False,
    )
    text = Text(task)
    # Spans of a label not offered, or past the end of the text, are not shown.
    assert text.marks() == [("Ada", "person"), ("1833", "date")]
    assert text.element.locator("mark[data-label=person]").get_attribute("data-short") == "per"
    task.submit()
    assert task.answer() == {"ner": {"entities": [span("person", "Ada"), span("date", "1833")]}}
    assert task.page.console_errors == []


def test_a_double_clicked_word_takes_the_label_chosen_by_its_key(crowd_task):
    task = crowd_task(
        f'<crowd-entity-annotation name="ner" labels="{LABELS}" text="{TEXT}">'
        "</crowd-entity-annotation>",
        form=False,
    )
    text = Text(task)
    text.view.press("2")  # Place
    assert text.label_button("Place").get_attribute("aria-pressed") == "true"
    text.double_click("London")
    text.view.press("3")  # Date: the next highlight's label
    text.double_click("1833")
    assert text.marks() == [("London", "place"), ("1833", "date")]
    task.submit()
    assert task.answer() == {"ner": {"entities": [span("place", "London"), span("date", "1833")]}}
    assert task.page.console_errors == []


def test_the_keyboard_highlights_words_labels_and_removes_spans(crowd_task):
    task = crowd_task(
        f'<crowd-entity-annotation name="ner" labels="{LABELS}" text="{TEXT}">'
        "</crowd-entity-annotation>",
        form=False,
    )
    text = Text(task)
    text.view.focus()
    text.view.press("ArrowRight")  # Ada
    text.view.press("Shift+ArrowRight")  # Ada Lovelace
    text.view.press("Shift+ArrowRight")  # Ada Lovelace met
    text.view.press("Shift+ArrowLeft")  # Ada Lovelace
    text.view.press("1")
    for _ in range(5):  # met, Charles, Babbage, in, London
        text.view.press("ArrowRight")
    text.view.press("2")
    for _ in range(3):  # in, 1833, and the full stop
        text.view.press("ArrowRight")
    text.view.press("ArrowLeft")  # back to 1833
    text.view.press("3")
    text.view.press("ArrowRight")
    text.view.press("Enter")  # the full stop, with the label chosen last
    assert text.marks() == [
        ("Ada Lovelace", "person"),
        ("London", "place"),
        ("1833", "date"),
        (".", "date"),
    ]
    # 1833's span, in, London's span, in, Babbage, Charles, met, then onto Ada Lovelace's
    # span: it is chosen
    for _ in range(8):
        text.view.press("ArrowLeft")
    chosen = text.element.locator("mark[aria-selected=true]")
    assert chosen.inner_text().strip() == "Ada Lovelace"
    assert text.status().startswith("Person: Ada Lovelace")
    text.view.press("Delete")
    for _ in range(6):  # met, Charles, Babbage, in, London's span, in
        text.view.press("ArrowRight")
    text.view.press("ArrowLeft")  # London's span again
    text.view.press("1")  # changes its label
    task.submit()
    assert task.answer() == {
        "ner": {
            "entities": [
                span("person", "London"),
                span("date", "1833"),
                {"endOffset": len(TEXT), "label": "date", "startOffset": len(TEXT) - 1},
            ]
        }
    }
    assert task.page.console_errors == []
