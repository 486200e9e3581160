// Postal-mail panel: each scanned page beside its recognised text, page by page.
import { t } from "../common/i18n.js";
import { clone, slot } from "../common/dom.js";

export class LetterPanel {
  constructor(root, item, ctx) {
    this.ctx = ctx;
    this.letter = item.attributes.letter_id;
    this.el = clone("tpl-letter");
    root.append(this.el);
    this.pages = [];
    this.index = 0;
    const base = `/api/v1/mail/letters/${encodeURIComponent(this.letter)}`;
    this.base = base;
    slot(this.el, "original").href = `${base}/original`;
    this.el.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button) return;
      this.show(this.index + (button.dataset.action === "page-next" ? 1 : -1));
    });
    this.load();
  }

  async load() {
    this.pages = (await this.ctx.get(`${this.base}/pages`)) || [];
    this.show(0);
  }

  async show(index) {
    if (!this.pages.length) return;
    this.index = Math.max(0, Math.min(index, this.pages.length - 1));
    const page = this.pages[this.index];
    const caption = t("mail.page", { n: page.page, total: this.pages.length });
    slot(this.el, "page-label").textContent = caption;
    const img = slot(this.el, "image");
    img.src = page.image_url;
    img.alt = caption;
    this.el.querySelector('[data-action="page-prev"]').disabled = this.index === 0;
    this.el.querySelector('[data-action="page-next"]').disabled = this.index >= this.pages.length - 1;
    const pre = slot(this.el, "text");
    pre.setAttribute("aria-label", caption);
    const data = await this.ctx.get(page.text_url, { quiet: true });
    if (!data || data.status === "pending") pre.textContent = t("mail.ocr_pending");
    else pre.textContent = data.text || t("mail.no_text");
  }
}
