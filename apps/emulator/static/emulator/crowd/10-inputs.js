// Form controls: crowd-button, crowd-input, crowd-text-area, crowd-checkbox,
// crowd-radio-group and crowd-radio-button. Their entries in taskAnswers: an input or a text
// area gives its text; a checkbox and each radio button `{"<value>": true|false}`, the key
// being its `value` attribute ("on" without one). Check boxes (or radio buttons outside a
// group) sharing one `name` answer together, one key per value:
// `{"image_attributes": {"blurry": true, "dim": false}}`.
(function () {
  "use strict";
  var C = window.CrowdElements;
  if (!C) return;
  var attr = C.attr;

  // A check box's or radio button's entry: its state under its value's name.
  function stateOf(el) {
    var answer = {};
    answer[attr(el, "value", "") || "on"] = el.checked;
    return answer;
  }

  class CrowdInput extends C.CrowdField {
    connectedCallback() {
      if (this._input) return;
      var input = C.internal(document.createElement("input"));
      input.type = attr(this, "type", "text");
      ["placeholder", "min", "max", "step", "maxlength", "minlength", "pattern"].forEach((name) => {
        if (this.hasAttribute(name)) input.setAttribute(name, this.getAttribute(name));
      });
      // The reference's own spelling of the length limits.
      if (this.hasAttribute("max-length")) input.maxLength = parseInt(this.getAttribute("max-length"), 10);
      if (this.hasAttribute("min-length")) input.minLength = parseInt(this.getAttribute("min-length"), 10);
      if (this.hasAttribute("required")) input.required = true;
      if (this.hasAttribute("disabled")) input.disabled = true;
      if (this.hasAttribute("auto-focus")) input.autofocus = true;
      input.value = attr(this, "value", "");
      this._input = input;
      this.appendChild(C.labelled(this, input));
    }
    get value() { return this._input ? this._input.value : attr(this, "value", ""); }
    set value(v) { if (this._input) this._input.value = v; }
    crowdAnswer() { return this.value; }
    crowdProblem() {
      if (!this._input) return "";
      if (this._input.required && !this._input.value.trim()) return C.nameOf(this) + " is required.";
      if (!this._input.checkValidity()) return C.nameOf(this) + ": " + this._input.validationMessage;
      return "";
    }
  }

  class CrowdTextArea extends CrowdInput {
    connectedCallback() {
      if (this._input) return;
      var area = C.internal(document.createElement("textarea"));
      area.rows = parseInt(attr(this, "rows", "3"), 10);
      if (this.hasAttribute("placeholder")) area.placeholder = this.getAttribute("placeholder");
      if (this.hasAttribute("max-length")) area.maxLength = parseInt(this.getAttribute("max-length"), 10);
      if (this.hasAttribute("required")) area.required = true;
      if (this.hasAttribute("disabled")) area.disabled = true;
      area.value = attr(this, "value", "") || this.textContent.trim();
      while (this.firstChild) this.removeChild(this.firstChild);
      this._input = area;
      this.appendChild(C.labelled(this, area));
      if (this.hasAttribute("char-counter")) {
        var counter = C.make("span", { class: "crowd-char-counter" });
        var update = () => {
          var max = area.maxLength > 0 ? " / " + area.maxLength : "";
          counter.textContent = area.value.length + max;
        };
        area.addEventListener("input", update);
        update();
        this.appendChild(counter);
      }
    }
  }

  class CrowdCheckbox extends C.CrowdField {
    connectedCallback() { C.whenParsed(() => this.setup()); }
    setup() {
      if (this._input) return;
      var box = C.internal(document.createElement("input"));
      box.type = "checkbox";
      box.checked = this.hasAttribute("checked");
      box.disabled = this.hasAttribute("disabled");
      this._input = box;
      var text = this.textContent.trim() || attr(this, "label", "");
      while (this.firstChild) this.removeChild(this.firstChild);
      this.appendChild(C.make("label", {}, [box, " " + text]));
    }
    get checked() { return this._input ? this._input.checked : this.hasAttribute("checked"); }
    set checked(v) { if (this._input) this._input.checked = !!v; }
    get value() { return this.checked; }
    get crowdMerges() { return true; }
    crowdAnswer() { return stateOf(this); }
    crowdProblem() { return this.hasAttribute("required") && !this.checked ? "Tick " + C.nameOf(this) + "." : ""; }
  }

  // The group answers nothing itself (each button does); it is required as a whole.
  class CrowdRadioGroup extends C.CrowdField {
    connectedCallback() { if (!this._group) this._group = C.uid("radio-group"); }
    get groupName() { if (!this._group) this._group = C.uid("radio-group"); return this._group; }
    crowdProblem() {
      var buttons = this.querySelectorAll("crowd-radio-button");
      if (!this.hasAttribute("required") || !buttons.length) return "";
      return Array.prototype.some.call(buttons, (b) => b.checked) ? "" : "Choose one option.";
    }
  }

  class CrowdRadioButton extends C.CrowdField {
    connectedCallback() { C.whenParsed(() => this.setup()); }
    setup() {
      if (this._input) return;
      var radio = C.internal(document.createElement("input"));
      radio.type = "radio";
      var group = this.closest("crowd-radio-group");
      radio.name = group ? group.groupName : C.uid("radio");
      radio.value = attr(this, "value", this.getAttribute("name") || "");
      radio.checked = this.hasAttribute("checked");
      radio.disabled = this.hasAttribute("disabled");
      this._input = radio;
      var text = this.textContent.trim();
      while (this.firstChild) this.removeChild(this.firstChild);
      this.appendChild(C.make("label", {}, [radio, " " + text]));
    }
    get checked() { return this._input ? this._input.checked : this.hasAttribute("checked"); }
    set checked(v) { if (this._input) this._input.checked = !!v; }
    get value() { return this.checked; }
    get crowdMerges() { return true; }
    crowdAnswer() { return stateOf(this); }
  }

  class CrowdButton extends HTMLElement {
    connectedCallback() { C.whenParsed(() => this.setup()); }
    setup() {
      if (this._button) return;
      var button = C.internal(document.createElement("button"));
      button.type = "button";
      button.textContent = this.textContent.trim() || "Submit";
      button.disabled = this.hasAttribute("disabled");
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

  C.define("crowd-button", CrowdButton);
  C.define("crowd-input", CrowdInput);
  C.define("crowd-text-area", CrowdTextArea);
  C.define("crowd-checkbox", CrowdCheckbox);
  C.define("crowd-radio-group", CrowdRadioGroup);
  C.define("crowd-radio-button", CrowdRadioButton);
})();
