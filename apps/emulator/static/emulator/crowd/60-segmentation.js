// Segmentation by painting: crowd-semantic-segmentation and crowd-instance-segmentation. Both
// take `header`, `labels` (JSON or single-quoted), `name`, `src` and the
// <short-instructions>/<full-instructions> children; crowd-semantic-segmentation also takes
// `initial-value`, `{"labelMappings": {"<label>": {"color": "#rrggbb"}}, "src": "<PNG URL>"}`:
// a prior job's labels to check and adjust (a prior label missing from `labels` is offered too,
// so that adjusting keeps it).
//
// The worker paints over the image with a round brush, or erases with the eraser. Paint is kept
// per pixel of the ORIGINAL image, with no smoothing: each pixel of the answer's PNG is exactly
// one colour, or transparent (0, 0, 0, 0) where nothing is painted. The brush size is given in
// pixels of the screen (a disc about that many screen pixels across, at least one image pixel),
// and its outline follows the pointer. Colours come from d3's category10 palette (then further
// distinct hues, so that no two labels or instances share one): in label order for semantic
// segmentation, a colour per label (a prior job's labels keep theirs); in the order they were
// made for instances, a colour per instance, each with the label chosen when it was started.
//
// Keys, on the image or its tools: 1-9 choose a label; B the brush, E the eraser; [ and ] make the brush
// smaller or larger; N starts a new instance (instance segmentation); Ctrl+Z undoes the last
// stroke, Ctrl+Shift+Z or Ctrl+Y redoes it. Painting itself needs a pointer (mouse, pen, touch).
//
// Entries in taskAnswers, as the reference's outputs show them:
// - crowd-semantic-segmentation: `{"inputImageProperties": {"height", "width"},
//   "labelMappings": {"<label>": {"color": "#rrggbb"}}, "labeledImage": {"pngImageData":
//   "<base64 PNG>"}}`, labelMappings naming the labels painted; plus `"initialValueModified":
//   true|false` when the template gave an initial-value;
// - crowd-instance-segmentation: `{"inputImageProperties": {...}, "instances": [{"color",
//   "label"}], "labeledImage": {"pngImageData": "..."}}`, instances being those still painted.
// pngImageData is the bare base64 of the PNG (no data: prefix), the size of the original image.
// Nothing painted is an answer too (no labels, a transparent PNG). The form refuses to submit
// while the image (or a prior job's labels) has not loaded.
(function () {
  "use strict";
  var C = window.CrowdElements;
  if (!C || C.Painter || !C.imagePixel) return;
  var attr = C.attr;
  // The simulated crowd (workers/elements.py, PALETTE) paints with these ten too.
  var CATEGORY10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  var MAX_UNDO = 100;
  var MIN_BRUSH = 1;
  var MAX_BRUSH = 80;
  var FIRST_BRUSH = 12;

  var STYLE = [
    ".crowd-paint-tools{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:.4rem 0}",
    ".crowd-paint-tools button{font:inherit;border:1px solid #d0d5dd;border-radius:4px;background:#fff;padding:.15rem .6rem;cursor:pointer}",
    ".crowd-paint-labels{display:flex;flex-wrap:wrap;gap:.4rem;margin:.4rem 0}",
    ".crowd-paint-labels label{display:inline-flex;align-items:center;gap:.3rem;border:1px solid #d0d5dd;border-radius:999px;padding:.15rem .6rem;cursor:pointer}",
    ".crowd-paint-swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:2px}",
    ".crowd-paint-stage{position:relative;display:inline-block;max-width:100%;line-height:0;outline:none;cursor:crosshair;user-select:none;touch-action:none;overflow:hidden}",
    ".crowd-paint-stage:focus-visible{box-shadow:0 0 0 3px #93c5fd}",
    ".crowd-paint-stage img{display:block;max-width:100%;height:auto}",
    ".crowd-paint-stage canvas{position:absolute;left:0;top:0;width:100%;height:100%;opacity:.55;image-rendering:pixelated}",
    ".crowd-paint-cursor{position:absolute;border:1px solid #101828;box-shadow:0 0 0 1px #fff;border-radius:50%;pointer-events:none;transform:translate(-50%,-50%)}",
    ".crowd-paint-cursor[data-eraser]{border-style:dashed}",
    ".crowd-paint-cursor[hidden]{display:none}",
    ".crowd-paint-status{min-height:1.2em;margin:.3rem 0;color:#475467;font-size:.9rem}",
    ".crowd-paint-instances{list-style:none;padding:0;margin:.3rem 0;display:flex;flex-wrap:wrap;gap:.3rem}",
    ".crowd-paint-instances li{display:inline-flex;align-items:center;gap:.3rem;border:1px solid #eaecf0;border-radius:4px;padding:.15rem .4rem;cursor:pointer}",
    ".crowd-paint-instances li[aria-current=true]{border-color:#2563eb;background:#eff6ff}",
  ].join("\n");

  function addStyle() {
    if (document.getElementById("crowd-paint-style")) return;
    document.head.appendChild(C.make("style", { id: "crowd-paint-style" }, [STYLE]));
  }

  function rgb(colour) {
    var n = parseInt(String(colour).replace("#", ""), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  function hex(r, g, b) {
    return "#" + [r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("");
  }

  function hslHex(hue, saturation, lightness) {
    var a = saturation * Math.min(lightness, 1 - lightness);
    var channel = (k) => {
      var t = (k + hue / 30) % 12;
      return Math.round(255 * (lightness - a * Math.max(-1, Math.min(t - 3, 9 - t, 1))));
    };
    return hex(channel(0), channel(8), channel(4));
  }

  // The n-th colour: category10's ten, then hues a golden angle apart.
  function paletteColour(n) {
    if (n < CATEGORY10.length) return CATEGORY10[n];
    var step = n - CATEGORY10.length;
    return hslHex((step * 137.508 + 20) % 360, 0.7, step % 2 ? 0.4 : 0.6);
  }

  // The first palette colour not in `taken`.
  function freeColour(taken) {
    for (var n = 0; ; n += 1) {
      if (taken.indexOf(paletteColour(n)) < 0) return paletteColour(n);
    }
  }

  // Whether a key pressed on `target` is typing (in a field the template put in the
  // instructions), not a command for the painter.
  function typing(target) {
    if (!target || !target.closest) return false;
    if (target.closest("textarea, select, [contenteditable]:not([contenteditable=false])")) return true;
    return target.localName === "input" && ["range", "radio", "checkbox", "button"].indexOf(target.type) < 0;
  }

  function loadImage(src) {
    return new Promise((resolve, reject) => {
      var image = new Image();
      if (!/^(data|blob):/.test(src)) image.crossOrigin = "anonymous";
      image.addEventListener("load", () => resolve(image));
      image.addEventListener("error", reject);
      image.src = src;
    });
  }

  // A painting surface. `_mask` holds, per image pixel, 0 (nothing) or 1 + the index of its
  // entry in `_entries` ({label, color}): a label's for semantic segmentation, an instance's for
  // instance segmentation. `_pixels` is the same in colours, the ImageData shown and answered.
  // Subclasses make the entries (`setupEntries`), say which one a stroke paints
  // (`currentEntry()`, -1: none) and write their part of the answer (`answerOf`).
  class Painter extends C.CrowdField {
    connectedCallback() {
      if (this._built) return;
      this._built = true;
      C.whenParsed(() => this.build());
    }

    build() {
      addStyle();
      this._labels = C.listAttribute(this, "labels").map(String);
      this._entries = [];
      this._colours = [];
      this._counts = [];
      this._mask = null;
      this._undo = [];
      this._redo = [];
      this._forgotten = false;
      this._erasing = false;
      this._brush = FIRST_BRUSH;
      this._stroke = null;
      this._loading = true;
      this._failed = false;
      this.setupEntries();
      this._label = this._labels[0] || "";

      var panel = C.instructionsPanel ? C.instructionsPanel(this) : null;
      while (this.firstChild) this.removeChild(this.firstChild);
      var header = attr(this, "header", "");
      if (header) this.appendChild(C.make("h3", { class: "crowd-paint-header" }, [header]));
      if (panel) this.appendChild(panel);
      this.appendChild(this.buildPicker());
      this.appendChild(this.buildTools());
      this.buildExtra();

      this._image = C.make("img", { alt: header || "Image to segment", draggable: "false" });
      this._canvas = C.make("canvas", { "aria-hidden": "true" });
      this._cursor = C.make("div", { class: "crowd-paint-cursor", hidden: true });
      this._stage = C.make("div", { class: "crowd-paint-stage", tabindex: "0", role: "application", "aria-label": (header || "Image") + ": paint on the image" }, [this._image, this._canvas, this._cursor]);
      this.appendChild(this._stage);
      this._status = C.make("p", { class: "crowd-paint-status", role: "status" });
      this.appendChild(this._status);

      this._image.addEventListener("load", () => this.start());
      this._image.addEventListener("error", () => {
        this._failed = true;
        this.say("The image could not be loaded: " + this._image.src.slice(0, 200));
      });
      this._image.addEventListener("dragstart", (e) => e.preventDefault());
      this._canvas.addEventListener("pointerdown", (e) => this.onDown(e));
      this._canvas.addEventListener("pointermove", (e) => this.onMove(e));
      this._canvas.addEventListener("pointerup", () => this.onUp());
      this._canvas.addEventListener("pointercancel", () => this.onUp());
      this._canvas.addEventListener("pointerleave", () => { this._cursor.hidden = true; });
      // Keys anywhere in the element (on the image, the tools, the labels), but not while the
      // worker types into a field of the instructions.
      this.addEventListener("keydown", (e) => { if (!typing(e.target)) this.onKey(e); });
      var src = attr(this, "src", "");
      if (src) this._image.src = src;
      else {
        this._failed = true;
        this.say("This task has no image (its src is empty).");
      }
    }

    setupEntries() {}
    buildExtra() {}

    addEntry(label, colour) {
      this._entries.push({ label: label, color: colour });
      this._colours.push(rgb(colour));
      this._counts.push(0);
      return this._entries.length - 1;
    }

    buildPicker() {
      var group = C.make("div", { class: "crowd-paint-labels", role: "radiogroup", "aria-label": "Label" });
      var name = C.uid("paint-label");
      this._radios = this._labels.map((label, index) => {
        var radio = C.internal(C.make("input", { type: "radio", name: name, value: label }));
        radio.checked = label === this._label;
        radio.addEventListener("change", () => { if (radio.checked) this.chooseLabel(label); });
        var parts = [radio];
        var colour = this.labelColour(label);
        if (colour) {
          var swatch = C.make("span", { class: "crowd-paint-swatch" });
          swatch.style.background = colour;
          parts.push(swatch);
        }
        parts.push((index < 9 ? index + 1 + " " : "") + label);
        group.appendChild(C.make("label", {}, parts));
        return radio;
      });
      return group;
    }

    // The colour a label's swatch shows ("" for none).
    labelColour() { return ""; }

    buildTools() {
      var bar = C.make("div", { class: "crowd-paint-tools" });
      var name = C.uid("paint-tool");
      this._brushRadio = C.internal(C.make("input", { type: "radio", name: name, value: "brush", checked: true }));
      this._eraserRadio = C.internal(C.make("input", { type: "radio", name: name, value: "eraser" }));
      this._brushRadio.addEventListener("change", () => this.useEraser(false));
      this._eraserRadio.addEventListener("change", () => this.useEraser(true));
      this._size = C.internal(C.make("input", { type: "range", min: MIN_BRUSH, max: MAX_BRUSH, value: this._brush, "aria-label": "Brush size" }));
      this._sizeShown = C.make("output", {}, [String(this._brush)]);
      this._size.addEventListener("input", () => this.setBrush(Number(this._size.value)));
      var undo = C.make("button", { type: "button" }, ["Undo"]);
      var redo = C.make("button", { type: "button" }, ["Redo"]);
      undo.addEventListener("click", () => this.undo());
      redo.addEventListener("click", () => this.redo());
      [
        C.make("label", {}, [this._brushRadio, " Brush"]),
        C.make("label", {}, [this._eraserRadio, " Eraser"]),
        C.make("label", {}, ["Size ", this._size, " ", this._sizeShown]),
        undo,
        redo,
      ].forEach((el) => bar.appendChild(el));
      return bar;
    }

    chooseLabel(label) { this._label = label; }

    pickLabel(label) {
      var index = this._labels.indexOf(label);
      if (index >= 0) this._radios[index].checked = true;
      this.chooseLabel(label);
    }

    useEraser(on) {
      this._erasing = on;
      this._brushRadio.checked = !on;
      this._eraserRadio.checked = on;
      if (on) this._cursor.setAttribute("data-eraser", "");
      else this._cursor.removeAttribute("data-eraser");
    }

    setBrush(size) {
      this._brush = Math.min(MAX_BRUSH, Math.max(MIN_BRUSH, Math.round(size) || MIN_BRUSH));
      this._size.value = String(this._brush);
      this._sizeShown.textContent = String(this._brush);
    }

    say(text) { this._status.textContent = text; }

    size() { return { width: this._image.naturalWidth, height: this._image.naturalHeight }; }

    // Image pixels per screen pixel.
    scale() {
      var rect = this._image.getBoundingClientRect();
      return rect.width ? this._image.naturalWidth / rect.width : 1;
    }

    start() {
      var size = this.size();
      this._canvas.width = size.width;
      this._canvas.height = size.height;
      this._context = this._canvas.getContext("2d");
      this._mask = new Uint16Array(size.width * size.height);
      this._touched = new Uint8Array(size.width * size.height);
      this._pixels = this._context.createImageData(size.width, size.height);
      this._counts = this._counts.map(() => 0);
      this._undo = [];
      this._redo = [];
      this._loading = true;
      Promise.resolve(this.loadInitial()).then(() => {
        this._loading = false;
        this.repaint();
        this._canvas.setAttribute("data-ready", "");
        this.changed();
      });
    }

    // A prior job's labels, read into the mask (a promise, or nothing).
    loadInitial() {}

    // The image pixel under the pointer, clamped to the image.
    toImage(event) {
      return C.imagePixel(this._image, event);
    }

    showCursor(event) {
      var rect = this._stage.getBoundingClientRect();
      var cursor = this._cursor;
      cursor.hidden = false;
      cursor.style.left = event.clientX - rect.left + "px";
      cursor.style.top = event.clientY - rect.top + "px";
      cursor.style.width = cursor.style.height = this._brush + "px";
    }

    onDown(event) {
      if (event.button !== 0 || !this._mask) return;
      event.preventDefault();
      this._stage.focus({ preventScroll: true });
      if (this._loading) {
        this.say("The prior labels are still loading.");
        return;
      }
      var value = 0;
      if (!this._erasing) {
        var entry = this.currentEntry();
        if (entry < 0) return;
        value = entry + 1;
      }
      this._canvas.setPointerCapture(event.pointerId);
      var p = this.toImage(event);
      var diameter = Math.max(1, Math.round(this._brush * this.scale()));
      this._stroke = { value: value, last: p, radius: (diameter - 1) / 2, indices: [], before: [] };
      this.dab(p);
      this.flush();
    }

    onMove(event) {
      if (!this._mask) return;
      this.showCursor(event);
      var stroke = this._stroke;
      if (!stroke) return;
      var p = this.toImage(event);
      var last = stroke.last;
      // Dabs a pixel apart along the way, so that a quick stroke leaves no gaps.
      var steps = Math.max(Math.abs(p.x - last.x), Math.abs(p.y - last.y), 1);
      for (var i = 1; i <= steps; i += 1) {
        this.dab({ x: Math.round(last.x + (p.x - last.x) * i / steps), y: Math.round(last.y + (p.y - last.y) * i / steps) });
      }
      stroke.last = p;
      this.flush();
    }

    onUp() {
      var stroke = this._stroke;
      if (!stroke) return;
      this._stroke = null;
      stroke.indices.forEach((i) => { this._touched[i] = 0; });
      if (!stroke.indices.length) return;
      // A stroke is undone from the pixels it changed, not from a copy of the whole image.
      this._undo.push({ indices: Uint32Array.from(stroke.indices), before: Uint16Array.from(stroke.before), after: stroke.value });
      if (this._undo.length > MAX_UNDO) {
        this._undo.shift();
        this._forgotten = true;
      }
      this._redo = [];
      this.say("");
      this.changed();
    }

    setPixel(i, value) {
      var old = this._mask[i];
      if (old === value) return;
      if (old) this._counts[old - 1] -= 1;
      if (value) this._counts[value - 1] += 1;
      this._mask[i] = value;
      var data = this._pixels.data;
      var at = i * 4;
      var colour = value ? this._colours[value - 1] : [0, 0, 0];
      data[at] = colour[0];
      data[at + 1] = colour[1];
      data[at + 2] = colour[2];
      data[at + 3] = value ? 255 : 0;
    }

    // One dab of the brush at p: every pixel whose centre is within the stroke's radius.
    dab(p) {
      var stroke = this._stroke;
      var size = this.size();
      var r = stroke.radius;
      var reach = Math.ceil(r);
      var left = Math.max(0, p.x - reach);
      var right = Math.min(size.width - 1, p.x + reach);
      var top = Math.max(0, p.y - reach);
      var bottom = Math.min(size.height - 1, p.y + reach);
      for (var y = top; y <= bottom; y += 1) {
        for (var x = left; x <= right; x += 1) {
          var dx = x - p.x;
          var dy = y - p.y;
          if (dx * dx + dy * dy > r * r + 0.25) continue;
          var i = y * size.width + x;
          if (this._mask[i] === stroke.value) continue;
          if (!this._touched[i]) {
            this._touched[i] = 1;
            stroke.indices.push(i);
            stroke.before.push(this._mask[i]);
          }
          this.setPixel(i, stroke.value);
        }
      }
      this.grow(left, top, right, bottom);
    }

    // The part of the canvas to redraw at the next flush.
    grow(left, top, right, bottom) {
      var d = this._dirty;
      this._dirty = d
        ? { left: Math.min(d.left, left), top: Math.min(d.top, top), right: Math.max(d.right, right), bottom: Math.max(d.bottom, bottom) }
        : { left: left, top: top, right: right, bottom: bottom };
    }

    flush() {
      var d = this._dirty;
      this._dirty = null;
      if (!d || d.right < d.left || d.bottom < d.top) return;
      this._context.putImageData(this._pixels, 0, 0, d.left, d.top, d.right - d.left + 1, d.bottom - d.top + 1);
    }

    repaint() {
      this._dirty = null;
      if (this._context) this._context.putImageData(this._pixels, 0, 0);
    }

    undo() {
      var step = this._undo.pop();
      if (!step) { this.say("Nothing to undo."); return; }
      step.indices.forEach((i, n) => this.setPixel(i, step.before[n]));
      this._redo.push(step);
      this.repaint();
      this.say("Undone.");
      this.changed();
    }

    redo() {
      var step = this._redo.pop();
      if (!step) { this.say("Nothing to redo."); return; }
      step.indices.forEach((i) => this.setPixel(i, step.after));
      this._undo.push(step);
      this.repaint();
      this.say("Redone.");
      this.changed();
    }

    // Whether the paint differs from what the element started with (undoing every stroke
    // returns to it).
    modified() {
      return this._undo.length > 0 || this._forgotten;
    }

    changed() {
      this.renderExtra();
      this.dispatchEvent(new Event("change", { bubbles: true }));
    }

    renderExtra() {}

    onKey(event) {
      var key = event.key;
      var command = event.ctrlKey || event.metaKey;
      if (command && (key === "z" || key === "Z")) {
        if (event.shiftKey) this.redo(); else this.undo();
      } else if (command && (key === "y" || key === "Y")) {
        this.redo();
      } else if (command || event.altKey) {
        return;
      } else if (/^[1-9]$/.test(key) && this._labels[Number(key) - 1] !== undefined) {
        this.pickLabel(this._labels[Number(key) - 1]);
        this.say("Label: " + this._labels[Number(key) - 1]);
      } else if (key === "b" || key === "B") {
        this.useEraser(false);
        this.say("Brush");
      } else if (key === "e" || key === "E") {
        this.useEraser(true);
        this.say("Eraser");
      } else if (key === "[" || key === "]") {
        this.setBrush(this._brush + (key === "]" ? 2 : -2));
        this.say("Brush size " + this._brush);
      } else if (!this.onOtherKey(event)) {
        return;
      }
      event.preventDefault();
    }

    // Keys of a subclass; true when the key was used.
    onOtherKey() { return false; }

    // Entries with at least one pixel painted, by index.
    used() {
      var found = new Set();
      this._counts.forEach((count, index) => { if (count > 0) found.add(index); });
      return found;
    }

    png() {
      // The canvas holds exactly `_pixels` (only ever written with putImageData).
      this.repaint();
      return this._canvas.toDataURL("image/png").split(",", 2)[1];
    }

    crowdAnswer() {
      if (!this._mask || this._loading) return undefined;
      var size = this.size();
      var answer = this.answerOf(this.used());
      answer.inputImageProperties = { height: size.height, width: size.width };
      answer.labeledImage = { pngImageData: this.png() };
      if (this.tracksInitialValue && this.hasAttribute("initial-value")) answer.initialValueModified = this.modified();
      return answer;
    }

    crowdProblem() {
      var name = C.nameOf(this);
      if (this._failed) return "The image of " + name + " could not be loaded, so it cannot be painted.";
      if (!this._mask) return "The image of " + name + " has not loaded yet.";
      if (this._loading) return "The prior labels of " + name + " have not loaded yet.";
      return "";
    }
  }
  Painter.prototype.tracksInitialValue = false;

  class SemanticSegmentation extends Painter {
    // An entry per label, in label order: a prior job's colour, else the first one free.
    setupEntries() {
      var prior = this.readInitial();
      this._priorSrc = prior.src;
      Object.keys(prior.colours).forEach((label) => {
        if (this._labels.indexOf(label) < 0) this._labels.push(label);
      });
      var taken = Object.keys(prior.colours).map((label) => prior.colours[label]);
      this._labels.forEach((label) => {
        var colour = prior.colours[label] || freeColour(taken);
        taken.push(colour);
        this.addEntry(label, colour);
      });
    }

    // initial-value's src and its colours by label.
    readInitial() {
      var found = { src: "", colours: {} };
      if (!this.hasAttribute("initial-value")) return found;
      var parsed = C.relaxedParse(attr(this, "initial-value", ""));
      if (!parsed || typeof parsed !== "object") return found;
      if (typeof parsed.src === "string") found.src = parsed.src;
      var mappings = parsed.labelMappings && typeof parsed.labelMappings === "object" ? parsed.labelMappings : {};
      Object.keys(mappings).forEach((label) => {
        var colour = mappings[label] && mappings[label].color;
        if (typeof colour === "string" && /^#[0-9a-fA-F]{6}$/.test(colour)) found.colours[label] = colour.toLowerCase();
      });
      return found;
    }

    labelColour(label) {
      return this._entries[this._labels.indexOf(label)].color;
    }

    currentEntry() {
      var index = this._labels.indexOf(this._label);
      if (index < 0) this.say("Choose a label first.");
      return index;
    }

    // The prior job's PNG, read pixel by pixel by its colours (pixels of other colours, or
    // mostly transparent, are left unpainted). Loaded as an image (a page's policy may allow
    // images where it forbids fetching) and read without colour management, so that its
    // colours come back exactly as they were written.
    loadInitial() {
      if (!this._priorSrc) return null;
      var size = this.size();
      var byColour = {};
      this._entries.forEach((entry, index) => { byColour[entry.color] = index + 1; });
      return loadImage(this._priorSrc)
        .then((image) => createImageBitmap(image, { colorSpaceConversion: "none", premultiplyAlpha: "none", resizeWidth: size.width, resizeHeight: size.height, resizeQuality: "pixelated" }))
        .then((bitmap) => {
          var canvas = document.createElement("canvas");
          canvas.width = size.width;
          canvas.height = size.height;
          var context = canvas.getContext("2d");
          context.imageSmoothingEnabled = false;
          context.drawImage(bitmap, 0, 0);
          // Throws for another site's image that does not allow it (no CORS).
          var pixels = context.getImageData(0, 0, size.width, size.height).data;
          for (var i = 0; i < this._mask.length; i += 1) {
            if (pixels[i * 4 + 3] < 128) continue;
            var found = byColour[hex(pixels[i * 4], pixels[i * 4 + 1], pixels[i * 4 + 2])];
            if (found) this.setPixel(i, found);
          }
        })
        .catch(() => this.say("The prior labels could not be loaded: " + this._priorSrc.slice(0, 200)));
    }

    answerOf(used) {
      var mappings = {};
      this._entries.forEach((entry, index) => {
        if (used.has(index)) mappings[entry.label] = { color: entry.color };
      });
      return { labelMappings: mappings };
    }
  }
  SemanticSegmentation.prototype.tracksInitialValue = true;

  class InstanceSegmentation extends Painter {
    setupEntries() {
      this._current = -1;
    }

    buildExtra() {
      var bar = C.make("div", { class: "crowd-paint-tools" });
      var add = C.make("button", { type: "button", class: "crowd-paint-new" }, ["New instance"]);
      add.addEventListener("click", () => this.newInstance());
      bar.appendChild(add);
      this._list = C.make("ol", { class: "crowd-paint-instances", "aria-label": "Instances" });
      bar.appendChild(this._list);
      this.appendChild(bar);
    }

    newInstance() {
      if (!this._label) {
        this.say("Choose a label first.");
        return -1;
      }
      this._current = this.addEntry(this._label, freeColour(this._entries.map((entry) => entry.color)));
      this.say("Instance " + this._entries.length + ": " + this._label);
      this.renderExtra();
      return this._current;
    }

    // Another label starts a new instance at the next stroke.
    chooseLabel(label) {
      this._label = label;
      if (this._current >= 0 && this._entries[this._current].label !== label) this._current = -1;
      this.renderExtra();
    }

    // Paint the instance `index` again.
    resume(index) {
      this.pickLabel(this._entries[index].label);
      this._current = index;
      this.say("Instance " + (index + 1) + ": " + this._entries[index].label);
      this.renderExtra();
      this._stage.focus({ preventScroll: true });
    }

    currentEntry() {
      return this._current < 0 ? this.newInstance() : this._current;
    }

    onOtherKey(event) {
      if (event.key !== "n" && event.key !== "N") return false;
      this.newInstance();
      return true;
    }

    renderExtra() {
      if (!this._list) return;
      var used = this.used();
      while (this._list.firstChild) this._list.removeChild(this._list.firstChild);
      this._entries.forEach((entry, index) => {
        var swatch = C.make("span", { class: "crowd-paint-swatch" });
        swatch.style.background = entry.color;
        var item = C.make("li", { "aria-current": index === this._current ? "true" : "false", title: "Paint this instance again" }, [swatch, "#" + (index + 1) + " " + entry.label + (used.has(index) ? "" : " (empty)")]);
        item.addEventListener("click", () => this.resume(index));
        this._list.appendChild(item);
      });
    }

    answerOf(used) {
      return {
        instances: this._entries
          .filter((entry, index) => used.has(index))
          .map((entry) => ({ color: entry.color, label: entry.label })),
      };
    }
  }

  C.Painter = Painter;
  C.define("crowd-semantic-segmentation", SemanticSegmentation);
  C.define("crowd-instance-segmentation", InstanceSegmentation);
})();
