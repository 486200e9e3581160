// E-mail panel: the thread (sanitised HTML in a script-less sandbox, or text), attachments,
// and a reply composer with canned responses and attachments.
import { t } from "../common/i18n.js";
import { clone, slot, fillOptions } from "../common/dom.js";
import { text } from "./describe.js";

export class EmailPanel {
  constructor(root, item, ctx) {
    this.item = item;
    this.ctx = ctx;
    this.el = clone("tpl-email");
    root.append(this.el);
    this.base = `/api/v1/email/interactions/${encodeURIComponent(item.id)}`;
    this.canned = new Map();
    this.composer = slot(this.el, "composer");
    this.composer.addEventListener("submit", (event) => { event.preventDefault(); this.send(); });
    this.composer.elements.canned.addEventListener("change", () => this.useCanned());
    this.load();
  }

  async load() {
    const thread = slot(this.el, "thread");
    const data = await this.ctx.get(this.base, { quiet: true });
    thread.replaceChildren();
    if (!data) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = t("email.unavailable");
      thread.append(p);
      return;
    }
    // The conversation lists its messages; incoming ones are fetched parsed and sanitised.
    for (const entry of data.messages || []) {
      if (entry.direction === "in") {
        const full = await this.ctx.get(`/api/v1/email/messages/${encodeURIComponent(entry.id)}`, { quiet: true });
        thread.append(this.message(full ? this.incoming(entry, full) : entry));
      } else {
        thread.append(this.message({ ...entry, from: t("email.our_reply"), text: entry.subject || "" }));
      }
    }
    const canned = data.canned || data.canned_responses || [];
    for (const c of canned) this.canned.set(String(c.id ?? c.name), c);
    fillOptions(this.composer.elements.canned, [...this.canned.entries()].map(([id, c]) => [id, c.title || c.name || id]));
  }

  incoming(entry, full) {
    const from = full.from_name ? `${full.from_name} <${full.from_addr}>` : full.from_addr;
    const attachments = (full.attachments || []).filter((a) => !a.inline).map((a) => ({
      filename: a.filename, size: a.size,
      url: `/api/v1/email/messages/${encodeURIComponent(entry.id)}/attachments/${a.index}`,
    }));
    return { from, date: full.date, subject: full.subject, html: full.html, text: full.text, attachments };
  }

  message(m) {
    const article = document.createElement("article");
    article.className = "message";
    const head = document.createElement("p");
    head.className = "message-head";
    const when = m.date || m.ts || m.received_ts;
    const date = when ? new Date((typeof when === "number" ? when * 1000 : Date.parse(when))).toLocaleString(document.documentElement.lang) : "";
    head.textContent = [text(m.from || m.sender), date, m.subject].filter(Boolean).join(" · ");
    article.append(head);
    if (m.html) {
      // Defence in depth: the server sanitised it; an empty sandbox also forbids scripts,
      // forms, popups and same-origin access, and the page CSP blocks remote images.
      const frame = document.createElement("iframe");
      frame.setAttribute("sandbox", "");
      frame.setAttribute("referrerpolicy", "no-referrer");
      frame.title = m.subject || t("channel.email");
      frame.srcdoc = m.html;
      article.append(frame);
    } else {
      const body = document.createElement("pre");
      body.className = "message-body";
      body.textContent = m.text || m.body || "";
      article.append(body);
    }
    const attachments = m.attachments || [];
    if (attachments.length) {
      const list = document.createElement("ul");
      list.className = "attachments";
      for (const a of attachments) {
        const li = document.createElement("li");
        const link = document.createElement("a");
        link.href = a.url || `${this.base}/attachments/${encodeURIComponent(a.id ?? a.index)}`;
        link.textContent = `${a.filename || a.name || "attachment"}${a.size ? ` (${Math.ceil(a.size / 1024)} kB)` : ""}`;
        link.setAttribute("download", "");
        li.append(link);
        list.append(li);
      }
      article.append(list);
    }
    return article;
  }

  useCanned() {
    const chosen = this.canned.get(this.composer.elements.canned.value);
    if (!chosen) return;
    const area = this.composer.elements.text;
    const body = chosen.text || chosen.body || "";
    area.value = area.value ? `${area.value}\n\n${body}` : body;
    area.focus();
  }

  async send() {
    const { text: area, files, canned } = this.composer.elements;
    if (!area.value.trim()) {
      area.setAttribute("aria-invalid", "true");
      this.ctx.fail(t("err.required"));
      area.focus();
      return;
    }
    area.removeAttribute("aria-invalid");
    const button = this.composer.querySelector("button[type=submit]");
    if (button.disabled) return;
    button.disabled = true;
    // The canned text was inserted into the message box and possibly edited: the box is what
    // is sent, never the template again.
    void canned;
    try {
      const attachments = await Promise.all([...files.files].map(encodeFile));
      const sent = await this.ctx.post(`${this.base}/reply`, { text: area.value, attachments }, { missing: "err.not_available" });
      if (sent !== undefined) {
        area.value = "";
        files.value = "";
        this.ctx.say(t("sent"));
        this.load();
      }
    } finally {
      button.disabled = false;
    }
  }
}

function encodeFile(file) {
  // Base64 in the JSON body: one request carries the text and its files.
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve({ filename: file.name, content_type: file.type || "application/octet-stream", data_b64: url.slice(url.indexOf(",") + 1) });
    };
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
