// Batch page: a "select all" checkbox for the HIT table. No inline scripts (the CSP forbids them).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-select-all]")) {
      return;
    }
    var name = box.getAttribute("data-select-all");
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (item) {
      item.checked = box.checked;
    });
  });
})();
