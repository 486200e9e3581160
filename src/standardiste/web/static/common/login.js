// Log in through the auth API; the server sets the session and CSRF cookies.
import { api } from "./api.js";
import { t } from "./i18n.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

const ERRORS = {
  "auth.invalid": "err.invalid",
  "auth.locked": "err.locked",
  "agent.already_logged_in": "err.already_logged_in",
};

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  const username = form.username.value.trim();
  const password = form.password.value;
  error.hidden = true;
  for (const input of [form.username, form.password]) input.removeAttribute("aria-invalid");
  const missing = [form.username, form.password].find((input) => !input.value);
  if (missing) {
    missing.setAttribute("aria-invalid", "true");
    error.textContent = t("err.required");
    error.hidden = false;
    missing.focus();
    return;
  }
  button.disabled = true;
  try {
    const result = await api("POST", "/api/v1/auth/login", { username, password });
    const role = result.user.role;
    const next = form.dataset.next || (role === "agent" ? "/agent" : `/${role}`);
    window.location.assign(next);
  } catch (err) {
    error.textContent = ERRORS[err.errorId] ? t(ERRORS[err.errorId]) : t("err.generic", { message: err.message });
    error.hidden = false;
    form.password.value = "";
    form.password.focus();
    button.disabled = false;
  }
});
