// Runs first inside an HTMLQuestion's sandboxed frame (/dynamic/hit?assignmentId=..&hitId=..).
// The worker site also writes the URL's parameters as window.MTURK_PARAMS. Forms that post to
// MTurk's externalSubmit (or have no action) are pointed at this local MTurk, with the
// assignmentId field MTurk needs.
(function () {
  "use strict";
  var params = window.MTURK_PARAMS || {};
  var submitUrl = (params.origin || "") + "/mturk/externalSubmit";

  function prepare(form) {
    var action = form.getAttribute("action") || "";
    if (action && !/\/mturk\/externalSubmit\/?$/.test(action)) return;
    form.setAttribute("action", submitUrl);
    form.setAttribute("method", "post");
    var field = form.querySelector("input[name=assignmentId]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "assignmentId";
      form.appendChild(field);
    }
    field.value = params.assignmentId || "";
  }

  function prepareAll() {
    Array.prototype.forEach.call(document.forms, prepare);
  }

  window.turkGetParam = function (name, fallback) {
    return Object.prototype.hasOwnProperty.call(params, name) ? params[name] : fallback;
  };
  document.addEventListener("DOMContentLoaded", prepareAll);
  document.addEventListener("submit", function (event) {
    if (event.target && event.target.tagName === "FORM") prepare(event.target);
  }, true);
})();
