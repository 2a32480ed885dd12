// crowd-entity-annotation: labels put on words, phrases or any run of characters of a text.
// Attributes: `header`, `text`, `labels` (objects `{label, shortDisplayName, fullDisplayName}`,
// written as JSON or as the reference's JavaScript literals), `initial-value` (a list of
// `{label, startOffset, endOffset}`), `name`; children <short-instructions> and
// <full-instructions>.
//
// As on MTurk the element is self-contained: written outside a crowd-form, it makes its own
// form, with a Submit button, in its shadow root (whose crowd-form's `form` a script may add
// questions to, after `all-crowd-elements-ready`); written inside a crowd-form it answers there
// like any field.
//
// The worker chooses a label (its button, or keys 1-9 on the text), then highlights text with
// the mouse (a drag, or a double click for a word): the highlight takes the label at once (or,
// with text highlighted, a label's button or key puts it on). Any run of characters may be
// labelled, as the reference says (no snapping to words); spaces at the ends of a highlight are
// left out. As the reference's instructions say, a highlight may take in all of a labelled span
// but not a portion of it: highlighting a whole labelled span again, or clicking it and choosing
// a label, changes its label, and one that overlaps a labelled span is refused. A labelled span
// shows its short name; its x button, or Delete or Backspace while it is chosen, removes it.
// The text is shown as text, never as HTML.
//
// Keys, on the text: Right and Left arrows highlight the next or previous word (a run of
// letters and digits, or one mark of punctuation); onto a labelled span, they choose it instead.
// Shift+Right takes in the next word too, Shift+Left lets go of the last one. 1-9 put that
// label on the highlight (or on the chosen span), Enter puts the label chosen last; Delete or
// Backspace removes the chosen span; Escape lets go of the highlight and the chosen span.
//
// Entry in taskAnswers: `{"entities": [{"endOffset", "label", "startOffset"}]}`, in the order
// of the text, offsets counted in Unicode characters of `text`, endOffset the first character
// after the span.
(function () {
  "use strict";
  var C = window.CrowdElements;
  if (!C) return;
  var attr = C.attr;
  var PALETTE = ["#bfdbfe", "#fde68a", "#bbf7d0", "#fecaca", "#e9d5ff", "#fed7aa", "#fbcfe8", "#e5e7eb", "#d9f99d", "#a5f3fc"];

  var STYLE = [
    ":host{display:block}",
    ".crowd-entity-labels{display:flex;flex-wrap:wrap;gap:.4rem;margin:.5rem 0}",
    ".crowd-entity-labels button{font:inherit;border:1px solid #d0d5dd;border-radius:999px;padding:.15rem .7rem;cursor:pointer;background:#fff}",
    ".crowd-entity-labels button[aria-pressed=true]{border-color:#1d4ed8;box-shadow:0 0 0 2px #93c5fd}",
    ".crowd-entity-text{white-space:pre-wrap;line-height:2.4;padding:.6rem .8rem;border:1px solid #d0d5dd;border-radius:6px;background:#fff;max-width:48rem;outline:none}",
    ".crowd-entity-text:focus-visible{box-shadow:0 0 0 3px #93c5fd}",
    ".crowd-entity-text mark{position:relative;border-radius:3px;padding:.1rem 0;cursor:pointer;color:inherit}",
    ".crowd-entity-text mark[aria-selected=true]{outline:2px solid #1d4ed8}",
    ".crowd-entity-text mark::before{content:attr(data-short);position:absolute;left:0;top:-1.1em;font-size:.65rem;line-height:1;font-weight:600;color:#344054;white-space:nowrap}",
    ".crowd-entity-remove{border:none;background:none;padding:0 .15rem;cursor:pointer;font:inherit;font-size:.75rem;vertical-align:super;color:#b42318}",
    ".crowd-entity-remove::after{content:'\\00d7'}",
    ".crowd-entity-status{min-height:1.2em;color:#475467;font-size:.9rem;margin:.3rem 0}",
  ].join("\n");

  // Unicode characters (code points) and the string's UTF-16 positions, both ways.
  function toCodePoints(text, index) { return Array.from(text.slice(0, index)).length; }
  function toUnits(text, count) { return Array.from(text).slice(0, count).join("").length; }

  // The words the arrow keys step through, as UTF-16 ranges of the text.
  var WORD = /[\p{L}\p{N}\p{M}_]+(?:['\u2019-][\p{L}\p{N}\p{M}_]+)*|\S/gu;

  function wordsOf(text) {
    var found = [];
    var match;
    WORD.lastIndex = 0;
    while ((match = WORD.exec(text))) found.push({ start: match.index, end: match.index + match[0].length });
    return found;
  }

  function readLabels(el) {
    var parsed = C.relaxedParse(attr(el, "labels", "[]"));
    if (!Array.isArray(parsed)) return [];
    return parsed
      .map((item) => (typeof item === "string" ? { label: item } : item))
      .filter((item) => item && item.label !== undefined && item.label !== null)
      .map((item, index) => ({
        label: String(item.label),
        short: String(item.shortDisplayName || item.label),
        full: String(item.fullDisplayName || item.label),
        color: PALETTE[index % PALETTE.length],
      }));
  }

  class CrowdEntityAnnotation extends C.CrowdField {
    connectedCallback() {
      if (this._built) return;
      this._built = true;
      C.whenParsed(() => this.build());
    }

    build() {
      this._text = attr(this, "text", "");
      this._labels = readLabels(this);
      this._active = this._labels.length ? this._labels[0].label : "";
      this._entities = this.initialEntities();
      this._words = wordsOf(this._text);
      this._chosen = null;
      // Where the keyboard is in the text: the word (or words) highlighted, or the span chosen.
      this._cursor = null;

      var panel = C.instructionsPanel ? C.instructionsPanel(this) : null;
      var header = attr(this, "header", "");
      var parts = [];
      if (header) parts.push(C.make("h3", { class: "crowd-entity-header" }, [header]));
      if (panel) parts.push(panel);
      this._picker = C.make("div", { class: "crowd-entity-labels", role: "toolbar", "aria-label": "Labels" });
      this._labels.forEach((entry, index) => {
        var button = C.internal(C.make("button", { type: "button", "data-label": entry.label, title: entry.full }, [(index < 9 ? index + 1 + " " : "") + entry.full]));
        button.style.background = entry.color;
        button.addEventListener("mousedown", (e) => e.preventDefault());  // keep the highlight
        button.addEventListener("click", () => this.useLabel(entry.label));
        this._picker.appendChild(button);
      });
      parts.push(this._picker);
      this._view = C.make("div", { class: "crowd-entity-text", tabindex: "0", "aria-label": "Text to label" });
      this._view.addEventListener("mouseup", () => setTimeout(() => this.onHighlight(), 0));
      this._view.addEventListener("keydown", (e) => this.onKey(e));
      parts.push(this._view);
      this._status = C.make("p", { class: "crowd-entity-status", role: "status" });
      parts.push(this._status);

      if (this.closest("crowd-form")) {
        this._root = this;
        parts.reverse().forEach((part) => this.insertBefore(part, this.firstChild));
        this.addStyle(document.head);
      } else {
        // Self-contained: its own crowd-form, the element's other children shown through a slot.
        var shadow = this.attachShadow({ mode: "open" });
        this.addStyle(shadow);
        var form = document.createElement("crowd-form");
        form.crowdHost = this;
        parts.forEach((part) => form.appendChild(part));
        form.appendChild(document.createElement("slot"));
        shadow.appendChild(form);
        this._root = shadow;
      }
      this.render();
    }

    addStyle(where) {
      if (where.querySelector && where.querySelector("style[data-crowd-entity]")) return;
      var style = C.make("style", { "data-crowd-entity": "" }, [STYLE.replace(":host{display:block}", where === document.head ? "crowd-entity-annotation{display:block}" : ":host{display:block}")]);
      where.appendChild(style);
      // In the shadow root, the other modules' styles too (the instructions panel's, the
      // buttons').
      if (where !== document.head) {
        document.querySelectorAll("style[id^=crowd-]").forEach((other) => where.appendChild(other.cloneNode(true)));
      }
    }

    initialEntities() {
      if (!this.hasAttribute("initial-value")) return [];
      var parsed = C.relaxedParse(attr(this, "initial-value", ""));
      if (!Array.isArray(parsed)) return [];
      var total = Array.from(this._text).length;
      var found = [];
      parsed.forEach((item) => {
        if (!item || !this.labelEntry(String(item.label))) return;
        var start = Math.round(Number(item.startOffset));
        var end = Math.round(Number(item.endOffset));
        if (!(start >= 0 && end > start && end <= total)) return;
        var span = { label: String(item.label), start: toUnits(this._text, start), end: toUnits(this._text, end) };
        if (!found.some((other) => span.start < other.end && other.start < span.end)) found.push(span);
      });
      return found.sort((a, b) => a.start - b.start);
    }

    labelEntry(label) {
      return this._labels.filter((entry) => entry.label === label)[0];
    }

    say(text) { this._status.textContent = text; }

    render() {
      var view = this._view;
      while (view.firstChild) view.removeChild(view.firstChild);
      var at = 0;
      this._entities.forEach((span) => {
        if (span.start > at) view.appendChild(document.createTextNode(this._text.slice(at, span.start)));
        var entry = this.labelEntry(span.label);
        var mark = C.make("mark", { "data-label": span.label, "data-short": entry.short, "aria-selected": span === this._chosen ? "true" : "false", title: entry.full });
        mark.style.background = entry.color;
        mark.appendChild(document.createTextNode(this._text.slice(span.start, span.end)));
        mark.addEventListener("click", (e) => {
          if (!this.selection()) { e.preventDefault(); this.choose(span); }
        });
        var remove = C.internal(C.make("button", { type: "button", class: "crowd-entity-remove", "aria-label": "Remove " + entry.full + " from " + this._text.slice(span.start, span.end).slice(0, 40) }));
        remove.addEventListener("click", (e) => { e.stopPropagation(); this.remove(span); });
        mark.appendChild(remove);
        view.appendChild(mark);
        at = span.end;
      });
      if (at < this._text.length) view.appendChild(document.createTextNode(this._text.slice(at)));
      Array.prototype.forEach.call(this._picker.children, (button) => {
        button.setAttribute("aria-pressed", button.getAttribute("data-label") === this._active ? "true" : "false");
      });
    }

    // Where a DOM position falls in the text (UTF-16 units), counting only the text's own
    // characters (the remove buttons have none).
    offsetOf(node, offset) {
      var range = document.createRange();
      range.setStart(this._view, 0);
      range.setEnd(node, offset);
      return range.toString().length;
    }

    // The selection of the element's tree (in a shadow root, its own).
    selectionObject() {
      return this._root && this._root.getSelection ? this._root.getSelection() : document.getSelection();
    }

    selection() {
      var selected = this.selectionObject();
      if (!selected || selected.isCollapsed || !selected.rangeCount) return null;
      var range = selected.getRangeAt(0);
      if (!this._view.contains(range.startContainer) || !this._view.contains(range.endContainer)) return null;
      var start = this.offsetOf(range.startContainer, range.startOffset);
      var end = this.offsetOf(range.endContainer, range.endOffset);
      while (start < end && /\s/.test(this._text[start])) start += 1;
      while (end > start && /\s/.test(this._text[end - 1])) end -= 1;
      return end > start ? { start: start, end: end } : null;
    }

    clearSelection() {
      var selected = this.selectionObject();
      if (selected) selected.removeAllRanges();
    }

    // The DOM range of the text's characters start..end (UTF-16 units).
    domRange(start, end) {
      var range = document.createRange();
      var walker = document.createTreeWalker(this._view, NodeFilter.SHOW_TEXT);
      var at = 0;
      var started = false;
      for (var node = walker.nextNode(); node; node = walker.nextNode()) {
        var length = node.data.length;
        if (!started && start <= at + length) {
          range.setStart(node, start - at);
          started = true;
        }
        if (started && end <= at + length) {
          range.setEnd(node, end - at);
          break;
        }
        at += length;
      }
      return range;
    }

    highlightText(start, end) {
      var selected = this.selectionObject();
      selected.removeAllRanges();
      selected.addRange(this.domRange(start, end));
    }

    // An arrow key: the next or previous word, or (`extend`) one word more or fewer.
    step(forward, extend) {
      var words = this._words;
      var cursor = this._cursor;
      if (!words.length) return;
      if (extend && cursor) {
        var next = forward
          ? words.filter((w) => w.start >= cursor.end)[0]
          : words.filter((w) => w.start >= cursor.start && w.end < cursor.end).pop();
        if (next) this.moveTo({ start: cursor.start, end: next.end }, false);
        return;
      }
      var word;
      if (!cursor) word = forward ? words[0] : words[words.length - 1];
      else if (forward) word = words.filter((w) => w.start >= cursor.end)[0];
      else word = words.filter((w) => w.end <= cursor.start).pop();
      if (word) this.moveTo(word, true);
    }

    // Highlights the characters of `range`; `choosing`: a labelled span there is chosen
    // instead.
    moveTo(range, choosing) {
      var span = choosing ? this._entities.filter((other) => range.start < other.end && other.start < range.end)[0] : null;
      this._chosen = span || null;
      this._cursor = span ? { start: span.start, end: span.end } : { start: range.start, end: range.end };
      if (span) this._active = span.label;
      this.render();
      if (span) {
        this.clearSelection();
        this.say(this.labelEntry(span.label).full + ": " + this._text.slice(span.start, span.end) + " (Delete removes it, 1-9 change its label)");
      } else {
        this.highlightText(this._cursor.start, this._cursor.end);
        this.say("");
      }
    }

    onHighlight() {
      var span = this.selection();
      if (span && this._active) this.label(span, this._active);
    }

    useLabel(label) {
      this._active = label;
      var span = this.selection();
      if (span) this.label(span, label);
      else if (this._chosen) { this._chosen.label = label; this.changed("Label changed to " + this.labelEntry(label).full + "."); }
      else this.render();
    }

    label(span, label) {
      this.clearSelection();
      var same = this._entities.filter((other) => other.start === span.start && other.end === span.end)[0];
      this._cursor = { start: span.start, end: span.end };
      if (same) {
        same.label = label;
        this.changed("Label changed to " + this.labelEntry(label).full + ".");
        return;
      }
      if (this._entities.some((other) => span.start < other.end && other.start < span.end)) {
        this.say("That overlaps a labelled span: highlight all of it to change its label, or remove it first.");
        return;
      }
      this._entities.push({ label: label, start: span.start, end: span.end });
      this._entities.sort((a, b) => a.start - b.start);
      this._chosen = null;
      this.changed(this.labelEntry(label).full + ": " + this._text.slice(span.start, span.end));
    }

    choose(span) {
      this._chosen = span;
      this._cursor = { start: span.start, end: span.end };
      this._active = span.label;
      this.render();
      this._view.focus({ preventScroll: true });
    }

    remove(span) {
      this._entities = this._entities.filter((other) => other !== span);
      if (this._chosen === span) this._chosen = null;
      this.changed("Removed.");
    }

    changed(message) {
      this.render();
      this.say(message);
      this.dispatchEvent(new Event("change", { bubbles: true }));
    }

    onKey(event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (/^[1-9]$/.test(event.key) && this._labels[Number(event.key) - 1]) {
        event.preventDefault();
        this.useLabel(this._labels[Number(event.key) - 1].label);
      } else if ((event.key === "Delete" || event.key === "Backspace") && this._chosen) {
        event.preventDefault();
        this.remove(this._chosen);
      } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        this.step(event.key === "ArrowRight", event.shiftKey);
      } else if (event.key === "Enter" && this._active && this.selection()) {
        event.preventDefault();
        this.label(this.selection(), this._active);
      } else if (event.key === "Escape") {
        this._chosen = null;
        this._cursor = null;
        this.clearSelection();
        this.render();
      }
    }

    crowdAnswer() {
      if (!this._entities) return undefined;
      return {
        entities: this._entities.map((span) => ({
          endOffset: toCodePoints(this._text, span.end),
          label: span.label,
          startOffset: toCodePoints(this._text, span.start),
        })),
      };
    }
  }

  C.define("crowd-entity-annotation", CrowdEntityAnnotation);
})();
