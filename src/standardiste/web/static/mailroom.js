// Mailroom: send each chosen scan to POST /api/v1/mail/letters and show where it went.
import { api } from "./common/api.js";
import { t } from "./common/i18n.js";

const form = document.getElementById("mailroom-form");
const input = document.getElementById("mailroom-files");
const submit = document.getElementById("mailroom-submit");
const status = document.getElementById("mailroom-status");
const table = document.getElementById("mailroom-results");
const body = table.querySelector("tbody");

/** Add a result row for `name`; return its cells in column order. */
function addRow(name) {
  const row = body.insertRow(0);
  const cells = [];
  for (let i = 0; i < 6; i += 1) cells.push(row.insertCell());
  cells[0].textContent = name;
  cells[1].textContent = t("mailroom.sending");
  table.hidden = false;
  return cells;
}

function showResult(cells, result) {
  cells[1].textContent = t(result.duplicate ? "mailroom.duplicate" : "mailroom.imported");
  cells[2].textContent = result.queue_id;
  cells[3].textContent = new Date(`${result.due_date}T12:00:00`).toLocaleDateString();
  cells[4].textContent = String(result.pages);
  const notes = result.flags.length ? result.flags.map((f) => t(`mailroom.${f}`)) : [t("mailroom.ocr_ok")];
  cells[5].textContent = notes.join(" · ");
}

function showError(cells, err) {
  const key = `error.${err.errorId}`;
  const text = t(key);
  cells[1].textContent = text === key ? err.message : text;
  cells[1].className = "error";
}

async function send(files) {
  submit.disabled = true;
  let done = 0;
  // One request per letter, one after the other: the server reads each scan before answering.
  for (const file of files) {
    const cells = addRow(file.name);
    const data = new FormData();
    data.append("file", file, file.name);
    try {
      showResult(cells, await api("POST", "/api/v1/mail/letters", data));
    } catch (err) {
      showError(cells, err);
    }
    done += 1;
    status.textContent = t("mailroom.progress", { done, total: files.length });
  }
  submit.disabled = false;
  form.reset();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const files = [...input.files];
  if (!files.length) {
    status.textContent = t("mailroom.choose");
    input.focus();
    return;
  }
  send(files);
});

form.addEventListener("dragover", (event) => event.preventDefault());
form.addEventListener("drop", (event) => {
  event.preventDefault();
  const files = [...(event.dataTransfer?.files || [])];
  if (files.length && !submit.disabled) send(files);
});
