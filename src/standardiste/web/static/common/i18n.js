// Translated strings rendered by the server (gettext) into #sd-messages; no second catalogue.
const node = document.getElementById("sd-messages");
const messages = node ? JSON.parse(node.textContent) : {};

/** Return the message `key` with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  let text = messages[key] ?? key;
  for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

/** Return the label of a configured id (reason, channel, disposition), or a readable fallback. */
export function label(prefix, id) {
  if (id === null || id === undefined || id === "") return "";
  return messages[`${prefix}.${id}`] ?? String(id).replaceAll("_", " ");
}

export const lang = document.documentElement.lang || "fr";
