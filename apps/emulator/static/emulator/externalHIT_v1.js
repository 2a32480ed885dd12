// Local stand-in for https://s3.amazonaws.com/mturk-public/externalHIT_v1.js: the same helpers,
// reading the MTurk parameters the local worker site gives the frame (window.MTURK_PARAMS), then
// the page's own URL (ExternalQuestion pages that load this file themselves).
(function () {
  "use strict";
  var params = window.MTURK_PARAMS || {};

  function fromLocation(name) {
    var match = new RegExp("[?&]" + name + "=([^&#]*)").exec(window.location.href);
    return match ? decodeURIComponent(match[1].replace(/\+/g, " ")) : null;
  }

  window.turkGetParam = function (name, fallback) {
    if (Object.prototype.hasOwnProperty.call(params, name)) return params[name];
    var value = fromLocation(name);
    return value === null ? fallback : value;
  };

  window.turkSetAssignmentID = function () {
    var assignmentId = window.turkGetParam("assignmentId", "");
    var field = document.getElementById("assignmentId");
    if (field) field.value = assignmentId;
    var submitTo = window.turkGetParam("turkSubmitTo", params.origin || "");
    var form = document.getElementById("mturk_form");
    if (form && submitTo) form.action = submitTo + "/mturk/externalSubmit";
    if (assignmentId === "ASSIGNMENT_ID_NOT_AVAILABLE") {
      var submit = document.getElementById("submitButton");
      if (submit) {
        submit.disabled = true;
        submit.value = "You must ACCEPT the HIT before you can submit the results.";
      }
    }
  };
})();
