// Assignments: the month's table of an account (every manager with their articles), edit one manager's set, an
// Excel/CSV import whose dry run shows every row's problem before anything applies, export, the template, copying
// the month before, and the audit of changes.
import { api } from "./api.js";
import { can } from "./app.js";
import { h, replace, table, toast } from "./dom.js";
import { language, moscowMonth, moscowTime, number, t } from "./i18n.js";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

export async function render(main, { query }) {
  const leads = can(["ADMIN", "HEAD_OF_SALES"]);
  const accounts = await api("GET", "/api/accounts");
  const accountSelect = h("select", { id: "assign-account" }, accounts.map((account) =>
    h("option", { value: account.id, selected: String(account.id) === query.get("account") }, account.name)));
  const month = h("input", { id: "assign-month", type: "month", value: query.get("month") || moscowMonth(), required: true });
  const links = h("div", { class: "row", id: "assign-links" });
  const tableBox = h("div", { id: "assign-table" });
  const auditBox = h("div", { id: "assign-audit" });
  const message = h("p", { role: "status", id: "assign-message" });

  if (!accounts.length) {
    replace(main, h("h1", {}, t("nav.assignments")), h("p", {}, t("assign.noAccounts")));
    return;
  }

  async function load() {
    const account = accountSelect.value;
    const period = month.value;
    history.replaceState(null, "", `/assignments?account=${account}&month=${period}`);
    replace(links,
      h("a", { class: "button", href: `/api/accounts/${account}/assignments/${period}/export?lang=${language()}`, download: "" }, t("assign.export")),
      leads ? h("a", { class: "button", href: `/api/assignments/template?lang=${language()}`, download: "" }, t("assign.template")) : null,
      leads ? h("button", { type: "button", class: "secondary", id: "assign-copy", onclick: copy }, t("assign.copy")) : null);
    const month_ = await api("GET", `/api/accounts/${account}/assignments/${period}`);
    const columns = [
      [t("users.name"), (row) => row.name],
      [t("users.login"), (row) => row.login],
      [t("assign.count"), (row) => number(row.count), { num: true }],
      [t("assign.articles"), (row) => row.nmIds.length > 40 ? row.nmIds.slice(0, 40).join(", ") + " …" : row.nmIds.join(", ")],
    ];
    if (leads) columns.push([t("fleet.actions"), (row) => h("button", { type: "button", class: "secondary", "aria-label": t("assign.editOne", { login: row.login }), onclick: () => edit(row) }, t("assign.edit"))]);
    replace(tableBox, h("p", {}, t("assign.total", { count: number(month_.total) })), table(columns, month_.users, t("assign.empty"), t("nav.assignments")));
    const audit = await api("GET", `/api/assignments/audit?account=${account}&month=${period}&limit=20`);
    replace(auditBox, table([
      [t("assign.at"), (entry) => moscowTime(entry.at)],
      [t("assign.actor"), (entry) => entry.actor],
      [t("users.login"), (entry) => entry.userLogin || "—"],
      [t("assign.added"), (entry) => entry.added.join(", ") || "—"],
      [t("assign.removed"), (entry) => entry.removed.join(", ") || "—"],
      [t("assign.source"), (entry) => entry.source],
      [t("assign.comment"), (entry) => entry.comment || ""],
    ], audit, t("assign.noAudit"), t("assign.audit")));
    document.body.dataset.assignments = "ready";
  }

  function edit(row) {
    const box = h("textarea", { id: "edit-nmids", rows: 4, "aria-describedby": "edit-help" }, row.nmIds.join(", "));
    const comment = h("input", { id: "edit-comment", maxlength: 500 });
    const problems = h("p", { class: "error", role: "alert" });
    const dialog = h("section", { class: "card", id: "assign-editor", "aria-labelledby": "edit-title" },
      h("h2", { id: "edit-title" }, t("assign.editTitle", { name: row.name })),
      h("label", { for: "edit-nmids" }, t("assign.articles"), box),
      h("p", { id: "edit-help", class: "muted" }, t("assign.editHelp")),
      h("label", { for: "edit-comment" }, t("assign.comment"), comment),
      problems,
      h("div", { class: "row" },
        h("button", { type: "button", onclick: async () => {
          const ids = box.value.split(/[\s,;]+/).filter(Boolean).map(Number);
          if (ids.some((id) => !Number.isSafeInteger(id) || id <= 0)) { problems.textContent = t("assign.badIds"); return; }
          try {
            await api("PUT", `/api/accounts/${accountSelect.value}/assignments/${month.value}/users/${row.userId}`, { nmIds: ids, comment: comment.value || null });
            toast(t("assign.saved", { login: row.login }));
            dialog.remove();
            await load();
          } catch (error) { problems.textContent = error.message; }
        } }, t("assign.save")),
        h("button", { type: "button", class: "secondary", onclick: () => dialog.remove() }, t("assign.cancel"))));
    document.getElementById("assign-editor")?.remove();
    tableBox.after(dialog);
    box.focus();
  }

  async function copy() {
    if (!confirm(t("assign.confirmCopy", { from: previousMonth(month.value), to: month.value }))) return;
    try {
      const result = await api("POST", `/api/accounts/${accountSelect.value}/assignments/${month.value}/copy`, {});
      toast(t("assign.copied", { count: number(result.changes.length) }));
      await load();
    } catch (error) { toast(error.message); }
  }

  const parts = [
    h("h1", {}, t("nav.assignments")),
    h("form", { class: "row", onsubmit: (event) => { event.preventDefault(); load().catch((error) => { message.textContent = error.message; }); } },
      h("label", { for: "assign-account" }, t("users.account"), accountSelect),
      h("label", { for: "assign-month" }, t("assign.month"), month),
      h("button", { type: "submit" }, t("assign.show"))),
    links, message, tableBox,
  ];
  if (leads) parts.push(importSection(load));
  parts.push(h("h2", {}, t("assign.audit")), auditBox);
  replace(main, ...parts);
  accountSelect.addEventListener("change", () => load().catch((error) => { message.textContent = error.message; }));
  await load();
}

function previousMonth(value) {
  const [year, month] = value.split("-").map(Number);
  const date = new Date(Date.UTC(year, month - 2, 1));
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, "0")}`;
}

function importSection(reload) {
  const file = h("input", { id: "import-file", type: "file", accept: ".xlsx,.csv," + XLSX + ",text/csv" });
  const report = h("div", { id: "import-report", "aria-live": "polite" });
  const apply = h("button", { type: "button", id: "import-apply", disabled: true }, t("assign.apply"));
  const check = h("button", { type: "button", id: "import-check" }, t("assign.check"));

  async function send(dryRun) {
    const chosen = file.files[0];
    if (!chosen) { replace(report, h("p", { class: "error" }, t("assign.chooseFile"))); return; }
    const type = chosen.name.toLowerCase().endsWith(".csv") ? "text/csv" : XLSX;
    replace(report, h("p", {}, t(dryRun ? "assign.checking" : "assign.applying")));
    try {
      const result = await api("POST", `/api/assignments/import?dryRun=${dryRun}`, chosen, { contentType: type, keepBody: true });
      show(result, dryRun);
    } catch (error) {
      if (error.body?.report) show(error.body.report, dryRun, error.message);
      else replace(report, h("p", { class: "error", role: "alert" }, error.message));
    }
  }

  function show(result, dryRun, failure) {
    const problems = result.problems || [];
    apply.disabled = !dryRun || problems.length > 0;
    replace(report,
      failure ? h("p", { class: "error", role: "alert" }, failure) : null,
      h("p", { id: "import-summary" }, t(result.applied ? "assign.appliedSummary" : "assign.drySummary",
        { rows: number(result.rows), added: number(result.added), removed: number(result.removed), unchanged: number(result.unchanged), problems: number(problems.length) })),
      problems.length
        ? table([
          [t("assign.row"), (problem) => number(problem.row), { num: true }],
          [t("assign.column"), (problem) => problem.column || "—"],
          [t("assign.problem"), (problem) => problem.message],
        ], problems, "", t("assign.problems"))
        : h("p", { class: "ok" }, t(result.applied ? "assign.appliedOk" : "assign.noProblems")));
    if (result.applied) reload();
  }

  check.addEventListener("click", () => send(true));
  apply.addEventListener("click", () => send(false));
  file.addEventListener("change", () => { apply.disabled = true; replace(report); });
  return h("section", { class: "card", "aria-labelledby": "import-title" },
    h("h2", { id: "import-title" }, t("assign.importTitle")),
    h("p", { class: "muted" }, t("assign.importHelp")),
    h("label", { for: "import-file" }, t("assign.file"), file),
    h("div", { class: "row" }, check, apply),
    report);
}
