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

function fill(tableId, rows, empty = "day.none") {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren(...rows);
  if (!rows.length) {
    const cols = document.querySelectorAll(`#${tableId} thead th`).length;
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = cols;
    td.textContent = t(empty);
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

/** Show the Markdown notice with headings, lists and paragraphs, as text nodes (never HTML). */
function renderNotice(root, markdown) {
  root.replaceChildren();
  let list = null;
  for (const line of markdown.split("\n")) {
    const heading = /^(#{1,3}) (.*)$/.exec(line);
    const item = /^[-*] (.*)$/.exec(line);
    if (item) {
      if (!list) { list = document.createElement("ul"); root.append(list); }
      const li = document.createElement("li");
      li.textContent = item[1];
      list.append(li);
      continue;
    }
    list = null;
    if (!line.trim()) continue;
    // The page's own h1/h2 sit above: the notice's levels start at h3.
    const el = document.createElement(heading ? `h${heading[1].length + 2}` : "p");
    el.textContent = heading ? heading[2] : line;
    root.append(el);
  }
}

// Transparency (governance routes): who viewed my data, my recordings and who opened them.
async function loadTransparency() {
  const quiet = (path) => api("GET", path).catch(() => null);
  const [views, recordings, access, notice] = await Promise.all([
    quiet("/api/v1/governance/me/data-views"),
    quiet("/api/v1/governance/me/recordings"),
    quiet("/api/v1/governance/me/recording-access"),
    fetch(`/api/v1/governance/notice?lang=${lang}`, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : null)).catch(() => null),
  ]);
  const when = (ts) => new Date(ts * 1000).toLocaleString(lang);
  const audit = (e) => row([when(e.ts), e.actor, [e.action, e.details?.purpose, e.details?.reason].filter(Boolean).join(" – ")]);
  fill("data-views", (views || []).map(audit), "day.nobody");
  fill("recordings", (recordings || []).map((r) => row([
    when(r.started_at), r.purpose, r.ended_at ? hms(r.ended_at - r.started_at) : "…",
  ], [2])), "day.nobody");
  fill("recording-access", (access || []).map(audit), "day.nobody");
  if (notice) renderNotice(document.getElementById("notice"), notice);
}

load();
loadTransparency();
