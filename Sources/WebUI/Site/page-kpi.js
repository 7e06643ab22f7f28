// KPI (supervisors): a month's ranking of an account's managers — a table and a score chart, the unassigned
// remainder and the account's totals — a recompute for leads while it is not computed, and one manager's breakdown
// (own and allocated figures, each article's part) when their row is chosen.
import { api } from "./api.js";
import { can } from "./app.js";
import { h, replace, svg, table, toast } from "./dom.js";
import { money, moscowMonth, moscowTime, monthName, number, t } from "./i18n.js";

const LEADS = ["ADMIN", "DIRECTOR", "HEAD_OF_SALES"];
const optional = (value, format) => (value === null || value === undefined ? "—" : format(value));
const percent = (value) => optional(value, (v) => `${number(v, 1)} %`);

export async function render(main, { query }) {
  const accounts = await api("GET", "/api/accounts");
  if (!accounts.length) {
    replace(main, h("h1", {}, t("nav.kpi")), h("p", {}, t("assign.noAccounts")));
    return;
  }
  const accountSelect = h("select", { id: "kpi-account" }, accounts.map((account) =>
    h("option", { value: account.id, selected: String(account.id) === query.get("account") }, account.name)));
  const month = h("input", { id: "kpi-month", type: "month", value: query.get("month") || moscowMonth(), required: true });
  const status = h("p", { role: "status", id: "kpi-status" });
  const chart = h("div", { id: "kpi-chart" });
  const ranking = h("div", { id: "kpi-ranking" });
  const detail = h("section", { id: "kpi-detail", "aria-live": "polite" });
  replace(main,
    h("h1", {}, t("nav.kpi")),
    h("form", { class: "row", onsubmit: (event) => { event.preventDefault(); load(); } },
      h("label", {}, t("kpi.account"), " ", accountSelect),
      h("label", {}, t("kpi.month"), " ", month),
      h("button", { type: "submit" }, t("kpi.show"))),
    status, chart, ranking, detail);

  async function load() {
    const account = accountSelect.value;
    const period = month.value;
    history.replaceState(null, "", `/kpi?account=${account}&month=${period}`);
    replace(chart);
    replace(ranking);
    replace(detail);
    status.textContent = "";
    let data;
    try {
      data = await api("GET", `/api/accounts/${account}/kpi/${period}`);
    } catch (error) {
      if (error.status !== 409) throw error;
      replace(ranking, h("p", { id: "kpi-pending" }, t("kpi.notComputed", { month: monthName(period) })),
        can(LEADS) ? h("button", { type: "button", id: "kpi-recompute", onclick: () => recompute(account, period) }, t("kpi.recompute")) : null);
      document.body.dataset.kpi = "pending";
      return;
    }
    status.textContent = t("kpi.computed", { time: moscowTime(data.computedAt) }) + (data.closed ? "" : " · " + t("kpi.monthToDate"));
    replace(chart, scoreChart(data.rows));
    const rows = data.rows.concat(data.unassigned ? [data.unassigned] : []);
    replace(ranking, table([
      [t("kpi.rank"), (row) => row.userId === 0 ? "—" : optional(row.rank, number), { num: true }],
      [t("kpi.manager"), (row) => row.userId === 0 ? h("em", {}, t("kpi.unassigned"))
        : h("button", { type: "button", class: "link", "aria-label": t("kpi.explainOne", { name: row.name }), onclick: () => explain(account, period, row) }, row.name)],
      [t("kpi.articles"), (row) => number(row.articles), { num: true }],
      [t("kpi.score"), (row) => optional(row.score, (v) => number(v, 2)), { num: true }],
      [t("kpi.orders"), (row) => number(row.total.orders, 1), { num: true }],
      [t("kpi.buyoutRate"), (row) => percent(row.buyoutRate), { num: true }],
      [t("kpi.revenue"), (row) => money(row.total.revenue), { num: true }],
      [t("kpi.logistics"), (row) => money(row.total.logistics), { num: true }],
      [t("kpi.margin"), (row) => optional(row.margin, money), { num: true }],
    ], rows, t("kpi.noManagers"), t("kpi.rankingOf", { month: monthName(period) })),
    data.totals ? h("p", { id: "kpi-totals" }, t("kpi.totals", { revenue: money(data.totals.revenue), orders: number(data.totals.orders, 1) })) : null);
    document.body.dataset.kpi = "ready";
  }

  /** Horizontal bars of the ranked managers' scores (0–100), drawn in SVG (no inline styles under the CSP). */
  function scoreChart(rows) {
    const ranked = rows.filter((row) => row.score !== null && row.score !== undefined);
    if (!ranked.length) return null;
    const bar = 22;
    const width = 600;
    const labels = 180;
    return svg("svg", { viewBox: `0 0 ${width} ${ranked.length * bar + 4}`, class: "bars", role: "img", "aria-label": t("kpi.chart") },
      ranked.map((row, index) => svg("g", {},
        svg("text", { x: 0, y: index * bar + 15, class: "chart-label" }, `${row.rank}. ${row.name}`),
        svg("rect", { x: labels, y: index * bar + 3, height: bar - 6, width: Math.max(1, (width - labels - 60) * row.score / 100), class: "chart-bar" }),
        svg("text", { x: labels + (width - labels - 60) * row.score / 100 + 6, y: index * bar + 15, class: "chart-label" }, number(row.score, 1)))));
  }

  async function explain(account, period, row) {
    const data = await api("GET", `/api/accounts/${account}/kpi/${period}/users/${row.userId}`);
    const figures = ["orders", "ordersSum", "cancellations", "buyouts", "returns", "revenue", "commission", "logistics", "storage", "penalties", "deductions", "acceptance", "costOfGoods"];
    const count = (name) => ["orders", "cancellations", "buyouts", "returns"].includes(name);
    const show = (name, value) => count(name) ? number(value, 1) : money(value);
    replace(detail,
      h("h2", { id: "kpi-detail-title" }, t("kpi.breakdownOf", { name: data.row.name, month: monthName(period) })),
      h("p", { class: "muted" }, t("kpi.allocation", { share: percent(data.row.revenueShare * 100) })),
      table([
        [t("kpi.figure"), (name) => t("kpi.f." + name)],
        [t("kpi.own"), (name) => show(name, data.row.direct[name]), { num: true }],
        [t("kpi.allocated"), (name) => show(name, data.row.allocated[name]), { num: true }],
        [t("kpi.total"), (name) => show(name, data.row.total[name]), { num: true }],
      ], figures, "", t("kpi.breakdownOf", { name: data.row.name, month: monthName(period) })),
      h("h3", {}, t("kpi.byArticle")),
      table([
        ["nmId", (article) => String(article.nmId)],
        [t("kpi.holders"), (article) => number(article.holders), { num: true }],
        [t("kpi.orders"), (article) => number(article.figures.orders, 1), { num: true }],
        [t("kpi.revenue"), (article) => money(article.figures.revenue), { num: true }],
        [t("kpi.logistics"), (article) => money(article.figures.logistics), { num: true }],
        [t("kpi.costPrice"), (article) => optional(article.costPrice, money), { num: true }],
      ], data.articles, t("kpi.noArticles"), t("kpi.byArticle")));
    document.getElementById("kpi-detail-title").focus?.();
    document.body.dataset.kpiDetail = String(row.userId);
  }

  async function recompute(account, period) {
    await api("POST", `/api/accounts/${account}/kpi/${period}/recompute`);
    toast(t("kpi.recomputeQueued"));
    // The workers compute it within seconds; look again until it is there (at most a minute).
    for (let attempt = 0; attempt < 30 && document.body.dataset.kpi === "pending"; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      if (accountSelect.value !== account || month.value !== period) return;
      await load();
    }
  }

  await load();
}
