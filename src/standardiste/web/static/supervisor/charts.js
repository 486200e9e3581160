// Charts on the vendored uPlot (MIT, static/vendor/uplot/VERSION.json): trends, SL, stacked time.
import uPlot from "/static/vendor/uplot/uPlot.esm.js";

const COLOURS = ["#1f4fa8", "#1c6b3a", "#a4161a", "#7a4b00", "#5b2a86", "#00707a", "#8a3b12", "#4a5360"];
const charts = new Map();

function width(el) { return Math.max(320, el.clientWidth || 640); }

/** Draw (or redraw) a line chart of series {label, values, dash?} over period starts `xs`. */
export function lineChart(id, xs, series, { percent = false, stacked = false } = {}) {
  const el = document.getElementById(id);
  charts.get(id)?.destroy();
  el.replaceChildren();
  let data = series.map((s) => s.values);
  if (stacked) {
    // Cumulative sums drawn as filled bands: each area shows one state's share of the time.
    const acc = xs.map(() => 0);
    data = series.map((s) => s.values.map((v, i) => (acc[i] += v ?? 0)));
  }
  const opts = {
    width: width(el),
    height: 260,
    scales: { x: { time: true }, y: percent ? { range: [0, 100] } : {} },
    series: [{}, ...series.map((s, i) => ({
      label: s.label,
      stroke: COLOURS[i % COLOURS.length],
      width: 2,
      dash: s.dash ? [6, 4] : undefined,
      fill: stacked ? `${COLOURS[i % COLOURS.length]}33` : undefined,
      value: (u, v) => (v === null || v === undefined ? "–" : percent ? `${v.toFixed(1)} %` : v.toFixed(0)),
    }))],
    axes: [{}, { values: (u, ticks) => ticks.map((t) => (percent ? `${t} %` : `${t}`)) }],
  };
  if (stacked && series.length > 1) {
    opts.bands = series.slice(1).map((_, i) => ({ series: [i + 2, i + 1] }));
  }
  const chart = new uPlot(opts, [xs, ...data], el);
  charts.set(id, chart);
  el.dataset.points = String(xs.length);
  return chart;
}
