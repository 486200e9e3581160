// JSON over fetch with the double-submit CSRF header the server checks on unsafe methods.
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.errorId = body?.error_id || (status === 0 ? "network" : `http.${status}`);
    this.details = body?.details || {};
  }
}

/** Register what to do when the session is gone (401). */
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

/** Call the API; resolve with the JSON body, reject with ApiError. */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (!SAFE.has(method)) headers["X-CSRF-Token"] = cookie("sd_csrf");
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  } catch (err) {
    throw new ApiError(0, { error_id: "network", message: String(err) });
  }
  const text = response.status === 204 ? "" : await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { message: text }; }
  if (!response.ok) {
    // Routers that raise HTTPException(detail={...}) wrap the error body in "detail".
    const detail = data?.detail;
    const err = new ApiError(response.status, detail && typeof detail === "object" && !Array.isArray(detail) ? detail : data);
    if (response.status === 401 && path !== "/api/v1/auth/login") onUnauthorized(err);
    throw err;
  }
  return data;
}
