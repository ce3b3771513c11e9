/* Koers KPI charts: sparklines on the board, the trend chart on the KPI page.
   Data comes from data- attributes or json_script elements (the CSP allows no inline script). */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  const css = getComputedStyle(document.documentElement);
  const colour = (name, fallback) => (css.getPropertyValue(name) || fallback).trim();
  const BLUE = colour("--brand", "#0b5fff");
  const GREEN = colour("--green", "#1a7f37");
  const AMBER = colour("--amber", "#9a6700");
  const MUTED = colour("--muted", "#5b6b7b");
  Chart.defaults.animation = false;
  Chart.defaults.font.family = css.fontFamily;
  const lang = document.documentElement.lang || "en";
  const monthFormat = new Intl.DateTimeFormat(lang, { month: "short", year: "2-digit" });
  // "2024-12" becomes "Dec 24" / "dec 24" in the page's language; quarters and years stay.
  const localLabel = (label) => {
    const m = /^(\d{4})-(\d{2})$/.exec(label);
    return m ? monthFormat.format(new Date(Number(m[1]), Number(m[2]) - 1, 1)) : label;
  };
  const localLabels = (labels) => (labels || []).map(localLabel);

  function sparkline(canvas, withAxes) {
    const data = JSON.parse(canvas.dataset.values || "{}");
    if (!data.values || !data.values.some((v) => v !== null)) { return; }
    new Chart(canvas, {
      type: "line",
      data: { labels: localLabels(data.labels), datasets: [{ data: data.values, borderColor: BLUE, borderWidth: 2,
        pointRadius: (ctx) => (ctx.dataIndex === data.values.length - 1 ? 2.5 : 0), pointBackgroundColor: BLUE,
        fill: withAxes ? { target: "origin", above: "rgba(11, 95, 255, .08)" } : false, tension: 0.25, spanGaps: true }] },
      options: { responsive: true, maintainAspectRatio: false, events: withAxes ? ["mousemove", "mouseout"] : [],
        plugins: { legend: { display: false }, tooltip: { enabled: withAxes, displayColors: false } },
        scales: { x: { display: withAxes, grid: { display: false }, ticks: { maxTicksLimit: 6, color: MUTED, font: { size: 10 } } },
                  y: { display: withAxes, grace: "10%", grid: { color: "#eef1f4" }, ticks: { maxTicksLimit: 4, color: MUTED, font: { size: 10 } } } } },
    });
  }

  // Vertical marks for check-ins and finished roadmap items, on the period they fall in.
  const markers = {
    id: "koersMarkers",
    afterDatasetsDraw(chart, _args, options) {
      const marks = options.marks || [];
      const periods = options.periods || [];
      const { ctx, chartArea, scales } = chart;
      marks.forEach((mark) => {
        let index = -1;
        periods.forEach((p, i) => { if (p <= mark.date) { index = i; } });
        if (index < 0) { return; }
        const x = scales.x.getPixelForValue(index);
        ctx.save();
        ctx.strokeStyle = mark.kind === "roadmap" ? GREEN : AMBER;
        ctx.setLineDash(mark.kind === "roadmap" ? [] : [3, 3]);
        ctx.beginPath(); ctx.moveTo(x, chartArea.top); ctx.lineTo(x, chartArea.bottom); ctx.stroke();
        ctx.fillStyle = ctx.strokeStyle;
        ctx.font = "11px sans-serif";
        ctx.fillText(mark.kind === "roadmap" ? "◆" : "●", x - 4, chartArea.top + 10);
        ctx.restore();
      });
    },
  };

  function trend(canvas) {
    const source = document.getElementById(canvas.dataset.source);
    if (!source) { return; }
    const data = JSON.parse(source.textContent);
    if (!data.values.some((v) => v !== null)) { return; }
    const labels = canvas.dataset.labels ? JSON.parse(canvas.dataset.labels) : {};
    new Chart(canvas, {
      type: "line",
      data: { labels: localLabels(data.labels), datasets: [
        { label: labels.value || "Value", data: data.values, borderColor: BLUE, backgroundColor: BLUE, borderWidth: 2.5, pointRadius: 2, tension: 0.2, spanGaps: true },
        { label: labels.stretch || "Stretch", data: data.stretch, borderColor: GREEN, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, fill: false, stepped: "middle" },
        { label: labels.minimum || "Minimum", data: data.minimum, borderColor: AMBER, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0,
          fill: { target: 1, above: "rgba(26, 127, 55, .10)", below: "rgba(26, 127, 55, .10)" }, stepped: "middle" },
      ] },
      options: { responsive: true, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 18 } }, koersMarkers: { marks: data.markers, periods: data.periods } },
        scales: { x: { grid: { display: false } }, y: { grace: "5%" } } },
      plugins: [markers],
    });
  }

  function draw() {
    document.querySelectorAll("canvas[data-chart=spark]").forEach((c) => sparkline(c, false));
    document.querySelectorAll("canvas[data-chart=spark-axes]").forEach((c) => sparkline(c, true));
    document.querySelectorAll("canvas[data-chart=trend]").forEach(trend);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
