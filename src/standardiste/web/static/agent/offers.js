// Offers: queue, caller or sender, waiting time and a countdown; accept or decline, once.
import { t, label } from "../common/i18n.js";
import { clone, slot, announce, uid } from "../common/dom.js";
import { hms } from "../common/clock.js";
import { sender, topic, running } from "./describe.js";

export class Offers {
  constructor({ list, empty, count, act, queueName, offerTimeout }) {
    Object.assign(this, { list, empty, count, act, queueName, offerTimeout });
    this.cards = new Map();            // interaction id -> <li>
    this.timeouts = new Map();         // interaction id -> {ts, timeout_s} from interaction.offered
    this.busy = new Set();             // "accept:<id>": a click already in flight
    list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      const card = event.target.closest("li[data-id]");
      if (button && card) this.run(button.dataset.action, card.dataset.id);
    });
  }

  /** Remember the countdown of an offer from its event. */
  noteOffered(event) {
    this.timeouts.set(event.data.interaction_id, { ts: event.ts, timeout: event.data.timeout_s });
  }

  /** Run accept/decline once per offer, whatever the number of clicks or key presses. */
  async run(action, id) {
    const key = `${action}:${id}`;
    if (this.busy.has(`accept:${id}`) || this.busy.has(`decline:${id}`)) return;
    const card = this.cards.get(id);
    if (!card) return;
    this.busy.add(key);
    for (const b of card.querySelectorAll("button")) b.disabled = true;
    try {
      await this.act(action, id);
    } finally {
      this.busy.delete(key);
      if (this.cards.get(id) === card) for (const b of card.querySelectorAll("button")) b.disabled = false;
    }
  }

  /** Return the id of the oldest offer (for the keyboard shortcuts). */
  oldest() { return this.cards.keys().next().value ?? null; }

  /** Show exactly the offers of the snapshot, keyed by interaction id (never twice). */
  render(offers) {
    const ids = new Set(offers.map((o) => o.id));
    for (const [id, card] of this.cards) {
      if (!ids.has(id)) { card.remove(); this.cards.delete(id); this.timeouts.delete(id); }
    }
    for (const item of offers) {
      let card = this.cards.get(item.id);
      if (!card) {
        card = this.build(item);
        this.cards.set(item.id, card);
        this.list.append(card);
        announce(t("offer.new", { channel: label("channel", item.channel), from: sender(item) || t("unknown_sender"), queue: this.queueName(item.queue_id) }));
      }
      this.update(card, item);
    }
    this.empty.hidden = this.cards.size > 0;
    this.count.textContent = String(this.cards.size);
  }

  build(item) {
    const card = clone("tpl-offer");
    card.dataset.id = item.id;
    const title = card.querySelector(".card-title");
    title.id = uid("offer-title");
    card.querySelector("article").setAttribute("aria-labelledby", title.id);
    slot(card, "channel").textContent = label("channel", item.channel);
    slot(card, "queue").textContent = this.queueName(item.queue_id);
    slot(card, "from").textContent = sender(item) || t("unknown_sender");
    const about = topic(item);
    slot(card, "topic").textContent = about || "–";
    for (const b of card.querySelectorAll("button")) {
      b.setAttribute("aria-describedby", title.id);
    }
    return card;
  }

  update(card, item) {
    const alert = running(item, "alert");
    const start = alert ? alert.start : null;
    const enqueued = item.enqueued_ts || item.created_ts;
    // Waiting time = time in queue until the offer, as the server stamped both.
    const waiting = slot(card, "waiting");
    waiting.textContent = hms((start ?? enqueued) - enqueued);
    const known = this.timeouts.get(item.id);
    const timeout = item.timeout_s ?? known?.timeout ?? this.offerTimeout(item.queue_id);
    const from = known?.ts ?? start;
    const text = slot(card, "countdown-text");
    const bar = slot(card, "countdown");
    if (timeout && from) {
      bar.id ||= uid("countdown");
      Object.assign(text.dataset, { until: String(from + timeout), total: String(timeout), template: "offer.seconds_left", bar: bar.id });
      bar.hidden = false;
    } else {
      bar.hidden = true;
    }
  }
}
