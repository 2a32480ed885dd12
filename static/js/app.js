// Small behaviours shared by every page. No inline scripts anywhere (the CSP forbids them).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // A select marked data-autosubmit submits its form when changed (the account switcher).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.requestSubmit();
    }
  });

  // Messages fade after a while so that they do not pile up during htmx work.
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll(".message").forEach(function (el) {
      setTimeout(function () { el.classList.add("fade"); }, 6000);
    });
  });
})();
