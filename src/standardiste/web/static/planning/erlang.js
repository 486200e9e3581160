// Erlang calculator: the same figures as `standardiste erlang`, the answer row highlighted.
import { api } from "/static/common/api.js";
import { t } from "/static/common/i18n.js";
import { clearErrors, readFields } from "/static/planning/form.js";
import { num, pct, secs } from "/static/planning/format.js";

const SPEC = {
  calls: { kind: "number" }, interval: { kind: "number" }, aht: { kind: "number" },
  target: { kind: "target" }, patience: { kind: "number", optional: true },
  shrinkage: { kind: "percent" }, max_occupancy: { kind: "percent" },
};
const COLUMNS = [
  ["agents", (r) => num(r.agents)], ["scheduled", (r) => num(r.scheduled)],
  ["p_wait", (r) => pct(r.p_wait)], ["service_level", (r) => pct(r.service_level)],
  ["asa", (r) => secs(r.asa)], ["occupancy", (r) => pct(r.occupancy)],
];
const ABANDON = ["p_abandon", (r) => pct(r.p_abandon)];

function headRow(columns) {
  const tr = document.createElement("tr");
  for (const [key] of columns) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = t(`planning.col.${key}`);
    tr.append(th);
  }
  return tr;
}

function bodyRow(row, columns) {
  const tr = document.createElement("tr");
  tr.dataset.agents = String(row.agents);
  if (row.answer) {
    tr.className = "answer";
    tr.setAttribute("aria-current", "true");
  }
  columns.forEach(([key, show], i) => {
    const cell = document.createElement(i === 0 ? "th" : "td");
    if (i === 0) cell.scope = "row";
    cell.dataset.f = key;
    cell.textContent = show(row);
    if (i === 0 && row.answer) {
      // The highlight is also said in words, for screen readers and without colour.
      const mark = document.createElement("span");
      mark.className = "answer-mark";
      mark.textContent = ` ${t("planning.answer_mark")}`;
      cell.append(mark);
    }
    tr.append(cell);
  });
  return tr;
}

/** Render an API answer into the table and the status line. */
export function renderErlang(result, table, status) {
  const columns = result.model === "erlang_a" ? [...COLUMNS, ABANDON] : COLUMNS;
  table.tHead.replaceChildren(headRow(columns));
  table.tBodies[0].replaceChildren(...result.rows.map((r) => bodyRow(r, columns)));
  table.hidden = false;
  status.textContent = t("planning.answer", {
    agents: num(result.agents), scheduled: num(result.scheduled), shrinkage: pct(result.shrinkage, 0),
    load: num(result.load, 2), model: t(`planning.${result.model}`),
  });
  status.classList.remove("error");
}

/** Wire the calculator form. */
export function setupErlang(form, table, status) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const { values, invalid } = readFields(form, SPEC);
    if (invalid.length) {
      status.textContent = t("planning.invalid");
      status.classList.add("error");
      invalid[0].focus();
      return;
    }
    const query = new URLSearchParams({ ...values, sl: form.elements.namedItem("sl").value });
    status.textContent = t("planning.calculating");
    status.classList.remove("error");
    try {
      renderErlang(await api("GET", `/api/v1/planning/erlang?${query}`), table, status);
    } catch (err) {
      status.textContent = err.errorId === "network" ? t("error.network") : t("error.generic", { message: err.message });
      status.classList.add("error");
    }
  });
}
