// Crowd HTML Elements for the local MTurk (stands in for
// https://assets.crowd.aws/crowd-html-elements.js, which needs the internet).
//
// Supported: crowd-form (with its submit button; posts one `taskAnswers` field holding
// `[{name: value, ...}]` like the real one), crowd-button, crowd-input, crowd-text-area,
// crowd-checkbox, crowd-radio-group / crowd-radio-button, crowd-classifier. Values in taskAnswers:
// inputs and text areas give their text, a checkbox and each radio button `{"on": true|false}`,
// the classifier `{"label": "<category>"}`. Any other crowd-* element shows a visible notice.
(function () {
  "use strict";
  if (window.customElements === undefined) return;

  var params = window.MTURK_PARAMS || {};
  var SUPPORTED = [
    "crowd-form", "crowd-button", "crowd-input", "crowd-text-area", "crowd-checkbox",
    "crowd-radio-group", "crowd-radio-button", "crowd-classifier",
  ];
  var counter = 0;

  function uid(prefix) {
    counter += 1;
    return prefix + "-" + counter;
  }

  // Elements connect when the parser meets their start tag, before their children exist: set up
  // the ones that read their content once the document is parsed.
  function whenParsed(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  function attr(el, name, fallback) {
    return el.hasAttribute(name) ? el.getAttribute(name) : fallback;
  }

  function labelled(el, control) {
    var text = attr(el, "label", "");
    if (!text) return control;
    var label = document.createElement("label");
    label.className = "crowd-label";
    label.appendChild(document.createTextNode(text + " "));
    label.appendChild(control);
    return label;
  }

  class CrowdInput extends HTMLElement {
    connectedCallback() {
      if (this._input) return;
      var input = document.createElement("input");
      input.type = attr(this, "type", "text");
      ["placeholder", "min", "max", "step", "maxlength", "minlength", "pattern"].forEach((name) => {
        if (this.hasAttribute(name)) input.setAttribute(name, this.getAttribute(name));
      });
      if (this.hasAttribute("required")) input.required = true;
      input.value = attr(this, "value", "");
      this._input = input;
      this.appendChild(labelled(this, input));
    }
    get value() { return this._input ? this._input.value : attr(this, "value", ""); }
    set value(v) { if (this._input) this._input.value = v; }
    answer() { return this.value; }
    problem() {
      if (!this._input) return "";
      if (this._input.required && !this._input.value.trim()) return (attr(this, "label", "") || this.getAttribute("name")) + " is required.";
      if (!this._input.checkValidity()) return (attr(this, "label", "") || this.getAttribute("name")) + ": " + this._input.validationMessage;
      return "";
    }
  }

  class CrowdTextArea extends CrowdInput {
    connectedCallback() {
      if (this._input) return;
      var area = document.createElement("textarea");
      area.rows = parseInt(attr(this, "rows", "3"), 10);
      if (this.hasAttribute("placeholder")) area.placeholder = this.getAttribute("placeholder");
      if (this.hasAttribute("required")) area.required = true;
      area.value = attr(this, "value", "");
      this._input = area;
      this.appendChild(labelled(this, area));
    }
  }

  class CrowdCheckbox extends HTMLElement {
    connectedCallback() { whenParsed(() => this.setup()); }
    setup() {
      if (this._input) return;
      var box = document.createElement("input");
      box.type = "checkbox";
      box.checked = this.hasAttribute("checked");
      this._input = box;
      var label = document.createElement("label");
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + (this.textContent.trim() || attr(this, "label", ""))));
      while (this.firstChild) this.removeChild(this.firstChild);
      this.appendChild(label);
    }
    get checked() { return this._input ? this._input.checked : this.hasAttribute("checked"); }
    set checked(v) { if (this._input) this._input.checked = !!v; }
    answer() { return { on: this.checked }; }
    problem() { return this.hasAttribute("required") && !this.checked ? "Tick " + this.getAttribute("name") + "." : ""; }
  }

  class CrowdRadioGroup extends HTMLElement {
    connectedCallback() { if (!this._group) this._group = uid("radio-group"); }
    get groupName() { if (!this._group) this._group = uid("radio-group"); return this._group; }
    problem() {
      var buttons = this.querySelectorAll("crowd-radio-button");
      if (!this.hasAttribute("required") || !buttons.length) return "";
      return Array.prototype.some.call(buttons, (b) => b.checked) ? "" : "Choose one option.";
    }
  }

  class CrowdRadioButton extends HTMLElement {
    connectedCallback() { whenParsed(() => this.setup()); }
    setup() {
      if (this._input) return;
      var radio = document.createElement("input");
      radio.type = "radio";
      var group = this.closest("crowd-radio-group");
      radio.name = group ? group.groupName : uid("radio");
      radio.value = attr(this, "value", this.getAttribute("name") || "");
      radio.checked = this.hasAttribute("checked");
      this._input = radio;
      var label = document.createElement("label");
      label.appendChild(radio);
      label.appendChild(document.createTextNode(" " + this.textContent.trim()));
      while (this.firstChild) this.removeChild(this.firstChild);
      this.appendChild(label);
    }
    get checked() { return this._input ? this._input.checked : this.hasAttribute("checked"); }
    set checked(v) { if (this._input) this._input.checked = !!v; }
    answer() { return { on: this.checked }; }
  }

  function categoriesOf(el) {
    var raw = attr(el, "categories", "[]");
    try { return JSON.parse(raw); } catch (e) { /* the docs use single quotes */ }
    try { return JSON.parse(raw.replace(/'/g, '"')); } catch (e) { return []; }
  }

  class CrowdClassifier extends HTMLElement {
    connectedCallback() {
      if (this._radios) return;
      var header = document.createElement("h3");
      header.textContent = attr(this, "header", "");
      this.insertBefore(header, this.firstChild);
      var name = uid("classifier");
      var list = document.createElement("div");
      list.className = "crowd-classifier-categories";
      this._radios = categoriesOf(this).map((category) => {
        var radio = document.createElement("input");
        radio.type = "radio";
        radio.name = name;
        radio.value = String(category);
        var label = document.createElement("label");
        label.appendChild(radio);
        label.appendChild(document.createTextNode(" " + category));
        list.appendChild(label);
        return radio;
      });
      this.appendChild(list);
    }
    get value() {
      var chosen = (this._radios || []).filter((r) => r.checked)[0];
      return chosen ? { label: chosen.value } : null;
    }
    answer() { var v = this.value; return v ? v : { label: "" }; }
    problem() { return this.value ? "" : "Choose a category for " + (attr(this, "header", "") || this.getAttribute("name")) + "."; }
  }

  class CrowdButton extends HTMLElement {
    connectedCallback() { whenParsed(() => this.setup()); }
    setup() {
      if (this._button) return;
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = this.textContent.trim() || "Submit";
      while (this.firstChild) this.removeChild(this.firstChild);
      this._button = button;
      this.appendChild(button);
      button.addEventListener("click", () => {
        if (this.getAttribute("form-action") === "submit") {
          var form = this.closest("crowd-form");
          if (form) form.submit();
        }
      });
    }
  }

  function nativeAnswers(form, out) {
    form.querySelectorAll("input[name], textarea[name], select[name]").forEach((el) => {
      if (el.closest("crowd-input, crowd-text-area, crowd-checkbox, crowd-radio-button, crowd-classifier")) return;
      if (el.name === "assignmentId") return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      out[el.name] = el.value;
    });
  }

  class CrowdForm extends HTMLElement {
    connectedCallback() { whenParsed(() => this.setup()); }
    setup() {
      if (this._ready) return;
      this._ready = true;
      this._message = document.createElement("p");
      this._message.className = "crowd-form-problem";
      this._message.setAttribute("role", "alert");
      this._message.style.color = "#b42318";
      this.appendChild(this._message);
      if (!this.querySelector("crowd-button[form-action=submit]")) {
        var submit = document.createElement("crowd-button");
        submit.setAttribute("form-action", "submit");
        submit.textContent = "Submit";
        this.appendChild(submit);
      }
    }

    collect() {
      var answer = {};
      this.querySelectorAll("crowd-input, crowd-text-area, crowd-checkbox, crowd-classifier").forEach((el) => {
        if (el.getAttribute("name")) answer[el.getAttribute("name")] = el.answer();
      });
      this.querySelectorAll("crowd-radio-button").forEach((el) => {
        if (el.getAttribute("name")) answer[el.getAttribute("name")] = el.answer();
      });
      nativeAnswers(this, answer);
      return [answer];
    }

    problems() {
      var found = [];
      this.querySelectorAll("crowd-input, crowd-text-area, crowd-checkbox, crowd-radio-group, crowd-classifier").forEach((el) => {
        var problem = el.problem ? el.problem() : "";
        if (problem) found.push(problem);
      });
      return found;
    }

    submit() {
      var problems = this.problems();
      this._message.textContent = problems.join(" ");
      if (problems.length) return;
      var event = new Event("submit", { cancelable: true });
      if (!this.dispatchEvent(event)) return;
      var form = document.createElement("form");
      form.method = "post";
      form.action = (params.turkSubmitTo || params.origin || "") + "/mturk/externalSubmit";
      [["assignmentId", params.assignmentId || ""], ["taskAnswers", JSON.stringify(this.collect())]].forEach((pair) => {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = pair[0];
        input.value = pair[1];
        form.appendChild(input);
      });
      form.style.display = "none";
      document.body.appendChild(form);
      HTMLFormElement.prototype.submit.call(form);
    }
  }

  var definitions = {
    "crowd-form": CrowdForm,
    "crowd-button": CrowdButton,
    "crowd-input": CrowdInput,
    "crowd-text-area": CrowdTextArea,
    "crowd-checkbox": CrowdCheckbox,
    "crowd-radio-group": CrowdRadioGroup,
    "crowd-radio-button": CrowdRadioButton,
    "crowd-classifier": CrowdClassifier,
  };
  Object.keys(definitions).forEach((name) => {
    if (!customElements.get(name)) customElements.define(name, definitions[name]);
  });

  function flagUnsupported() {
    document.querySelectorAll("*").forEach((el) => {
      var name = el.tagName.toLowerCase();
      if (name.indexOf("crowd-") !== 0 || SUPPORTED.indexOf(name) >= 0 || el._flagged) return;
      el._flagged = true;
      var notice = document.createElement("div");
      notice.className = "crowd-unsupported";
      notice.setAttribute("role", "alert");
      notice.style.cssText = "border:2px dashed #b42318;color:#b42318;padding:.5rem;margin:.5rem 0;";
      notice.textContent = "<" + name + "> is not supported by the local MTurk's crowd elements; this part of the task cannot be shown.";
      el.parentNode.insertBefore(notice, el);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", flagUnsupported);
  else flagUnsupported();
})();
