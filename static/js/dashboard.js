/* Draws the monitoring charts from the JSON in each canvas's data-chart attribute (no inline scripts: CSP).
   Every number drawn here is also in the table beside the chart. A chart is drawn when it comes near the
   screen, one chart per task, so that the page never blocks for the whole set at once (loaded with defer). */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var lang = document.documentElement.lang === "en" ? "en" : "id-ID";
  var number = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  var compact = new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 });
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var colours = ["#1f6f4a", "#c98a1b", "#2f5d8a", "#8a2f4f", "#5c6b2f"];

  if (reduced) { Chart.defaults.animation = false; }
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#333";

  function money(value) { return "Rp " + compact.format(value); }

  function draw(canvas) {
    var spec;
    try { spec = JSON.parse(canvas.getAttribute("data-chart")); } catch (e) { return; }
    var format = spec.money ? money : spec.percent ? function (v) { return number.format(v) + "%"; } : number.format;
    var valueAxis = spec.horizontal ? "x" : "y";
    var scales = {};
    scales[valueAxis] = { beginAtZero: true, ticks: { callback: function (v) { return format(v); } } };
    var datasets = spec.datasets.map(function (set, i) {
      var colour = colours[i % colours.length];
      return Object.assign({
        backgroundColor: colour, borderColor: colour, borderWidth: set.type === "line" ? 2 : 0,
        pointRadius: set.type === "line" ? 0 : undefined, order: set.type === "line" ? 0 : 1, borderDash: set.type === "line" ? [6, 4] : undefined
      }, set);
    });
    var wrapper = document.createElement("div");
    wrapper.className = "chart-box" + (spec.horizontal ? " chart-box-tall" : "");
    canvas.parentNode.insertBefore(wrapper, canvas);
    wrapper.appendChild(canvas);
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: reduced ? false : undefined,
        scales: scales,
        plugins: {
          legend: { display: datasets.length > 1, position: "bottom" },
          tooltip: { callbacks: { label: function (ctx) {
            var raw = spec.horizontal ? ctx.parsed.x : ctx.parsed.y;
            return ctx.dataset.label + ": " + (raw === null ? "—" : format(raw));
          } } }
        }
      }
    });
  }

  var waiting = [];
  function drawNext() {
    var canvas = waiting.shift();
    if (!canvas) { return; }
    draw(canvas);
    if (waiting.length) { setTimeout(drawNext, 0); }
  }
  function queue(canvas) {
    waiting.push(canvas);
    if (waiting.length === 1) { setTimeout(drawNext, 0); }
  }
  var canvases = document.querySelectorAll("canvas[data-chart]");
  if (!("IntersectionObserver" in window)) { canvases.forEach(queue); return; }
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) { observer.unobserve(entry.target); queue(entry.target); }
    });
  }, { rootMargin: "200px 0px" });
  canvases.forEach(function (canvas) { observer.observe(canvas); });
})();
