// driftpilot dashboard: the drift heatmap (a canvas) and loading a cell's distribution.
// Written for this project; no library. Works from the JSON the page embeds.
"use strict";
(function () {
  var COLOURS = ["#d8f3dc", "#f4a261", "#c1121f"], NONE = "#eeeeee";
  function setup() {
    var canvas = document.getElementById("heatmap");
    var source = document.getElementById("heatmap-data");
    if (!canvas || !source) { return; }
    var data = JSON.parse(source.textContent);
    var rows = data.features.length, cols = data.windows.length;
    var label = 0;
    data.features.forEach(function (f) { label = Math.max(label, f.length); });
    var left = Math.min(220, 12 + label * 7), top = 4;
    var cw = Math.max(1, Math.min(18, Math.floor(1100 / Math.max(cols, 1))));
    var ch = rows > 60 ? 8 : 14;
    var ratio = window.devicePixelRatio || 1;
    canvas.width = (left + cols * cw + 4) * ratio;
    canvas.height = (top + rows * ch + 20) * ratio;
    canvas.style.width = (left + cols * cw + 4) + "px";
    canvas.style.height = (top + rows * ch + 20) + "px";
    // The geometry, for tests and for anyone scripting the page.
    canvas.dataset.left = left; canvas.dataset.top = top;
    canvas.dataset.cellWidth = cw; canvas.dataset.cellHeight = ch;
    var ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    var sel = { r: 0, c: Math.max(0, cols - 1) };
    function iso(s) { return new Date(s * 1000).toISOString().slice(0, 16).replace("T", " "); }
    function draw() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.font = (ch > 10 ? 11 : 8) + "px system-ui, sans-serif";
      ctx.fillStyle = "#1b1f24";
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      for (var r = 0; r < rows; r++) {
        ctx.fillText(data.features[r].slice(0, 30), left - 6, top + r * ch + ch / 2);
        for (var c = 0; c < cols; c++) {
          var code = data.codes[r * cols + c];
          ctx.fillStyle = code < 0 ? NONE : COLOURS[code];
          ctx.fillRect(left + c * cw, top + r * ch, Math.max(1, cw - (cw > 3 ? 1 : 0)), ch - 1);
        }
        ctx.fillStyle = "#1b1f24";
      }
      ctx.textAlign = "left";
      if (cols) {
        ctx.fillText(iso(data.windows[0]), left, top + rows * ch + 10);
        ctx.textAlign = "right";
        ctx.fillText(iso(data.windows[cols - 1]), left + cols * cw, top + rows * ch + 10);
      }
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 2;
      ctx.strokeRect(left + sel.c * cw - 1, top + sel.r * ch - 1, cw + 1, ch + 1);
      describe();
    }
    function describe() {
      var i = sel.r * cols + sel.c, code = data.codes[i];
      var text = data.features[sel.r] + ", window from " + iso(data.windows[sel.c]) + ": " +
        (code < 0 ? "not tested" : ["no drift", "warning", "critical"][code]) +
        (data.values[i] === null || code < 0 ? "" : " (statistic " + Number(data.values[i]).toPrecision(3) + ")");
      document.getElementById("heatmap-cell").textContent = text;
    }
    function open() {
      var i = sel.r * cols + sel.c;
      var run = data.runs[i];
      var panel = document.getElementById("distribution");
      if (!run) { panel.textContent = "This feature was not tested in that window."; return; }
      var url = canvas.dataset.base + "?feature=" + encodeURIComponent(data.features[sel.r]) +
        "&run=" + run + "&partial=true";
      panel.textContent = "Loading…";
      fetch(url, { credentials: "same-origin" }).then(function (response) {
        return response.text().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (got) {
        if (got.ok) { panel.innerHTML = got.body; } else { panel.textContent = "The distribution did not load."; }
      }, function () { panel.textContent = "The distribution did not load."; });
    }
    function at(event) {
      var box = canvas.getBoundingClientRect();
      var c = Math.floor((event.clientX - box.left - left) / cw);
      var r = Math.floor((event.clientY - box.top - top) / ch);
      if (r < 0 || r >= rows || c < 0 || c >= cols) { return null; }
      return { r: r, c: c };
    }
    canvas.addEventListener("click", function (event) {
      var hit = at(event);
      if (hit) { sel = hit; draw(); open(); }
    });
    canvas.addEventListener("mousemove", function (event) {
      var hit = at(event);
      if (hit) { canvas.title = data.features[hit.r] + " · " + iso(data.windows[hit.c]); }
    });
    canvas.addEventListener("keydown", function (event) {
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1],
        Home: [0, -cols], End: [0, cols] };
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); open(); return; }
      var m = moves[event.key];
      if (!m) { return; }
      event.preventDefault();
      sel.r = Math.max(0, Math.min(rows - 1, sel.r + m[0]));
      sel.c = Math.max(0, Math.min(cols - 1, sel.c + m[1]));
      draw();
    });
    draw();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setup); } else { setup(); }
})();
