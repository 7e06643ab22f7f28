// Seller accounts: token status and expiry, sync state and last error, the portal session the proxy edge uses;
// admins add accounts (the API checks the WB token and, when given, the portal cookies before storing anything),
// sync one now, turn its syncing off or on, set its interval, and replace its WB token or portal cookies (checked by
// the API before anything is stored, as when the account is added).
import { api } from "./api.js";
import { can } from "./app.js";
import { h, replace, table, toast } from "./dom.js";
import { duration, moscowTime, t } from "./i18n.js";

export async function render(main) {
  const admin = can(["ADMIN"]);
  const list = h("div", { id: "account-list" });
  const message = h("p", { role: "status", id: "accounts-message" });
  async function load() {
    const accounts = await api("GET", "/api/accounts");
    replace(list, table([
      [t("accounts.name"), (account) => account.name],
      [t("accounts.inn"), (account) => account.inn],
      [t("accounts.token"), (account) => h("span", { class: "badge " + (account.tokenStatus === "ok" ? "ok" : account.tokenStatus === "invalid" ? "error" : "warn") },
        t("accounts.tokenStatus." + account.tokenStatus))],
      [t("accounts.tokenExpires"), (account) => moscowTime(account.tokenExpiresAt)],
      [t("accounts.sync"), (account) => account.syncEnabled ? (account.lastSyncState || t("accounts.never")) : t("accounts.syncOff")],
      [t("accounts.lastSync"), (account) => moscowTime(account.lastSyncAt)],
      [t("accounts.interval"), (account) => account.syncIntervalSeconds ? duration(account.syncIntervalSeconds) : "—", { num: true }],
      [t("accounts.portal"), (account) => t("accounts.portalState." + (account.portalSession?.state || "none"))],
      [t("dead.error"), (account) => account.lastSyncError || account.tokenError || account.portalSession?.reason || ""],
      ...(admin ? [[t("fleet.actions"), (account) => actions(account)]] : []),
    ], accounts, t("accounts.none"), t("nav.accounts")));
  }
  // Sync now, sync on/off and the interval (ADMIN; the API refuses everyone else anyway).
  const run = (call, done) => async () => {
    try {
      const result = await call();
      message.textContent = typeof done === "function" ? done(result) : done;
      await load();
    } catch (error) {
      message.textContent = error.message;
    }
  };
  function actions(account) {
    const name = account.name;
    return h("div", { class: "row" },
      h("button", { type: "button", id: `sync-${account.id}`, "aria-label": t("accounts.syncNowOne", { name }),
        onclick: run(() => api("POST", `/api/accounts/${account.id}/sync`), (result) =>
          t(result.jobs.every((job) => job.alreadyQueued) ? "accounts.syncAlready" : "accounts.syncQueued", { name })) }, t("accounts.syncNow")),
      h("button", { type: "button", class: "secondary", id: `sync-toggle-${account.id}`,
        "aria-label": t(account.syncEnabled ? "accounts.turnOffOne" : "accounts.turnOnOne", { name }),
        onclick: run(() => api("PATCH", `/api/accounts/${account.id}`, { syncEnabled: !account.syncEnabled }),
          t(account.syncEnabled ? "accounts.offDone" : "accounts.onDone", { name })) }, t(account.syncEnabled ? "accounts.turnOff" : "accounts.turnOn")),
      h("button", { type: "button", class: "secondary", id: `interval-${account.id}`, "aria-label": t("accounts.intervalOne", { name }), onclick: async () => {
        const answer = prompt(t("accounts.intervalPrompt", { name }), account.syncIntervalSeconds ? String(Math.round(account.syncIntervalSeconds / 60)) : "");
        if (answer === null) return;
        const text = answer.trim();
        const minutes = Number(text);
        if (text !== "" && !(Number.isInteger(minutes) && minutes >= 1 && minutes <= 10080)) { message.textContent = t("accounts.intervalBad"); return; }
        const seconds = text === "" ? null : minutes * 60;
        await run(() => api("PATCH", `/api/accounts/${account.id}`, { syncIntervalSeconds: seconds }),
          seconds === null ? t("accounts.intervalDefault", { name }) : t("accounts.intervalDone", { name, interval: duration(seconds) }))();
      } }, t("accounts.intervalEdit")),
      h("button", { type: "button", class: "secondary", id: `credentials-${account.id}`, "aria-label": t("accounts.replaceOne", { name }),
        onclick: () => credentialsDialog(account, load) }, t("accounts.replace")));
  }
  const parts = [h("h1", {}, t("nav.accounts")), message, list];
  if (admin) parts.push(createForm(message, load));
  replace(main, ...parts);
  await load();
  document.body.dataset.accounts = "ready";
}

function createForm(message, reload) {
  const field = (id, label, attributes) => h("label", { for: id }, label, h(attributes.rows ? "textarea" : "input", { id, name: id, ...attributes }));
  const source = h("select", { id: "account-source", name: "account-source" },
    h("option", { value: "statistics" }, t("accounts.source.statistics")), h("option", { value: "finance" }, t("accounts.source.finance")));
  const form = h("form", { class: "stack", id: "create-account", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { name: data.get("account-name"), inn: data.get("account-inn"), token: data.get("account-token"), reportSource: data.get("account-source") };
    const cookies = String(data.get("account-cookies") || "").trim();
    if (cookies) body.portalCredentials = { cookies };
    message.textContent = t("accounts.checking");
    try {
      await api("POST", "/api/accounts", body);
      message.textContent = t("accounts.created", { name: body.name });
      form.reset();
      await reload();
    } catch (error) {
      message.textContent = error.message;
    }
  } },
    field("account-name", t("accounts.name"), { required: true, maxlength: 200 }),
    field("account-inn", t("accounts.inn"), { required: true, pattern: "[0-9]{10}|[0-9]{12}", inputmode: "numeric" }),
    field("account-token", t("accounts.apiToken"), { required: true, autocomplete: "new-password", type: "password" }),
    h("label", { for: "account-source" }, t("accounts.reportSource"), source),
    field("account-cookies", t("accounts.cookies"), { rows: 3, autocomplete: "off" }),
    h("button", { type: "submit" }, t("accounts.create")));
  return h("section", { class: "card", "aria-labelledby": "account-create-title" }, h("h2", { id: "account-create-title" }, t("accounts.createTitle")), form);
}

/** A modal dialog to replace an account's WB API token and/or its portal cookies. Each goes to the API, which checks
 * it with WB before storing (a token WB refuses, or cookies WB does not accept, change nothing). */
function credentialsDialog(account, reload) {
  document.getElementById("credentials-edit")?.remove();
  const problem = h("p", { role: "alert", id: "credentials-problem" });
  const dialog = h("dialog", { id: "credentials-edit", "aria-labelledby": "credentials-title" });
  const close = () => { dialog.close(); dialog.remove(); };
  const form = h("form", { class: "stack", method: "dialog", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const token = String(data.get("new-token") || "").trim();
    const cookies = String(data.get("new-cookies") || "").trim();
    if (!token && !cookies) { problem.textContent = t("accounts.replaceNothing"); return; }
    problem.textContent = t("accounts.checking");
    try {
      if (token) await api("PATCH", `/api/accounts/${account.id}`, { token });
      if (cookies) await api("PUT", `/api/accounts/${account.id}/portal-credentials`, { cookies });
      close();
      toast(t("accounts.replaced", { name: account.name }));
      await reload();
    } catch (error) {
      problem.textContent = error.message;
      await reload();
    }
  } },
    h("label", { for: "new-token" }, t("accounts.apiToken"), h("input", { id: "new-token", name: "new-token", type: "password", autocomplete: "new-password" })),
    h("label", { for: "new-cookies" }, t("accounts.cookies"), h("textarea", { id: "new-cookies", name: "new-cookies", rows: 3, autocomplete: "off" })),
    h("p", { class: "muted" }, t("accounts.replaceHelp")),
    problem,
    h("div", { class: "row" },
      h("button", { type: "submit", id: "credentials-save" }, t("accounts.replaceSave")),
      h("button", { type: "button", class: "secondary", onclick: close }, t("users.cancel"))));
  dialog.append(h("h2", { id: "credentials-title" }, t("accounts.replaceTitle", { name: account.name })), form);
  document.body.append(dialog);
  dialog.showModal();
}
