// Call controls: hold/resume, transfer, governed recording (purpose first), hang up.
import { t } from "../common/i18n.js";
import { clone, slot } from "../common/dom.js";

const REC_PURPOSE = "incivility_evidence";

export class CallControls {
  constructor(root, item, ctx) {
    this.item = item;
    this.ctx = ctx;
    this.el = clone("tpl-call");
    root.append(this.el);
    this.rec = "idle";
    this.el.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button) this.run(button.dataset.action, button);
    });
  }

  async run(action, button) {
    const id = this.item.id;
    const calls = `/api/v1/calls/${encodeURIComponent(id)}/recording`;
    const steps = {
      hold: () => this.ctx.post(`/api/v1/interactions/${id}/${this.item.status === "held" ? "resume" : "hold"}`),
      hangup: () => this.ctx.post(`/api/v1/interactions/${id}/end`),
      transfer: () => this.ctx.transfer(this.item),
      "rec-start": () => this.record(`${calls}/start`, "recording", { purpose: REC_PURPOSE }),
      "rec-pause": () => this.record(`${calls}/pause`, "paused"),
      "rec-resume": () => this.record(`${calls}/resume`, "recording"),
      "rec-stop": () => this.record(`${calls}/stop`, "stopped"),
    };
    if (!steps[action] || button.disabled) return;
    button.disabled = true;
    try { await steps[action](); } finally { button.disabled = false; }
  }

  async record(path, next, body) {
    const ok = await this.ctx.post(path, body, { missing: "err.not_available" });
    if (ok !== undefined) this.setRecording(next);
  }

  /** Reflect a recording state from our request or from a recording.* event. */
  setRecording(state) {
    this.rec = state;
    slot(this.el, "rec-status").textContent = t(`rec.${state === "idle" ? "idle" : state}`);
    const show = { "rec-start": ["idle", "stopped"], "rec-pause": ["recording"], "rec-resume": ["paused"], "rec-stop": ["recording", "paused"] };
    for (const [action, states] of Object.entries(show)) {
      this.el.querySelector(`[data-action="${action}"]`).hidden = !states.includes(state);
    }
  }

  update(item) {
    this.item = item;
    const live = item.status === "connected" || item.status === "held";
    this.el.hidden = !live;
    const hold = this.el.querySelector('[data-action="hold"]');
    hold.textContent = item.status === "held" ? t("hold.resume") : t("hold.hold");
  }
}
