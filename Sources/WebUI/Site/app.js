// The web UI's router and frame: who is signed in, the navigation their roles allow, the theme and language
// switches, and the page the path names (each page is a module loaded when first shown).
import { api, whenSignedOut } from "./api.js";
import { h, replace, toast } from "./dom.js";
import { t, language, setLanguage } from "./i18n.js";

const QUEUE_READERS = ["ADMIN", "OPS"];
const USER_READERS = ["ADMIN", "DIRECTOR", "HEAD_OF_SALES", "SUPPORT"];
const ACCOUNT_READERS = ["ADMIN", "DIRECTOR", "HEAD_OF_SALES", "ANALYST", "ACCOUNTANT", "OPS"];
const ASSIGNMENT_SUPERVISORS = ["ADMIN", "DIRECTOR", "HEAD_OF_SALES", "ANALYST"];
const KPI_SUPERVISORS = ["ADMIN", "DIRECTOR", "HEAD_OF_SALES", "ANALYST", "ACCOUNTANT"];

/** Every page: its path (`:name` matches one segment), module, the roles that may open it, whether it is in the menu. */
const routes = [
  { path: "/", module: "page-home.js", title: "nav.home", nav: true },
  { path: "/sign-in", module: "page-signin.js", title: "signIn.title", open: true },
  { path: "/fleet", module: "page-fleet.js", title: "nav.fleet", roles: QUEUE_READERS, nav: true },
  { path: "/fleet/dead", module: "page-dead.js", title: "nav.dead", roles: QUEUE_READERS, nav: true },
  { path: "/fleet/jobs/:id", module: "page-job.js", title: "job.title", roles: QUEUE_READERS },
  { path: "/backups", module: "page-backups.js", title: "nav.backups", roles: QUEUE_READERS, nav: true },
  { path: "/assignments", module: "page-assignments.js", title: "nav.assignments", roles: ASSIGNMENT_SUPERVISORS, nav: true },
  { path: "/kpi", module: "page-kpi.js", title: "nav.kpi", roles: KPI_SUPERVISORS, nav: true },
  { path: "/users", module: "page-users.js", title: "nav.users", roles: USER_READERS, nav: true },
  { path: "/accounts", module: "page-accounts.js", title: "nav.accounts", roles: ACCOUNT_READERS, nav: true },
  { path: "/profile", module: "page-profile.js", title: "nav.profile" },
];

const state = { user: null, cleanup: null, shown: 0 };

/** Whether the signed-in user holds one of `roles` (no list: anyone signed in). */
export function can(roles) {
  return !roles || (state.user?.roles || []).some((role) => roles.includes(role));
}

/** Goes to `path` without reloading (history entry added unless `replaceEntry`). */
export function navigate(path, replaceEntry = false) {
  if (replaceEntry) history.replaceState(null, "", path); else history.pushState(null, "", path);
  show();
}

/** The signed-in user (after sign-in or a profile change). */
export function setUser(user) {
  state.user = user;
}

export function currentUser() { return state.user; }

function match(pathname) {
  for (const route of routes) {
    const want = route.path.split("/");
    const got = pathname.split("/");
    if (want.length !== got.length) continue;
    const params = {};
    if (want.every((part, index) => (part.startsWith(":") ? (params[part.slice(1)] = decodeURIComponent(got[index]), true) : part === got[index]))) {
      return { route, params };
    }
  }
  return null;
}

function setCookie(name, value) {
  document.cookie = `${name}=${encodeURIComponent(value)}; path=/; max-age=31536000; samesite=lax`;
}

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  setCookie("joycity_theme", theme);
}

function header(active) {
  const top = document.getElementById("top");
  const user = state.user;
  const links = user
    ? routes.filter((route) => route.nav && can(route.roles)).map((route) =>
      h("li", {}, h("a", { href: route.path, "aria-current": route === active ? "page" : null, "data-link": true }, t(route.title))))
    : [];
  const theme = h("select", { id: "theme", "aria-label": t("theme.label"), onchange: (event) => applyTheme(event.target.value) },
    ["system", "light", "dark"].map((value) => h("option", { value, selected: (document.documentElement.dataset.theme || "system") === value }, t("theme." + value))));
  const other = language() === "ru" ? "en" : "ru";
  replace(top,
    h("a", { class: "skip", href: "#main" }, t("skip")),
    h("a", { class: "brand", href: "/", "data-link": true }, "JoyCity Fleet"),
    user ? h("nav", { "aria-label": t("nav.label") }, h("ul", {}, links)) : null,
    h("div", { class: "tools" },
      theme,
      h("button", { type: "button", class: "secondary", id: "language", lang: other, onclick: () => { setLanguage(other); setCookie("joycity_lang", other); show(); } },
        other === "ru" ? "Русский" : "English"),
      user ? h("a", { href: "/profile", "data-link": true, id: "me" }, user.name || user.login) : null,
      user ? h("button", { type: "button", class: "secondary", id: "sign-out", onclick: signOut }, t("signOut")) : null));
}

async function signOut() {
  try { await api("POST", "/api/auth/logout"); } catch { /* the session may already be gone */ }
  state.user = null;
  navigate("/sign-in", true);
  toast(t("signedOut"));
}

/** Renders the page of the current path. */
export async function show() {
  state.cleanup?.();
  state.cleanup = null;
  const main = document.getElementById("main");
  const found = match(location.pathname);
  const shown = ++state.shown;
  if (!found) {
    header(null);
    replace(main, h("h1", {}, t("notFound.title")), h("p", {}, t("notFound.text")), h("a", { href: "/", "data-link": true }, t("nav.home")));
    return;
  }
  if (!found.route.open && !state.user) {
    try {
      state.user = await api("GET", "/api/auth/me", undefined, { signIn: false });
    } catch (error) {
      if (error.status === 401) {
        navigate("/sign-in?next=" + encodeURIComponent(location.pathname + location.search), true);
        return;
      }
      header(null);
      replace(main, h("h1", {}, t("error.title")), h("p", { class: "error", role: "alert" }, error.message));
      return;
    }
  }
  if (shown !== state.shown) return;
  header(found.route);
  document.title = t(found.route.title) + " · JoyCity Fleet";
  if (!can(found.route.roles)) {
    replace(main, h("h1", {}, t("forbidden.title")), h("p", {}, t("forbidden.text")), h("a", { href: "/", "data-link": true }, t("nav.home")));
    document.body.dataset.page = "forbidden";
    return;
  }
  const page = await import("./" + found.route.module);
  if (shown !== state.shown) return;
  replace(main);
  const context = { params: found.params, query: new URLSearchParams(location.search), user: state.user, can, navigate };
  try {
    state.cleanup = (await page.render(main, context)) || null;
  } catch (error) {
    replace(main, h("h1", {}, t(found.route.title)), h("p", { class: "error", role: "alert" }, error.message));
  }
  if (shown > 1) main.focus();
  document.body.dataset.page = found.route.path;
  performance.mark("page-ready " + found.route.path);
}

whenSignedOut(() => {
  state.user = null;
  if (location.pathname !== "/sign-in") navigate("/sign-in?next=" + encodeURIComponent(location.pathname + location.search), true);
});

document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[data-link]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
});
window.addEventListener("popstate", show);
show();
