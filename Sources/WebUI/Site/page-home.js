// The start page: a manager's articles this month and the way into the filtered portal; for everyone else the
// sections their roles open.
import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { monthName, moscowMonth, number, t } from "./i18n.js";

const sections = [
  ["/fleet", "nav.fleet", "home.fleet", ["ADMIN", "OPS"]],
  ["/backups", "nav.backups", "home.backups", ["ADMIN", "OPS"]],
  ["/assignments", "nav.assignments", "home.assignments", ["ADMIN", "DIRECTOR", "HEAD_OF_SALES", "ANALYST"]],
  ["/users", "nav.users", "home.users", ["ADMIN", "DIRECTOR", "HEAD_OF_SALES", "SUPPORT"]],
  ["/accounts", "nav.accounts", "home.accounts", ["ADMIN", "DIRECTOR", "HEAD_OF_SALES", "ANALYST", "ACCOUNTANT", "OPS"]],
];

export async function render(main, { user, can }) {
  const parts = [h("h1", {}, t("home.hello", { name: user.name || user.login }))];
  if (user.roles.includes("MANAGER")) parts.push(await managerCard(user));
  const open = sections.filter(([, , , roles]) => can(roles));
  if (open.length) {
    parts.push(h("div", { class: "grid" }, open.map(([path, title, text]) =>
      h("div", { class: "stat" }, h("h2", {}, h("a", { href: path, "data-link": true }, t(title))), h("p", { class: "muted" }, t(text))))));
  }
  if (!open.length && !user.roles.includes("MANAGER")) parts.push(h("p", {}, t("home.nothing")));
  replace(main, ...parts);
}

async function managerCard(user) {
  const portal = document.body.dataset.portal;
  const card = h("section", { class: "card", "aria-labelledby": "my-articles" }, h("h2", { id: "my-articles" }, t("home.myArticles", { month: monthName(moscowMonth()) })));
  if (!user.accountId) {
    card.append(h("p", {}, t("home.noAccount")));
    return card;
  }
  try {
    const mine = await api("GET", `/api/accounts/${user.accountId}/assignments/${moscowMonth()}/users/${user.id}`);
    card.append(
      h("p", {}, t("home.articleCount", { count: number(mine.nmIds.length) })),
      mine.nmIds.length
        ? h("ul", { id: "articles", class: "articles" }, mine.nmIds.map((id) => h("li", {}, String(id))))
        : h("p", { class: "muted" }, t("home.noArticles")));
  } catch (error) {
    card.append(h("p", { class: "error", role: "alert" }, error.message));
  }
  card.append(h("p", {}, h("a", { class: "button", id: "portal-link", href: portal, rel: "noopener" }, t("home.openPortal"))));
  return card;
}
