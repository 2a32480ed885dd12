"""A page as a person reads it: its visible text, and the forms, buttons and links it offers.

`read(response)` parses the HTML with the standard library into a `Page`; `Page.posts_to(name)`
and `Page.links_to(name)` answer questions such as "does a viewer see a form posting to
workers-block?" by URL name, whatever the markup around it. `problems(page, role=...)` lists what
no page may show: an amount without two decimals, "None" or a template's braces leaking into the
text, a duration in raw seconds, a raw qualification type id, an action the role cannot take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

from apps.requesters.roles import Action, role_allows

# Elements whose content a person does not read.
_HIDDEN = {"script", "style", "template", "head", "title", "noscript"}
_CODE = {"code", "pre", "textarea", "kbd", "samp"}
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
_BLOCK = {
    "p", "div", "section", "article", "header", "footer", "main", "nav", "li", "ul", "ol", "dl",
    "dt", "dd", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "form", "br", "option",
    "label", "details", "summary", "aside", "pre", "select", "button",
}  # fmt: skip


@dataclass
class Button:
    text: str
    name: str = ""
    value: str = ""
    attrs: dict = field(default_factory=dict)


@dataclass
class Form:
    method: str
    action: str  # the path it sends to ("" for the page itself)
    url_name: str | None
    buttons: list[Button] = field(default_factory=list)
    fields: list[dict] = field(default_factory=list)
    text: str = ""

    @property
    def button_texts(self) -> list[str]:
        return [b.text for b in self.buttons]


@dataclass
class Link:
    href: str
    url_name: str | None
    text: str
    htmx: bool = False  # an hx-get/hx-post target rather than an <a href>
    attrs: dict = field(default_factory=dict)


@dataclass
class Page:
    status: int
    content_type: str
    html: str
    text: str = ""
    prose: str = ""  # the text outside code, pre and textarea (where sources are quoted)
    forms: list[Form] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)  # every button, in a form or not
    polls: list[Link] = field(default_factory=list)  # elements with hx-trigger="every ..."

    def posts_to(self, url_name: str) -> list[Form]:
        """Forms sending POST to the URL named `url_name` (plus elements with hx-post there)."""
        forms = [f for f in self.forms if f.method == "post" and f.url_name == url_name]
        forms += [
            Form("post", link.href, link.url_name, text=link.text)
            for link in self.links
            if link.htmx
            and link.attrs.get("hx-post")
            and link.attrs.get("_tag") != "form"
            and link.url_name == url_name
        ]
        return forms

    def links_to(self, url_name: str) -> list[Link]:
        return [link for link in self.links if link.url_name == url_name]

    def has_button(self, label: str) -> bool:
        """A button (or submit input) whose text is `label` or starts with it."""
        label = label.casefold()
        return any(b.text.casefold().startswith(label) for b in self.buttons)

    def has_text(self, words: str) -> bool:
        return _squash(words).casefold() in self.text.casefold()

    def heading(self) -> str:
        match = re.search(r"<h1[^>]*>(.*?)</h1>", self.html, re.S)
        return _squash(re.sub(r"<[^>]+>", " ", match.group(1))) if match else ""


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def url_name_of(href: str | None) -> str | None:
    if href is None:
        return None
    parts = urlsplit(href)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    path = parts.path
    if not path.startswith("/"):
        return None
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


class _Reader(HTMLParser):
    def __init__(self, url: str = "") -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.chunks: list[str] = []
        self.prose: list[str] = []
        self.hidden_depth = 0
        self.code_depth = 0
        self.stack: list[str] = []
        self.forms: list[Form] = []
        self.form_stack: list[Form] = []
        self.links: list[Link] = []
        self.polls: list[Link] = []
        self.buttons: list[Button] = []
        self.open_link: Link | None = None
        self.open_button: Button | None = None
        self.open_button_form: Form | None = None
        self.hidden_attr_depth: list[str] = []

    # Text -------------------------------------------------------------------------------------
    def _visible(self) -> bool:
        return self.hidden_depth == 0

    def handle_starttag(self, tag: str, attrs_list) -> None:
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        if tag in _HIDDEN:
            self.hidden_depth += 1
        if tag in _CODE:
            self.code_depth += 1
        if tag in _BLOCK:
            self.chunks.append("\n")
            self.prose.append("\n")
        for attr in ("hx-get", "hx-post"):
            if attrs.get(attr):
                link = Link(
                    attrs[attr],
                    url_name_of(attrs[attr]),
                    "",
                    htmx=True,
                    attrs={**attrs, "_tag": tag},
                )
                self.links.append(link)
                if "every" in attrs.get("hx-trigger", ""):
                    self.polls.append(link)
        if tag == "form":
            # A form without an action sends to the page it is on.
            action = attrs.get("action", "") or self.url
            form = Form(
                method=attrs.get("method", "get").lower(),
                action=action,
                url_name=url_name_of(action) if action else None,
            )
            self.forms.append(form)
            self.form_stack.append(form)
        elif tag == "a" and "href" in attrs:
            self.open_link = Link(attrs["href"], url_name_of(attrs["href"]), "", attrs=attrs)
            self.links.append(self.open_link)
        elif tag == "button":
            self.open_button = Button("", attrs.get("name", ""), attrs.get("value", ""), attrs)
            self.open_button_form = self.form_stack[-1] if self.form_stack else None
        elif tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button"):
                button = Button(attrs.get("value", ""), attrs.get("name", ""), "", attrs)
                self._add_button(button, self.form_stack[-1] if self.form_stack else None)
                if self._visible():
                    self.chunks.append(f" {button.text} ")
            elif self.form_stack:
                self.form_stack[-1].fields.append(attrs)
        elif tag in ("select", "textarea") and self.form_stack:
            self.form_stack[-1].fields.append({"name": attrs.get("name", ""), "tag": tag, **attrs})
        if tag not in _VOID:
            self.stack.append(tag)

    def _add_button(self, button: Button, form: Form | None) -> None:
        button.text = _squash(button.text)
        self.buttons.append(button)
        if form is not None:
            form.buttons.append(button)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self.hidden_depth:
            self.hidden_depth -= 1
        if tag in _CODE and self.code_depth:
            self.code_depth -= 1
        if tag in _BLOCK:
            self.chunks.append("\n")
            self.prose.append("\n")
        if tag == "form" and self.form_stack:
            self.form_stack.pop()
        elif tag == "a":
            self.open_link = None
        elif tag == "button" and self.open_button is not None:
            self._add_button(self.open_button, self.open_button_form)
            self.open_button = None
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not self._visible():
            return
        self.chunks.append(data)
        if not self.code_depth:
            self.prose.append(data)
        if self.open_link is not None:
            self.open_link.text = _squash(self.open_link.text + " " + data)
        if self.open_button is not None:
            self.open_button.text += " " + data
        for form in self.form_stack:
            form.text += " " + data


def _lines(chunks: list[str]) -> str:
    lines = (_squash(line) for line in "".join(chunks).split("\n"))
    return "\n".join(line for line in lines if line)


def read(response, url: str = "") -> Page:
    """The response to a request for `url` as a `Page` (a non-HTML body is its text as is)."""
    content_type = response.get("Content-Type", "")
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    html = body.decode("utf-8", errors="replace")
    page = Page(status=response.status_code, content_type=content_type, html=html)
    if "html" not in content_type:
        page.text = page.prose = html
        return page
    reader = _Reader(urlsplit(url).path)
    reader.feed(html)
    reader.close()
    page.text = _lines(reader.chunks)
    page.prose = _lines(reader.prose)
    page.forms = reader.forms
    page.links = reader.links
    page.buttons = reader.buttons
    page.polls = reader.polls
    return page


# What each URL asks of a role, so that a page offering it to a lower role is caught. URLs not
# named here need no more than a view (Action.VIEW). A GET form page that needs a role is here
# too: a link to it offers the action.
REQUIRED_ACTION: dict[str, Action] = {
    "requesters-edit": Action.MANAGE_ACCOUNT,
    "requesters-member-add": Action.MANAGE_MEMBERS,
    "requesters-member-role": Action.MANAGE_MEMBERS,
    "requesters-member-remove": Action.MANAGE_MEMBERS,
    "notifications-test": Action.MANAGE_ACCOUNT,
    "sync-now": Action.SYNC,
    "batches-project-new": Action.LAUNCH,
    "batches-project-edit": Action.LAUNCH,
    "batches-project-copy": Action.LAUNCH,
    "batches-project-draft-preview": Action.LAUNCH,
    "batches-upload": Action.LAUNCH,
    "batches-launch": Action.LAUNCH,
    "batches-retry": Action.LAUNCH,
    "batches-cancel": Action.LAUNCH,
    "batches-resume": Action.LAUNCH,
    "batches-action": Action.LAUNCH,
    "batches-waves-plan": Action.LAUNCH,
    "batches-waves-pause": Action.LAUNCH,
    "batches-waves-resume": Action.LAUNCH,
    "batches-waves-release": Action.LAUNCH,
    "batches-waves-cancel": Action.LAUNCH,
    "studies-new": Action.LAUNCH,
    "studies-edit": Action.LAUNCH,
    "studies-publish": Action.LAUNCH,
    "studies-auto-approve": Action.LAUNCH,
    "batches-bonuses-refresh": Action.REVIEW,
    "batches-project-reward": Action.LAUNCH,
    "review-batch-topup": Action.SPEND,
    "review-batch-topup-pay": Action.SPEND,
    "review-approve": Action.REVIEW,
    "review-reject": Action.REVIEW,
    "review-bonus": Action.BONUS,
    "review-bulk": Action.REVIEW,
    "review-import": Action.REVIEW,
    "review-job-apply": Action.REVIEW,
    "review-job-cancel": Action.REVIEW,
    "review-bonus-upload": Action.BONUS,
    "review-bonus-batch-pay": Action.BONUS,
    "review-batch-bonus": Action.BONUS,
    "review-rule-create": Action.LAUNCH,
    "review-redundancy-apply": Action.LAUNCH,
    "review-redundancy-rule": Action.LAUNCH,
    "review-redundancy-rule-toggle": Action.LAUNCH,
    "batches-gallery": Action.LAUNCH,
    "batches-starter": Action.LAUNCH,
    "batches-starter-preview": Action.LAUNCH,
    "batches-starter-csv": Action.LAUNCH,
    "review-rule-toggle": Action.LAUNCH,
    "review-rule-delete": Action.LAUNCH,
    "review-score-update-create": Action.QUALIFICATIONS,
    "review-score-update-apply": Action.QUALIFICATIONS,
    "workers-block": Action.WORKERS,
    "workers-unblock": Action.WORKERS,
    "workers-message": Action.WORKERS,
    "workers-score": Action.QUALIFICATIONS,
    "workers-compensate": Action.SPEND,
    "workers-import": Action.WORKERS,
    "workers-message-many": Action.WORKERS,
    "qualifications-create": Action.QUALIFICATIONS,
    "qualifications-edit": Action.QUALIFICATIONS,
    "qualifications-delete": Action.QUALIFICATIONS,
    "qualifications-grant": Action.QUALIFICATIONS,
    "qualifications-upload": Action.QUALIFICATIONS,
    "qualifications-scores-refresh": Action.SYNC,
    "qualifications-request": Action.QUALIFICATIONS,
    "qualifications-group-add": Action.QUALIFICATIONS,
    "qualifications-batch-exclude": Action.QUALIFICATIONS,
}
# A worker-CSV change page is seen by every role; only applying it (POST) needs WORKERS.
REQUIRED_ACTION_POST_ONLY: dict[str, Action] = {"workers-update": Action.WORKERS}

# Buttons and links by what they say, whatever URL they use (a script, a GET form): a role
# that may not take the action sees none of them.
LABEL_ACTIONS: dict[str, Action] = {
    "upload decisions": Action.REVIEW,
    "upload bonuses": Action.BONUS,
    "import worker csv": Action.WORKERS,
    "upload worker csv": Action.WORKERS,
    "launch": Action.LAUNCH,
    "resume the launch": Action.LAUNCH,
    "cancel the launch": Action.LAUNCH,
    "new project": Action.LAUNCH,
    "upload and check": Action.LAUNCH,
    "block": Action.WORKERS,
    "unblock": Action.WORKERS,
    "message these workers": Action.WORKERS,
    "approve": Action.REVIEW,
    "approve after all": Action.REVIEW,
    "reject": Action.REVIEW,
    "bonus": Action.BONUS,
    "sync now": Action.SYNC,
    "full sync": Action.SYNC,
    "edit account": Action.MANAGE_ACCOUNT,
    "send test notification": Action.MANAGE_ACCOUNT,
    "grant": Action.QUALIFICATIONS,
    "revoke": Action.QUALIFICATIONS,
}


def _label_action(text: str) -> tuple[str, Action] | None:
    said = text.casefold().strip()
    for label, action in LABEL_ACTIONS.items():
        if said == label or said.startswith(label + " "):
            return label, action
    return None


# "$1.5", "$12", "$0.123", "$23.91000000000000": any amount without exactly two decimals.
_MONEY = re.compile(r"\$\s?-?\d[\d,]*(?:\.\d+)?")
_TWO_DECIMALS = re.compile(r"\$\s?-?\d{1,3}(?:,\d{3})*\.\d{2}$|\$\s?-?\d+\.\d{2}$")
_LEAKS = [
    (re.compile(r"(?<![\w-])None(?![\w-])"), "None"),
    (re.compile(r"(?<![\w-])null(?![\w-])"), "null"),
    (re.compile(r"\{\{|\}\}|\{%|%\}"), "template tags"),
    (re.compile(r"\$\{"), "${"),
]
# 259200 s, 600 seconds, 3600 sec: a duration a person would have to divide in their head.
_RAW_SECONDS = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d{3,})\s?(?:s|sec|secs|seconds)\b")


def money_problems(text: str) -> list[str]:
    found = []
    for match in _MONEY.finditer(text):
        amount = match.group(0)
        # "$1,234.50" matched up to its end; look one character past for more digits.
        following = text[match.end() : match.end() + 1]
        if not _TWO_DECIMALS.match(amount) or following.isdigit():
            found.append(f"amount {amount!r} not shown with two decimals")
    return found


def problems(
    page: Page,
    *,
    role: str | None = None,
    qualification_ids: list[str] = (),
    allow_text: tuple[str, ...] = (),
    durations: bool = True,
) -> list[str]:
    """What a page must never show a person (`role` set: what that role cannot do)."""
    text, prose = page.text, page.prose
    for allowed in allow_text:
        text, prose = text.replace(allowed, ""), prose.replace(allowed, "")
    found = money_problems(text)
    for pattern, what in _LEAKS:
        for match in pattern.finditer(prose):
            context = prose[max(0, match.start() - 40) : match.end() + 40].replace("\n", " | ")
            found.append(f"{what} leaks into the text: …{context}…")
    if durations:
        for match in _RAW_SECONDS.finditer(prose):
            context = prose[max(0, match.start() - 40) : match.end() + 10].replace("\n", " | ")
            found.append(f"duration in raw seconds: …{context}…")
    for qid in qualification_ids:
        if qid in text:
            context = text[max(0, text.index(qid) - 40) : text.index(qid) + 40]
            found.append(f"raw qualification type id {qid} shown: …{context}…")
    if role is not None:
        found += action_problems(page, role)
    return found


def action_problems(page: Page, role: str) -> list[str]:
    """Forms, buttons and links offering an action the role may not take."""
    found = []
    for form in page.forms:
        # A GET form to an action's page (a launch's confirmation) offers the action too.
        action = REQUIRED_ACTION.get(form.url_name or "")
        if form.method == "post" and action is None:
            action = REQUIRED_ACTION_POST_ONLY.get(form.url_name or "")
        if action is not None and not role_allows(role, action):
            found.append(
                f"a {role} sees a form posting to {form.url_name} "
                f"(buttons {form.button_texts}); it needs {action.value}"
            )
    for link in page.links:
        if link.attrs.get("_tag") == "form":
            continue  # the form itself is checked above
        action = REQUIRED_ACTION.get(link.url_name or "")
        if link.htmx and link.attrs.get("hx-post"):
            action = action or REQUIRED_ACTION_POST_ONLY.get(link.url_name or "")
        if action is not None and not role_allows(role, action):
            found.append(
                f"a {role} sees a link to {link.url_name} ({link.text or link.href!r}); "
                f"it needs {action.value}"
            )
    offered = [b.text for b in page.buttons] + [link.text for link in page.links if not link.htmx]
    for text in offered:
        match = _label_action(text)
        if match and not role_allows(role, match[1]):
            found.append(f"a {role} sees a {text!r} control; it needs {match[1].value}")
    return found
