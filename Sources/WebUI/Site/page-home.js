// The start page: a manager's articles and KPIs this month and the way into the filtered portal; for everyone else the
// sections their roles open.
import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { money, monthName, moscowMonth, moscowTime, number, t } from "./i18n.js";

const sections = [
  ["/fleet", "nav.fleet", "home.fleet", ["ADMIN", "OPS"]],
  ["/backups", "nav.backups", "home.backups", ["ADMIN", "OPS"]],
  ["/assignments", "nav.assignments", "home.assignments", ["ADMIN", "DIRECTOR", "HEAD_OF_SALES", "ANALYST"]],
  ["/users", "nav.users", "home.users", ["ADMIN", "DIRECTOR", "HEAD_OF_SALES", "SUPPORT"]],
  ["/accounts", "nav.accounts", "home.accounts", ["ADMIN", "DIRECTOR", "HEAD_OF_SALES", "ANALYST", "ACCOUNTANT", "OPS"]],
];

export async function render(main, { user, can }) {
  const parts = [h("h1", {}, t("home.hello", { name: user.name || user.login }))];
  if (user.roles.includes("MANAGER")) {
    parts.push(await managerCard(user));
    if (user.accountId) parts.push(await kpiCard(user));
  }
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

/** The manager's own KPIs this month: rank among the ranked, score, the main figures, targets. */
async function kpiCard(user) {
  const month = moscowMonth();
  const card = h("section", { class: "card", "aria-labelledby": "my-kpi" }, h("h2", { id: "my-kpi" }, t("home.myKpi", { month: monthName(month) })));
  try {
    const ranking = await api("GET", `/api/accounts/${user.accountId}/kpi/${month}`);
    const row = ranking.rows[0];
    if (!row) {
      card.append(h("p", { class: "muted" }, t("home.kpiNone")));
      return card;
    }
    const optional = (value, format) => (value === null || value === undefined ? "—" : format(value));
    const facts = [
      ["kpi.rank", row.rank ? t("kpi.rankOf", { rank: number(row.rank), of: number(ranking.ranked) }) : t("kpi.unranked")],
      ["kpi.score", optional(row.score, (v) => number(v, 2))],
      ["kpi.orders", number(row.total.orders, 1)],
      ["kpi.ordersSum", money(row.total.ordersSum)],
      ["kpi.buyoutRate", optional(row.buyoutRate, (v) => `${number(v, 1)} %`)],
      ["kpi.revenue", money(row.total.revenue)],
      ["kpi.logistics", money(row.total.logistics)],
      ["kpi.margin", optional(row.margin, money)],
    ];
    card.append(h("dl", { id: "kpi", class: "facts" }, facts.flatMap(([key, value]) => [h("dt", {}, t(key)), h("dd", {}, value)])));
    for (const target of row.targets || []) {
      card.append(h("p", {}, t("kpi.target", { metric: target.metric, target: number(target.target, 2), attainment: optional(target.attainment, (v) => number(v, 1)) })));
    }
    card.append(h("p", { class: "muted" }, t("kpi.computed", { time: moscowTime(ranking.computedAt) })));
  } catch (error) {
    if (error.status === 409) card.append(h("p", { class: "muted", id: "kpi-pending" }, t("kpi.notYet")));
    else card.append(h("p", { class: "error", role: "alert" }, error.message));
  }
  return card;
}
