// Drawn answers (templates/review/_drawn.html): a check box per worker shows or hides that
// worker's layer of shapes or mask, and a slider sets how opaque the painted masks are. Events
// are caught on the document, so cards swapped in by htmx need nothing more; the boxes' and the
// slider's state is applied again when content loads (a card starts with only its worker shown,
// and a page restored from the history keeps what was ticked). Without JavaScript every layer
// shows and the controls are hidden (drawn.css).
(function () {
  "use strict";

  function layers(toggle) {
    var figure = toggle.closest("[data-drawn]");
    if (!figure) { return []; }
    var key = toggle.getAttribute("data-layer-toggle");
    return Array.prototype.filter.call(figure.querySelectorAll("[data-layer]"), function (layer) {
      return layer.getAttribute("data-layer") === key;
    });
  }

  function showLayer(toggle) {
    layers(toggle).forEach(function (layer) {
      layer.setAttribute("visibility", toggle.checked ? "visible" : "hidden");
    });
  }

  function setOpacity(slider) {
    var figure = slider.closest("[data-drawn]");
    if (!figure) { return; }
    var value = Math.max(0, Math.min(100, Number(slider.value) || 0)) / 100;
    figure.querySelectorAll("image.drawn-mask").forEach(function (mask) {
      mask.setAttribute("opacity", String(value));
    });
  }

  function apply(root) {
    if (!root || !root.querySelectorAll) { return; }
    root.querySelectorAll("[data-layer-toggle]").forEach(showLayer);
    root.querySelectorAll("[data-mask-opacity]").forEach(setOpacity);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-layer-toggle]")) { showLayer(target); }
  });
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-mask-opacity]")) { setOpacity(target); }
  });
  document.addEventListener("DOMContentLoaded", function () { apply(document); });
  document.addEventListener("htmx:load", function (event) { apply(event.target); });
  window.addEventListener("pageshow", function () { apply(document); });
})();
