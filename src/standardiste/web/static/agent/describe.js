// Read an interaction's attributes the way the channels fill them (caller, sender, subject...).
const FROM_KEYS = ["caller", "caller_number", "from_number", "ani", "from", "sender", "from_addr"];
const TOPIC_KEYS = ["ivr_choice", "ivr", "menu", "subject", "due_date"];

function first(attributes, keys) {
  for (const key of keys) {
    const value = attributes?.[key];
    if (value !== undefined && value !== null && value !== "") return [key, value];
  }
  return [null, ""];
}

/** Return a one-line text for a value (name <address> pairs, lists). */
export function text(value) {
  if (Array.isArray(value)) return value.map(text).join(", ");
  if (value && typeof value === "object") return value.name ? `${value.name} <${value.address || value.email || ""}>` : JSON.stringify(value);
  return String(value ?? "");
}

/** Return an attribute value for display (epoch seconds in `*_at`/`*_ts` keys as local time). */
export function attribute(key, value) {
  if (typeof value === "number" && /(_at|_ts)$/.test(key)) {
    return new Date(value * 1000).toLocaleString(document.documentElement.lang);
  }
  return text(value);
}

/** Return who is calling or writing. */
export function sender(item) { return text(first(item.attributes, FROM_KEYS)[1]); }

/** Return the IVR choice, the subject or the due date: what the item is about. */
export function topic(item) { return text(first(item.attributes, TOPIC_KEYS)[1]); }

/** Return the running segment of a kind, if any. */
export function running(item, kind) {
  const last = item.segments?.[item.segments.length - 1];
  return last && last.kind === kind && last.end === null ? last : null;
}

/** Return [closedSeconds, runningStart|null] for the handling (talk) time. */
export function handling(item) {
  let closed = 0;
  let start = null;
  for (const seg of item.segments || []) {
    if (seg.kind !== "handle") continue;
    if (seg.end === null) start = seg.start;
    else closed += seg.end - seg.start;
  }
  return [closed, start];
}
