// Checks a rendered QuestionForm before it is posted: required answers, IsNumeric bounds, Length,
// AnswerFormatRegex, selection counts, "other" text, file sizes. The server checks again.
(function () {
  "use strict";

  function problemOf(answer) {
    var kind = answer.getAttribute("data-kind");
    var required = answer.getAttribute("data-required") === "1";
    if (kind === "selection") {
      var chosen = [];
      answer.querySelectorAll("input:checked, option:checked").forEach(function (el) {
        if (el.value) chosen.push(el.value);
      });
      if (!chosen.length) return required ? "Choose an answer." : "";
      var low = parseInt(answer.getAttribute("data-min"), 10) || 1;
      var high = parseInt(answer.getAttribute("data-max"), 10) || 1;
      if (chosen.length < low) return "Choose at least " + low + ".";
      if (chosen.length > high) return "Choose at most " + high + ".";
      if (chosen.indexOf("__other__") >= 0) {
        var other = answer.querySelector("input[type=text]");
        if (!other || !other.value.trim()) return "Say what the other answer is.";
      }
      return "";
    }
    if (kind === "file") {
      var input = answer.querySelector("input[type=file]");
      var file = input && input.files && input.files[0];
      if (!file) return required ? "Upload a file." : "";
      var minBytes = parseInt(answer.getAttribute("data-minbytes"), 10) || 0;
      var maxBytes = parseInt(answer.getAttribute("data-maxbytes"), 10);
      if (file.size < minBytes) return "The file must be at least " + minBytes + " bytes.";
      if (!isNaN(maxBytes) && file.size > maxBytes) return "The file must be at most " + maxBytes + " bytes.";
      return "";
    }
    var field = answer.querySelector("input, textarea");
    var value = field ? field.value : "";
    if (!value.trim()) return required ? "This answer is required." : "";
    if (answer.getAttribute("data-numeric") === "1") {
      if (!/^\s*-?\d+(\.\d+)?\s*$/.test(value)) return "Enter a number.";
      var number = parseFloat(value);
      var minValue = answer.getAttribute("data-minvalue");
      var maxValue = answer.getAttribute("data-maxvalue");
      if (minValue !== null && number < parseFloat(minValue)) return "Enter a number of at least " + minValue + ".";
      if (maxValue !== null && number > parseFloat(maxValue)) return "Enter a number of at most " + maxValue + ".";
    }
    var minLength = answer.getAttribute("data-minlength");
    var maxLength = answer.getAttribute("data-maxlength");
    if (minLength !== null && value.length < parseInt(minLength, 10)) return "Enter at least " + minLength + " characters.";
    if (maxLength !== null && value.length > parseInt(maxLength, 10)) return "Enter at most " + maxLength + " characters.";
    var regex = answer.getAttribute("data-regex");
    if (regex) {
      var pattern;
      try { pattern = new RegExp("^(?:" + regex + ")$", answer.getAttribute("data-regex-flags") || ""); }
      catch (e) { pattern = null; }
      if (pattern && !pattern.test(value)) {
        return answer.getAttribute("data-error") || "The answer does not have the expected format.";
      }
    }
    return "";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("question-form")) return;
    var bad = 0;
    form.querySelectorAll("fieldset.question").forEach(function (question) {
      var answer = question.querySelector(".answer");
      var problem = answer ? problemOf(answer) : "";
      question.querySelector(".problem").textContent = problem;
      question.classList.toggle("invalid", !!problem);
      if (problem) bad += 1;
    });
    if (bad) event.preventDefault();
  });
})();
