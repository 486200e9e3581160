// Where each role lands (same table as HOMES in web/pages/login.py).
const HOMES = { agent: "/agent", supervisor: "/supervisor", analyst: "/reports", admin: "/supervisor", dpo: "/dpo" };

// Log in through the auth API (password, then a TOTP code for roles that need one);
// the server sets the session and CSRF cookies.
import { api } from "./api.js";
import { t } from "./i18n.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const totpStep = document.getElementById("totp-step");
let challenge = null;                  // set once the password was accepted
let enrolling = false;

const ERRORS = {
  "auth.invalid": "err.invalid",
  "auth.locked": "err.locked",
  "auth.totp_invalid": "err.totp_invalid",
  "auth.challenge_invalid": "err.challenge_invalid",
  "agent.already_logged_in": "err.already_logged_in",
};

function fail(message, field) {
  error.textContent = message;
  error.hidden = false;
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

function landing(result) {
  const role = result.user.role;
  window.location.assign(form.dataset.next || HOMES[role] || "/transparency");
}

async function askCode(details) {
  challenge = details.challenge;
  enrolling = !details.enrolled && !details.demo_secret;
  form.username.readOnly = true;
  form.password.readOnly = true;
  totpStep.hidden = false;
  document.getElementById("totp-demo").hidden = !details.demo_secret;
  if (enrolling) {
    const enrol = await api("POST", "/api/v1/auth/totp/enrol", { challenge });
    document.getElementById("enrol-secret").textContent = enrol.secret;
    document.getElementById("enrol-uri").href = enrol.otpauth_uri;
    document.getElementById("enrol").hidden = false;
  }
  form.totp.focus();
}

async function submit() {
  const button = form.querySelector("button[type=submit]");
  error.hidden = true;
  for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
  if (challenge) {
    const code = form.totp.value.trim();
    if (!/^\d{6}$/.test(code)) { fail(t("err.totp_format"), form.totp); return; }
    button.disabled = true;
    const path = enrolling ? "/api/v1/auth/totp/enrol/confirm" : "/api/v1/auth/totp/verify";
    try {
      landing(await api("POST", path, { challenge, code }));
    } catch (err) {
      button.disabled = false;
      form.totp.value = "";
      if (err.errorId === "auth.challenge_invalid") window.location.reload();
      fail(ERRORS[err.errorId] ? t(ERRORS[err.errorId]) : t("err.generic", { message: err.message }), form.totp);
    }
    return;
  }
  const missing = [form.username, form.password].find((input) => !input.value);
  if (missing) { fail(t("err.required"), missing); return; }
  button.disabled = true;
  try {
    landing(await api("POST", "/api/v1/auth/login", { username: form.username.value.trim(), password: form.password.value }));
  } catch (err) {
    button.disabled = false;
    if (err.errorId === "auth.mfa_required") { await askCode(err.details); return; }
    form.password.value = "";
    fail(ERRORS[err.errorId] ? t(ERRORS[err.errorId]) : t("err.generic", { message: err.message }), form.password);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  submit().catch((err) => fail(t("err.generic", { message: err.message })));
});
