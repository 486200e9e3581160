// "My day": the agent's own timeline, totals and handled work, read from the event log.
import { api } from "../common/api.js";
import { t, label, lang } from "../common/i18n.js";
import { hms, human } from "../common/clock.js";
import { setupHeader } from "./header.js";

const boot = JSON.parse(document.getElementById("sd-boot").textContent);
const header = setupHeader({ agentId: boot.agent_id });
const conn = document.getElementById("conn");
conn.hidden = true;                    // no live stream on this page

const timeOf = (epoch) => new Date(epoch * 1000).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const stateText = (state, reason) => [label("state", state), reason && label("reason", reason)].filter(Boolean).join(" – ");

function row(cells, numeric = []) {
  const tr = document.createElement("tr");
  cells.forEach((value, i) => {
    const td = document.createElement("td");
    td.textContent = value;
    if (numeric.includes(i)) td.className = "num";
    tr.append(td);
  });
  return tr;
}

function fill(tableId, rows) {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren(...rows);
  if (!rows.length) {
    const cols = document.querySelectorAll(`#${tableId} thead th`).length;
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = cols;
    td.textContent = t("day.none");
    tr.append(td);
    body.append(tr);
  }
}

async function load() {
  let day;
  let queues = [];
  try {
    [day, queues] = await Promise.all([
      api("GET", `/api/v1/agents/${encodeURIComponent(boot.agent_id)}/day`),
      api("GET", "/api/v1/config/public").then((c) => c.queues).catch(() => []),
    ]);
  } catch (err) {
    if (err.status !== 401) document.getElementById("banner-text").textContent = t("err.generic", { message: err.message });
    return;
  }
  const queue = new Map(queues.map((q) => [q.id, q]));
  // The timeline is contiguous and its totals run to the server's "now" when it answered:
  // derive that instant from them rather than from the browser clock.
  const first = day.timeline[0]?.start;
  const total = Object.values(day.totals).reduce((a, b) => a + b, 0);
  const now = first === undefined ? 0 : first + total;
  document.getElementById("day-date").textContent = new Date(`${day.date}T12:00:00`).toLocaleDateString(lang, { dateStyle: "full" });
  const totals = Object.entries(day.totals).sort((a, b) => b[1] - a[1]);
  fill("totals", totals.map(([key, seconds]) => {
    const [state, reason] = key.split(":");
    return row([stateText(state, reason), human(seconds)], [1]);
  }));
  fill("timeline", day.timeline.map((s) => row([
    timeOf(s.start), s.end ? timeOf(s.end) : t("day.now"), stateText(s.state, s.reason), hms((s.end ?? now) - s.start),
  ], [3])));
  const bar = document.getElementById("timeline-bar");
  const span = Math.max(1, now - (first ?? now));
  bar.replaceChildren(...day.timeline.map((s) => {
    const part = document.createElement("span");
    part.className = `st-${s.state}`;
    part.style.width = `${(100 * ((s.end ?? now) - s.start)) / span}%`;
    part.title = stateText(s.state, s.reason);
    return part;
  }));
  fill("handled", day.interactions.map((i) => {
    const q = queue.get(i.queue_id);
    const handled = i.completed_ts ? hms(i.completed_ts - i.connected_ts) : "…";
    return row([timeOf(i.connected_ts), q ? label("channel", q.channel) : "", q?.name || i.queue_id || "", handled, i.disposition ? label("disposition", i.disposition) : "–"], [3]);
  }));
}

load();
