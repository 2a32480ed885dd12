// Keyboard review: j/k move between assignment cards, a approves, r and b focus the rejection
// feedback and the bonus amount, ? toggles the help. A decision that goes through (a, or Enter
// in the rejection feedback, or a click) moves the selection on to the next card; a refused one
// keeps it where it was. The selection survives htmx swaps of a card and of the whole list.
(function () {
  "use strict";
  var selected = null; // the id of the selected card: a swap replaces the element, not the id
  var advanceFrom = null; // the card whose decision is in flight

  function cards() { return Array.prototype.slice.call(document.querySelectorAll("[data-assignment]")); }

  function current() { return selected ? document.getElementById(selected) : null; }

  function mark(card) {
    cards().forEach(function (other) { if (other !== card) { other.classList.remove("selected"); } });
    if (card) { card.classList.add("selected"); }
  }

  function select(card) {
    if (!card) { return; }
    selected = card.id;
    mark(card);
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = cards();
    if (!list.length) { return; }
    var index = list.indexOf(current());
    if (index < 0) { select(list[0]); return; }
    select(list[Math.max(0, Math.min(list.length - 1, index + step))]);
  }

  // Buttons folded away (a decided card's details) are not for the keyboard.
  function shown(element) { return !!element && element.getClientRects().length > 0; }

  function press(key) {
    if (!current()) { move(1); }
    var card = current();
    if (!card) { return; }
    var field = null;
    if (key === "a") {
      var button = card.querySelector('button[data-key="a"]');
      if (shown(button)) { button.click(); }
      return;
    }
    if (key === "r") { field = card.querySelector("[data-reject-feedback]"); }
    if (key === "b") {
      // A decided card is folded to one line: b unfolds it to pay a bonus.
      field = card.querySelector("[data-bonus-amount]");
      var folded = field && field.closest("details");
      if (folded && !folded.open) { folded.open = true; }
    }
    if (shown(field)) { field.focus(); }
  }

  document.addEventListener("keydown", function (event) {
    if (!document.querySelector("[data-review-queue]")) { return; }
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
    if (typing) {
      if (event.key === "Escape") { event.target.blur(); if (current()) { current().focus(); } }
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
    if (card && card.id !== selected) { selected = card.id; mark(card); }
  });

  // An approval or a rejection on its way: once its card comes back decided (and settled: htmx
  // puts the new attributes on last), select the next.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    var card = form && form.closest && form.matches("form[data-decision]") && form.closest("[data-assignment]");
    if (card) { advanceFrom = card.id; selected = card.id; }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var swapped = event.detail.target;
    var id = swapped && swapped.id;
    if (advanceFrom && id === advanceFrom) {
      advanceFrom = null;
      var card = document.getElementById(id);
      if (card && card.hasAttribute("data-decided")) {
        var list = cards();
        var next = list[list.indexOf(card) + 1];
        select(next || card);
        return;
      }
    }
    var chosen = current();
    if (!chosen) { selected = null; return; }
    if (id === selected) { select(chosen); } else { mark(chosen); }
  });
})();
