// The state bar: one toolbar of tabs; the server's agent.state event is what turns a tab on.
import { t, label } from "../common/i18n.js";
import { announce } from "../common/dom.js";

const SYSTEM_STATES = new Set(["busy_voice", "acw"]);

export class StateBar {
  constructor({ root, request, onError }) {
    this.root = root;
    this.request = request;            // async (state, reason) -> server response
    this.onError = onError;
    this.toolbar = root.querySelector("#state-toolbar");
    this.tabs = [...this.toolbar.querySelectorAll(".tab")];
    this.menu = root.querySelector("#pause-menu");
    this.toggle = root.querySelector("#pause-toggle");
    this.labelEl = root.querySelector("#state-label");
    this.reasonEl = root.querySelector("#state-reason");
    this.elapsedEl = root.querySelector("#state-elapsed");
    this.current = root.querySelector(".current-state");
    this.pending = null;
    this.state = null;
    this.bind();
  }

  bind() {
    this.tabs.forEach((tab, i) => { tab.tabIndex = i === 0 ? 0 : -1; });
    this.toolbar.addEventListener("keydown", (event) => this.roving(event));
    this.toolbar.addEventListener("click", (event) => {
      const tab = event.target.closest(".tab");
      if (!tab || tab.getAttribute("aria-disabled") === "true") return;
      if (tab === this.toggle) { this.openMenu(this.menu.hidden); return; }
      this.change(tab.dataset.state, tab.dataset.reason || null, tab);
    });
    this.menu.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-reason]");
      if (button) this.change("not_ready", button.dataset.reason, this.toggle);
    });
    this.menu.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { this.openMenu(false); this.toggle.focus(); }
    });
  }

  // Toolbar keyboard model (WAI-ARIA APG "Toolbar"): one tab stop, arrows move between tabs.
  roving(event) {
    const index = this.tabs.indexOf(document.activeElement);
    if (index < 0) return;
    const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    let next = null;
    if (event.key in moves) next = (index + moves[event.key] + this.tabs.length) % this.tabs.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = this.tabs.length - 1;
    else if (event.key === "Escape") { this.openMenu(false); return; }
    if (next === null) return;
    event.preventDefault();
    this.tabs[index].tabIndex = -1;
    this.tabs[next].tabIndex = 0;
    this.tabs[next].focus();
  }

  openMenu(open) {
    this.menu.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
    if (open) this.menu.querySelector("button")?.focus();
  }

  async change(state, reason, tab) {
    if (this.pending) return;          // one change at a time; the next click waits for the server
    this.openMenu(false);
    this.pending = { state, reason };
    tab.setAttribute("aria-busy", "true");
    this.current.setAttribute("aria-busy", "true");
    try {
      const result = await this.request(state, reason);
      // Nothing changed (already in that state): no event will come, so stop waiting now.
      if (!result || !result.events || result.events.length === 0) this.settle();
      else setTimeout(() => this.settle(), 5000);   // the event normally arrives well before
    } catch (err) {
      this.settle();
      this.onError(err);
    }
  }

  settle() {
    this.pending = null;
    this.current.removeAttribute("aria-busy");
    for (const tab of this.tabs) tab.removeAttribute("aria-busy");
  }

  /** Show the agent's accounted state (from the snapshot or an agent.state event). */
  render({ state, reason, since_ts: since, presence, presence_reason: presenceReason }) {
    const changed = this.state !== null && (this.state.state !== state || this.state.reason !== reason);
    this.state = { state, reason };
    this.labelEl.dataset.state = state;
    this.labelEl.textContent = label("state", state);
    this.reasonEl.textContent = reason ? label("reason", reason) : "";
    if (since) this.elapsedEl.dataset.since = String(since);
    else delete this.elapsedEl.dataset.since;
    for (const tab of this.tabs) tab.setAttribute("aria-pressed", String(this.lit(tab, state, reason, presence, presenceReason)));
    if (this.pending && (this.pending.state === presence || this.pending.state === state)) this.settle();
    if (changed) announce(t("state.changed", { state: [label("state", state), reason && label("reason", reason)].filter(Boolean).join(" – ") }));
  }

  lit(tab, state, reason, presence, presenceReason) {
    if (tab.dataset.system && !tab.dataset.state) return tab.dataset.system === state;
    if (tab.dataset.also && tab.dataset.also === state) return true;
    if (tab === this.toggle) return state === "not_ready";
    if (tab.dataset.state === "ready") return state === "ready";
    if (tab.dataset.state === "activity") return state === "activity" && reason === tab.dataset.reason;
    return false;
  }

  isSystem(state) { return SYSTEM_STATES.has(state); }
}
