// Keyboard review: j/k move between assignment cards, a approves, r and b focus the rejection
// feedback and the bonus amount, ? toggles the help. Cards swapped by htmx keep the selection.
(function () {
  "use strict";
  var selected = null;

  function cards() { return Array.prototype.slice.call(document.querySelectorAll("[data-assignment]")); }

  function select(card) {
    if (!card) { return; }
    if (selected && selected !== card) { selected.classList.remove("selected"); }
    selected = card;
    card.classList.add("selected");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = cards();
    if (!list.length) { return; }
    var index = selected ? list.indexOf(document.getElementById(selected.id)) : -1;
    select(list[Math.max(0, Math.min(list.length - 1, index + step))] || list[0]);
  }

  function press(key) {
    if (!selected) { move(1); }
    var card = selected && document.getElementById(selected.id);
    if (!card) { return; }
    var button = card.querySelector('button[data-key="' + key + '"]');
    if (key === "a" && button) { button.click(); }
    if (key === "r") { var feedback = card.querySelector("[data-reject-feedback]"); if (feedback) { feedback.focus(); } }
    if (key === "b") { var amount = card.querySelector("[data-bonus-amount]"); if (amount) { amount.focus(); } }
  }

  document.addEventListener("keydown", function (event) {
    if (!document.querySelector("[data-review-queue]")) { return; }
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
    if (typing) {
      if (event.key === "Escape") { event.target.blur(); if (selected) { selected.focus(); } }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "j") { move(1); event.preventDefault(); }
    else if (event.key === "k") { move(-1); event.preventDefault(); }
    else if (event.key === "a" || event.key === "r" || event.key === "b") { press(event.key); event.preventDefault(); }
    else if (event.key === "?") { var help = document.getElementById("key-help"); if (help) { help.hidden = !help.hidden; } }
  });

  document.addEventListener("click", function (event) {
    var card = event.target.closest && event.target.closest("[data-assignment]");
    if (card) { select(card); }
  });

  // After an action, htmx replaces the card: keep it selected.
  document.addEventListener("htmx:afterSwap", function (event) {
    var card = event.detail.target;
    if (selected && card && card.id === selected.id) { select(document.getElementById(card.id)); }
  });
})();
