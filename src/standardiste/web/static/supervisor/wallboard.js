// Live wallboard: first paint from the server, then refreshed when the event stream moves.
import { api } from "/static/common/api.js";
import { EventStream } from "/static/agent/events.js";
import { fmt } from "/static/supervisor/format.js";

const UNITS = {
  service_level: "ratio", answer_rate: "ratio", asa: "seconds", longest_wait_s: "seconds",
};
const QUEUE_FIELDS = ["waiting", "longest_wait_s", "service_level", "answer_rate", "offered",
  "answered", "abandoned", "short_abandoned", "asa"];
let snapshot = JSON.parse(document.getElementById("boot").textContent);
let skew = 0;  // server clock minus browser clock, for elapsed times
let pending = null;

function cell(text, field) {
  const td = document.createElement("td");
  td.dataset.f = field;
  td.textContent = text;
  return td;
}

function renderQueues() {
  const body = document.querySelector("#queues tbody");
  const rows = snapshot.queues.map((q) => {
    const tr = document.createElement("tr");
    tr.dataset.queue = q.id;
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = `${q.name} `;
    const ch = document.createElement("span");
    ch.className = "muted small";
    ch.textContent = q.channel;
    th.append(ch);
    tr.append(th);
    for (const f of QUEUE_FIELDS) {
      const td = cell(fmt(q[f], UNITS[f]), f);
      if (f === "service_level") td.title = q.sl_formula;
      tr.append(td);
    }
    return tr;
  });
  body.replaceChildren(...rows);
}

function renderAgents() {
  const table = document.querySelector("#agents tbody");
  if (!table) return;
  const counts = document.getElementById("state-counts");
  counts.replaceChildren(...Object.entries(snapshot.agents_by_state).map(([state, n]) => {
    const li = document.createElement("li");
    li.dataset.state = state;
    const name = document.createElement("span");
    name.className = "state-name";
    name.textContent = state;
    const strong = document.createElement("strong");
    strong.textContent = String(n);
    li.append(name, " ", strong);
    return li;
  }));
  table.replaceChildren(...snapshot.agents.map((a) => {
    const tr = document.createElement("tr");
    tr.dataset.agent = a.id;
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = a.name;
    const since = cell("", "since");
    since.dataset.since = a.since_ts ?? "";
    tr.append(th, cell(a.team, "team"), cell(a.state, "state"), since);
    return tr;
  }));
  tick();
}

function tick() {
  const now = Date.now() / 1000 + skew;
  for (const td of document.querySelectorAll("td[data-f=since]")) {
    const since = Number(td.dataset.since);
    // Only work states carry a start time (R-STATE-2): pauses never show elapsed time.
    td.textContent = td.dataset.since ? fmt(Math.max(0, now - since), "seconds") : "";
  }
}

async function refresh() {
  pending = null;
  try {
    snapshot = await api("GET", "/api/v1/reports/live");
    skew = snapshot.server_time - Date.now() / 1000;
    document.getElementById("day").textContent = snapshot.day;
    renderQueues();
    renderAgents();
    document.body.dataset.refreshed = String((Number(document.body.dataset.refreshed) || 0) + 1);
  } catch (err) {
    document.getElementById("conn").textContent = err.message;
  }
}

function soon() {
  // Many events arrive together (an offer, a state change...): one refresh for the burst.
  if (pending === null) pending = setTimeout(refresh, 300);
}

const conn = document.getElementById("conn");
const stream = new EventStream({
  onHello: () => soon(),
  onEvent: () => soon(),
  onStatus: (state) => { conn.dataset.state = state; conn.textContent = state; },
  onLost: () => { conn.textContent = "session lost"; },
});
skew = snapshot.server_time - Date.now() / 1000;
renderQueues();
renderAgents();
stream.start();
setInterval(tick, 1000);
// Waits grow without events: refresh the longest wait now and then.
setInterval(soon, 10000);
