// Layout and display elements. None of them answers: they add nothing to taskAnswers (the
// fields inside them answer as they would anywhere in the crowd-form).
//
// - crowd-alert: a message (`type`: info, success, error, warning; `dismissible`: a close
//   button);
// - crowd-badge: a small icon or label (`icon`, `label`) floating over the top right corner of
//   the element whose id is `for`;
// - crowd-card: a raised box (`heading`, `image`) around its content;
// - crowd-fab and crowd-icon-button: a round button showing `icon` (an iron-icons name or an
//   image URL; crowd-fab may show a one-character `label` instead), `title` as its tool tip,
//   `disabled` stopping its clicks; with `form-action="submit"`, as crowd-button, it submits
//   the crowd-form;
// - crowd-modal: a link or button (`link-text`, `link-type`) that opens its content in a
//   window, closed by its Close button, Escape or a click beside it;
// - crowd-tabs and crowd-tab: a tab per crowd-tab, named by its `header`; a click, or the arrow
//   keys, Home and End on the tabs, switch them;
// - crowd-toast: a notification (`text` or its content) shown for `duration` milliseconds
//   (3000 unless given; 0: until closed) when `opened` is present or its `open()` is called,
//   only one toast at a time;
// - crowd-instructions: a link or button (`link-text`, `link-type`) opening a window with the
//   tabs Summary (<short-summary>), Detailed Instructions (<detailed-instructions>) and Examples
//   (<positive-example>, <negative-example>); <short-instructions> and <full-instructions> are
//   read as the summary and the detailed instructions.
//
// Also: <short-instructions> and <full-instructions> written directly in a crowd-form (not in a
// task element) become the form's instructions panel: the short ones shown, the full ones behind
// "View full instructions". Task elements build the same panel from their own children with
// `C.instructionsPanel(el)`; `C.openWindow(title, nodes)` gives them the window, `C.icon(name)`
// the icons.
(function () {
  "use strict";
  var C = window.CrowdElements;
  if (!C || C.openWindow) return;
  var attr = C.attr;
  var make = C.make;

  var STYLE = [
    ".crowd-alert{display:flex;align-items:flex-start;gap:.5rem;border:1px solid;border-left-width:4px;border-radius:4px;padding:.5rem .75rem;margin:.5rem 0}",
    ".crowd-alert[data-type=info]{background:#eff6ff;border-color:#2563eb;color:#1e3a8a}",
    ".crowd-alert[data-type=success]{background:#ecfdf3;border-color:#16a34a;color:#14532d}",
    ".crowd-alert[data-type=warning]{background:#fffaeb;border-color:#d97706;color:#7a2e0e}",
    ".crowd-alert[data-type=error]{background:#fef3f2;border-color:#d92d20;color:#7a271a}",
    ".crowd-alert-body{flex:1}",
    ".crowd-alert-close{background:none;border:0;font-size:1.1rem;line-height:1;cursor:pointer;color:inherit}",
    ".crowd-badge{display:inline-flex;align-items:center;justify-content:center;min-width:1.4rem;height:1.4rem;padding:0 .3rem;border-radius:999px;background:#d92d20;color:#fff;font-size:.75rem;font-weight:600;box-sizing:border-box}",
    ".crowd-badge[data-attached]{position:absolute;top:-.6rem;right:-.6rem;z-index:1}",
    ".crowd-badge img{width:.9rem;height:.9rem}",
    ".crowd-card{display:block;border-radius:6px;background:#fff;box-shadow:0 1px 3px rgba(16,24,40,.15),0 1px 2px rgba(16,24,40,.1);margin:.5rem 0;overflow:hidden}",
    ".crowd-card-image{display:block;max-width:100%}",
    ".crowd-card-heading{margin:0;padding:.6rem .9rem 0;font-size:1.1rem}",
    ".crowd-card-content{padding:.6rem .9rem}",
    ".crowd-round-button{display:inline-flex;align-items:center;justify-content:center;border:0;border-radius:50%;cursor:pointer;font-size:1.1rem;line-height:1;padding:0}",
    ".crowd-round-button:disabled{cursor:default;opacity:.45}",
    ".crowd-round-button img{width:1.3rem;height:1.3rem}",
    "crowd-icon-button .crowd-round-button{width:2.5rem;height:2.5rem;background:transparent;color:#344054}",
    "crowd-icon-button .crowd-round-button:not(:disabled):hover{background:#f2f4f7}",
    "crowd-fab .crowd-round-button{width:3.5rem;height:3.5rem;background:#ff6f00;color:#fff;box-shadow:0 3px 6px rgba(16,24,40,.3)}",
    "crowd-fab .crowd-round-button:not(:disabled):hover{background:#e65100}",
    ".crowd-window{border:0;border-radius:8px;padding:0;max-width:min(40rem,92vw);width:100%;box-shadow:0 12px 32px rgba(16,24,40,.3)}",
    ".crowd-window::backdrop{background:rgba(16,24,40,.45)}",
    ".crowd-window-bar{display:flex;align-items:center;justify-content:space-between;gap:1rem;padding:.6rem .9rem;border-bottom:1px solid #eaecf0}",
    ".crowd-window-bar h2{margin:0;font-size:1.05rem}",
    ".crowd-window-body{padding:.75rem .9rem;max-height:70vh;overflow:auto}",
    ".crowd-window-close{border:1px solid #d0d5dd;background:#fff;border-radius:4px;padding:.2rem .6rem;cursor:pointer}",
    ".crowd-opener-link{background:none;border:0;padding:0;color:#1d4ed8;text-decoration:underline;cursor:pointer;font:inherit}",
    ".crowd-opener-button{border:1px solid #d0d5dd;background:#fff;border-radius:4px;padding:.35rem .8rem;cursor:pointer;font:inherit}",
    ".crowd-tablist{display:flex;gap:.25rem;border-bottom:1px solid #d0d5dd;margin:.5rem 0}",
    ".crowd-tablist [role=tab]{border:0;border-bottom:3px solid transparent;background:none;padding:.4rem .8rem;cursor:pointer;font:inherit;color:#475467}",
    ".crowd-tablist [role=tab][aria-selected=true]{border-bottom-color:#2563eb;color:#101828;font-weight:600}",
    ".crowd-tabpanel{display:block;padding:.25rem 0}",
    ".crowd-tabpanel[hidden]{display:none}",
    ".crowd-toast{position:fixed;left:50%;bottom:1.5rem;transform:translateX(-50%);max-width:90vw;background:#323232;color:#fff;border-radius:4px;padding:.75rem 1rem;box-shadow:0 3px 10px rgba(0,0,0,.3);z-index:1000}",
    ".crowd-toast[hidden]{display:none}",
    ".crowd-instructions-panel{border:1px solid #d0d5dd;border-radius:6px;padding:.5rem .75rem;margin:.5rem 0;background:#f9fafb;font-size:.9rem}",
    ".crowd-instructions-panel h2{margin:0 0 .3rem;font-size:.95rem}",
    ".crowd-examples h3{margin:.5rem 0 .25rem;font-size:.95rem}",
    ".crowd-example{border-left:4px solid;padding:.25rem .6rem;margin:.4rem 0}",
    ".crowd-example-positive{border-color:#16a34a;background:#f6fef9}",
    ".crowd-example-negative{border-color:#d92d20;background:#fffbfa}",
  ].join("\n");

  function addStyle() {
    if (document.getElementById("crowd-layout-style")) return;
    (document.head || document.documentElement).appendChild(make("style", { id: "crowd-layout-style" }, [STYLE]));
  }

  // The iron-icons a template is likely to name, drawn as characters (no icon font offline).
  var ICONS = {
    add: "+", "arrow-back": "\u2190", "arrow-downward": "\u2193", "arrow-forward": "\u2192",
    "arrow-upward": "\u2191", check: "\u2713", "check-circle": "\u2714", clear: "\u2715",
    close: "\u2715", delete: "\u{1F5D1}", done: "\u2713", edit: "\u270E", error: "\u26A0",
    favorite: "\u2665", flag: "\u2691", help: "?", "help-outline": "?", home: "\u2302",
    info: "i", "info-outline": "i", menu: "\u2630", refresh: "\u21BB", remove: "\u2212",
    "report-problem": "\u26A0", search: "\u2315", send: "\u27A4", settings: "\u2699",
    star: "\u2605", "star-border": "\u2606", "thumb-down": "\u{1F44E}", "thumb-up": "\u{1F44D}",
    visibility: "\u{1F441}", warning: "\u26A0",
  };

  // An icon named as iron-icons names them, or given by its URL.
  function icon(name) {
    if (/[/:.]/.test(name)) return make("img", { src: name, alt: "" });
    var glyph = ICONS[name.replace(/^icons:/, "")] || name.charAt(0).toUpperCase();
    return make("span", { class: "crowd-icon", "aria-hidden": "true", "data-icon": name }, [glyph]);
  }

  function childrenNamed(el, names) {
    return Array.prototype.filter.call(el.children, (c) => names.indexOf(c.localName) >= 0);
  }

  function moveChildren(from, to) {
    while (from.firstChild) to.appendChild(from.firstChild);
    return to;
  }

  // A window over the page (a modal <dialog>): `title` in its bar, `nodes` in its body.
  // Returns {dialog, body, open, close}.
  function openWindow(title, nodes) {
    addStyle();
    var close = make("button", { type: "button", class: "crowd-window-close" }, ["Close"]);
    var body = make("div", { class: "crowd-window-body" }, nodes || []);
    var dialog = make("dialog", { class: "crowd-window", "aria-label": title || "Window" }, [
      make("div", { class: "crowd-window-bar" }, [make("h2", {}, [title || ""]), close]),
      body,
    ]);
    close.addEventListener("click", () => dialog.close());
    // A click on the backdrop lands on the dialog itself, outside its box.
    dialog.addEventListener("click", (event) => {
      if (event.target !== dialog) return;
      var r = dialog.getBoundingClientRect();
      var inside = event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
      if (!inside) dialog.close();
    });
    return {
      dialog: dialog,
      body: body,
      open: () => { if (!dialog.open) dialog.showModal(); },
      close: () => { if (dialog.open) dialog.close(); },
    };
  }

  // The link (or button, `link-type="button"`) that opens a window.
  function opener(el, fallbackText, win) {
    var type = attr(el, "link-type", "link") === "button" ? "button" : "link";
    var control = make("button", { type: "button", class: "crowd-opener-" + type }, [attr(el, "link-text", "") || fallbackText]);
    control.addEventListener("click", () => win.open());
    return control;
  }

  // Tabs over `pages` ([{title, content}]): returns the element holding the tab bar and panels.
  function tabbed(pages) {
    addStyle();
    var bar = make("div", { class: "crowd-tablist", role: "tablist" });
    var holder = make("div", { class: "crowd-tabbed" }, [bar]);
    var tabs = pages.map((page, index) => {
      var id = C.uid("crowd-tab");
      var tab = make("button", { type: "button", role: "tab", id: id + "-tab", "aria-controls": id }, [page.title]);
      page.content.id = page.content.id || id;
      tab.setAttribute("aria-controls", page.content.id);
      page.content.setAttribute("role", "tabpanel");
      page.content.setAttribute("aria-labelledby", id + "-tab");
      page.content.classList.add("crowd-tabpanel");
      tab.addEventListener("click", () => select(index));
      bar.appendChild(tab);
      holder.appendChild(page.content);
      return tab;
    });
    function select(index) {
      tabs.forEach((tab, i) => {
        var on = i === index;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.tabIndex = on ? 0 : -1;
        pages[i].content.hidden = !on;
      });
    }
    bar.addEventListener("keydown", (event) => {
      var current = tabs.indexOf(document.activeElement);
      if (current < 0) return;
      var next = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      next = (next + tabs.length) % tabs.length;
      select(next);
      tabs[next].focus();
    });
    if (tabs.length) select(0);
    return holder;
  }

  // The instructions panel of `el` (a task element or a crowd-form), from the
  // <short-instructions> and <full-instructions> of `sources` (its own children unless given):
  // the short ones shown, the full ones in a window behind "View full instructions" (titled by
  // their `header`). Their elements are removed; an id they had moves with their content. Null
  // when there are none.
  function instructionsPanel(el, sources) {
    var found = sources || childrenNamed(el, ["short-instructions", "full-instructions"]);
    var shorts = found.filter((c) => c.localName === "short-instructions");
    var fulls = found.filter((c) => c.localName === "full-instructions");
    if (!shorts.length && !fulls.length) return null;
    addStyle();
    var panel = make("aside", { class: "crowd-instructions-panel", "aria-label": "Instructions" });
    panel.appendChild(make("h2", {}, ["Instructions"]));
    shorts.forEach((short) => {
      var box = make("div", { class: "crowd-short-instructions" });
      if (short.id) box.id = short.id;
      short.remove();
      panel.appendChild(moveChildren(short, box));
    });
    if (fulls.length) {
      var body = fulls.map((full) => {
        var box = make("div", { class: "crowd-full-instructions" });
        if (full.id) box.id = full.id;
        full.remove();
        return moveChildren(full, box);
      });
      var win = openWindow(attr(fulls[0], "header", "") || "Full instructions", body);
      var link = make("button", { type: "button", class: "crowd-opener-link crowd-view-full-instructions" }, ["View full instructions"]);
      link.addEventListener("click", () => win.open());
      panel.appendChild(make("p", {}, [link]));
      panel.appendChild(win.dialog);
    }
    return panel;
  }

  // Elements that only arrange the page: instructions inside them are still the form's.
  var ARRANGING = ["crowd-tabs", "crowd-tab", "crowd-card", "crowd-alert"];

  // The form's own instructions: those not inside a task element (whose they are).
  function formInstructions() {
    document.querySelectorAll("crowd-form").forEach((form) => {
      var mine = Array.prototype.filter.call(form.querySelectorAll("short-instructions, full-instructions"), (el) => {
        var owner = el.parentElement;
        while (owner && owner !== form && (owner.localName.indexOf("crowd-") !== 0 || ARRANGING.indexOf(owner.localName) >= 0)) owner = owner.parentElement;
        return owner === form;
      });
      var panel = instructionsPanel(form, mine);
      if (panel) form.insertBefore(panel, form.firstChild);
    });
  }
  C.whenParsed(formInstructions);

  // Elements built from their content once it is parsed, once.
  class Display extends HTMLElement {
    connectedCallback() {
      if (this._built) return;
      this._built = true;
      addStyle();
      C.whenParsed(() => this.build());
    }
  }

  class CrowdAlert extends Display {
    build() {
      var type = attr(this, "type", "info");
      if (["info", "success", "error", "warning"].indexOf(type) < 0) type = "info";
      var box = make("div", { class: "crowd-alert", "data-type": type, role: type === "error" || type === "warning" ? "alert" : "status" });
      box.appendChild(moveChildren(this, make("div", { class: "crowd-alert-body" })));
      if (this.hasAttribute("dismissible")) {
        var close = make("button", { type: "button", class: "crowd-alert-close", "aria-label": "Dismiss" }, ["\u00D7"]);
        close.addEventListener("click", () => { this.hidden = true; });
        box.appendChild(close);
      }
      this.appendChild(box);
    }
  }

  // Elements that cannot hold a badge inside them: it goes just after them.
  var VOID = ["img", "input", "textarea", "select", "iframe", "video", "audio", "canvas", "br", "hr"];

  class CrowdBadge extends Display {
    build() {
      var badge = make("span", { class: "crowd-badge" });
      var name = attr(this, "icon", "");
      if (name) badge.appendChild(icon(name));
      else badge.textContent = attr(this, "label", "");
      this._badge = badge;
      this.appendChild(badge);
      // After the other elements have moved their content (an instructions panel keeps ids).
      setTimeout(() => this.attach(), 0);
    }
    attach() {
      var id = attr(this, "for", "");
      var target = id ? document.getElementById(id) : null;
      if (!target) return;
      if (VOID.indexOf(target.localName) >= 0) {
        // Over the corner of an element that cannot hold it: a wrapper around both.
        var wrapper = make("span", { class: "crowd-badge-anchor" });
        wrapper.style.cssText = "position:relative;display:inline-block";
        target.parentNode.insertBefore(wrapper, target);
        wrapper.appendChild(target);
        target = wrapper;
      } else if (getComputedStyle(target).position === "static") target.style.position = "relative";
      this._badge.setAttribute("data-attached", "");
      target.appendChild(this);
    }
  }

  class CrowdCard extends Display {
    build() {
      var content = moveChildren(this, make("div", { class: "crowd-card-content" }));
      var card = make("div", { class: "crowd-card" });
      var image = attr(this, "image", "");
      if (image) card.appendChild(make("img", { class: "crowd-card-image", src: image, alt: attr(this, "heading", "") }));
      var heading = attr(this, "heading", "");
      if (heading) card.appendChild(make("h3", { class: "crowd-card-heading" }, [heading]));
      card.appendChild(content);
      this.appendChild(card);
    }
  }

  // crowd-icon-button and crowd-fab: a template listens for clicks on the element itself, so a
  // disabled one swallows them before the template's listeners run.
  class RoundButton extends Display {
    connectedCallback() {
      super.connectedCallback();
      if (this._listening) return;
      this._listening = true;
      this.addEventListener("click", (event) => this.onClick(event), true);
    }
    onClick(event) {
      if (this.hasAttribute("disabled")) {
        event.stopImmediatePropagation();
        event.preventDefault();
        return;
      }
      if (this.getAttribute("form-action") === "submit") {
        var form = this.closest("crowd-form");
        if (form) form.submit();
      }
    }
    build() {
      var text = attr(this, "icon", "") ? icon(attr(this, "icon", "")) : attr(this, "label", "").slice(0, 1) || icon("add");
      var button = C.internal(make("button", { type: "button", class: "crowd-round-button", title: attr(this, "title", false), "aria-label": attr(this, "title", "") || attr(this, "label", "") || attr(this, "icon", "") || "Button" }, [text]));
      button.disabled = this.hasAttribute("disabled");
      while (this.firstChild) this.removeChild(this.firstChild);
      this._button = button;
      this.appendChild(button);
    }
    static get observedAttributes() { return ["disabled"]; }
    attributeChangedCallback() { if (this._button) this._button.disabled = this.hasAttribute("disabled"); }
  }

  class CrowdIconButton extends RoundButton {}
  class CrowdFab extends RoundButton {}

  class CrowdModal extends Display {
    build() {
      var win = openWindow(attr(this, "link-text", "") || "", []);
      moveChildren(this, win.body);
      this._window = win;
      this.appendChild(opener(this, "Click to open modal", win));
      this.appendChild(win.dialog);
    }
    open() { if (this._window) this._window.open(); }
    close() { if (this._window) this._window.close(); }
    get opened() { return !!(this._window && this._window.dialog.open); }
  }

  class CrowdTab extends HTMLElement {
    get header() { return attr(this, "header", ""); }
  }

  class CrowdTabs extends Display {
    build() {
      var tabs = childrenNamed(this, ["crowd-tab"]);
      var holder = tabbed(tabs.map((tab) => ({ title: tab.header || "Tab", content: tab })));
      this.appendChild(holder);
    }
  }

  var DEFAULT_TOAST_MS = 3000;

  class CrowdToast extends Display {
    build() {
      var text = attr(this, "text", "");
      this._box = make("div", { class: "crowd-toast", role: "status", hidden: true });
      if (text) this._box.textContent = text;
      else moveChildren(this, this._box);
      this.appendChild(this._box);
      if (this.hasAttribute("opened")) this.open();
    }
    get opened() { return !!this._box && !this._box.hidden; }
    open() {
      if (!this._box) return;
      document.querySelectorAll("crowd-toast").forEach((other) => { if (other !== this && other.opened) other.close(); });
      this._box.hidden = false;
      clearTimeout(this._timer);
      var duration = parseInt(attr(this, "duration", String(DEFAULT_TOAST_MS)), 10);
      if (isNaN(duration)) duration = DEFAULT_TOAST_MS;
      if (duration > 0) this._timer = setTimeout(() => this.close(), duration);
    }
    show(text) {
      if (typeof text === "string" && this._box) this._box.textContent = text;
      this.open();
    }
    close() {
      clearTimeout(this._timer);
      if (this._box) this._box.hidden = true;
    }
    hide() { this.close(); }
    toggle() { if (this.opened) this.close(); else this.open(); }
  }

  class CrowdInstructions extends Display {
    build() {
      var regions = (names) => childrenNamed(this, names).map((region) => { region.remove(); return region; });
      var summary = regions(["short-summary", "short-instructions"]);
      var detailed = regions(["detailed-instructions", "full-instructions"]);
      var positive = regions(["positive-example"]);
      var negative = regions(["negative-example"]);
      var page = (cls, nodes) => make("div", { class: cls }, nodes);
      var pages = [];
      if (summary.length) pages.push({ title: "Summary", content: page("crowd-instructions-summary", summary.map((r) => moveChildren(r, make("div", {})))) });
      if (detailed.length) pages.push({ title: "Detailed Instructions", content: page("crowd-instructions-detailed", detailed.map((r) => moveChildren(r, make("div", {})))) });
      if (positive.length || negative.length) {
        var examples = page("crowd-examples", []);
        var section = (title, list, kind) => {
          if (!list.length) return;
          examples.appendChild(make("h3", {}, [title]));
          list.forEach((r) => examples.appendChild(moveChildren(r, make("div", { class: "crowd-example crowd-example-" + kind }))));
        };
        section("Good examples", positive, "positive");
        section("Bad examples", negative, "negative");
        pages.push({ title: "Examples", content: examples });
      }
      var win = openWindow("Instructions", [tabbed(pages)]);
      this._window = win;
      while (this.firstChild) this.removeChild(this.firstChild);
      this.appendChild(opener(this, "Click for instructions", win));
      this.appendChild(win.dialog);
    }
    open() { if (this._window) this._window.open(); }
    close() { if (this._window) this._window.close(); }
  }

  C.instructionsPanel = instructionsPanel;
  C.openWindow = openWindow;
  C.icon = icon;

  C.define("crowd-alert", CrowdAlert);
  C.define("crowd-badge", CrowdBadge);
  C.define("crowd-card", CrowdCard);
  C.define("crowd-icon-button", CrowdIconButton);
  C.define("crowd-fab", CrowdFab);
  C.define("crowd-modal", CrowdModal);
  C.define("crowd-tab", CrowdTab);
  C.define("crowd-tabs", CrowdTabs);
  C.define("crowd-toast", CrowdToast);
  C.define("crowd-instructions", CrowdInstructions);
})();
