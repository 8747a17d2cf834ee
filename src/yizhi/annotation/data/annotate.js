// The annotation page: spans on a note, boxes and polygons on a DICOM slice, classes, Likert and
// free text. The answer is kept as JSON in the hidden #answer field and checked again on the server.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("item-data").textContent);
  var words = document.getElementById("i18n").dataset;
  var answer = JSON.parse(JSON.stringify(data.answer || {}));
  var started = Date.now();
  var tools = document.getElementById("tools");
  var text = data.item.text;
  var active = {};   // label field name -> chosen class (boxes/masks)
  var polygon = [];  // points of the polygon being drawn

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  function renderDoc() {
    var doc = document.getElementById("doc");
    if (!doc) { return; }
    doc.textContent = "";
    var spans = [];
    data.schema.labels.forEach(function (label) {
      if (label.type === "spans") {
        (answer[label.name] || []).forEach(function (s, i) { spans.push({s: s, field: label.name, i: i}); });
      }
    });
    spans.sort(function (a, b) { return a.s.start - b.s.start || a.s.end - b.s.end; });
    var at = 0;
    spans.forEach(function (entry) {
      var s = entry.s;
      if (s.start < at) { return; }
      doc.appendChild(document.createTextNode(text.slice(at, s.start)));
      var mark = el("mark", {"data-label": s.label, "data-start": s.start, "data-end": s.end, title: words.remove},
                    [document.createTextNode(text.slice(s.start, s.end)), el("sup", {text: s.label})]);
      mark.addEventListener("click", function () {
        answer[entry.field] = (answer[entry.field] || []).filter(function (x) { return x !== s; });
        renderDoc();
      });
      doc.appendChild(mark);
      at = s.end;
    });
    doc.appendChild(document.createTextNode(text.slice(at)));
  }

  function offsetIn(container, node, offset) {
    var range = document.createRange();
    range.setStart(container, 0);
    range.setEnd(node, offset);
    var fragment = range.cloneContents();
    fragment.querySelectorAll("sup").forEach(function (sup) { sup.remove(); });
    return fragment.textContent.length;
  }

  function addSpan(field, cls) {
    var doc = document.getElementById("doc");
    var selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) { return; }
    var range = selection.getRangeAt(0);
    if (!doc.contains(range.startContainer) || !doc.contains(range.endContainer)) { return; }
    var start = offsetIn(doc, range.startContainer, range.startOffset);
    var end = offsetIn(doc, range.endContainer, range.endOffset);
    while (start < end && /\s/.test(text[start])) { start++; }
    while (end > start && /\s/.test(text[end - 1])) { end--; }
    if (end <= start) { return; }
    var list = (answer[field] || []).filter(function (s) { return s.end <= start || s.start >= end; });
    list.push({start: start, end: end, label: cls});
    answer[field] = list;
    selection.removeAllRanges();
    renderDoc();
  }

  function overlay() { return document.getElementById("overlay"); }
  function imageSize() {
    var img = document.getElementById("slice-img");
    return {w: data.item.image.columns || img.naturalWidth, h: data.item.image.rows || img.naturalHeight};
  }

  function renderMarks() {
    var svg = overlay();
    if (!svg) { return; }
    var size = imageSize();
    svg.setAttribute("viewBox", "0 0 " + size.w + " " + size.h);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.textContent = "";
    var ns = "http://www.w3.org/2000/svg";
    data.schema.labels.forEach(function (label) {
      (answer[label.name] || []).forEach(function (mark, index) {
        var shape;
        if (label.type === "boxes") {
          shape = document.createElementNS(ns, "rect");
          shape.setAttribute("x", mark.x); shape.setAttribute("y", mark.y);
          shape.setAttribute("width", mark.w); shape.setAttribute("height", mark.h);
        } else if (label.type === "masks") {
          shape = document.createElementNS(ns, "polygon");
          shape.setAttribute("points", mark.points.map(function (p) { return p.join(","); }).join(" "));
        } else { return; }
        shape.setAttribute("class", "box");
        shape.setAttribute("data-label", mark.label);
        shape.addEventListener("dblclick", function () {
          answer[label.name].splice(index, 1); renderMarks();
        });
        svg.appendChild(shape);
      });
    });
    if (polygon.length) {
      var line = document.createElementNS(ns, "polyline");
      line.setAttribute("points", polygon.map(function (p) { return p.join(","); }).join(" "));
      line.setAttribute("class", "box");
      svg.appendChild(line);
    }
  }

  function toImage(event) {
    var rect = overlay().getBoundingClientRect();
    var size = imageSize();
    var x = Math.min(Math.max((event.clientX - rect.left) / rect.width * size.w, 0), size.w);
    var y = Math.min(Math.max((event.clientY - rect.top) / rect.height * size.h, 0), size.h);
    return [Math.round(x * 100) / 100, Math.round(y * 100) / 100];
  }

  function drawing() {
    var svg = overlay();
    if (!svg) { return; }
    var origin = null;
    var activeField = function () {
      return data.schema.labels.filter(function (l) { return active[l.name]; })[0];
    };
    svg.addEventListener("mousedown", function (event) {
      var label = activeField();
      if (!label) { return; }
      event.preventDefault();
      if (label.type === "masks") {
        polygon.push(toImage(event)); renderMarks(); return;
      }
      origin = toImage(event);
    });
    svg.addEventListener("mouseup", function (event) {
      var label = activeField();
      if (!origin || !label || label.type !== "boxes") { origin = null; return; }
      var end = toImage(event);
      var x = Math.min(origin[0], end[0]), y = Math.min(origin[1], end[1]);
      var w = Math.abs(end[0] - origin[0]), h = Math.abs(end[1] - origin[1]);
      origin = null;
      if (w < 2 || h < 2) { return; }
      (answer[label.name] = answer[label.name] || []).push(
        {x: x, y: y, w: Math.round(w * 100) / 100, h: Math.round(h * 100) / 100, label: active[label.name], frame: 0});
      renderMarks();
    });
  }

  function chooser(label, onPick) {
    var group = el("div", {"class": "tool-group", "data-field": label.name}, [el("strong", {text: label.title + ": "})]);
    label.classes.forEach(function (cls) {
      var button = el("button", {type: "button", "class": "secondary label-button", "data-label": cls, text: cls});
      button.addEventListener("click", function () {
        group.querySelectorAll("button").forEach(function (b) { b.classList.remove("active"); });
        button.classList.add("active");
        onPick(cls);
      });
      group.appendChild(button);
    });
    return group;
  }

  data.schema.labels.forEach(function (label) {
    if (label.type === "spans") {
      tools.appendChild(el("p", {"class": "small muted", text: words.pick}));
      tools.appendChild(chooser(label, function (cls) { addSpan(label.name, cls); }));
    } else if (label.type === "boxes" || label.type === "masks") {
      tools.appendChild(el("p", {"class": "small muted", text: words.draw}));
      var group = chooser(label, function (cls) {
        Object.keys(active).forEach(function (k) { delete active[k]; });
        active[label.name] = cls;
      });
      if (label.type === "masks") {
        var close = el("button", {type: "button", id: "close-polygon", text: words.close});
        close.addEventListener("click", function () {
          if (polygon.length >= 3 && active[label.name]) {
            (answer[label.name] = answer[label.name] || []).push({points: polygon, label: active[label.name], frame: 0});
          }
          polygon = []; renderMarks();
        });
        group.appendChild(close);
      }
      tools.appendChild(group);
    } else if (label.type === "class" || label.type === "likert") {
      var values = label.type === "class" ? label.classes : [];
      if (label.type === "likert") { for (var v = label.min; v <= label.max && values.length <= 11; v++) { values.push(v); } }
      var box = el("fieldset", {"class": "tool-group", "data-field": label.name}, [el("legend", {text: label.title})]);
      if (label.type === "likert" && label.max - label.min > 10) {
        var input = el("input", {type: "number", min: label.min, max: label.max, name: "f-" + label.name,
                                 value: answer[label.name] !== undefined ? answer[label.name] : ""});
        input.addEventListener("input", function () { answer[label.name] = input.value === "" ? null : Number(input.value); });
        box.appendChild(input);
      } else {
        values.forEach(function (value) {
          var radio = el("input", {type: "radio", name: "f-" + label.name, value: String(value)});
          if (String(answer[label.name]) === String(value)) { radio.checked = true; }
          radio.addEventListener("change", function () { answer[label.name] = label.type === "likert" ? Number(value) : value; });
          box.appendChild(el("label", {}, [radio, document.createTextNode(" " + value + " ")]));
        });
      }
      tools.appendChild(box);
    } else if (label.type === "text") {
      var area = el("textarea", {maxlength: "4000", name: "f-" + label.name, "data-field": label.name});
      area.value = answer[label.name] || "";
      area.addEventListener("input", function () { answer[label.name] = area.value; });
      tools.appendChild(el("label", {"class": "tool-group"}, [el("strong", {text: label.title}), area]));
    }
  });

  document.getElementById("answer-form").addEventListener("submit", function () {
    document.getElementById("answer").value = JSON.stringify(answer);
    document.getElementById("seconds").value = String(Math.round((Date.now() - started) / 100) / 10);
  });
  if (text !== undefined) { renderDoc(); }
  var img = document.getElementById("slice-img");
  if (img) {
    if (img.complete) { renderMarks(); } else { img.addEventListener("load", renderMarks); }
    drawing();
  }
}());
