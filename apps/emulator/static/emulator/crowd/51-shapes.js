// Image annotation with shapes, on the surface of 50-annotate.js: crowd-bounding-box,
// crowd-keypoint, crowd-line, crowd-polygon and crowd-polyline. Each takes `src`, `labels`,
// `header`, `initial-value`, `name`, `label-colors` (documented for crowd-line and
// crowd-polyline, read by all five) and the <short-instructions>/<full-instructions> children. Coordinates are integer pixels of the
// original image, 0,0 at its top left, whatever size the image is shown at.
//
// Their entries in taskAnswers:
// - crowd-bounding-box (drag a box): `{"boundingBoxes": [{"label", "left", "top", "width",
//   "height"}], "inputImageProperties": {"height", "width"}}`, with `"initialValueModified":
//   true|false` when the template gave an `initial-value` (an array of boxes);
// - crowd-keypoint (click a point): `{"inputImageProperties": {"height", "width"},
//   "keypoints": [{"label", "x", "y"}]}`; `initial-value` is an array of keypoints;
// - crowd-line (two clicks, or one drag): `{"inputImageProperties": {...}, "lines": [{"label",
//   "vertices": [{"x", "y"}, {"x", "y"}]}]}`, plus `initialValueModified` when `initial-value`
//   (`{lines: [...]}`) was given;
// - crowd-polygon (click the vertices, then the first one again or Enter; at least 3):
//   `{"inputImageProperties": {...}, "polygons": [{"label", "vertices": [{"x", "y"}, ...]}]}`;
//   `initial-value` is an array of polygons;
// - crowd-polyline (click the vertices, then Enter; at least 2): `{"inputImageProperties":
//   {...}, "polylines": [{"label", "vertices": [...]}]}`, plus `initialValueModified` when
//   `initial-value` (`{polylines: [...]}`) was given.
// Initial shapes whose label is not one of `labels` are left out. The form refuses to submit
// while a line, polygon or polyline is half drawn.
(function () {
  "use strict";
  var C = window.CrowdElements;
  if (!C || !C.Annotator) return;
  var point = C.integerPoint;

  // The list of shapes in an initial-value: the array itself, or the array under `key`.
  function listOf(parsed, key) {
    if (Array.isArray(parsed)) return parsed;
    return parsed && Array.isArray(parsed[key]) ? parsed[key] : [];
  }

  function vertexShapes(parsed, key) {
    return listOf(parsed, key)
      .filter((item) => item && Array.isArray(item.vertices))
      .map((item) => ({ label: String(item.label), points: item.vertices.filter(Boolean).map(point) }));
  }

  function vertices(shape) {
    return { label: shape.label, vertices: shape.points.map((p) => ({ x: p.x, y: p.y })) };
  }

  class CrowdBoundingBox extends C.Annotator {
    initialShapes(parsed) {
      return listOf(parsed, "boundingBoxes")
        .filter((box) => box && typeof box === "object")
        .map((box) => {
          var a = point({ x: box.left, y: box.top });
          var size = point({ x: box.width, y: box.height });
          return { label: String(box.label), points: [a, { x: a.x + size.x, y: a.y + size.y }] };
        });
    }
    shapeAnswer(shape) {
      var a = shape.points[0];
      var b = shape.points[1];
      return { label: shape.label, left: a.x, top: a.y, width: b.x - a.x, height: b.y - a.y };
    }
    answerOf(shapes, image) {
      return { boundingBoxes: shapes, inputImageProperties: image };
    }
  }
  Object.assign(CrowdBoundingBox.prototype, { tool: "drag", kind: "box", noun: "Box", minPoints: 2, tracksInitialValue: true });

  class CrowdKeypoint extends C.Annotator {
    initialShapes(parsed) {
      return listOf(parsed, "keypoints")
        .filter((item) => item && typeof item === "object")
        .map((item) => ({ label: String(item.label), points: [point(item)] }));
    }
    shapeAnswer(shape) {
      return { label: shape.label, x: shape.points[0].x, y: shape.points[0].y };
    }
    answerOf(shapes, image) {
      return { inputImageProperties: image, keypoints: shapes };
    }
  }
  Object.assign(CrowdKeypoint.prototype, { tool: "point", kind: "point", noun: "Point", minPoints: 1 });

  class CrowdLine extends C.Annotator {
    initialShapes(parsed) {
      return vertexShapes(parsed, "lines").filter((shape) => shape.points.length === 2);
    }
    shapeAnswer(shape) { return vertices(shape); }
    answerOf(shapes, image) {
      return { inputImageProperties: image, lines: shapes };
    }
  }
  Object.assign(CrowdLine.prototype, { tool: "two", kind: "line", noun: "Line", minPoints: 2, tracksInitialValue: true });

  class CrowdPolygon extends C.Annotator {
    initialShapes(parsed) {
      return vertexShapes(parsed, "polygons").filter((shape) => shape.points.length >= 3);
    }
    shapeAnswer(shape) { return vertices(shape); }
    answerOf(shapes, image) {
      return { inputImageProperties: image, polygons: shapes };
    }
  }
  Object.assign(CrowdPolygon.prototype, { tool: "path", kind: "polygon", noun: "Polygon", minPoints: 3 });

  class CrowdPolyline extends C.Annotator {
    initialShapes(parsed) {
      return vertexShapes(parsed, "polylines").filter((shape) => shape.points.length >= 2);
    }
    shapeAnswer(shape) { return vertices(shape); }
    answerOf(shapes, image) {
      return { inputImageProperties: image, polylines: shapes };
    }
  }
  Object.assign(CrowdPolyline.prototype, { tool: "path", kind: "polyline", noun: "Polyline", minPoints: 2, tracksInitialValue: true });

  C.define("crowd-bounding-box", CrowdBoundingBox);
  C.define("crowd-keypoint", CrowdKeypoint);
  C.define("crowd-line", CrowdLine);
  C.define("crowd-polygon", CrowdPolygon);
  C.define("crowd-polyline", CrowdPolyline);
})();
