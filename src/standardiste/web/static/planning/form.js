// Form fields: French decimal commas accepted, per-field errors announced via aria-describedby.
import { t } from "/static/common/i18n.js";

/** Parse a decimal typed with a comma or a point; NaN when it is not a number. */
export function parseNumber(text) {
  const clean = String(text ?? "").trim().replace(/\s/g, "").replace(",", ".");
  return clean === "" || !/^[-+]?\d*\.?\d+(e[-+]?\d+)?$/i.test(clean) ? NaN : Number(clean);
}

/** Clear the error marks of a form. */
export function clearErrors(form) {
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const span of form.querySelectorAll(".field-error")) span.textContent = "";
}

/** Mark a field invalid with a message shown next to it. */
export function markInvalid(input, message) {
  input.setAttribute("aria-invalid", "true");
  const span = document.getElementById(`${input.id}-error`);
  if (span) span.textContent = message;
}

/**
 * Read fields by spec {name: {kind: "number"|"percent"|"target"|"integer", optional}}; return
 * {values, invalid}. Percentages come back as fractions.
 */
export function readFields(form, spec) {
  const values = {};
  const invalid = [];
  for (const [name, { kind, optional = false }] of Object.entries(spec)) {
    const input = form.elements.namedItem(name);
    const raw = input.value.trim();
    if (raw === "") {
      if (optional) continue;
      invalid.push(input);
      markInvalid(input, t("planning.required"));
      continue;
    }
    let value = NaN;
    let message = t("planning.number");
    if (kind === "target") {
      const m = /^\s*(\d+(?:[.,]\d+)?)\s*\/\s*(\d+(?:[.,]\d+)?)\s*$/.exec(raw);
      const percent = m ? parseNumber(m[1]) : NaN;
      value = m && percent > 0 && percent < 100 ? `${percent}/${parseNumber(m[2])}` : NaN;
      message = t("planning.target");
    } else if (kind === "percent") {
      const n = parseNumber(raw);
      value = n >= 0 && n <= 100 ? n / 100 : NaN;
      message = t("planning.percent");
    } else {
      const n = parseNumber(raw);
      value = n > 0 && (kind !== "integer" || Number.isInteger(n)) ? n : NaN;
    }
    if (typeof value === "number" && Number.isNaN(value)) {
      invalid.push(input);
      markInvalid(input, message);
    } else {
      values[name] = value;
    }
  }
  return { values, invalid };
}
