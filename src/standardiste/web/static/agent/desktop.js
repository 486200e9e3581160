// The agent desktop: the snapshot from GET /agents/{id} is the truth; events say when to re-read.
import { api } from "../common/api.js";
import { t } from "../common/i18n.js";
import { ServerClock, startTicker, hms } from "../common/clock.js";
import { announce } from "../common/dom.js";
import { EventStream } from "./events.js";
import { StateBar } from "./statebar.js";
import { Offers } from "./offers.js";
import { WorkArea } from "./work.js";
import { TransferDialog } from "./transfer.js";
import { setupHeader, showBanner, hideBanner } from "./header.js";
import { bindShortcuts } from "./shortcuts.js";

const boot = JSON.parse(document.getElementById("sd-boot").textContent);
const agentId = boot.agent_id;
const agentPath = `/api/v1/agents/${encodeURIComponent(agentId)}`;
const clock = new ServerClock();

const ERRORS = {
  "interaction.taken": "err.taken",
  "interaction.offered_to_other": "err.offered_to_other",
  "interaction.cannot_accept": "err.offer_gone",
  "interaction.cannot_decline": "err.offer_gone",
  "interaction.disposition_required": "err.disposition_required",
  "agent.acw_wrap_up_required": "err.wrap_up_required",
  "agent.has_work": "err.has_work",
};

/** Turn an API error into one clear sentence. */
function explain(err, missing) {
  if (err.status === 0) return t("err.network");
  if (err.status === 404 && missing && err.errorId === "http.404") return t(missing);
  if (ERRORS[err.errorId]) return t(ERRORS[err.errorId]);
  return t("err.generic", { message: err.message });
}

const ctx = {
  agentId,
  queues: new Map(),
  dispositions: [],
  hms,
  queueName: (id) => ctx.queues.get(id)?.name || id,
  queueAcw: (id) => {
    const q = ctx.queues.get(id);
    if (!q) return null;
    return typeof q.acw === "object" ? q.acw : { mode: q.acw, seconds: 0, disposition_required: q.disposition_required };
  },
  offerTimeout: (id) => ctx.queues.get(id)?.offer_timeout_s ?? null,
  say: (text) => announce(text),
  fail: (text) => showBanner(text),
  /** POST and refresh; return the result, or undefined after showing why it failed. */
  post: async (path, body, { missing } = {}) => {
    try {
      const result = await api("POST", path, body);
      hideBanner();
      return result ?? null;
    } catch (err) {
      if (err.status !== 401) showBanner(explain(err, missing));
      return undefined;
    } finally {
      refresh();
    }
  },
  get: async (path, { quiet = false } = {}) => {
    try { return await api("GET", path); } catch (err) {
      if (!quiet && err.status !== 401) showBanner(explain(err));
      return null;
    }
  },
  transfer: (item) => transfer.open(item),
};

const header = setupHeader({ agentId, onLost: () => stream.close() });
const stateBar = new StateBar({
  root: document.querySelector(".statebar"),
  request: async (state, reason) => {
    const result = await api("PUT", `${agentPath}/state`, { state, reason });
    refresh();                         // in case the event stream is down right now
    return result;
  },
  onError: (err) => { if (err.status !== 401) showBanner(explain(err)); },
});
const offers = new Offers({
  list: document.getElementById("offer-list"),
  empty: document.getElementById("offers-empty"),
  count: document.getElementById("offer-count"),
  queueName: ctx.queueName,
  offerTimeout: ctx.offerTimeout,
  act: async (action, id) => {
    const done = await ctx.post(`/api/v1/interactions/${encodeURIComponent(id)}/${action}`);
    if (done !== undefined && action === "accept") {
      // Take the agent to the new work so the keyboard is where the work is.
      requestAnimationFrame(() => document.querySelector(`.work-card[data-id="${CSS.escape(id)}"] button, .work-card[data-id="${CSS.escape(id)}"] textarea`)?.focus());
    }
  },
});
const work = new WorkArea({
  list: document.getElementById("work-list"),
  empty: document.getElementById("work-empty"),
  count: document.getElementById("work-count"),
  ctx,
});
const transfer = new TransferDialog({ ctx });

// One snapshot read at a time; a request made meanwhile triggers exactly one more read.
let reading = null;
let again = false;
async function refresh() {
  if (reading) { again = true; return reading; }
  reading = (async () => {
    do {
      again = false;
      try {
        const agent = await api("GET", agentPath);
        render(agent);
      } catch (err) {
        if (err.status === 0) document.getElementById("conn").dataset.state = "offline";
      }
    } while (again);
  })();
  try { await reading; } finally { reading = null; }
}

function render(agent) {
  window.__sdAgent = agent;            // for tests and support: the state the screen shows
  stateBar.render(agent);
  offers.render(agent.offers || []);
  work.render(agent.work || [], agent.acw || []);
  document.body.dataset.synced = String(stream.lastSeq ?? "");
}

function onEvent(event) {
  if (event.kind === "interaction.offered" && event.data.agent_id === agentId) offers.noteOffered(event);
  if (event.kind === "agent.state" && event.data.agent_id === agentId) {
    stateBar.render({ state: event.data.state, reason: event.data.reason, since_ts: event.ts });
  }
  if (event.kind.startsWith("recording.")) {
    const card = work.cards.get(event.data.interaction_id);
    const call = card?.parts.find((p) => p.setRecording);
    const state = { "recording.started": "recording", "recording.paused": "paused", "recording.resumed": "recording", "recording.stopped": "stopped" }[event.kind];
    if (call && state) call.setRecording(state);
  }
  refresh();
}

const conn = document.getElementById("conn");
const stream = new EventStream({
  onHello: (hello) => {
    clock.sync(hello.server_time);
    // After a cut the missed events follow; re-reading the snapshot too covers anything the
    // log could not replay (offer timeouts run on the server while we were away).
    refresh();
    header.refreshPhone();
  },
  onEvent,
  onStatus: (status) => {
    conn.dataset.state = status;
    conn.textContent = t(`conn.${status}`);
    // A refused handshake looks like a network error: ask the API whether the session lives.
    if (status === "offline") api("GET", "/api/v1/auth/me").catch(() => {});
  },
  onLost: () => header.sessionLost(),
});
window.__sdStream = stream;

async function loadConfig() {
  const [config, queues] = await Promise.all([
    ctx.get("/api/v1/config/public", { quiet: true }),
    ctx.get("/api/v1/queues", { quiet: true }),
  ]);
  for (const q of config?.queues || []) ctx.queues.set(q.id, { ...q });
  for (const q of queues || []) ctx.queues.set(q.id, { ...ctx.queues.get(q.id), ...q });
  ctx.dispositions = config?.dispositions || [];
}

bindShortcuts({ stateBar, offers, work });
startTicker(clock);
await loadConfig();
stream.start();
