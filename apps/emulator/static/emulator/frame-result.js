// Shown inside the question frame after a post to /mturk/externalSubmit (or a qualification
// test): tells the worker site's page what happened.
(function () {
  "use strict";
  var result = document.getElementById("result");
  if (!result) return;
  var back = document.getElementById("back");
  if (back) back.addEventListener("click", function () { window.history.back(); });
  if (window.parent && window.parent !== window) {
    window.parent.postMessage(
      {
        source: "local-mturk",
        event: result.getAttribute("data-event"),
        ok: result.getAttribute("data-ok") === "1",
        message: result.getAttribute("data-message"),
      },
      "*"
    );
  }
})();
