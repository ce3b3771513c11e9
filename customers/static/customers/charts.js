/* Charts of the portfolio and customer pages: each <canvas data-chart="kind"
   data-source="id"> reads its data from the json_script element with that id. */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var BLUE = "#0b5fff", GREY = "#8a99a8", GREEN = "#1a7f37", AMBER = "#9a6700";
  var PALETTE_ONLINE = ["#0b5fff", "#3d8bff", "#7aa7ff", "#b3cdff"];
  var PALETTE_OFFLINE = ["#9a6700", "#c4312b", "#5b6b7b", "#b08968"];

  function number(value, decimals) {
    return new Intl.NumberFormat(lang, { maximumFractionDigits: decimals, minimumFractionDigits: decimals }).format(value);
  }

  function monthLabel(iso) {
    var parts = iso.split("-");
    var day = new Date(Number(parts[0]), Number(parts[1]) - 1, 1);
    return new Intl.DateTimeFormat(lang, { month: "short", year: "2-digit" }).format(day);
  }

  function adoption(canvas, data) {
    var unit = canvas.dataset.unit || "";
    var suffix = unit ? " " + unit : "";
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: data.periods.map(monthLabel),
        datasets: [
          { label: data.labels.rep, data: data.rep, borderColor: BLUE, backgroundColor: BLUE, borderWidth: 3, pointRadius: 2, spanGaps: true },
          { label: data.labels.company, data: data.company, borderColor: GREY, backgroundColor: GREY, borderDash: [4, 4], pointRadius: 0, spanGaps: true },
          { label: data.labels.minimum, data: data.minimum, borderColor: AMBER, backgroundColor: AMBER, borderWidth: 2, pointRadius: 4, pointStyle: "line", stepped: "middle" },
          { label: data.labels.stretch, data: data.stretch, borderColor: GREEN, backgroundColor: GREEN, borderWidth: 2, pointRadius: 4, pointStyle: "line", stepped: "middle" }
        ]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + (ctx.parsed.y === null ? "—" : number(ctx.parsed.y, 1) + suffix); } } }
        },
        scales: { y: { ticks: { callback: function (v) { return number(v, 0) + suffix; } } } }
      }
    });
  }

  function channelMix(canvas, data) {
    var online = 0, offline = 0;
    var datasets = data.channels.map(function (channel) {
      var colour = channel.online ? PALETTE_ONLINE[online++ % PALETTE_ONLINE.length] : PALETTE_OFFLINE[offline++ % PALETTE_OFFLINE.length];
      return { label: channel.label, data: channel.values, backgroundColor: colour, stack: "revenue" };
    });
    return new Chart(canvas, {
      type: "bar",
      data: { labels: data.months.map(monthLabel), datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + number(ctx.parsed.y, 0); } } }
        },
        scales: { x: { stacked: true }, y: { stacked: true, ticks: { callback: function (v) { return number(v, 0); } } } }
      }
    });
  }

  var KINDS = { adoption: adoption, "channel-mix": channelMix };

  function draw(root) {
    if (typeof Chart === "undefined") { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.source);
      var kind = KINDS[canvas.dataset.chart];
      if (!source || !kind || canvas.dataset.drawn) { return; }
      canvas.dataset.drawn = "1";
      kind(canvas, JSON.parse(source.textContent));
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
