"""What a worker sees, for the preview frame: the filled HTML, or a QuestionForm drawn as HTML.

Everything taken out of a QuestionForm is escaped again on the way out, except FormattedContent,
which MTurk itself renders as XHTML (the frame is sandboxed and runs no script of ours).
"""

from __future__ import annotations

import html

from defusedxml import ElementTree as SafeET

from apps.batches import templating
from apps.batches.models import QuestionKind


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element, name: str) -> list:
    return [child for child in element if _local(child.tag) == name]


def _text(element, name: str) -> str:
    found = _children(element, name)
    return (found[0].text or "").strip() if found else ""


def _content(element) -> str:
    parts = []
    for child in element:
        kind = _local(child.tag)
        if kind in ("Title",):
            parts.append(f"<h2>{html.escape(child.text or '')}</h2>")
        elif kind == "Text":
            parts.append(f"<p>{html.escape(child.text or '')}</p>")
        elif kind == "FormattedContent":
            parts.append(f"<div>{child.text or ''}</div>")
        elif kind == "List":
            items = "".join(
                f"<li>{html.escape(i.text or '')}</li>" for i in _children(child, "ListItem")
            )
            parts.append(f"<ul>{items}</ul>")
    return "".join(parts)


def _answer(question, identifier: str) -> str:
    specs = _children(question, "AnswerSpecification")
    spec = specs[0] if specs else None
    if spec is None:
        return ""
    name = html.escape(identifier, quote=True)
    selection = _children(spec, "SelectionAnswer")
    if selection:
        style = _text(selection[0], "StyleSuggestion") or "radiobutton"
        input_type = "checkbox" if style == "checkbox" else "radio"
        options = []
        for group in _children(selection[0], "Selections"):
            for item in _children(group, "Selection"):
                value = html.escape(_text(item, "SelectionIdentifier"), quote=True)
                label = html.escape(_text(item, "Text") or _text(item, "SelectionIdentifier"))
                options.append(
                    f'<label><input type="{input_type}" name="{name}" value="{value}"> '
                    f"{label}</label><br>"
                )
        return "".join(options)
    if _children(spec, "FileUploadAnswer"):
        return f'<input type="file" name="{name}">'
    return f'<textarea name="{name}" rows="3" cols="60"></textarea>'


def questionform_html(xml: str) -> str:
    try:
        root = SafeET.fromstring(xml.encode())
    except Exception as exc:
        return f"<p>The QuestionForm cannot be read: {html.escape(str(exc))}</p>"
    parts = ["<!DOCTYPE html><form>"]
    for element in root:
        kind = _local(element.tag)
        if kind == "Overview":
            parts.append(_content(element))
        elif kind == "Question":
            identifier = _text(element, "QuestionIdentifier")
            contents = _children(element, "QuestionContent")
            parts.append("<fieldset>")
            if contents:
                parts.append(_content(contents[0]))
            parts.append(_answer(element, identifier))
            parts.append("</fieldset>")
    parts.append('<p><input type="submit" value="Submit"></p></form>')
    return "".join(parts)


def worker_view(kind: str, template: str, values: dict) -> str:
    """The HTML the preview frame shows for one row."""
    if kind == QuestionKind.HTML:
        return templating.fill(template, values, kind=kind)
    if kind == QuestionKind.EXTERNAL:
        url = templating.fill(template, values, kind=kind).strip()
        return (
            "<!DOCTYPE html><p>Workers see the page at this address in the frame (the preview "
            f"does not load other sites):</p><p><code>{html.escape(url)}</code></p>"
        )
    return questionform_html(templating.fill(template, values, kind=kind))
