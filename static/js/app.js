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

  // The project editor's preview follows the template: after each live check (which waits
  // for a pause in typing) the preview button posts the form into the preview frame. Without
  // JavaScript the button does the same by hand.
  function refreshPreview() {
    var button = document.getElementById("preview-button");
    var template = document.getElementById("id_template");
    if (button && template && template.value.trim()) button.click();
  }
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.target && event.target.id === "id_template") refreshPreview();
  });
  document.addEventListener("DOMContentLoaded", refreshPreview);

  // Messages fade after a while so that they do not pile up during htmx work.
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll(".message").forEach(function (el) {
      setTimeout(function () { el.classList.add("fade"); }, 6000);
    });
  });
})();
