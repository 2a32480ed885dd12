// Segmentation by painting: crowd-semantic-segmentation and crowd-instance-segmentation. Both
// take `header`, `labels` (JSON or single-quoted), `name`, `src` and the
// <short-instructions>/<full-instructions> children; crowd-semantic-segmentation also takes
// `initial-value`, `{"labelMappings": {"<label>": {"color": "#rrggbb"}}, "src": "<PNG URL>"}`:
// a prior job's labels to check and adjust.
//
// The worker paints over the image with a round brush, or erases with the eraser. Paint is kept
// per pixel of the ORIGINAL image, with no smoothing: each pixel of the answer's PNG is exactly
// one colour, or transparent where nothing was painted. Colours come from the d3 category10
// palette: in label order for semantic segmentation (a colour per label), in the order they were
// made for instances (a colour per instance, each with the label chosen when it was started).
//
// Keys, on the image: 1-9 choose a label; B the brush, E the eraser; [ and ] make the brush
// smaller or larger; N starts a new instance (instance segmentation); Ctrl+Z undoes the last
// stroke, Ctrl+Shift+Z (or Ctrl+Y) redoes it.
//
// Entries in taskAnswers:
// - crowd-semantic-segmentation: `{"inputImageProperties": {"height", "width"},
//   "labelMappings": {"<label>": {"color": "#rrggbb"}}, "labeledImage": {"pngImageData":
//   "<base64 PNG>"}}`, labelMappings naming the labels painted; plus `"initialValueModified":
//   true|false` when the template gave an initial-value;
// - crowd-instance-segmentation: `{"inputImageProperties": {...}, "instances": [{"color",
//   "label"}], "labeledImage": {"pngImageData": "..."}}`, instances being those still painted.
(function () {
  "use strict";
  var C = window.CrowdElements;
  if (!C || C.Painter) return;
  var attr = C.attr;
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  var MAX_UNDO = 30;

  var STYLE = [
    ".crowd-paint-tools{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:.4rem 0}",
    ".crowd-paint-labels{display:flex;flex-wrap:wrap;gap:.4rem;margin:.4rem 0}",
    ".crowd-paint-labels label{display:inline-flex;align-items:center;gap:.3rem;border:1px solid #d0d5dd;border-radius:999px;padding:.15rem .6rem;cursor:pointer}",
    ".crowd-paint-swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:2px}",
    ".crowd-paint-stage{position:relative;display:inline-block;max-width:100%;line-height:0;outline:none;cursor:crosshair;user-select:none;touch-action:none}",
    ".crowd-paint-stage:focus-visible{box-shadow:0 0 0 3px #93c5fd}",
    ".crowd-paint-stage img{display:block;max-width:100%;height:auto}",
    ".crowd-paint-stage canvas{position:absolute;left:0;top:0;width:100%;height:100%;opacity:.55;image-rendering:pixelated}",
    ".crowd-paint-status{min-height:1.2em;margin:.3rem 0;color:#475467;font-size:.9rem}",
    ".crowd-paint-instances{list-style:none;padding:0;margin:.3rem 0;display:flex;flex-wrap:wrap;gap:.3rem}",
    ".crowd-paint-instances li{display:inline-flex;align-items:center;gap:.3rem;border:1px solid #eaecf0;border-radius:4px;padding:.15rem .4rem}",
    ".crowd-paint-instances li[aria-current=true]{border-color:#2563eb;background:#eff6ff}",
  ].join("\n");

  function addStyle() {
    if (document.getElementById("crowd-paint-style")) return;
    document.head.appendChild(C.make("style", { id: "crowd-paint-style" }, [STYLE]));
  }

  function rgb(hex) {
    var n = parseInt(String(hex).replace("#", ""), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  function hex(r, g, b) {
    return "#" + [r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("");
  }

  // A painting surface. `mask` holds, per image pixel, 0 (nothing) or 1 + the index of its
  // entry in `entries` ({color, label}): a label's for semantic segmentation, an instance's for
  // instance segmentation. Subclasses say which entry a stroke paints (`currentEntry()`) and
  // write the answer (`answerOf`).
  class Painter extends C.CrowdField {
    connectedCallback() {
      if (this._built) return;
      this._built = true;
      C.whenParsed(() => this.build());
    }

    build() {
      addStyle();
      this._labels = C.listAttribute(this, "labels").map(String);
      this._label = this._labels[0] || "";
      this._entries = [];
      this._mask = null;
      this._undo = [];
      this._redo = [];
      this._erasing = false;
      this._brush = 12;
      this._stroke = null;
      this._modified = false;

      var panel = C.instructionsPanel ? C.instructionsPanel(this) : null;
      while (this.firstChild) this.removeChild(this.firstChild);
      var header = attr(this, "header", "");
      if (header) this.appendChild(C.make("h3", { class: "crowd-paint-header" }, [header]));
      if (panel) this.appendChild(panel);
      this.appendChild(this.buildPicker());
      this.appendChild(this.buildTools());

      this._image = C.make("img", { alt: header || "Image to segment", draggable: "false" });
      this._canvas = C.make("canvas", { "aria-hidden": "true" });
      this._stage = C.make("div", { class: "crowd-paint-stage", tabindex: "0", role: "application", "aria-label": (header || "Image") + ": paint on the image" }, [this._image, this._canvas]);
      this.appendChild(this._stage);
      this._status = C.make("p", { class: "crowd-paint-status", role: "status" });
      this.appendChild(this._status);
      this.buildExtra();

      this._image.addEventListener("load", () => this.start());
      this._image.addEventListener("error", () => this.say("The image could not be loaded: " + this._image.src.slice(0, 200)));
      this._image.addEventListener("dragstart", (e) => e.preventDefault());
      this._canvas.addEventListener("pointerdown", (e) => this.onDown(e));
      this._canvas.addEventListener("pointermove", (e) => this.onMove(e));
      this._canvas.addEventListener("pointerup", () => this.onUp());
      this._canvas.addEventListener("pointercancel", () => this.onUp());
      this._stage.addEventListener("keydown", (e) => this.onKey(e));
      var src = attr(this, "src", "");
      if (src) this._image.src = src;
      else this.say("This task has no image (its src is empty).");
    }

    buildPicker() {
      var group = C.make("div", { class: "crowd-paint-labels", role: "radiogroup", "aria-label": "Label" });
      var name = C.uid("paint-label");
      this._radios = this._labels.map((label, index) => {
        var radio = C.internal(C.make("input", { type: "radio", name: name, value: label }));
        radio.checked = label === this._label;
        radio.addEventListener("change", () => { if (radio.checked) this.chooseLabel(label); });
        var swatch = C.make("span", { class: "crowd-paint-swatch" });
        swatch.style.background = this.labelSwatch(label, index);
        group.appendChild(C.make("label", {}, [radio, swatch, (index < 9 ? index + 1 + " " : "") + label]));
        return radio;
      });
      return group;
    }

    buildTools() {
      var bar = C.make("div", { class: "crowd-paint-tools" });
      var name = C.uid("paint-tool");
      this._brushRadio = C.internal(C.make("input", { type: "radio", name: name, value: "brush", checked: true }));
      this._eraserRadio = C.internal(C.make("input", { type: "radio", name: name, value: "eraser" }));
      this._brushRadio.addEventListener("change", () => this.useEraser(false));
      this._eraserRadio.addEventListener("change", () => this.useEraser(true));
      this._size = C.internal(C.make("input", { type: "range", min: "1", max: "80", value: String(this._brush), "aria-label": "Brush size" }));
      this._size.addEventListener("input", () => { this._brush = Number(this._size.value); });
      var undo = C.make("button", { type: "button" }, ["Undo"]);
      var redo = C.make("button", { type: "button" }, ["Redo"]);
      undo.addEventListener("click", () => this.undo());
      redo.addEventListener("click", () => this.redoStroke());
      [
        C.make("label", {}, [this._brushRadio, " Brush"]),
        C.make("label", {}, [this._eraserRadio, " Eraser"]),
        C.make("label", {}, ["Size ", this._size]),
        undo,
        redo,
      ].forEach((el) => bar.appendChild(el));
      return bar;
    }

    buildExtra() {}
    labelSwatch(label, index) { return PALETTE[index % PALETTE.length]; }
    chooseLabel(label) { this._label = label; }

    useEraser(on) {
      this._erasing = on;
      this._brushRadio.checked = !on;
      this._eraserRadio.checked = on;
    }

    say(text) { this._status.textContent = text; }

    size() { return { width: this._image.naturalWidth, height: this._image.naturalHeight }; }

    start() {
      var size = this.size();
      this._canvas.width = size.width;
      this._canvas.height = size.height;
      this._mask = new Uint8Array(size.width * size.height);
      this.loadInitial();
      this.paintCanvas();
    }

    loadInitial() {}

    toImage(event) {
      var rect = this._image.getBoundingClientRect();
      var size = this.size();
      var clamp = (v, max) => Math.min(Math.max(v, 0), Math.max(max - 1, 0));
      return {
        x: clamp(Math.floor((event.clientX - rect.left) * size.width / rect.width), size.width),
        y: clamp(Math.floor((event.clientY - rect.top) * size.height / rect.height), size.height),
      };
    }

    onDown(event) {
      if (!this._mask || event.button !== 0) return;
      var value = 0;
      if (!this._erasing) {
        var entry = this.currentEntry();
        if (entry < 0) { this.say("Choose a label first."); return; }
        value = entry + 1;
      }
      event.preventDefault();
      this._stage.focus({ preventScroll: true });
      this._canvas.setPointerCapture(event.pointerId);
      this.remember();
      this._stroke = { value: value, last: this.toImage(event) };
      this.dab(this._stroke.last);
      this.paintCanvas();
    }

    onMove(event) {
      if (!this._stroke) return;
      var p = this.toImage(event);
      var last = this._stroke.last;
      var steps = Math.max(Math.abs(p.x - last.x), Math.abs(p.y - last.y), 1);
      for (var i = 1; i <= steps; i += 1) {
        this.dab({ x: Math.round(last.x + (p.x - last.x) * i / steps), y: Math.round(last.y + (p.y - last.y) * i / steps) });
      }
      this._stroke.last = p;
      this.paintCanvas();
    }

    onUp() {
      if (!this._stroke) return;
      this._stroke = null;
      this._modified = true;
      this.changed();
    }

    // One round dab of the brush (a disc of `_brush` image pixels across) at p.
    dab(p) {
      var size = this.size();
      var r = Math.max(0, (this._brush - 1) / 2);
      var reach = Math.ceil(r);
      for (var dy = -reach; dy <= reach; dy += 1) {
        var y = p.y + dy;
        if (y < 0 || y >= size.height) continue;
        for (var dx = -reach; dx <= reach; dx += 1) {
          var x = p.x + dx;
          if (x < 0 || x >= size.width || dx * dx + dy * dy > r * r + 0.25) continue;
          this._mask[y * size.width + x] = this._stroke.value;
        }
      }
    }

    remember() {
      this._undo.push(this._mask.slice());
      if (this._undo.length > MAX_UNDO) this._undo.shift();
      this._redo = [];
    }

    undo() {
      if (!this._undo.length) { this.say("Nothing to undo."); return; }
      this._redo.push(this._mask);
      this._mask = this._undo.pop();
      this.paintCanvas();
      this.changed();
    }

    redoStroke() {
      if (!this._redo.length) { this.say("Nothing to redo."); return; }
      this._undo.push(this._mask);
      this._mask = this._redo.pop();
      this.paintCanvas();
      this.changed();
    }

    changed() {
      this.renderExtra();
      this.dispatchEvent(new Event("change", { bubbles: true }));
    }

    renderExtra() {}

    onKey(event) {
      var key = event.key;
      if ((event.ctrlKey || event.metaKey) && (key === "z" || key === "Z")) {
        event.preventDefault();
        if (event.shiftKey) this.redoStroke(); else this.undo();
      } else if ((event.ctrlKey || event.metaKey) && key === "y") {
        event.preventDefault();
        this.redoStroke();
      } else if (/^[1-9]$/.test(key) && this._labels[Number(key) - 1] !== undefined) {
        event.preventDefault();
        this._radios[Number(key) - 1].checked = true;
        this.chooseLabel(this._labels[Number(key) - 1]);
        this.say("Label: " + this._labels[Number(key) - 1]);
      } else if (key === "b" || key === "B") {
        this.useEraser(false);
        this.say("Brush");
      } else if (key === "e" || key === "E") {
        this.useEraser(true);
        this.say("Eraser");
      } else if (key === "[" || key === "]") {
        event.preventDefault();
        this._brush = Math.min(80, Math.max(1, this._brush + (key === "]" ? 2 : -2)));
        this._size.value = String(this._brush);
        this.say("Brush size " + this._brush);
      } else this.onOtherKey(event);
    }

    onOtherKey() {}

    // The mask drawn in its colours, exactly: painted pixels opaque, the rest transparent.
    imageData(context) {
      var size = this.size();
      var data = context.createImageData(size.width, size.height);
      var colours = this._entries.map((entry) => rgb(entry.color));
      for (var i = 0; i < this._mask.length; i += 1) {
        var v = this._mask[i];
        if (!v) continue;
        var c = colours[v - 1];
        data.data[i * 4] = c[0];
        data.data[i * 4 + 1] = c[1];
        data.data[i * 4 + 2] = c[2];
        data.data[i * 4 + 3] = 255;
      }
      return data;
    }

    paintCanvas() {
      if (!this._mask) return;
      var context = this._canvas.getContext("2d");
      context.putImageData(this.imageData(context), 0, 0);
    }

    // Which entries have at least one pixel.
    used() {
      var seen = new Set();
      for (var i = 0; i < this._mask.length; i += 1) if (this._mask[i]) seen.add(this._mask[i] - 1);
      return seen;
    }

    png() {
      var size = this.size();
      var canvas = document.createElement("canvas");
      canvas.width = size.width;
      canvas.height = size.height;
      var context = canvas.getContext("2d");
      context.putImageData(this.imageData(context), 0, 0);
      return canvas.toDataURL("image/png").split(",", 2)[1];
    }

    crowdAnswer() {
      if (!this._mask) return undefined;
      var size = this.size();
      var answer = this.answerOf(this.used());
      answer.inputImageProperties = { height: size.height, width: size.width };
      answer.labeledImage = { pngImageData: this.png() };
      if (this.hasAttribute("initial-value") && this.tracksInitialValue) answer.initialValueModified = this._modified;
      return answer;
    }

    crowdProblem() {
      if (attr(this, "src", "") && !this._mask) return "The image of " + C.nameOf(this) + " has not loaded yet.";
      return "";
    }
  }

  class SemanticSegmentation extends Painter {
    buildExtra() {
      this._entries = this._labels.map((label, index) => ({ label: label, color: this.labelSwatch(label, index) }));
    }

    labelSwatch(label, index) {
      var given = this.initialMappings()[label];
      return given || PALETTE[index % PALETTE.length];
    }

    // The colours of a prior job's labels (initial-value's labelMappings), by label.
    initialMappings() {
      if (this._initialMappings) return this._initialMappings;
      var mappings = {};
      var parsed = this.hasAttribute("initial-value") ? C.relaxedParse(attr(this, "initial-value", "")) : null;
      this._initialSrc = parsed && typeof parsed.src === "string" ? parsed.src : "";
      var given = parsed && parsed.labelMappings && typeof parsed.labelMappings === "object" ? parsed.labelMappings : {};
      Object.keys(given).forEach((label) => {
        var color = given[label] && given[label].color;
        if (typeof color === "string" && /^#[0-9a-fA-F]{6}$/.test(color)) mappings[label] = color.toLowerCase();
      });
      this._initialMappings = mappings;
      return mappings;
    }

    currentEntry() { return this._labels.indexOf(this._label); }

    // The prior job's PNG, read back into the mask by its colours.
    loadInitial() {
      this.initialMappings();
      if (!this._initialSrc) return;
      var prior = new Image();
      prior.addEventListener("load", () => {
        var size = this.size();
        var canvas = document.createElement("canvas");
        canvas.width = size.width;
        canvas.height = size.height;
        var context = canvas.getContext("2d");
        context.imageSmoothingEnabled = false;
        context.drawImage(prior, 0, 0, size.width, size.height);
        var pixels = context.getImageData(0, 0, size.width, size.height).data;
        var byColour = {};
        this._entries.forEach((entry, index) => { byColour[entry.color] = index + 1; });
        for (var i = 0; i < this._mask.length; i += 1) {
          if (pixels[i * 4 + 3] < 128) continue;
          var found = byColour[hex(pixels[i * 4], pixels[i * 4 + 1], pixels[i * 4 + 2])];
          if (found) this._mask[i] = found;
        }
        this.paintCanvas();
      });
      prior.addEventListener("error", () => this.say("The prior labels could not be loaded."));
      prior.src = this._initialSrc;
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
    buildExtra() {
      this._current = -1;
      var bar = C.make("div", { class: "crowd-paint-tools" });
      var add = C.make("button", { type: "button", class: "crowd-paint-new" }, ["New instance"]);
      add.addEventListener("click", () => this.newInstance());
      bar.appendChild(add);
      this._list = C.make("ol", { class: "crowd-paint-instances", "aria-label": "Instances" });
      bar.appendChild(this._list);
      this.appendChild(bar);
    }

    labelSwatch() { return "transparent"; }

    newInstance() {
      if (!this._label) { this.say("Choose a label first."); return -1; }
      this._entries.push({ label: this._label, color: PALETTE[this._entries.length % PALETTE.length] });
      this._current = this._entries.length - 1;
      this.say("Instance " + this._entries.length + ": " + this._label);
      this.renderExtra();
      return this._current;
    }

    // Choosing another label starts a new instance at the next stroke.
    chooseLabel(label) {
      this._label = label;
      if (this._current >= 0 && this._entries[this._current].label !== label) this._current = -1;
    }

    currentEntry() {
      if (this._current < 0) return this.newInstance();
      return this._current;
    }

    onOtherKey(event) {
      if (event.key === "n" || event.key === "N") this.newInstance();
    }

    renderExtra() {
      if (!this._list) return;
      var used = this._mask ? this.used() : new Set();
      while (this._list.firstChild) this._list.removeChild(this._list.firstChild);
      this._entries.forEach((entry, index) => {
        var swatch = C.make("span", { class: "crowd-paint-swatch" });
        swatch.style.background = entry.color;
        var item = C.make("li", { "aria-current": index === this._current ? "true" : "false" }, [swatch, "#" + (index + 1) + " " + entry.label + (used.has(index) ? "" : " (empty)")]);
        item.addEventListener("click", () => { this._current = index; this.renderExtra(); });
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
