// Persona trend: customers (bars) and online share % (line) per month.
// Reads the JSON written by {{ trend_chart|json_script:"persona-trend-data" }}.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("persona-trend-data");
    var canvas = document.getElementById("persona-trend");
    if (!source || !canvas || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    new Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "bar", label: data.label_customers, data: data.customers, yAxisID: "y",
            backgroundColor: "rgba(11, 95, 255, 0.35)", borderColor: "#0b5fff", borderWidth: 1 },
          { type: "line", label: data.label_online, data: data.online_share, yAxisID: "share",
            borderColor: "#1a7f37", backgroundColor: "#1a7f37", tension: 0.2, spanGaps: true }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: data.label_customers } },
          share: { position: "right", beginAtZero: true, max: 100, grid: { drawOnChartArea: false },
                   title: { display: true, text: data.label_online } }
        }
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
