// Number formatting shared by the wallboard and the reports (French locale by default).
const LANG = document.documentElement.lang || "fr";
const NUM = new Intl.NumberFormat(LANG, { maximumFractionDigits: 1 });

/** Format a figure by unit: ratio as %, seconds as "s", counts as integers; null as a dash. */
export function fmt(value, unit) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (unit === "ratio") return `${NUM.format(value * 100)} %`;
  if (unit === "seconds") return `${NUM.format(Math.round(value))} s`;
  return NUM.format(Math.round(value));
}

/** Return the definitions-page link of a KPI id. */
export function defHref(id) { return `/reports/definitions#kpi-${id.replaceAll("_", "-")}`; }

/** Build a table header cell whose label links to the figure's definition. */
export function headerCell(id, label, linked = true) {
  const th = document.createElement("th");
  th.scope = "col";
  if (linked) {
    const a = document.createElement("a");
    a.href = defHref(id);
    a.className = "def";
    a.textContent = label;
    th.append(a);
  } else {
    th.textContent = label;
  }
  return th;
}
