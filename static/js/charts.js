/*
 * Draws the charts described by templates/includes/chart.html.
 *
 * Every <canvas data-chart="ID"> gets its data from the JSON of
 * <script type="application/json" id="ID"> (Django's json_script). No inline
 * script is needed, so the pages work under a Content-Security-Policy without
 * 'unsafe-inline'. The same data is always in the HTML table next to the chart.
 */
(function () {
  "use strict";

  var numberFormat = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 });

  function formatValue(value, unit) {
    if (value === null || value === undefined || Number.isNaN(value)) {
      return "—";
    }
    var text = numberFormat.format(value);
    return unit ? text + "\u00a0" + unit : text;
  }

  function datasetOptions(dataset, bars) {
    var common = {
      label: dataset.label,
      data: dataset.data,
      borderColor: dataset.colour,
      backgroundColor: dataset.colour,
      pointBackgroundColor: dataset.colour,
      pointBorderColor: dataset.colour
    };
    if (bars) {
      return Object.assign(common, { borderWidth: 1 });
    }
    if (dataset.style === "dashed") {
      return Object.assign(common, {
        borderDash: [6, 4],
        borderWidth: 2,
        pointRadius: 0,
        pointHoverRadius: 0,
        pointHitRadius: 6,
        spanGaps: true
      });
    }
    if (dataset.style === "band-low" || dataset.style === "band-high") {
      // The peers' interquartile range: the upper quartile is filled down to the
      // lower one (the dataset just before it), both drawn as thin lines.
      return Object.assign(common, {
        backgroundColor: dataset.colour + "33",
        borderWidth: 1,
        pointRadius: 0,
        pointHoverRadius: 0,
        pointHitRadius: 6,
        spanGaps: false,
        fill: dataset.style === "band-high" ? "-1" : false
      });
    }
    if (dataset.style === "point") {
      return Object.assign(common, {
        showLine: false,
        pointRadius: 6,
        pointHoverRadius: 8,
        pointStyle: "rectRot"
      });
    }
    return Object.assign(common, {
      borderWidth: 2,
      pointRadius: 3,
      pointHoverRadius: 5,
      spanGaps: false
    });
  }

  function drawChart(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var description;
    try {
      description = JSON.parse(source.textContent);
    } catch (error) {
      return;
    }
    var unit = description.unit || "";
    // "bar": horizontal bars, one per label (the value on the x axis).
    var bars = description.type === "bar";
    var valueAxis = bars ? "x" : "y";
    var scales = {};
    scales[valueAxis] = {
      ticks: {
        callback: function (value) {
          return formatValue(value, unit);
        }
      }
    };
    new window.Chart(canvas, {
      type: bars ? "bar" : "line",
      data: {
        labels: description.labels,
        datasets: (description.datasets || []).map(function (dataset) {
          return datasetOptions(dataset, bars);
        })
      },
      options: {
        animation: false,
        transitions: { active: { animation: { duration: 0 } } },
        responsive: true,
        maintainAspectRatio: false, // the height is .chart-canvas's (portal.css)
        indexAxis: bars ? "y" : "x",
        interaction: { mode: "index", intersect: false, axis: bars ? "y" : "x" },
        scales: scales,
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (context) {
                return (
                  context.dataset.label + "\u00a0: " + formatValue(context.parsed[valueAxis], unit)
                );
              }
            }
          }
        }
      }
    });
    canvas.dataset.chartDrawn = "true";
  }

  function drawAll() {
    if (typeof window.Chart !== "undefined") {
      // Charts are never animated (not even on hover): prefers-reduced-motion is honoured.
      window.Chart.defaults.animation = false;
      window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    }
    document.querySelectorAll("canvas[data-chart]").forEach(drawChart);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
