// Sign-in: the API's answers in the user's language (wrong password, too many attempts with the wait), then back
// to where the user was going — a page of this site, or the portal of the proxy edge (an allowed origin only).
import { api } from "./api.js";
import { navigate, setUser } from "./app.js";
import { h, replace } from "./dom.js";
import { t } from "./i18n.js";

/** Where a sign-in may return: a path of this site, or an http(s) URL on an allowed origin. Anything else → "/". */
export function safeNext(next) {
  if (!next) return { path: "/" };
  if (next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\")) return { path: next };
  let url;
  try { url = new URL(next); } catch { return { path: "/" }; }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { path: "/" };
  const allowed = (document.body.dataset.returnOrigins || "").split(" ").filter(Boolean);
  const ok = allowed.some((origin) => {
    const star = origin.indexOf("://*.");
    if (star < 0) return origin === url.origin;
    return url.protocol === origin.slice(0, star + 1) && url.host.endsWith(origin.slice(star + 4)) && url.host.length > origin.length - star - 4;
  });
  return ok ? { url: url.href } : { path: "/" };
}

export function render(main, { query }) {
  const message = h("p", { id: "sign-in-error", class: "error", role: "alert" });
  const login = h("input", { id: "login", name: "login", autocomplete: "username", required: true, maxlength: 254 });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true, maxlength: 1024 });
  const submit = h("button", { type: "submit", id: "sign-in" }, t("signIn.submit"));
  const form = h("form", { class: "stack", "aria-describedby": "sign-in-error", onsubmit: async (event) => {
    event.preventDefault();
    message.textContent = "";
    submit.disabled = true;
    try {
      const reply = await api("POST", "/api/auth/login", { login: login.value, password: password.value }, { renew: false, signIn: false });
      setUser(reply.user);
      const next = safeNext(query.get("next"));
      if (next.url) location.assign(next.url); else navigate(next.path, true);
    } catch (error) {
      message.textContent = error.status === 401 ? t("signIn.wrong")
        : error.status === 429 ? t("signIn.limited", { seconds: error.retryAfter || 60 })
        : error.status === 0 || error instanceof TypeError ? t("error.network") : error.message;
      password.select();
    } finally {
      submit.disabled = false;
    }
  } },
    h("label", { for: "login" }, t("signIn.login"), login),
    h("label", { for: "password" }, t("signIn.password"), password),
    submit,
    message);
  replace(main, h("div", { class: "signin card" }, h("h1", {}, t("signIn.title")), h("p", { class: "muted" }, t("signIn.hint")), form));
  login.focus();
}
