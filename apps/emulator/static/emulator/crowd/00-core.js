// Crowd HTML Elements for the local MTurk: our own stand-in for
// https://assets.crowd.aws/crowd-html-elements.js, which needs the internet.
//
// The local MTurk serves the modules of this directory as one script, in the order of their
// names (apps/emulator/workers/site/assets.py): this core first, then one module per family
// of elements, then 99-finish.js. The core gives every module the same few tools on
// `window.CrowdElements`:
//
// - `define(name, class)` registers an element (once: a page may load the script twice);
// - `CrowdField`, the base class of elements that answer: `crowdAnswer()` gives the element's
//   entry of taskAnswers (undefined: none), `crowdProblem()` says why the form cannot be
//   submitted yet ("" when it can), `value` is the answer, as on MTurk; a field whose
//   `crowdMerges` is true (check boxes, radio buttons) adds its keys to the entry of another
//   field of the same name;
// - `attr`, `whenParsed`, `uid`, `make`, `internal`, `labelled`, `listAttribute`, `nameOf`.
//
// crowd-form posts one `taskAnswers` field holding `[{name: answer, ...}]`, as MTurk's does,
// with the answers of every named crowd field inside it and of its named native inputs. Its
// `form` is where a script may add questions. A self-contained element (crowd-entity-annotation
// outside a crowd-form) makes its own crowd-form in its shadow root, with `crowdHost` set to
// the element: that form answers for the element and for the fields written inside it.
(function () {
  "use strict";
  if (window.customElements === undefined || window.CrowdElements) return;

  var params = window.MTURK_PARAMS || {};
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

  // make("button", {type: "button", class: "x"}, ["Save"]): an element with attributes and
  // children (strings become text).
  function make(tag, attributes, children) {
    var el = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) {
      var value = attributes[key];
      if (value === false || value === null || value === undefined) return;
      el.setAttribute(key, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return el;
  }

  // A control an element draws for itself: never read as one of the form's native inputs.
  function internal(control) {
    control.setAttribute("data-crowd-internal", "");
    return control;
  }

  function labelled(el, control) {
    var text = attr(el, "label", "");
    if (!text) return control;
    return make("label", { class: "crowd-label" }, [text + " ", control]);
  }

  // An attribute holding a list, written as JSON or, as the reference's examples do, with
  // single quotes: labels="['Cat', 'Dog']".
  function listAttribute(el, name) {
    var raw = attr(el, name, "");
    if (!raw) return [];
    var parsed = null;
    try { parsed = JSON.parse(raw); } catch (e) {
      try { parsed = JSON.parse(raw.replace(/'/g, '"')); } catch (e2) { parsed = null; }
    }
    return Array.isArray(parsed) ? parsed : [];
  }

  // How a problem names the element: its label or header, else its name.
  function nameOf(el) {
    return attr(el, "label", "") || attr(el, "header", "") || attr(el, "name", "") || el.localName;
  }

  class CrowdField extends HTMLElement {
    crowdAnswer() { return undefined; }
    crowdProblem() { return ""; }
    get value() { return this.crowdAnswer(); }
  }

  function define(name, cls) {
    if (!customElements.get(name)) customElements.define(name, cls);
  }

  // Named inputs the template wrote itself (not the controls our elements draw).
  function nativeAnswers(form, out) {
    form.querySelectorAll("input[name], textarea[name], select[name]").forEach(function (el) {
      if (el.hasAttribute("data-crowd-internal") || el.closest("[data-crowd-internal]")) return;
      if (el.name === "assignmentId") return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      if (el.type === "submit" || el.type === "button") return;
      out[el.name] = el.value;
    });
  }

  function isPlainObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function fields(root) {
    var found = Array.prototype.filter.call(root.querySelectorAll("*"), function (el) {
      return el instanceof CrowdField;
    });
    // A self-contained element's own form (in its shadow root) answers for the element and
    // the fields written inside it as well.
    var host = root.crowdHost;
    return host ? [host].concat(fields(host), found) : found;
  }

  class CrowdForm extends HTMLElement {
    connectedCallback() { whenParsed(() => this.setup()); }
    setup() {
      if (this._ready) return;
      this._ready = true;
      // `form`: where a page's script may add more questions, as MTurk's crowd-form offers.
      this._extra = make("div", { class: "crowd-form-extra" });
      this.appendChild(this._extra);
      this._message = make("p", { class: "crowd-form-problem", role: "alert" });
      this._message.style.color = "#b42318";
      this.appendChild(this._message);
      if (!this.querySelector("crowd-button[form-action=submit]")) {
        this.appendChild(make("crowd-button", { "form-action": "submit" }, ["Submit"]));
      }
    }

    get form() {
      this.setup();
      return this._extra;
    }

    collect() {
      var answer = {};
      fields(this).forEach(function (el) {
        var name = el.getAttribute("name");
        if (!name) return;
        var value = el.crowdAnswer();
        if (value === undefined) return;
        // Check boxes sharing a name answer as one object with a key per value.
        if (el.crowdMerges && isPlainObject(answer[name])) Object.assign(answer[name], value);
        else answer[name] = value;
      });
      if (this.crowdHost) nativeAnswers(this.crowdHost, answer);
      nativeAnswers(this, answer);
      return [answer];
    }

    problems() {
      var found = [];
      fields(this).forEach(function (el) {
        var problem = el.crowdProblem();
        if (problem) found.push(problem);
      });
      return found;
    }

    submit() {
      var problems = this.problems();
      this._message.textContent = problems.join(" ");
      if (problems.length) return false;
      var event = new Event("submit", { cancelable: true });
      if (!this.dispatchEvent(event)) return false;
      var form = make("form", { method: "post", action: (params.turkSubmitTo || params.origin || "") + "/mturk/externalSubmit" });
      [["assignmentId", params.assignmentId || ""], ["taskAnswers", JSON.stringify(this.collect())]].forEach(function (pair) {
        form.appendChild(make("input", { type: "hidden", name: pair[0], value: pair[1] }));
      });
      form.style.display = "none";
      document.body.appendChild(form);
      HTMLFormElement.prototype.submit.call(form);
      return true;
    }
  }

  define("crowd-form", CrowdForm);

  window.CrowdElements = {
    params: params,
    define: define,
    CrowdField: CrowdField,
    attr: attr,
    whenParsed: whenParsed,
    uid: uid,
    make: make,
    internal: internal,
    labelled: labelled,
    listAttribute: listAttribute,
    nameOf: nameOf,
  };
})();
