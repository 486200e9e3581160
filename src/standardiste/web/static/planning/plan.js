// Staffing plan: next week's forecast per half hour and agents to schedule, table and chart.
import { api } from "/static/common/api.js";
import { label, t } from "/static/common/i18n.js";
import { drawPlan } from "/static/planning/chart.js";
import { clearErrors, readFields } from "/static/planning/form.js";
import { num, pct, secs, slotFormatter } from "/static/planning/format.js";

const SPEC = {
  weeks: { kind: "integer" }, aht: { kind: "number", optional: true },
  patience: { kind: "number", optional: true }, shrinkage: { kind: "percent" },
  max_occupancy: { kind: "percent" },
};

function row(cells, headerFirst = false) {
  const tr = document.createElement("tr");
  cells.forEach(([key, text], i) => {
    const cell = document.createElement(headerFirst && i === 0 ? "th" : "td");
    if (headerFirst && i === 0) cell.scope = "row";
    cell.dataset.f = key;
    cell.textContent = text;
    tr.append(cell);
  });
  return tr;
}

function head(table, keys) {
  const tr = document.createElement("tr");
  for (const key of keys) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = t(`planning.col.${key}`);
    tr.append(th);
  }
  table.tHead.replaceChildren(tr);
}

function sourced(value, source, show) {
  return value === null ? t("planning.none") : `${show(value)} (${t(`planning.source.${source}`)})`;
}

function queueTable(table, queues) {
  head(table, ["queue", "channel", "model", "aht", "patience", "target", "week_calls", "peak"]);
  table.tBodies[0].replaceChildren(...queues.map((q) => {
    const tr = row([
      ["queue", q.name], ["channel", label("channel", q.channel)], ["model", t(`planning.${q.model}`)],
      ["aht", sourced(q.aht, q.aht_source, (v) => secs(v, 0))],
      ["patience", q.channel === "voice" ? sourced(q.patience, q.patience_source, (v) => secs(v, 0)) : "–"],
      ["target", `${num(q.target.service_level * 100)}/${num(q.target.seconds)}`],
      ["week_calls", num(q.calls, 1)], ["peak", num(q.peak_scheduled)],
    ], true);
    tr.dataset.queue = q.id;
    return tr;
  }));
}

function intervalTable(table, intervals, queues, timeZone) {
  const names = Object.fromEntries(queues.map((q) => [q.id, q.name]));
  const when = slotFormatter(timeZone);
  head(table, ["interval", "queue", "calls", "agents", "scheduled", "service_level"]);
  const rows = [];
  for (const slot of intervals) {
    for (const [qid, f] of Object.entries(slot.queues)) {
      const tr = row([
        ["interval", when(slot.ts)], ["queue", names[qid] ?? qid], ["calls", num(f.calls, 1)],
        ["agents", num(f.agents)], ["scheduled", num(f.scheduled)], ["service_level", pct(f.service_level)],
      ], true);
      tr.dataset.queue = qid;
      tr.dataset.ts = String(slot.ts);
      rows.push(tr);
    }
  }
  table.tBodies[0].replaceChildren(...rows);
}

/** Render an API answer: inputs per queue, the chart and the table of busy half hours. */
export function renderPlan(result, els) {
  const total = result.queues.reduce((s, q) => s + q.calls, 0);
  if (total === 0) {
    els.result.hidden = true;
    els.status.textContent = t("planning.no_history");
    return;
  }
  els.result.hidden = false;
  const tz = result.meta.timezone;
  queueTable(els.queues, result.queues);
  drawPlan(els.chart, result.intervals, tz, {
    x: t("planning.col.interval"), calls: t("planning.series.calls"),
    scheduled: t("planning.series.scheduled"),
  });
  intervalTable(els.table, result.intervals, result.queues, tz);
  const peak = Math.max(...result.intervals.map((i) => i.scheduled));
  els.status.textContent = t("planning.plan_done", { calls: num(total), peak: num(peak) });
}

/** Wire the staffing-plan form. */
export function setupPlan(form, els) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const { values, invalid } = readFields(form, SPEC);
    if (invalid.length) {
      els.status.textContent = t("planning.invalid");
      els.status.classList.add("error");
      invalid[0].focus();
      return;
    }
    const queue = form.elements.namedItem("queue").value;
    const query = new URLSearchParams(queue ? { ...values, queue } : values);
    els.status.textContent = t("planning.loading");
    els.status.classList.remove("error");
    form.setAttribute("aria-busy", "true");
    try {
      renderPlan(await api("GET", `/api/v1/planning/forecast?${query}`), els);
    } catch (err) {
      els.status.textContent = err.errorId === "network" ? t("error.network") : t("error.generic", { message: err.message });
      els.status.classList.add("error");
    } finally {
      form.removeAttribute("aria-busy");
    }
  });
}
