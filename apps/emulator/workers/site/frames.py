"""The documents shown inside the worker site's question frame.

Every question is shown in an `<iframe sandbox="allow-forms allow-scripts ...">` without
`allow-same-origin`: the requester's HTML (and a QuestionForm's FormattedContent) runs in an
opaque origin, never with the worker site's cookies or DOM. Its form posts to
`/mturk/externalSubmit` like on MTurk; the answer page inside the frame tells the parent with
`postMessage` (see `static/emulator/worker.js`).

- `html_question_document`: the requester's HTML, served at `/dynamic/hit?assignmentId=..&hitId=..
  &workerId=..&turkSubmitTo=..` as MTurk serves it (so `location.search` has the parameters),
  with `FRAME_SANDBOX_POLICY` as its Content-Security-Policy, and a prelude that also gives the
  parameters as `window.MTURK_PARAMS` (read by our `externalHIT_v1.js` and `mturk-frame.js`)
  and local copies of the two scripts templates load from the internet (MTurk's
  externalHIT_v1.js and crowd-html-elements.js), so HITs work offline.
- `question_form_document`: a QuestionForm (or a qualification Test) rendered to an HTML form;
  constraints are data attributes checked by `question-form.js` before submit and again on the
  server (`answers.question_form_problems`).
"""

from __future__ import annotations

import json
import re
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from django.utils.html import escape

PREVIEW_ASSIGNMENT_ID = "ASSIGNMENT_ID_NOT_AVAILABLE"
# The frame's own sandbox (the iframe's attribute, repeated for a document opened on its own).
# Popups (a study's survey link) escape it: the survey is a page of its own.
FRAME_SANDBOX_POLICY = (
    "sandbox allow-forms allow-scripts allow-popups allow-popups-to-escape-sandbox"
)
STATIC = "/static/emulator/"
REMOTE_SCRIPTS = {
    re.compile(r"https?://s3\.amazonaws\.com/mturk-public/externalHIT_v1\.js"): (
        STATIC + "externalHIT_v1.js"
    ),
    re.compile(r"https?://assets\.crowd\.aws/crowd-html-elements\.js"): (
        STATIC + "crowd-html-elements.js"
    ),
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: Element, name: str) -> str | None:
    found = _children(element, name)
    return (found[0].text or "").strip() if found else None


def _prelude(params: dict[str, str], origin: str) -> str:
    data = json.dumps({**params, "origin": origin}).replace("<", "\\u003c")
    return (
        f"<script>window.MTURK_PARAMS = {data};</script>"
        f'<script src="{origin}{STATIC}mturk-frame.js"></script>'
    )


def _insert_prelude(html: str, prelude: str) -> str:
    head = re.search(r"<head[^>]*>", html, re.IGNORECASE)
    if head:
        return html[: head.end()] + prelude + html[head.end() :]
    doctype = re.match(r"\s*<!DOCTYPE[^>]*>", html, re.IGNORECASE)
    if doctype:
        return html[: doctype.end()] + prelude + html[doctype.end() :]
    return prelude + html


def html_question_document(html: str, *, params: dict[str, str], origin: str) -> str:
    """The document of an HTMLQuestion's frame (see the module doc)."""
    for pattern, local in REMOTE_SCRIPTS.items():
        html = pattern.sub(origin + local, html)
    return _insert_prelude(html, _prelude(params, origin))


# ---------------------------------------------------------------------------------------------
# QuestionForm


def _content(element: Element) -> str:
    """QuestionContent / Overview / Selection content: Title, Text, List, FormattedContent (XHTML,
    requester content shown as-is inside the sandbox), Binary (image or link)."""
    parts: list[str] = []
    for child in element:
        name = _local(child.tag)
        if name == "Title":
            parts.append(f"<h2>{escape((child.text or '').strip())}</h2>")
        elif name == "Text":
            parts.append(f"<p>{escape((child.text or '').strip())}</p>")
        elif name == "List":
            items = "".join(
                f"<li>{escape((item.text or '').strip())}</li>"
                for item in _children(child, "ListItem")
            )
            parts.append(f"<ul>{items}</ul>")
        elif name == "FormattedContent":
            parts.append(f'<div class="formatted">{child.text or ""}</div>')
        elif name == "Binary":
            url = _text(child, "DataURL") or ""
            alt = _text(child, "AltText") or url
            mime = _children(child, "MimeType")
            kind = _text(mime[0], "Type") if mime else ""
            if not url.lower().startswith(("http://", "https://")):
                continue
            if kind == "image":
                parts.append(f'<img src="{escape(url)}" alt="{escape(alt)}">')
            else:
                parts.append(f'<a href="{escape(url)}" target="_blank">{escape(alt)}</a>')
    return "".join(parts)


def _free_text(identifier: str, spec: Element, required: bool) -> str:
    attributes = {"data-kind": "text", "data-required": "1" if required else "0"}
    constraints = _children(spec, "Constraints")
    if constraints:
        numeric = _children(constraints[0], "IsNumeric")
        if numeric:
            attributes["data-numeric"] = "1"
            for key in ("minValue", "maxValue"):
                if numeric[0].get(key) is not None:
                    attributes[f"data-{key.lower()}"] = numeric[0].get(key)
        length = _children(constraints[0], "Length")
        if length:
            for key in ("minLength", "maxLength"):
                if length[0].get(key) is not None:
                    attributes[f"data-{key.lower()}"] = length[0].get(key)
        regex = _children(constraints[0], "AnswerFormatRegex")
        if regex:
            attributes["data-regex"] = regex[0].get("regex", "")
            attributes["data-regex-flags"] = regex[0].get("flags", "")
            attributes["data-error"] = regex[0].get("errorText", "")
    default = _text(spec, "DefaultText") or ""
    lines = int(_text(spec, "NumberOfLinesSuggestion") or "1")
    data = "".join(f' {key}="{escape(value)}"' for key, value in attributes.items())
    name = escape(identifier)
    if lines > 1:
        control = f'<textarea name="{name}" rows="{lines}">{escape(default)}</textarea>'
    else:
        control = f'<input type="text" name="{name}" value="{escape(default)}">'
    return f'<div class="answer"{data}>{control}</div>'


def _selection(identifier: str, spec: Element, required: bool) -> str:
    low = int(_text(spec, "MinSelectionCount") or "1")
    high = int(_text(spec, "MaxSelectionCount") or "1")
    style = _text(spec, "StyleSuggestion") or ("checkbox" if high > 1 else "radiobutton")
    selections = _children(spec, "Selections")
    options: list[tuple[str, str]] = []
    other = None
    if selections:
        for selection in selections[0]:
            if _local(selection.tag) == "Selection":
                ident = _text(selection, "SelectionIdentifier") or ""
                label = _text(selection, "Text")
                options.append((ident, escape(label) if label is not None else _content(selection)))
            elif _local(selection.tag) == "OtherSelection":
                other = selection
    name = escape(identifier)
    if style in {"dropdown", "list", "combobox", "multichooser"}:
        multiple = " multiple" if high > 1 or style == "multichooser" else ""
        size = f' size="{min(len(options), 8)}"' if style in {"list", "multichooser"} else ""
        blank = "" if multiple else '<option value="">—</option>'
        items = "".join(f'<option value="{escape(i)}">{label}</option>' for i, label in options)
        if other is not None:
            items += '<option value="__other__">Other (say which)</option>'
        control = f'<select name="{name}"{multiple}{size}>{blank}{items}</select>'
        if other is not None:
            control += f'<label>Other: <input type="text" name="{name}.other"></label>'
    else:
        kind = "checkbox" if style == "checkbox" or high > 1 else "radio"
        control = "".join(
            f'<label><input type="{kind}" name="{name}" value="{escape(i)}"> {label}</label>'
            for i, label in options
        )
        if other is not None:
            control += (
                f'<label><input type="{kind}" name="{name}" value="__other__"> Other: '
                f'<input type="text" name="{name}.other"></label>'
            )
    return (
        f'<div class="answer" data-kind="selection" data-min="{low}" data-max="{high}" '
        f'data-required="{1 if required else 0}">{control}</div>'
    )


def _file_upload(identifier: str, spec: Element, required: bool) -> str:
    low = _text(spec, "MinFileSizeInBytes") or "0"
    high = _text(spec, "MaxFileSizeInBytes") or str(2 * 1024 * 1024 * 1024)
    return (
        f'<div class="answer" data-kind="file" data-minbytes="{escape(low)}" '
        f'data-maxbytes="{escape(high)}" data-required="{1 if required else 0}">'
        f'<input type="file" name="{escape(identifier)}"></div>'
    )


def question_form_body(question_form_xml: str) -> str:
    """The form's inner HTML: overviews and questions, in document order."""
    root = SafeET.fromstring(question_form_xml.encode("utf-8"))
    parts: list[str] = []
    for element in root:
        name = _local(element.tag)
        if name == "Overview":
            parts.append(f'<section class="overview">{_content(element)}</section>')
        elif name == "Question":
            identifier = _text(element, "QuestionIdentifier") or ""
            display = _text(element, "DisplayName")
            required = (_text(element, "IsRequired") or "false").lower() == "true"
            content = _children(element, "QuestionContent")
            spec_holder = _children(element, "AnswerSpecification")
            spec = next(iter(spec_holder[0]), None) if spec_holder else None
            if spec is None:
                continue
            renderer = {
                "FreeTextAnswer": _free_text,
                "SelectionAnswer": _selection,
                "FileUploadAnswer": _file_upload,
            }[_local(spec.tag)]
            heading = f"<h3>{escape(display)}</h3>" if display else ""
            parts.append(
                f'<fieldset class="question" data-question="{escape(identifier)}">{heading}'
                f"{_content(content[0]) if content else ''}"
                f"{renderer(identifier, spec, required)}"
                '<p class="problem" role="alert"></p></fieldset>'
            )
    return "".join(parts)


def question_form_document(
    question_form_xml: str,
    *,
    action: str,
    origin: str,
    hidden: dict[str, str],
    submit_label: str = "Submit",
) -> str:
    """A whole HTML document with the QuestionForm as a form posting to `action`."""
    fields = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in hidden.items()
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<link rel="stylesheet" href="{origin}{STATIC}question-form.css">'
        f'<script src="{origin}{STATIC}question-form.js" defer></script></head><body>'
        f'<form class="question-form" method="post" action="{escape(origin + action)}" '
        f'enctype="multipart/form-data">{fields}{question_form_body(question_form_xml)}'
        f'<p><button type="submit">{escape(submit_label)}</button></p></form></body></html>'
    )


def external_question_url(url: str, params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    separator = "&" if "?" in url else "?"
    return url + separator + urlencode(params)
