"""The HTML template linter: what is wrong with a template's markup, each finding with its line.

Read by `templating.check` (the project editor's live check and its save) for HTML questions:

- errors: a form inside another form (browsers drop the inner one, and its answers with it);
- warnings: a Crowd HTML Element that answers but has no `name` (its answer is not saved), a
  `crowd-*` tag that is no Crowd HTML Element (workers see nothing there), an image without
  alt text, a plain form without a submit button.

The placeholders (`${...}`), the size limit and the crowd script are checked in `templating`;
gold columns shown to workers in the project form.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

# Every Crowd HTML Element MTurk supports.
CROWD_ELEMENTS = frozenset(
    {
        "crowd-alert",
        "crowd-badge",
        "crowd-bounding-box",
        "crowd-button",
        "crowd-card",
        "crowd-checkbox",
        "crowd-classifier",
        "crowd-classifier-multi-select",
        "crowd-entity-annotation",
        "crowd-fab",
        "crowd-form",
        "crowd-icon-button",
        "crowd-image-classifier",
        "crowd-image-classifier-multi-select",
        "crowd-input",
        "crowd-instance-segmentation",
        "crowd-instructions",
        "crowd-keypoint",
        "crowd-line",
        "crowd-modal",
        "crowd-polygon",
        "crowd-polyline",
        "crowd-radio-button",
        "crowd-radio-group",
        "crowd-semantic-segmentation",
        "crowd-slider",
        "crowd-tab",
        "crowd-tabs",
        "crowd-text-area",
        "crowd-toast",
        "crowd-toggle-button",
    }
)
# Those whose answer is kept under their `name`.
ANSWERING = frozenset(
    {
        "crowd-bounding-box",
        "crowd-checkbox",
        "crowd-classifier",
        "crowd-classifier-multi-select",
        "crowd-entity-annotation",
        "crowd-image-classifier",
        "crowd-image-classifier-multi-select",
        "crowd-input",
        "crowd-instance-segmentation",
        "crowd-keypoint",
        "crowd-line",
        "crowd-polygon",
        "crowd-polyline",
        "crowd-radio-button",
        "crowd-semantic-segmentation",
        "crowd-slider",
        "crowd-text-area",
        "crowd-toggle-button",
    }
)
FORMS = frozenset({"form", "crowd-form"})
VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)


@dataclass(frozen=True)
class Finding:
    line: int
    message: str
    error: bool = False

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[Finding] = []
        self.open_forms: list[tuple[str, int, bool]] = []  # tag, line, has a submit
        self.unknown: set[str] = set()

    def _say(self, message: str, *, error: bool = False) -> None:
        self.findings.append(Finding(self.getpos()[0], message, error))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        line = self.getpos()[0]
        if tag in FORMS:
            if self.open_forms:
                outer, outer_line, _ = self.open_forms[-1]
                self._say(
                    f"<{tag}> inside the <{outer}> of line {outer_line}: browsers drop a form "
                    "inside a form, and the answers in it with it.",
                    error=True,
                )
            self.open_forms.append((tag, line, tag == "crowd-form"))
        elif tag.startswith("crowd-") and tag not in CROWD_ELEMENTS and tag not in self.unknown:
            self.unknown.add(tag)
            self._say(f"<{tag}> is not a Crowd HTML Element: workers see nothing there.")
        if tag in ANSWERING and not attributes.get("name", "").strip():
            self._say(f"<{tag}> has no name: its answer would not be saved.")
        if tag == "img" and "alt" not in attributes:
            self._say(
                "an image without alt text: workers using a screen reader, or whose image fails "
                "to load, are told nothing."
            )
        if self._submits(tag, attributes) and self.open_forms:
            form, form_line, _ = self.open_forms[-1]
            self.open_forms[-1] = (form, form_line, True)

    @staticmethod
    def _submits(tag: str, attributes: dict[str, str]) -> bool:
        kind = attributes.get("type", "").lower()
        if tag == "input":
            return kind in {"submit", "image"}
        if tag == "button":
            return kind in {"", "submit"}
        return tag in {"crowd-button", "crowd-fab", "crowd-icon-button"} and (
            attributes.get("form-action") == "submit"
        )

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in FORMS and self.open_forms and self.open_forms[-1][0] == tag:
            self._close_form()

    def _close_form(self) -> None:
        _, line, submits = self.open_forms.pop()
        if not submits:
            self.findings.append(
                Finding(
                    line,
                    'this form has no submit button (an <input type="submit"> or a <button>): '
                    "workers could not send their answer.",
                )
            )

    def close(self) -> None:
        super().close()
        while self.open_forms:
            self._close_form()


def lint_html(template: str) -> list[Finding]:
    """The findings of an HTML template, in the order of its lines."""
    reader = _Reader()
    reader.feed(template)
    reader.close()
    return sorted(reader.findings, key=lambda finding: finding.line)
