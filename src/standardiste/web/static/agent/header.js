// Shared by the agent pages: session loss banner, logout, "my phone" status.
import { api, setUnauthorizedHandler } from "../common/api.js";
import { t } from "../common/i18n.js";

const banner = document.getElementById("banner");

/** Show a clear message at the top of the page (role=alert announces it). */
export function showBanner(message, { login = false } = {}) {
  document.getElementById("banner-text").textContent = message;
  document.getElementById("banner-login").hidden = !login;
  banner.hidden = false;
}

export function hideBanner() { banner.hidden = true; }

/** Wire the header of an agent page; `onLost` runs once when the session is gone. */
export function setupHeader({ agentId, onLost = () => {} }) {
  let lost = false;
  const sessionLost = () => {
    if (lost) return;
    lost = true;
    showBanner(t("err.session"), { login: true });
    onLost();
  };
  setUnauthorizedHandler(sessionLost);
  document.getElementById("banner-close").addEventListener("click", hideBanner);
  document.getElementById("logout").addEventListener("click", async () => {
    try {
      await api("POST", "/api/v1/auth/logout");
      window.location.assign("/login");
    } catch (err) {
      if (err.status === 401) return;
      showBanner(err.errorId === "agent.has_work" ? t("err.has_work") : t("err.generic", { message: err.message }));
    }
  });
  const phone = document.getElementById("phone-status");
  let timer = null;
  const refreshPhone = async () => {
    let status = "unknown";
    try {
      const data = await api("GET", `/api/v1/agents/${encodeURIComponent(agentId)}/phone`);
      // A static contact from the configuration rings as well as a registered phone.
      if (typeof data?.registered === "boolean") status = data.registered || data.reachable ? "registered" : "unregistered";
      timer ??= setInterval(refreshPhone, 30000);
    } catch (err) {
      // 404 until the voice channel provides the route: "unknown" is the honest answer,
      // and polling a missing route would only add noise.
      if (err.status === 404) { clearInterval(timer); timer = null; }
    }
    phone.dataset.status = status;
    phone.textContent = t(`phone.${status}`);
  };
  refreshPhone();
  return { sessionLost, refreshPhone, stop: () => clearInterval(timer), isLost: () => lost };
}
