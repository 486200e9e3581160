// Time as the server counts it: the browser clock only interpolates between server timestamps.
import { t } from "./i18n.js";

export class ServerClock {
  constructor() { this.offset = 0; }
  /** Align on a server epoch (seconds) received just now. */
  sync(serverTime) { if (typeof serverTime === "number") this.offset = serverTime - Date.now() / 1000; }
  /** Return the server's current epoch in seconds. */
  now() { return Date.now() / 1000 + this.offset; }
}

const pad = (n) => String(n).padStart(2, "0");

/** Format seconds as m:ss or h:mm:ss. */
export function hms(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** Format seconds for reading: "1 h 05 min", "3 min 20 s". */
export function human(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h) return `${h} ${t("duration.h")} ${pad(m)} ${t("duration.min")}`;
  if (m) return `${m} ${t("duration.min")} ${pad(s % 60)} ${t("duration.s")}`;
  return `${s} ${t("duration.s")}`;
}

/** Tick every second: [data-since] counts up, [data-until] counts down (epoch seconds). */
export function startTicker(clock, root = document) {
  const tick = () => {
    const now = clock.now();
    for (const el of root.querySelectorAll("[data-since]")) {
      el.textContent = hms(now - Number(el.dataset.since));
    }
    for (const el of root.querySelectorAll("[data-until]")) {
      const left = Number(el.dataset.until) - now;
      const template = el.dataset.template;
      el.textContent = template ? t(template, { n: Math.max(0, Math.ceil(left)), time: hms(Math.max(0, left)) }) : hms(left);
      const bar = el.dataset.bar && document.getElementById(el.dataset.bar);
      if (bar) bar.value = Math.max(0, Math.min(100, (100 * left) / Number(el.dataset.total || 1)));
    }
  };
  tick();
  return setInterval(tick, 1000);
}
