// Work in progress: one card per interaction (connected, on hold or in after-call work).
import { t, label } from "../common/i18n.js";
import { clone, slot, uid } from "../common/dom.js";
import { sender, handling, running, attribute } from "./describe.js";
import { CallControls } from "./call.js";
import { EmailPanel } from "./email.js";
import { LetterPanel } from "./letter.js";
import { WrapUp } from "./wrapup.js";

const SHOWN_ELSEWHERE = new Set(["caller", "caller_number", "from_number", "ani", "from", "sender", "from_addr"]);

export class WorkArea {
  constructor({ list, empty, count, ctx }) {
    Object.assign(this, { list, empty, count, ctx });
    this.cards = new Map();            // id -> {el, parts}
  }

  render(work, acw) {
    const items = [...work, ...acw];
    const ids = new Set(items.map((i) => i.id));
    for (const [id, card] of this.cards) {
      if (!ids.has(id)) { card.el.remove(); card.parts.forEach((p) => p.close?.()); this.cards.delete(id); }
    }
    for (const item of items) {
      let card = this.cards.get(item.id);
      if (!card) {
        card = this.build(item);
        this.cards.set(item.id, card);
        this.list.prepend(card.el);
      }
      this.update(card, item);
    }
    this.empty.hidden = this.cards.size > 0;
    this.count.textContent = String(this.cards.size);
  }

  build(item) {
    const el = clone("tpl-work");
    el.dataset.id = item.id;
    el.dataset.channel = item.channel;
    const title = el.querySelector(".card-title");
    title.id = uid("work-title");
    el.setAttribute("aria-labelledby", title.id);
    slot(el, "channel").textContent = label("channel", item.channel);
    slot(el, "from").textContent = sender(item) || t("unknown_sender");
    slot(el, "queue").textContent = this.ctx.queueName(item.queue_id);
    const facts = slot(el, "attributes");
    for (const [key, value] of Object.entries(item.attributes || {})) {
      if (SHOWN_ELSEWHERE.has(key) || value === null || value === "" || (Array.isArray(value) && !value.length)) continue;
      const dt = document.createElement("dt");
      dt.textContent = label("attr", key);
      const dd = document.createElement("dd");
      dd.textContent = attribute(key, value);
      facts.append(dt, dd);
    }
    const body = slot(el, "body");
    const parts = [];
    if (item.channel === "voice") parts.push(new CallControls(body, item, this.ctx));
    else if (item.channel === "email") parts.push(new EmailPanel(body, item, this.ctx));
    else if (item.channel === "mail" && item.attributes?.letter_id) parts.push(new LetterPanel(body, item, this.ctx));
    const wrap = new WrapUp(slot(el, "wrapup"), item, this.ctx);
    parts.push(wrap);
    return { el, parts, wrap };
  }

  update(card, item) {
    const { el } = card;
    el.dataset.status = item.status;
    slot(el, "status").textContent = label("status", item.status);
    const [closed, start] = handling(item);
    const talk = slot(el, "talk");
    if (start !== null) talk.dataset.since = String(start - closed);
    else { delete talk.dataset.since; talk.textContent = this.ctx.hms(closed); }
    const hold = running(item, "hold");
    slot(el, "hold-wrap").hidden = !hold;
    const holdEl = slot(el, "hold");
    if (hold) holdEl.dataset.since = String(hold.start);
    else delete holdEl.dataset.since;
    for (const part of card.parts) part.update?.(item);
  }

  /** Return the card of the current call, for the keyboard shortcuts. */
  call() {
    for (const card of this.cards.values()) if (card.el.dataset.channel === "voice" && card.el.dataset.status !== "acw") return card;
    return null;
  }

  /** Focus the first visible wrap-up form. */
  focusWrapUp() {
    for (const card of this.cards.values()) if (card.wrap.focus()) return true;
    return false;
  }
}
