// The one way pages call the API: same origin, the session cookie, JSON in and out. An expired access token is
// renewed once through /api/auth/refresh (one renewal at a time, shared by every call waiting on it) and the call
// repeated; when the session is gone for good, the page goes to the sign-in and comes back afterwards.

/** An error the API answered with: status, its code and message (`{"error": {...}}`), Retry-After seconds. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

let renewal = null;
let onSignedOut = () => {};

/** What to do when the session cannot be renewed (app.js sends the browser to the sign-in). */
export function whenSignedOut(handler) { onSignedOut = handler; }

/** Renews the access token; true when the session lives on. */
export function renew() {
  renewal ??= fetch("/api/auth/refresh", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: "{}" })
    .then((reply) => reply.ok, () => false)
    .finally(() => { renewal = null; });
  return renewal;
}

function send(method, path, body, contentType) {
  const headers = { Accept: "application/json" };
  let payload;
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    payload = body;
    headers["Content-Type"] = contentType || body.type || "application/octet-stream";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  return fetch(path, { method, headers, body: payload, credentials: "same-origin" });
}

/**
 * Calls the API. → the parsed JSON (null for 204). Throws ApiError with the API's own message.
 * options.renew: false for calls that must not renew the session (the sign-in itself); options.signIn: false for calls
 * that must not send the browser to the sign-in when the session is gone (app.js decides itself).
 */
export async function api(method, path, body, options = {}) {
  let reply = await send(method, path, body, options.contentType);
  if (reply.status === 401 && options.renew !== false) {
    if (await renew()) reply = await send(method, path, body, options.contentType);
    if (reply.status === 401) {
      if (options.signIn !== false) onSignedOut();
      throw await failure(reply);
    }
  }
  if (!reply.ok) throw await failure(reply, options.keepBody);
  if (reply.status === 204) return null;
  const type = reply.headers.get("Content-Type") || "";
  return type.includes("json") ? reply.json() : reply.blob();
}

async function failure(reply, keepBody) {
  let code = "http_" + reply.status;
  let message = reply.statusText || String(reply.status);
  let body = null;
  try {
    body = await reply.json();
    if (body?.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch { /* not JSON */ }
  const error = new ApiError(reply.status, code, message, Number(reply.headers.get("Retry-After")) || null);
  if (keepBody) error.body = body;
  return error;
}
