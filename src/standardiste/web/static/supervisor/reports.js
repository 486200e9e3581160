// Reports page: query the reports API, draw the charts, fill the tables, build export links.
import { api } from "/static/common/api.js";
import { lineChart } from "/static/supervisor/charts.js";
import { fmt, headerCell } from "/static/supervisor/format.js";

const QUEUE_COLUMNS = [
  ["offered", "Offered", "count"], ["answered", "Answered", "count"],
  ["abandoned", "Abandoned", "count"], ["short_abandoned", "Short abandons", "count"],
  ["service_level", "Service level", "ratio"], ["answer_rate", "Answer rate", "ratio"],
  ["asa", "ASA", "seconds"], ["aht", "AHT", "seconds"], ["avg_talk", "Talk", "seconds"],
  ["avg_hold", "Hold", "seconds"], ["avg_acw", "After-call work", "seconds"],
  ["transfers", "Transfers", "count"], ["overflow_out", "Overflowed out", "count"],
  ["overflow_in", "Overflowed in", "count"],
];
const AGENT_COLUMNS = [
  ["logged_in_s", "Logged in", "seconds"], ["ready_s", "Ready", "seconds"],
  ["busy_s", "Busy", "seconds"], ["pause_s", "Pause", "seconds"],
  ["activity_s", "Activity", "seconds"], ["occupancy", "Occupancy", "ratio"],
  ["utilisation", "Utilisation", "ratio"], ["team_handled", "Handled", "count"],
  ["team_aht", "AHT", "seconds"],
];
const STACK = [["ready_s", "Ready"], ["busy_s", "Busy"], ["pause_s", "Pause"], ["activity_s", "Activity"]];
const form = document.getElementById("filters");
const status = document.getElementById("status");

function params(extra = {}) {
  const f = new FormData(form);
  return new URLSearchParams({ from: f.get("from"), to: f.get("to"), grain: f.get("grain"), ...extra });
}

function table(id, rows, columns, keys) {
  const el = document.getElementById(id);
  const head = document.createElement("tr");
  for (const k of keys) head.append(headerCell(k, k, false));
  for (const [key, label] of columns) head.append(headerCell(key, label));
  el.tHead.replaceChildren(head);
  el.tBodies[0].replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    for (const k of keys) {
      const td = document.createElement("td");
      td.textContent = r[k];
      tr.append(td);
    }
    for (const [key, , unit] of columns) {
      const td = document.createElement("td");
      td.dataset.f = key;
      td.textContent = r.suppressed ? "•" : fmt(r[key], unit);
      if (r.suppressed) td.title = "suppressed (k-anonymity)";
      tr.append(td);
    }
    return tr;
  }));
}

function byPeriod(rows, pick) {
  const xs = [...new Set(rows.map((r) => r.period_start))].sort((a, b) => a - b);
  return { xs, sum: (key) => xs.map((x) => rows.filter((r) => r.period_start === x && pick(r))
    .reduce((s, r) => s + (r[key] ?? 0), 0)) };
}

function draw(queueRows, agentRows, targets) {
  const totals = queueRows.filter((r) => r.level === "queue" || r.channel === "all");
  const t = byPeriod(totals, () => true);
  lineChart("chart-trend", t.xs, [
    { label: "Offered", values: t.sum("offered") },
    { label: "Answered", values: t.sum("answered") },
    { label: "Abandoned", values: t.xs.map((_, i) => t.sum("abandoned")[i] + t.sum("short_abandoned")[i]) },
  ]);
  const groups = [...new Set(totals.map((r) => r.group))].slice(0, 7);
  const slSeries = groups.map((g) => ({
    label: g,
    values: t.xs.map((x) => {
      const row = totals.find((r) => r.group === g && r.period_start === x);
      return row && row.service_level !== null ? row.service_level * 100 : null;
    }),
  }));
  const target = Math.max(0, ...Object.values(targets).map((v) => v.percent));
  slSeries.push({ label: "Target", values: t.xs.map(() => target), dash: true });
  lineChart("chart-sl", t.xs, slSeries, { percent: true });
  const a = byPeriod(agentRows, (r) => !r.suppressed);
  lineChart("chart-states", a.xs, STACK.map(([key, label]) => ({
    label, values: a.sum(key).map((s) => s / 3600),
  })), { stacked: true });
}

function exportLinks() {
  const f = new FormData(form);
  for (const link of document.querySelectorAll("a[data-export]")) {
    const level = link.dataset.export === "queues" ? f.get("level") : f.get("alevel");
    link.href = `/api/v1/reports/${link.dataset.export}/export?${params({ level, format: link.dataset.format })}`;
  }
}

async function load() {
  status.textContent = "…";
  const f = new FormData(form);
  try {
    const [queues, agents, defs] = await Promise.all([
      api("GET", `/api/v1/reports/queues?${params({ level: f.get("level") })}`),
      api("GET", `/api/v1/reports/agents?${params({ level: f.get("alevel") })}`),
      api("GET", "/api/v1/reports/definitions"),
    ]);
    table("queue-table", queues.rows, QUEUE_COLUMNS, ["period", "group", "channel"]);
    table("agent-table", agents.rows, AGENT_COLUMNS, ["period", "group"]);
    draw(queues.rows, agents.rows, defs.targets || {});
    exportLinks();
    status.textContent = `${queues.rows.length} + ${agents.rows.length} rows · SL ${queues.meta.sl_variant}: ${queues.meta.sl_formula} · definitions v${queues.meta.definitions_version}`;
    document.body.dataset.loaded = "1";
  } catch (err) {
    status.textContent = err.message;
  }
}

form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
load();
