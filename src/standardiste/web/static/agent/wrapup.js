// Wrap-up: code (required or not per queue), notes, done; a time-boxed after-call work counts down.
import { t, label } from "../common/i18n.js";
import { clone, slot, fillOptions } from "../common/dom.js";
import { running } from "./describe.js";

const LETTER_OUTCOMES = ["answered_letter", "answered_email", "answered_phone", "forwarded"];

export class WrapUp {
  constructor(root, item, ctx) {
    this.item = item;
    this.ctx = ctx;
    this.letter = item.channel === "mail" && item.attributes?.letter_id;
    this.form = clone("tpl-wrapup");
    root.append(this.form);
    const select = this.form.elements.disposition;
    if (this.letter) fillOptions(select, LETTER_OUTCOMES.map((o) => [o, label("outcome", o)]));
    else fillOptions(select, ctx.dispositions.map((d) => [d, label("disposition", d)]));
    this.required = Boolean(this.letter) || Boolean(ctx.queueAcw(item.queue_id)?.disposition_required);
    slot(this.form, "required").hidden = !this.required;
    if (this.required) select.required = true;
    select.addEventListener("change", () => {
      slot(this.form, "forward-wrap").hidden = select.value !== "forwarded" || !this.letter;
    });
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.submit(); });
  }

  visible() { return !this.form.hidden; }

  focus() {
    if (this.form.hidden) return false;
    this.form.elements.disposition.focus();
    return true;
  }

  showError(message, field) {
    const error = slot(this.form, "error");
    error.textContent = message;
    error.hidden = !message;
    error.id ||= `${this.form.elements.disposition.id}-error`;
    for (const el of [this.form.elements.disposition, this.form.elements.forwarded_to]) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    }
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", error.id);
      field.focus();
    }
  }

  async submit() {
    const { disposition, notes, forwarded_to: forwardedTo } = this.form.elements;
    if (this.required && !disposition.value) { this.showError(t("err.disposition_required"), disposition); return; }
    if (this.letter && disposition.value === "forwarded" && !forwardedTo.value.trim()) {
      this.showError(t("err.required"), forwardedTo);
      return;
    }
    this.showError("");
    const button = this.form.querySelector("button[type=submit]");
    if (button.disabled) return;
    button.disabled = true;
    try {
      const done = this.letter
        ? await this.ctx.post(`/api/v1/mail/letters/${encodeURIComponent(this.letter)}/outcome`, {
          outcome: disposition.value, notes: notes.value || null, forwarded_to: forwardedTo.value || null })
        : await this.ctx.post(`/api/v1/interactions/${this.item.id}/complete`, {
          disposition: disposition.value || null, notes: notes.value || null });
      if (done !== undefined) this.ctx.say(t("completed"));
    } finally {
      button.disabled = false;
    }
  }

  update(item) {
    this.item = item;
    // A call is wrapped up after hang-up; e-mails and letters can be closed while open.
    this.form.hidden = item.channel === "voice" && item.status !== "acw";
    const left = slot(this.form, "acw-left");
    const policy = this.ctx.queueAcw(item.queue_id);
    const acw = running(item, "acw");
    if (acw && policy?.mode === "timeboxed" && policy.seconds) {
      Object.assign(left.dataset, { until: String(acw.start + policy.seconds), template: "acw.left" });
    } else {
      delete left.dataset.until;
      left.textContent = "";
    }
  }
}
