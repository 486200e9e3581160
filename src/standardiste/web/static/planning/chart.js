// Staffing-plan chart on the vendored uPlot: arrivals (left axis) and agents (right axis).
import uPlot from "/static/vendor/uplot/uPlot.esm.js";
import { lang } from "/static/common/i18n.js";
import { slotFormatter } from "/static/planning/format.js";

let current = null;

/** Draw the week: x in epoch seconds, shown in the centre's time zone. */
export function drawPlan(el, intervals, timeZone, labels) {
  current?.destroy();
  el.replaceChildren();
  const xs = intervals.map((i) => i.ts);
  // Axis ticks in the centre's time zone and the page's language: 24-hour clock, days named.
  const hour = new Intl.DateTimeFormat(lang, { timeZone, hour: "2-digit", minute: "2-digit" });
  const day = new Intl.DateTimeFormat(lang, { timeZone, weekday: "short", day: "2-digit", month: "2-digit" });
  const slot = slotFormatter(timeZone);
  const tick = (ts) => {
    const text = hour.format(new Date(ts * 1000));
    return /^0?0[:h.]00/.test(text) ? day.format(new Date(ts * 1000)) : text;
  };
  const opts = {
    width: Math.max(320, el.clientWidth || 640),
    height: 280,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
    scales: { x: { time: true }, calls: { auto: true }, agents: { auto: true } },
    series: [
      { label: labels.x, value: (u, v) => (v == null ? "–" : slot(v)) },
      { label: labels.calls, scale: "calls", stroke: "#1f4fa8", width: 2, fill: "#1f4fa81a",
        value: (u, v) => (v == null ? "–" : v.toFixed(1)) },
      { label: labels.scheduled, scale: "agents", stroke: "#a4161a", width: 2, paths: uPlot.paths.stepped({ align: 1 }),
        value: (u, v) => (v == null ? "–" : String(v)) },
    ],
    axes: [
      { values: (u, splits) => splits.map(tick), stroke: "#1b1f24" },
      { scale: "calls", label: labels.calls, stroke: "#1b1f24" },
      { scale: "agents", label: labels.scheduled, side: 1, stroke: "#1b1f24", grid: { show: false } },
    ],
  };
  current = new uPlot(opts, [xs, intervals.map((i) => i.calls), intervals.map((i) => i.scheduled)], el);
  el.dataset.points = String(xs.length);
  return current;
}
