// Number and time formatting in the page's language and the centre's time zone.
import { lang } from "/static/common/i18n.js";

const cache = new Map();
function nf(digits) {
  if (!cache.has(digits)) {
    cache.set(digits, new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  }
  return cache.get(digits);
}

/** Format a number with a fixed count of decimals; null as a dash. */
export function num(value, digits = 0) {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : nf(digits).format(value);
}

/** Format a fraction as a percentage. */
export function pct(value, digits = 1) {
  return value === null || value === undefined ? "–" : `${num(value * 100, digits)} %`;
}

/** Format seconds. */
export function secs(value, digits = 1) {
  return value === null || value === undefined ? "–" : `${num(value, digits)} s`;
}

/** Return a formatter of epoch seconds as "lun. 07/12 09:30" in a time zone. */
export function slotFormatter(timeZone) {
  const f = new Intl.DateTimeFormat(lang, {
    timeZone, weekday: "short", day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit",
  });
  return (ts) => f.format(new Date(ts * 1000));
}
