// crowd-classifier: one category of several for the whole task; its entry in taskAnswers is
// `{"label": "<category>"}`.
(function () {
  "use strict";
  var C = window.CrowdElements;
  if (!C) return;
  var attr = C.attr;

  class CrowdClassifier extends C.CrowdField {
    connectedCallback() {
      if (this._radios) return;
      var header = document.createElement("h3");
      header.textContent = attr(this, "header", "");
      this.insertBefore(header, this.firstChild);
      var name = C.uid("classifier");
      var list = C.make("div", { class: "crowd-classifier-categories" });
      this._radios = C.listAttribute(this, "categories").map((category) => {
        var radio = C.internal(document.createElement("input"));
        radio.type = "radio";
        radio.name = name;
        radio.value = String(category);
        list.appendChild(C.make("label", {}, [radio, " " + category]));
        return radio;
      });
      this.appendChild(list);
    }
    get value() {
      var chosen = (this._radios || []).filter((r) => r.checked)[0];
      return chosen ? { label: chosen.value } : null;
    }
    crowdAnswer() { var v = this.value; return v ? v : { label: "" }; }
    crowdProblem() { return this.value ? "" : "Choose a category for " + C.nameOf(this) + "."; }
  }

  C.define("crowd-classifier", CrowdClassifier);
})();
