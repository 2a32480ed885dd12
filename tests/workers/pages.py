"""What a person reads on a page: its visible text, its badges and its forms with their buttons.

Assertions on the rendered page, not on the context: the worker page was wrong for every worker
while its context was right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
_HIDDEN = {"script", "style", "template", "head"}


@dataclass
class Form:
    action: str
    method: str
    buttons: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)


@dataclass
class Page:
    text: str
    badges: list[str]
    forms: list[Form]
    links: list[tuple[str, str]]  # (text, href)

    def buttons(self) -> list[str]:
        return [b for f in self.forms for b in f.buttons]

    def form_to(self, path_end: str) -> Form | None:
        return next((f for f in self.forms if f.action.endswith(path_end)), None)

    def link_texts(self) -> list[str]:
        return [text for text, _ in self.links]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, set[str]]] = []
        self.text: list[str] = []
        self.badges: list[str] = []
        self.forms: list[Form] = []
        self.links: list[tuple[str, str]] = []
        self._badge: list[str] | None = None
        self._button: list[str] | None = None
        self._link: tuple[str, list[str]] | None = None
        self._form: Form | None = None

    def _hidden(self) -> bool:
        return any(tag in _HIDDEN for tag, _ in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        classes = set(attributes.get("class", "").split())
        if tag == "form":
            self._form = Form(
                action=attributes.get("action", ""), method=attributes.get("method", "get").lower()
            )
            self.forms.append(self._form)
        elif tag == "button":
            self._button = []
        elif tag == "a":
            self._link = (attributes.get("href", ""), [])
        elif tag in {"input", "textarea", "select"} and self._form is not None:
            if attributes.get("type") == "submit":
                self._form.buttons.append(attributes.get("value", "Submit"))
            elif attributes.get("name"):
                self._form.fields.append(attributes["name"])
        if "badge" in classes:
            self._badge = []
        if tag not in _VOID:
            self.stack.append((tag, classes))

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        while self.stack:
            open_tag, classes = self.stack.pop()
            if "badge" in classes and self._badge is not None:
                self.badges.append(_squash(" ".join(self._badge)))
                self._badge = None
            if open_tag == tag:
                break
        if tag == "button" and self._button is not None:
            if self._form is not None:
                self._form.buttons.append(_squash(" ".join(self._button)))
            self._button = None
        elif tag == "a" and self._link is not None:
            self.links.append((_squash(" ".join(self._link[1])), self._link[0]))
            self._link = None
        elif tag == "form":
            self._form = None
        if tag in {"p", "div", "li", "tr", "td", "th", "dt", "dd", "h1", "h2", "h3", "section"}:
            self.text.append("\n")

    def handle_data(self, data):
        if self._hidden():
            return
        self.text.append(data)
        for part in (self._badge, self._button, self._link[1] if self._link else None):
            if part is not None:
                part.append(data)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def read(response_or_html) -> Page:
    html = getattr(response_or_html, "content", response_or_html)
    if isinstance(html, bytes):
        html = html.decode()
    reader = _Reader()
    reader.feed(html)
    reader.close()
    lines = (_squash(line) for line in "".join(reader.text).split("\n"))
    return Page(
        text="\n".join(line for line in lines if line),
        badges=reader.badges,
        forms=reader.forms,
        links=reader.links,
    )
