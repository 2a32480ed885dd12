// Choice elements and their entries in taskAnswers:
//
// - crowd-toggle-button: an ON/OFF switch (`checked`, `disabled`, `invalid`: drawn in the alert
//   colour while off, `required`: must be on), answering `{"<value>": true|false}`, the key
//   being its `value` attribute, "on" without one;
// - crowd-slider: a range (`min` 0, `max` 100, `step` 1 unless given; `value`: the preset;
//   `pin`: the value shown above the knob while it moves; `editable`: a number box with up/down
//   buttons moving with the knob; `secondary-progress`: a second bar, coloured by the CSS
//   property --crowd-slider-secondary-color; `disabled`; `required`: without a preset, the
//   worker must set it), answering the number, e.g. `7` or `0.5`. Arrow keys, Page Up/Down,
//   Home and End move the knob;
// - crowd-classifier-multi-select: `header`, `categories` for the content of its
//   <classification-target>, answering `{"labels": ["<category>", ...]}` in the order of
//   `categories`; at least one must be chosen;
// - crowd-image-classifier: `header`, `categories` for the `src` image (with `overlay`: the
//   boxes of a boundingBox verification, or the label image of a semanticSegmentation one,
//   drawn over it), answering `{"label": "<category>"}`, plus `"workerComment": "<text>"` when
//   it has a <worker-comment> (`header`, `link-text`, `placeholder`) and the worker wrote one;
// - crowd-image-classifier-multi-select: as crowd-image-classifier, with several categories:
//   `{"labels": ["<category>", ...]}` (and `workerComment` as above); at least one.
//
// Both multi-selects take `exclusion-category="{ text: 'None of the above' }"`: a choice that
// clears the others (and is cleared by them), answered as the only label:
// `{"labels": ["None of the above"]}`. All four classifiers, and crowd-classifier of
// 20-classifiers.js, show their <short-instructions> and <full-instructions> as an instructions
// panel (C.instructionsPanel of 30-layout.js) and their <classification-target> above the
// categories. Categories are native checkboxes and radio buttons: Tab and Space choose them.
(function () {
  "use strict";
  var C = window.CrowdElements;
  if (!C || C.ChoiceField) return;
  var attr = C.attr;
  var make = C.make;

  var STYLE = [
    "crowd-classifier-multi-select,crowd-image-classifier,crowd-image-classifier-multi-select{display:block;margin:0 0 1.25rem}",
    "crowd-toggle-button{display:inline-block;margin-right:1.25rem}",
    "crowd-slider{display:block}",
    ".crowd-choice-header{margin:.25rem 0 .5rem}",
    ".crowd-classification-target{border:1px solid #eaecf0;border-radius:6px;padding:.6rem .8rem;margin:.5rem 0;background:#fff}",
    ".crowd-choice-categories{display:flex;flex-wrap:wrap;gap:.4rem;margin:.5rem 0}",
    ".crowd-choice-categories label{display:inline-flex;align-items:center;gap:.35rem;border:1px solid #d0d5dd;border-radius:999px;padding:.2rem .7rem;cursor:pointer;background:#fff}",
    ".crowd-choice-categories label:has(input:checked){border-color:#2563eb;background:#eff6ff}",
    ".crowd-choice-categories .crowd-choice-exclusion{border-style:dashed}",
    ".crowd-choice-stage{position:relative;display:inline-block;max-width:100%;line-height:0}",
    ".crowd-choice-stage img{display:block;max-width:100%;height:auto}",
    ".crowd-choice-stage .crowd-choice-overlay-image{position:absolute;left:0;top:0;width:100%;height:100%;opacity:.5}",
    ".crowd-choice-stage svg{position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none}",
    ".crowd-choice-legend{display:flex;gap:.6rem;flex-wrap:wrap;font-size:.85rem;margin:.3rem 0}",
    ".crowd-choice-legend span::before{content:'';display:inline-block;width:.7rem;height:.7rem;margin-right:.25rem;border-radius:2px;background:var(--swatch)}",
    ".crowd-worker-comment{margin:.4rem 0;font-size:.9rem}",
    ".crowd-worker-comment textarea{width:100%;box-sizing:border-box}",
    ".crowd-toggle{display:inline-flex;align-items:center;gap:.5rem;border:0;background:none;padding:.2rem 0;cursor:pointer;font:inherit}",
    ".crowd-toggle:disabled{cursor:default;opacity:.5}",
    ".crowd-toggle-track{position:relative;width:2.4rem;height:1.3rem;border-radius:999px;background:#d0d5dd;transition:background .15s}",
    ".crowd-toggle-knob{position:absolute;top:.15rem;left:.15rem;width:1rem;height:1rem;border-radius:50%;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.3);transition:left .15s}",
    ".crowd-toggle[aria-checked=true] .crowd-toggle-track{background:#2563eb}",
    ".crowd-toggle[aria-checked=true] .crowd-toggle-knob{left:1.25rem}",
    "crowd-toggle-button[invalid] .crowd-toggle[aria-checked=false] .crowd-toggle-track{background:#d92d20}",
    ".crowd-slider{display:flex;align-items:center;gap:.75rem;padding-top:1.6rem;max-width:32rem}",
    ".crowd-slider-rail{position:relative;flex:1}",
    ".crowd-slider-rail input[type=range]{-webkit-appearance:none;appearance:none;display:block;width:100%;height:.4rem;margin:.5rem 0;border-radius:999px;background:var(--crowd-slider-track);outline:none}",
    ".crowd-slider-rail input[type=range]:focus-visible{box-shadow:0 0 0 3px #93c5fd}",
    ".crowd-slider-rail input[type=range]::-webkit-slider-thumb{-webkit-appearance:none;appearance:none;width:16px;height:16px;border-radius:50%;background:#2563eb;border:2px solid #fff;box-shadow:0 1px 3px rgba(0,0,0,.4);cursor:pointer}",
    ".crowd-slider-rail input[type=range]:disabled::-webkit-slider-thumb{background:#98a2b3;cursor:default}",
    ".crowd-slider-pin{position:absolute;bottom:1.6rem;transform:translateX(-50%);background:#2563eb;color:#fff;border-radius:4px;padding:.1rem .4rem;font-size:.8rem;line-height:1.3;white-space:nowrap;pointer-events:none}",
    ".crowd-slider-pin[hidden]{display:none}",
    ".crowd-slider input[type=number]{width:5rem}",
  ].join("\n");

  var PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#db2777", "#65a30d", "#7c3aed", "#475569"];
  var SVG = "http://www.w3.org/2000/svg";

  function addStyle() {
    if (document.getElementById("crowd-choices-style")) return;
    (document.head || document.documentElement).appendChild(make("style", { id: "crowd-choices-style" }, [STYLE]));
  }

  function childNamed(el, name) {
    return Array.prototype.filter.call(el.children, (c) => c.localName === name)[0] || null;
  }

  // A JavaScript-literal attribute, as the reference writes them ("{ text: 'None' }"): read with
  // C.relaxedParse of 50-annotate.js (the one script holds every module by the time elements
  // are built).
  function literalAttribute(el, name) {
    var raw = attr(el, name, "");
    if (!raw.trim()) return null;
    try { return JSON.parse(raw); } catch (e) { /* a JavaScript literal, read below */ }
    return C.relaxedParse ? C.relaxedParse(raw) : null;
  }

  // The element's instructions panel and its <classification-target>'s content in a box, both
  // taken out of its children (either may be null).
  function regions(el) {
    var panel = C.instructionsPanel ? C.instructionsPanel(el) : null;
    var target = childNamed(el, "classification-target");
    var box = null;
    if (target) {
      box = make("div", { class: "crowd-classification-target" });
      while (target.firstChild) box.appendChild(target.firstChild);
      target.remove();
    }
    return { panel: panel, target: box };
  }

  // <worker-comment header link-text placeholder>instructions</worker-comment>: a link opening a
  // window with a text area. Returns {node, text()} or null.
  function workerComment(el) {
    var region = childNamed(el, "worker-comment");
    if (!region) return null;
    var header = attr(region, "header", "") || "Add a comment";
    var area = C.internal(make("textarea", { rows: "4", placeholder: attr(region, "placeholder", false), "aria-label": header }));
    var guidance = make("div", { class: "crowd-worker-comment-guidance" });
    while (region.firstChild) guidance.appendChild(region.firstChild);
    region.remove();
    var win = C.openWindow(header, [guidance, area]);
    var link = make("button", { type: "button", class: "crowd-opener-link" }, [attr(region, "link-text", "") || "Add a comment"]);
    var shown = make("span", { class: "crowd-worker-comment-text" });
    link.addEventListener("click", () => { win.open(); area.focus(); });
    win.dialog.addEventListener("close", () => {
      var text = area.value.trim();
      shown.textContent = text ? " Your comment: " + text : "";
    });
    var node = make("div", { class: "crowd-worker-comment" }, [link, shown, win.dialog]);
    return { node: node, text: () => area.value.trim() };
  }

  // The `src` image with the `overlay` of a verification task drawn over it.
  function imageStage(el) {
    var header = attr(el, "header", "");
    var image = make("img", { alt: header || "Image to classify", src: attr(el, "src", false) });
    var stage = make("div", { class: "crowd-choice-stage" }, [image]);
    var holder = make("div", { class: "crowd-choice-image" }, [stage]);
    var overlay = literalAttribute(el, "overlay") || {};
    var boxes = overlay.boundingBox;
    if (boxes && Array.isArray(boxes.value)) {
      var labels = Array.isArray(boxes.labels) ? boxes.labels.map(String) : [];
      var layer = document.createElementNS(SVG, "svg");
      layer.setAttribute("aria-hidden", "true");
      stage.appendChild(layer);
      var draw = () => {
        layer.setAttribute("viewBox", "0 0 " + image.naturalWidth + " " + image.naturalHeight);
        layer.textContent = "";
        boxes.value.forEach((b) => {
          var index = labels.indexOf(String(b.label));
          var color = PALETTE[(index < 0 ? 0 : index) % PALETTE.length];
          var rect = document.createElementNS(SVG, "rect");
          [["x", b.left], ["y", b.top], ["width", b.width], ["height", b.height]].forEach((pair) => rect.setAttribute(pair[0], String(Number(pair[1]) || 0)));
          rect.setAttribute("fill", "none");
          rect.setAttribute("stroke", color);
          rect.setAttribute("stroke-width", "2");
          rect.setAttribute("vector-effect", "non-scaling-stroke");
          rect.setAttribute("class", "crowd-choice-overlay-box");
          rect.setAttribute("data-label", String(b.label));
          layer.appendChild(rect);
        });
      };
      image.addEventListener("load", draw);
    }
    var segmentation = overlay.semanticSegmentation;
    if (segmentation && segmentation.src) {
      stage.appendChild(make("img", { class: "crowd-choice-overlay-image", src: String(segmentation.src), alt: "" }));
      var mappings = segmentation.labelMappings || {};
      var legend = make("div", { class: "crowd-choice-legend" });
      (segmentation.labels || Object.keys(mappings)).forEach((label) => {
        var swatch = make("span", {}, [String(label)]);
        swatch.style.setProperty("--swatch", (mappings[label] || {}).color || "#98a2b3");
        legend.appendChild(swatch);
      });
      holder.appendChild(legend);
    }
    return holder;
  }

  // The base of the four classifiers: header, instructions, what is classified, then the
  // categories (radio buttons when `multiple` is false, checkboxes when true).
  class ChoiceField extends C.CrowdField {
    connectedCallback() {
      if (this._built) return;
      this._built = true;
      addStyle();
      C.whenParsed(() => this.build());
    }

    build() {
      this._categories = C.listAttribute(this, "categories").map(String);
      this._comment = workerComment(this);
      var header = attr(this, "header", "");
      var staged = this.subject();
      var list = make("div", { class: "crowd-choice-categories", role: this.multiple ? "group" : "radiogroup", "aria-label": header || "Categories" });
      var group = C.uid("choice");
      this._boxes = this._categories.map((category) => {
        var box = C.internal(make("input", { type: this.multiple ? "checkbox" : "radio", name: group, value: category }));
        list.appendChild(make("label", {}, [box, category]));
        return box;
      });
      this._exclusion = null;
      if (this.multiple) {
        var exclusion = literalAttribute(this, "exclusion-category");
        var text = exclusion && typeof exclusion === "object" ? exclusion.text : null;
        if (text !== null && text !== undefined && String(text)) {
          var none = C.internal(make("input", { type: "checkbox", name: group, value: String(text) }));
          list.appendChild(make("label", { class: "crowd-choice-exclusion" }, [none, String(text)]));
          this._exclusion = none;
          none.addEventListener("change", () => { if (none.checked) this._boxes.forEach((b) => { b.checked = false; }); });
          this._boxes.forEach((b) => b.addEventListener("change", () => { if (b.checked) none.checked = false; }));
        }
      }
      var found = regions(this);
      // Anything else the template wrote inside stays, after the categories.
      var rest = Array.prototype.filter.call(this.childNodes, (n) => n.nodeType === Node.ELEMENT_NODE || n.textContent.trim());
      while (this.firstChild) this.removeChild(this.firstChild);
      [header ? make("h3", { class: "crowd-choice-header" }, [header]) : null, found.panel, found.target, staged, list]
        .concat(rest, [this._comment ? this._comment.node : null])
        .forEach((node) => { if (node) this.appendChild(node); });
    }

    // What is classified besides the <classification-target>: the image, for the image ones.
    subject() { return null; }

    chosen() {
      if (!this._boxes) return [];
      if (this._exclusion && this._exclusion.checked) return [this._exclusion.value];
      return this._boxes.filter((b) => b.checked).map((b) => b.value);
    }

    withComment(answer) {
      var text = this._comment ? this._comment.text() : "";
      if (text) answer.workerComment = text;
      return answer;
    }

    crowdAnswer() {
      var chosen = this.chosen();
      if (this.multiple) return this.withComment({ labels: chosen });
      return this.withComment({ label: chosen[0] || "" });
    }

    get value() { return this.crowdAnswer(); }

    crowdProblem() {
      if (!this._boxes || this.chosen().length) return "";
      return this.multiple
        ? "Choose at least one category for " + C.nameOf(this) + "."
        : "Choose a category for " + C.nameOf(this) + ".";
    }
  }

  class CrowdClassifierMultiSelect extends ChoiceField {
    get multiple() { return true; }
  }

  class CrowdImageClassifier extends ChoiceField {
    get multiple() { return false; }
    subject() { return imageStage(this); }
  }

  class CrowdImageClassifierMultiSelect extends ChoiceField {
    get multiple() { return true; }
    subject() { return imageStage(this); }
  }

  class CrowdToggleButton extends C.CrowdField {
    connectedCallback() {
      if (this._built) return;
      this._built = true;
      addStyle();
      C.whenParsed(() => this.build());
    }
    build() {
      var text = this.textContent.trim();
      while (this.firstChild) this.removeChild(this.firstChild);
      var button = C.internal(make("button", { type: "button", class: "crowd-toggle", role: "switch", "aria-label": text ? false : attr(this, "name", "") || "Toggle" }, [
        make("span", { class: "crowd-toggle-track" }, [make("span", { class: "crowd-toggle-knob" })]),
      ]));
      if (text) button.appendChild(make("span", { class: "crowd-toggle-text" }, [text]));
      button.disabled = this.hasAttribute("disabled");
      this._button = button;
      this.checked = this.hasAttribute("checked");
      button.addEventListener("click", () => {
        if (button.disabled) return;
        this.checked = !this.checked;
        this.dispatchEvent(new Event("change", { bubbles: true }));
      });
      this.appendChild(button);
    }
    get checked() { return this._button ? this._button.getAttribute("aria-checked") === "true" : this.hasAttribute("checked"); }
    set checked(on) { if (this._button) this._button.setAttribute("aria-checked", on ? "true" : "false"); }
    crowdAnswer() {
      var answer = {};
      answer[attr(this, "value", "") || "on"] = this.checked;
      return answer;
    }
    get value() { return this.checked; }
    crowdProblem() {
      return this.hasAttribute("required") && !this.checked ? "Switch on " + C.nameOf(this) + "." : "";
    }
  }

  function number(el, name, fallback) {
    var n = parseFloat(attr(el, name, ""));
    return isNaN(n) ? fallback : n;
  }

  var THUMB = 16; // px, as the slider's CSS draws it

  class CrowdSlider extends C.CrowdField {
    connectedCallback() {
      if (this._built) return;
      this._built = true;
      addStyle();
      C.whenParsed(() => this.build());
    }
    build() {
      var min = number(this, "min", 0);
      var max = Math.max(number(this, "max", 100), min);
      var step = number(this, "step", 1);
      this._preset = this.hasAttribute("value");
      this._touched = false;
      var range = C.internal(make("input", { type: "range", min: min, max: max, step: step > 0 ? step : "any", "aria-label": attr(this, "name", "") || "Slider" }));
      range.value = String(number(this, "value", min));
      range.disabled = this.hasAttribute("disabled");
      this._range = range;
      var rail = make("div", { class: "crowd-slider-rail" }, [range]);
      var holder = make("div", { class: "crowd-slider" }, [rail]);
      if (this.hasAttribute("pin")) {
        this._pin = make("span", { class: "crowd-slider-pin", "aria-hidden": "true", hidden: true });
        rail.appendChild(this._pin);
        var show = () => { this._pin.hidden = false; this.paint(); };
        var hide = () => { this._pin.hidden = true; };
        range.addEventListener("pointerdown", show);
        range.addEventListener("focus", show);
        range.addEventListener("blur", hide);
      }
      if (this.hasAttribute("editable")) {
        var box = C.internal(make("input", { type: "number", min: min, max: max, step: step > 0 ? step : "any", "aria-label": (attr(this, "name", "") || "Slider") + " value" }));
        box.value = range.value;
        box.disabled = range.disabled;
        box.addEventListener("input", () => {
          if (box.value === "" || isNaN(parseFloat(box.value))) return;
          range.value = box.value;
          this.moved();
        });
        box.addEventListener("change", () => { box.value = range.value; });
        this._box = box;
        holder.appendChild(box);
      }
      range.addEventListener("input", () => this.moved());
      this.appendChild(holder);
      this.paint();
    }
    moved() {
      this._touched = true;
      if (this._box && document.activeElement !== this._box) this._box.value = this._range.value;
      this.paint();
      this.dispatchEvent(new Event("change", { bubbles: true }));
    }
    // The filled part of the bar (and the secondary progress beyond it), and the pin's place.
    paint() {
      var range = this._range;
      var min = parseFloat(range.min);
      var span = parseFloat(range.max) - min || 1;
      var at = (n) => Math.min(Math.max((n - min) / span, 0), 1) * 100;
      var value = at(parseFloat(range.value));
      var secondary = this.hasAttribute("secondary-progress") ? Math.max(at(number(this, "secondary-progress", min)), value) : value;
      range.style.setProperty("--crowd-slider-track", "linear-gradient(to right, #2563eb " + value + "%, var(--crowd-slider-secondary-color, #93c5fd) " + value + "%, var(--crowd-slider-secondary-color, #93c5fd) " + secondary + "%, #d0d5dd " + secondary + "%)");
      if (this._pin) {
        this._pin.textContent = range.value;
        var width = range.getBoundingClientRect().width;
        this._pin.style.left = (THUMB / 2 + (value / 100) * (width - THUMB)) + "px";
      }
    }
    get value() { return this._range ? parseFloat(this._range.value) : number(this, "value", number(this, "min", 0)); }
    set value(v) { if (this._range) { this._range.value = String(v); this.moved(); } }
    crowdAnswer() { return this.value; }
    crowdProblem() {
      if (!this._range || !this.hasAttribute("required") || this._preset || this._touched) return "";
      return "Choose a value on " + C.nameOf(this) + ".";
    }
  }

  // crowd-classifier (20-classifiers.js) draws its categories as it connects, before its
  // children are parsed: once they are, its instructions and target move above the categories.
  function arrangeClassifiers() {
    document.querySelectorAll("crowd-classifier").forEach((el) => {
      if (el._arranged) return;
      el._arranged = true;
      addStyle();
      var found = regions(el);
      var header = el.querySelector(":scope > h3");
      var anchor = header ? header.nextSibling : el.firstChild;
      [found.panel, found.target].forEach((node) => { if (node) el.insertBefore(node, anchor); });
    });
  }
  C.whenParsed(arrangeClassifiers);

  C.ChoiceField = ChoiceField;
  C.define("crowd-toggle-button", CrowdToggleButton);
  C.define("crowd-slider", CrowdSlider);
  C.define("crowd-classifier-multi-select", CrowdClassifierMultiSelect);
  C.define("crowd-image-classifier", CrowdImageClassifier);
  C.define("crowd-image-classifier-multi-select", CrowdImageClassifierMultiSelect);
})();
