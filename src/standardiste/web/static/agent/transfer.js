// Transfer picker: queues of the same channel and colleagues, with who is available now.
import { t, label } from "../common/i18n.js";
import { uid } from "../common/dom.js";

export class TransferDialog {
  constructor({ ctx }) {
    this.ctx = ctx;
    this.dialog = document.getElementById("transfer-dialog");
    this.form = document.getElementById("transfer-form");
    this.error = document.getElementById("transfer-error");
  }

  choice(container, name, value, text) {
    const id = uid("transfer");
    const wrap = document.createElement("label");
    wrap.htmlFor = id;
    const input = document.createElement("input");
    Object.assign(input, { type: "radio", name: "target", value: `${name}:${value}`, id });
    wrap.append(input, document.createTextNode(text));
    container.append(wrap);
  }

  /** Open the picker for an interaction; resolves once transferred or cancelled. */
  async open(item) {
    const queues = document.getElementById("transfer-queues");
    const agents = document.getElementById("transfer-agents");
    queues.replaceChildren();
    agents.replaceChildren();
    this.error.hidden = true;
    for (const q of this.ctx.queues.values()) {
      if (q.channel === item.channel) this.choice(queues, "queue", q.id, q.name || q.id);
    }
    // Agents may not read colleagues' states; a dedicated list says only "available or not".
    const targets = await this.ctx.get(`/api/v1/transfer-targets?channel=${item.channel}`, { quiet: true });
    const colleagues = (targets || (await this.ctx.get("/api/v1/agents", { quiet: true })) || [])
      .filter((c) => c.id !== this.ctx.agentId)
      .map((c) => ({ ...c, available: c.available ?? c.state === "ready" }));
    colleagues.sort((x, y) => Number(y.available) - Number(x.available));
    for (const a of colleagues) {
      const status = a.available ? t("transfer.available") : a.state === "logged_out" ? label("state", "logged_out") : t("transfer.unavailable");
      this.choice(agents, "agent", a.id, `${a.name || a.id} (${status})`);
    }
    if (!colleagues.length) {
      const none = document.createElement("p");
      none.className = "muted";
      none.textContent = t("transfer.no_colleagues");
      agents.append(none);
    }
    this.dialog.showModal();
    this.form.querySelector("input")?.focus();
    return new Promise((resolve) => {
      const onClose = async () => {
        this.dialog.removeEventListener("close", onClose);
        const picked = this.form.elements.target?.value;
        if (this.dialog.returnValue !== "confirm" || !picked) { resolve(false); return; }
        const [kind, id] = [picked.slice(0, picked.indexOf(":")), picked.slice(picked.indexOf(":") + 1)];
        const body = kind === "queue" ? { to_queue: id } : { to_agent: id };
        const done = await this.ctx.post(`/api/v1/interactions/${item.id}/transfer`, body);
        if (done !== undefined) this.ctx.say(t("transfer.done"));
        resolve(done !== undefined);
      };
      this.dialog.addEventListener("close", onClose);
    });
  }
}
