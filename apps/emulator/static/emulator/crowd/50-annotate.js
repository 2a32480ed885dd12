// The image annotation surface the shape elements of 51-shapes.js share, on
// `window.CrowdElements.Annotator` (a CrowdField to extend). It shows the element's `header`,
// its <short-instructions>/<full-instructions>, a label picker (`labels`, `label-colors`), the
// `src` image with an SVG layer over it, and the list of shapes drawn so far (each with its label
// to change and a Delete button).
//
// Shapes are kept as a label and a list of points in pixels of the ORIGINAL image: the SVG's
// viewBox is the image's natural size, so the display may scale the image and every pointer
// position is converted back (the pixel under the pointer, clamped to the image). A subclass
// says how shapes are drawn (`tool`), how they look (`kind`), and how they are written out.
//
// Tools: "drag" (press, drag, release: a box), "point" (a click: a point), "two" (two clicks or
// one drag: a line), "path" (a click per vertex; a closed path ends by clicking its first vertex
// or Enter, an open one by Enter; a polygon's edges may not cross). A click on a shape selects it; a selected shape shows handles
// that can be dragged to adjust it. Keyboard, on the image: Delete or Backspace deletes the
// selected shape (while drawing: the last vertex), Escape cancels the shape being drawn (or
// clears the selection), Enter finishes it, Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) undo and redo
// vertices while drawing.
//
// Also here: `C.relaxedParse`, for the `initial-value` attributes the reference writes as
// JavaScript literals (unquoted keys, single quotes, comments, trailing commas).
(function () {
  "use strict";
  var C = window.CrowdElements;
  if (!C || C.Annotator) return;
  var attr = C.attr;
  var SVG = "http://www.w3.org/2000/svg";
  var PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#db2777", "#65a30d", "#7c3aed", "#475569"];
  // How near (screen pixels) a click must be to a closed path's first vertex to close it.
  var CLOSE_DISTANCE = 8;

  // A JSON-like literal as the reference's examples write them. Returns null when unreadable.
  function relaxedParse(text) {
    var i = 0;
    function fail() { throw new SyntaxError("unreadable literal at " + i); }
    function skip() {
      for (;;) {
        while (i < text.length && /\s/.test(text[i])) i += 1;
        if (text.startsWith("//", i)) {
          while (i < text.length && text[i] !== "\n") i += 1;
        } else if (text.startsWith("/*", i)) {
          var end = text.indexOf("*/", i + 2);
          i = end < 0 ? text.length : end + 2;
        } else return;
      }
    }
    function string() {
      var quote = text[i];
      var out = "";
      i += 1;
      while (i < text.length && text[i] !== quote) {
        if (text[i] === "\\") {
          i += 1;
          var escaped = text[i];
          if (escaped === "u") { out += String.fromCharCode(parseInt(text.substr(i + 1, 4), 16)); i += 4; }
          else out += { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" }[escaped] || escaped;
        } else out += text[i];
        i += 1;
      }
      if (i >= text.length) fail();
      i += 1;
      return out;
    }
    function word() {
      var match = /^[A-Za-z_$][\w$-]*|^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(i));
      if (!match) fail();
      i += match[0].length;
      return match[0];
    }
    function list(close, item) {
      i += 1;
      for (;;) {
        skip();
        if (text[i] === ",") { i += 1; continue; }
        if (text[i] === close) { i += 1; return; }
        if (i >= text.length) fail();
        item();
      }
    }
    function value() {
      skip();
      var c = text[i];
      if (c === "{") {
        var obj = {};
        list("}", function () {
          var key = text[i] === '"' || text[i] === "'" ? string() : word();
          skip();
          if (text[i] !== ":") fail();
          i += 1;
          obj[key] = value();
        });
        return obj;
      }
      if (c === "[") {
        var arr = [];
        list("]", function () { arr.push(value()); });
        return arr;
      }
      if (c === '"' || c === "'") return string();
      var w = word();
      if (w === "true") return true;
      if (w === "false") return false;
      if (w === "null") return null;
      var n = Number(w);
      if (isNaN(n)) fail();
      return n;
    }
    try {
      var result = value();
      skip();
      return i === text.length ? result : null;
    } catch (e) {
      return null;
    }
  }

  // The element's <short-instructions> and <full-instructions>, moved into one panel: the short
  // ones shown, the full ones behind a toggle named by their `header`. Null when it has neither.
  function instructionsPanel(el) {
    var child = (name) => Array.prototype.filter.call(el.children, (c) => c.localName === name)[0];
    var short = child("short-instructions");
    var full = child("full-instructions");
    if (!short && !full) return null;
    var panel = C.make("aside", { class: "crowd-annotate-instructions" });
    if (short) {
      var summary = C.make("div", { class: "crowd-short-instructions" });
      while (short.firstChild) summary.appendChild(short.firstChild);
      short.remove();
      panel.appendChild(summary);
    }
    if (full) {
      var details = C.make("details", { class: "crowd-full-instructions" }, [
        C.make("summary", {}, [attr(full, "header", "") || "View full instructions"]),
      ]);
      while (full.firstChild) details.appendChild(full.firstChild);
      full.remove();
      panel.appendChild(details);
    }
    return panel;
  }

  var STYLE = [
    ".crowd-annotate-instructions{border:1px solid #d0d5dd;border-radius:6px;padding:.5rem .75rem;margin:.5rem 0;background:#f9fafb;font-size:.9rem}",
    ".crowd-annotate-labels{display:flex;flex-wrap:wrap;gap:.4rem;margin:.5rem 0}",
    ".crowd-annotate-labels label{display:inline-flex;align-items:center;gap:.3rem;border:1px solid #d0d5dd;border-radius:999px;padding:.15rem .6rem;cursor:pointer}",
    ".crowd-annotate-swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:2px}",
    ".crowd-annotate-stage{position:relative;display:inline-block;max-width:100%;line-height:0;outline:none;cursor:crosshair;user-select:none;touch-action:none}",
    ".crowd-annotate-stage:focus-visible{box-shadow:0 0 0 3px #93c5fd}",
    ".crowd-annotate-stage img{display:block;max-width:100%;height:auto}",
    ".crowd-annotate-stage svg{position:absolute;left:0;top:0;width:100%;height:100%;overflow:visible}",
    ".crowd-annotate-status{min-height:1.2em;margin:.3rem 0;color:#475467;font-size:.9rem}",
    ".crowd-annotate-shapes{list-style:none;padding:0;margin:.3rem 0;max-width:40rem;display:grid;gap:.25rem}",
    ".crowd-annotate-shapes li{display:flex;align-items:center;gap:.5rem;padding:.2rem .4rem;border:1px solid #eaecf0;border-radius:4px;cursor:pointer}",
    ".crowd-annotate-shapes li[aria-selected=true]{border-color:#2563eb;background:#eff6ff}",
  ].join("\n");

  function addStyle() {
    if (document.getElementById("crowd-annotate-style")) return;
    var style = C.make("style", { id: "crowd-annotate-style" }, [STYLE]);
    document.head.appendChild(style);
  }

  function svg(tag, attributes) {
    var el = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach((key) => el.setAttribute(key, String(attributes[key])));
    return el;
  }

  function pointsText(points) {
    return points.map((p) => p.x + "," + p.y).join(" ");
  }

  // The polygon tool, as the reference's example instructions say, keeps a polygon's edges
  // from crossing one another.
  var CROSSING = "A polygon's edges may not cross: place the point elsewhere.";

  function orientation(p, q, r) {
    return Math.sign((q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x));
  }

  // Whether the new edge a-b, from the path's last point (a), properly crosses one of the
  // path's edges; `closing`: b is the path's first point, whose edge is not counted either.
  function crosses(points, a, b, closing) {
    for (var i = closing ? 1 : 0; i < points.length - 2; i += 1) {
      var c = points[i];
      var d = points[i + 1];
      if (orientation(a, b, c) * orientation(a, b, d) < 0 && orientation(c, d, a) * orientation(c, d, b) < 0) return true;
    }
    return false;
  }

  // The pixel of the image's own size under the pointer, clamped to the image, however large
  // the image is shown.
  function imagePixel(image, event) {
    var rect = image.getBoundingClientRect();
    var width = image.naturalWidth;
    var height = image.naturalHeight;
    var clamp = (v, max) => Math.min(Math.max(v, 0), Math.max(max - 1, 0));
    return {
      x: clamp(Math.floor((event.clientX - rect.left) * width / rect.width), width),
      y: clamp(Math.floor((event.clientY - rect.top) * height / rect.height), height),
    };
  }

  function integer(n) {
    return Math.round(Number(n) || 0);
  }

  // Subclasses set, in their constructor or as class fields:
  //   tool: "drag" | "point" | "two" | "path";  kind: "box" | "point" | "line" | "polygon" | "polyline";
  //   noun: what one shape is called ("Box");  minPoints: vertices a path needs to be finished;
  // and implement:
  //   initialShapes(parsed) -> [{label, points: [{x, y}]}] from the parsed initial-value;
  //   shapeAnswer(shape) -> the shape's entry in the output;
  //   answerOf(shapes, imageProperties) -> the element's whole output.
  class Annotator extends C.CrowdField {
    connectedCallback() {
      if (this._built) return;
      this._built = true;
      C.whenParsed(() => this.build());
    }

    build() {
      addStyle();
      this._labels = C.listAttribute(this, "labels").map(String);
      var colors = C.listAttribute(this, "label-colors");
      this._colors = {};
      this._labels.forEach((label, index) => {
        this._colors[label] = colors[index] || PALETTE[index % PALETTE.length];
      });
      this._label = this._labels[0] || "";
      this._shapes = [];
      this._selected = null;
      this._draft = null;
      this._gesture = null;
      this._hover = null;
      this._modified = false;

      var panel = instructionsPanel(this);
      while (this.firstChild) this.removeChild(this.firstChild);
      var header = attr(this, "header", "");
      if (header) this.appendChild(C.make("h3", { class: "crowd-annotate-header" }, [header]));
      if (panel) this.appendChild(panel);
      this.appendChild(this.buildPicker());

      this._image = C.make("img", { alt: header || "Image to annotate", draggable: "false" });
      this._svg = svg("svg", { "aria-hidden": "true" });
      this._stage = C.make("div", { class: "crowd-annotate-stage", tabindex: "0", role: "application", "aria-label": (header || "Image") + ": draw on the image" }, [this._image]);
      this._stage.appendChild(this._svg);
      this.appendChild(this._stage);
      this._status = C.make("p", { class: "crowd-annotate-status", role: "status" });
      this.appendChild(this._status);
      this._list = C.make("ol", { class: "crowd-annotate-shapes", "aria-label": "Shapes" });
      this.appendChild(this._list);

      this._image.addEventListener("load", () => this.render());
      this._image.addEventListener("error", () => this.say("The image could not be loaded: " + this._image.src.slice(0, 200)));
      this._image.addEventListener("dragstart", (e) => e.preventDefault());
      this._svg.addEventListener("pointerdown", (e) => this.onDown(e));
      this._svg.addEventListener("pointermove", (e) => this.onMove(e));
      this._svg.addEventListener("pointerup", (e) => this.onUp(e));
      this._stage.addEventListener("keydown", (e) => this.onKey(e));
      if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => this.render()).observe(this._stage);

      this._hasInitial = this.hasAttribute("initial-value");
      if (this._hasInitial) {
        var parsed = relaxedParse(attr(this, "initial-value", ""));
        // As the keypoint reference says of its points: a shape whose label is not one of
        // `labels` is not shown (and so not answered).
        this._shapes = (parsed === null ? [] : this.initialShapes(parsed))
          .filter((shape) => this._labels.indexOf(shape.label) >= 0)
          .map((shape) => this.normalise(shape));
      }
      var src = attr(this, "src", "");
      if (src) this._image.src = src;
      else this.say("This task has no image (its src is empty).");
      this.render();
    }

    buildPicker() {
      var group = C.make("div", { class: "crowd-annotate-labels", role: "radiogroup", "aria-label": "Label" });
      var name = C.uid("annotate-label");
      this._labels.forEach((label) => {
        var radio = C.internal(C.make("input", { type: "radio", name: name, value: label }));
        radio.checked = label === this._label;
        radio.addEventListener("change", () => { if (radio.checked) this._label = label; });
        var swatch = C.make("span", { class: "crowd-annotate-swatch" });
        swatch.style.background = this._colors[label];
        group.appendChild(C.make("label", {}, [radio, swatch, label]));
      });
      return group;
    }

    // The image's own size in pixels (0 until it has loaded).
    imageSize() {
      return { width: this._image.naturalWidth, height: this._image.naturalHeight };
    }

    // Image pixels per screen pixel.
    scale() {
      var rect = this._image.getBoundingClientRect();
      return rect.width ? this._image.naturalWidth / rect.width : 1;
    }

    // The image pixel under the pointer.
    toImage(event) {
      return imagePixel(this._image, event);
    }

    normalise(shape) {
      if (this.kind !== "box") return shape;
      var a = shape.points[0];
      var b = shape.points[1];
      return {
        label: shape.label,
        points: [
          { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y) },
          { x: Math.max(a.x, b.x), y: Math.max(a.y, b.y) },
        ],
      };
    }

    say(text) {
      this._status.textContent = text;
    }

    changed() {
      this._modified = true;
      this.render();
      this.dispatchEvent(new Event("change", { bubbles: true }));
    }

    addShape(points) {
      if (!this._label && this._labels.length) {
        this.say("Choose a label first.");
        return;
      }
      var shape = this.normalise({ label: this._label, points: points });
      this._shapes.push(shape);
      this._selected = shape;
      this.say("");
      this.changed();
    }

    deleteShape(shape) {
      this._shapes = this._shapes.filter((s) => s !== shape);
      if (this._selected === shape) this._selected = null;
      this.changed();
    }

    select(shape) {
      this._selected = shape;
      this.render();
    }

    finishDraft() {
      var draft = this._draft;
      if (!draft) return;
      if (draft.points.length < this.minPoints) {
        this.say("A " + this.noun.toLowerCase() + " needs at least " + this.minPoints + " points.");
        return;
      }
      if (this.kind === "polygon" && crosses(draft.points, draft.points[draft.points.length - 1], draft.points[0], true)) {
        this.say(CROSSING);
        return;
      }
      this._draft = null;
      this.addShape(draft.points);
    }

    cancelDraft() {
      this._draft = null;
      this.say("");
      this.render();
    }

    shapeAt(event) {
      var hit = event.target.closest && event.target.closest("[data-shape]");
      return hit ? this._shapes[Number(hit.getAttribute("data-shape"))] : null;
    }

    onDown(event) {
      if (event.button !== 0 || !this._image.naturalWidth) return;
      event.preventDefault();
      this._stage.focus();
      var p = this.toImage(event);
      var handle = event.target.getAttribute && event.target.getAttribute("data-handle");
      if (handle !== null && handle !== undefined && this._selected && !this._draft) {
        this._gesture = { type: "handle", index: Number(handle) };
        this._svg.setPointerCapture(event.pointerId);
        return;
      }
      var hit = this.shapeAt(event);
      if (this.tool === "drag") {
        this._gesture = { type: "drag", start: p, end: p, hit: hit };
        this._svg.setPointerCapture(event.pointerId);
      } else if (this.tool === "point") {
        if (!hit) {
          this.addShape([p]);
          return;
        }
        // A point is its own handle: pressing on it selects it and may drag it at once.
        this.select(hit);
        this._gesture = { type: "handle", index: 0 };
        this._svg.setPointerCapture(event.pointerId);
      } else if (this._draft) {
        var draft = this._draft;
        var first = draft.points[0];
        var near = Math.hypot(first.x - p.x, first.y - p.y) / this.scale() <= CLOSE_DISTANCE;
        if (this.kind === "polygon" && near && draft.points.length >= this.minPoints) this.finishDraft();
        else {
          var last = draft.points[draft.points.length - 1];
          // A double click is one vertex, not two on top of each other.
          if (last.x === p.x && last.y === p.y) return;
          if (this.kind === "polygon" && crosses(draft.points, last, p, false)) {
            this.say(CROSSING);
            return;
          }
          draft.points.push(p);
          draft.redo = [];
          if (this.tool === "two") this.finishDraft();
          else this.render();
        }
      } else if (hit) {
        this.select(hit);
      } else {
        this._selected = null;
        this._draft = { points: [p], redo: [] };
        this._hover = p;
        if (this.tool === "two") {
          this._gesture = { type: "line", start: p };
          this._svg.setPointerCapture(event.pointerId);
        }
        this.say(this.tool === "path" ? this.drawingHint() : "Click where the line ends.");
        this.render();
      }
    }

    drawingHint() {
      return this.kind === "polygon"
        ? "Click to add points; click the first point or press Enter to close the polygon; Escape cancels."
        : "Click to add points; press Enter to finish the " + this.noun.toLowerCase() + "; Escape cancels.";
    }

    onMove(event) {
      if (!this._image.naturalWidth) return;
      var p = this.toImage(event);
      var gesture = this._gesture;
      if (gesture && gesture.type === "handle") {
        this.moveHandle(gesture.index, p);
        gesture.moved = true;
        this.render();
      } else if (gesture && gesture.type === "drag") {
        gesture.end = p;
        this.render();
      } else if (this._draft) {
        this._hover = p;
        this.render();
      }
    }

    onUp(event) {
      var gesture = this._gesture;
      this._gesture = null;
      if (!gesture) return;
      var p = this.toImage(event);
      if (gesture.type === "handle") {
        if (gesture.moved) {
          this._selected.points = this.normalise(this._selected).points;
          this.changed();
        }
      } else if (gesture.type === "drag") {
        if (p.x !== gesture.start.x && p.y !== gesture.start.y) this.addShape([gesture.start, p]);
        else this.select(gesture.hit);
      } else if (gesture.type === "line") {
        var moved = Math.hypot(p.x - gesture.start.x, p.y - gesture.start.y) / this.scale();
        if (moved >= 3 && this._draft) {
          this._draft.points.push(p);
          this.finishDraft();
        }
      }
    }

    // Handles of the selected shape: a box's four corners, else its points.
    handles(shape) {
      if (this.kind !== "box") return shape.points;
      var a = shape.points[0];
      var b = shape.points[1];
      return [{ x: a.x, y: a.y }, { x: b.x, y: a.y }, { x: b.x, y: b.y }, { x: a.x, y: b.y }];
    }

    moveHandle(index, p) {
      var points = this._selected.points;
      if (this.kind !== "box") {
        points[index] = p;
        return;
      }
      // Corners 0..3 clockwise from the top left: which of the two points gives each x and y.
      var xs = [0, 1, 1, 0];
      var ys = [0, 0, 1, 1];
      points[xs[index]].x = p.x;
      points[ys[index]].y = p.y;
    }

    onKey(event) {
      var key = event.key;
      var undo = (event.ctrlKey || event.metaKey) && key.toLowerCase() === "z";
      var redo = (event.ctrlKey || event.metaKey) && (key.toLowerCase() === "y" || (undo && event.shiftKey));
      var draft = this._draft;
      if (redo) {
        if (draft && draft.redo.length) draft.points.push(draft.redo.pop());
      } else if (undo || (draft && (key === "Backspace" || key === "Delete"))) {
        if (draft) {
          draft.redo.push(draft.points.pop());
          if (!draft.points.length) this.cancelDraft();
        }
      } else if (key === "Delete" || key === "Backspace") {
        if (this._selected) this.deleteShape(this._selected);
      } else if (key === "Escape") {
        if (draft) this.cancelDraft();
        else this.select(null);
      } else if (key === "Enter") {
        if (draft) this.finishDraft();
      } else return;
      event.preventDefault();
      this.render();
    }

    // Redraws the SVG layer and the list of shapes from the state.
    render() {
      if (!this._svg) return;
      var size = this.imageSize();
      var layer = this._svg;
      while (layer.firstChild) layer.removeChild(layer.firstChild);
      if (!size.width) return;
      layer.setAttribute("viewBox", "0 0 " + size.width + " " + size.height);
      layer.setAttribute("preserveAspectRatio", "none");
      var unit = this.scale();
      this._shapes.forEach((shape, index) => {
        layer.appendChild(this.drawShape(shape.points, this._colors[shape.label] || PALETTE[0], shape === this._selected, unit, index));
      });
      var gesture = this._gesture;
      if (gesture && gesture.type === "drag" && gesture.end.x !== gesture.start.x) {
        var preview = this.normalise({ label: this._label, points: [gesture.start, gesture.end] });
        layer.appendChild(this.drawShape(preview.points, this._colors[this._label] || PALETTE[0], false, unit, null));
      }
      if (this._draft) {
        var points = this._draft.points.slice();
        if (this._hover) points.push(this._hover);
        var g = svg("g", { "pointer-events": "none" });
        g.appendChild(svg("polyline", { points: pointsText(points), fill: "none", stroke: this._colors[this._label] || PALETTE[0], "stroke-width": 2, "stroke-dasharray": "6 4", "vector-effect": "non-scaling-stroke" }));
        this._draft.points.forEach((p) => g.appendChild(svg("circle", { cx: p.x, cy: p.y, r: 4 * unit, fill: "#fff", stroke: "#111", "vector-effect": "non-scaling-stroke" })));
        layer.appendChild(g);
      }
      if (this._selected && !this._draft) {
        this.handles(this._selected).forEach((p, index) => {
          layer.appendChild(svg("circle", { cx: p.x, cy: p.y, r: 5 * unit, fill: "#fff", stroke: "#111", "stroke-width": 1.5, "vector-effect": "non-scaling-stroke", "data-handle": index, style: "cursor:move" }));
        });
      }
      this.renderList();
    }

    drawShape(points, color, selected, unit, index) {
      var g = svg("g", {});
      if (index !== null) g.setAttribute("data-shape", index);
      var width = selected ? 3 : 2;
      var common = { stroke: color, "stroke-width": width, "vector-effect": "non-scaling-stroke" };
      if (this.kind === "box") {
        var a = points[0];
        var b = points[1];
        g.appendChild(svg("rect", Object.assign({ x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y, fill: color, "fill-opacity": selected ? 0.25 : 0.12 }, common)));
      } else if (this.kind === "point") {
        var p = points[0];
        g.appendChild(svg("circle", Object.assign({ cx: p.x, cy: p.y, r: 5 * unit, fill: color, "fill-opacity": 0.8 }, common)));
      } else {
        var tag = this.kind === "polygon" ? "polygon" : "polyline";
        var fill = this.kind === "polygon" ? color : "none";
        g.appendChild(svg(tag, Object.assign({ points: pointsText(points), fill: fill, "fill-opacity": 0.12, "pointer-events": "none" }, common)));
        // A wide invisible stroke to click on: inside a polygon, a click starts a new one.
        g.appendChild(svg(tag, { points: pointsText(points), fill: "none", stroke: "transparent", "stroke-width": 12, "vector-effect": "non-scaling-stroke", "pointer-events": "stroke" }));
      }
      return g;
    }

    renderList() {
      var list = this._list;
      while (list.firstChild) list.removeChild(list.firstChild);
      this._shapes.forEach((shape, index) => {
        var swatch = C.make("span", { class: "crowd-annotate-swatch" });
        swatch.style.background = this._colors[shape.label] || PALETTE[0];
        var choice = C.internal(C.make("select", { "aria-label": this.noun + " " + (index + 1) + " label" }));
        this._labels.forEach((label) => {
          var option = C.make("option", { value: label }, [label]);
          option.selected = label === shape.label;
          choice.appendChild(option);
        });
        choice.addEventListener("change", () => {
          shape.label = choice.value;
          this.changed();
        });
        var remove = C.make("button", { type: "button", class: "crowd-annotate-delete" }, ["Delete"]);
        remove.addEventListener("click", (e) => {
          e.stopPropagation();
          this.deleteShape(shape);
        });
        var item = C.make("li", { "aria-selected": shape === this._selected ? "true" : "false", "data-shape-index": index }, [swatch, this.noun + " " + (index + 1), choice, remove]);
        item.addEventListener("click", (e) => {
          if (e.target === choice) return;
          this.select(shape);
          // So that Delete or Backspace now deletes it.
          this._stage.focus({ preventScroll: true });
        });
        list.appendChild(item);
      });
    }

    crowdAnswer() {
      if (!this._shapes) return undefined;
      var size = this.imageSize();
      var answer = this.answerOf(this._shapes.map((shape) => this.shapeAnswer(shape)), { height: size.height, width: size.width });
      if (this.tracksInitialValue && this._hasInitial) answer.initialValueModified = this._modified;
      return answer;
    }

    crowdProblem() {
      if (!this._draft) return "";
      return "Finish the " + this.noun.toLowerCase() + " you are drawing on " + C.nameOf(this) + " (or press Escape to cancel it).";
    }
  }

  Annotator.prototype.tool = "point";
  Annotator.prototype.kind = "point";
  Annotator.prototype.noun = "Shape";
  Annotator.prototype.minPoints = 1;
  Annotator.prototype.tracksInitialValue = false;

  C.Annotator = Annotator;
  C.relaxedParse = relaxedParse;
  C.integerPoint = (p) => ({ x: integer(p.x), y: integer(p.y) });
  C.imagePixel = imagePixel;
})();
