// Last module: any crowd-* element no module defined shows a visible notice, so a template
// never silently loses part of its task; then `all-crowd-elements-ready` is dispatched on the
// document, for templates whose scripts wait for the elements.
(function () {
  "use strict";
  if (window.customElements === undefined) return;
  function flagUnsupported() {
    document.querySelectorAll("*").forEach(function (el) {
      var name = el.tagName.toLowerCase();
      if (name.indexOf("crowd-") !== 0 || customElements.get(name) || el._flagged) return;
      el._flagged = true;
      var notice = document.createElement("div");
      notice.className = "crowd-unsupported";
      notice.setAttribute("role", "alert");
      notice.style.cssText = "border:2px dashed #b42318;color:#b42318;padding:.5rem;margin:.5rem 0;";
      notice.textContent = "<" + name + "> is not supported by the local MTurk's crowd elements; this part of the task cannot be shown.";
      el.parentNode.insertBefore(notice, el);
    });
  }
  // Then tell the page, as MTurk's script does, that every element is ready.
  function ready() {
    flagUnsupported();
    setTimeout(function () { document.dispatchEvent(new Event("all-crowd-elements-ready")); }, 0);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
