// The worker site's page script: the assignment timer, and the messages the sandboxed question
// frame sends after its form was posted to /mturk/externalSubmit.
(function () {
  "use strict";

  function startTimer() {
    var timer = document.getElementById("timer");
    if (!timer) return;
    var left = parseInt(timer.getAttribute("data-seconds-left"), 10) || 0;
    var ends = Date.now() + left * 1000;
    function show() {
      var seconds = Math.max(0, Math.round((ends - Date.now()) / 1000));
      var minutes = Math.floor(seconds / 60);
      timer.textContent = minutes + ":" + String(seconds % 60).padStart(2, "0");
      if (seconds <= 0) {
        timer.textContent = "time is up";
        timer.classList.add("expired");
        // The server abandons the assignment at its deadline; show the list again.
        window.setTimeout(function () {
          window.location.href = "/worker/hits?notice=" + encodeURIComponent("Time is up: the HIT was abandoned.");
        }, 1500);
        return;
      }
      window.setTimeout(show, 1000);
    }
    show();
  }

  var destinations = {
    submitted: "/worker/hits?notice=" + encodeURIComponent("Your answer was submitted."),
    qualification: "/worker/qualifications?notice=",
  };

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || data.source !== "local-mturk") return;
    var frame = document.querySelector("iframe.question");
    if (!frame || event.source !== frame.contentWindow) return;
    if (data.event === "submitted") {
      window.location.href = destinations.submitted;
    } else if (data.event === "qualification") {
      window.location.href = destinations.qualification + encodeURIComponent(String(data.message || ""));
    }
  });

  document.addEventListener("DOMContentLoaded", startTimer);
})();
