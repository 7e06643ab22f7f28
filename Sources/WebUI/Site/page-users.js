// Users: the list (roles, seller account, disabled); admins create users, change roles, disable or enable them,
// reset passwords, sign them out everywhere and delete them. ADMIN itself is granted only from the CLI.
import { api } from "./api.js";
import { can } from "./app.js";
import { h, replace, table, toast } from "./dom.js";
import { t } from "./i18n.js";

const ROLES = ["DIRECTOR", "HEAD_OF_SALES", "MANAGER", "LOGISTICIAN", "ANALYST", "ACCOUNTANT", "CONTENT_MANAGER", "SUPPORT", "SWAGGER", "OPS"];

export async function render(main) {
  const admin = can(["ADMIN"]);
  const list = h("div", { id: "user-list" });
  const message = h("p", { role: "status", id: "users-message" });
  let accounts = [];
  try { accounts = await api("GET", "/api/accounts"); } catch { accounts = []; }
  const accountName = (id) => accounts.find((account) => account.id === id)?.name ?? (id ? `#${id}` : "—");

  async function load() {
    const users = await api("GET", "/api/users");
    const columns = [
      [t("users.login"), (user) => user.login],
      [t("users.name"), (user) => user.name],
      [t("users.email"), (user) => user.email || "—"],
      [t("users.roles"), (user) => user.roles.map((role) => t("role." + role)).join(", ")],
      [t("users.account"), (user) => accountName(user.accountId)],
      [t("fleet.state"), (user) => h("span", { class: user.disabled ? "badge warn" : "badge ok" }, t(user.disabled ? "users.disabled" : "users.enabled"))],
    ];
    if (admin) columns.push([t("fleet.actions"), (user) => user.roles.includes("ADMIN") ? h("span", { class: "muted" }, t("users.cliOnly")) : actions(user)]);
    replace(list, table(columns, users, t("users.none"), t("nav.users")));
  }

  function actions(user) {
    const run = (work, done) => async () => {
      try { await work(); toast(done); } catch (error) { toast(error.message); }
      await load();
    };
    return h("div", { class: "row" },
      h("button", { type: "button", id: `edit-${user.id}`, "aria-label": t("users.editOne", { login: user.login }),
        onclick: () => editDialog(user, accounts, load) }, t("users.edit")),
      h("button", { type: "button", class: "secondary", "aria-label": t(user.disabled ? "users.enableOne" : "users.disableOne", { login: user.login }),
        onclick: run(() => api("PATCH", `/api/users/${user.id}`, { disabled: !user.disabled }), t(user.disabled ? "users.enabledDone" : "users.disabledDone", { login: user.login })) },
        t(user.disabled ? "users.enable" : "users.disable")),
      h("button", { type: "button", class: "secondary", "aria-label": t("users.resetOne", { login: user.login }), onclick: async () => {
        const password = prompt(t("users.newPassword", { login: user.login }));
        if (password) await run(() => api("POST", `/api/users/${user.id}/password`, { newPassword: password }), t("users.resetDone", { login: user.login }))();
      } }, t("users.reset")),
      h("button", { type: "button", class: "secondary", "aria-label": t("users.revokeOne", { login: user.login }),
        onclick: run(() => api("POST", `/api/users/${user.id}/sessions/revoke`), t("users.revokeDone", { login: user.login })) }, t("users.revoke")),
      h("button", { type: "button", class: "danger", "aria-label": t("users.deleteOne", { login: user.login }), onclick: async () => {
        if (confirm(t("users.confirmDelete", { login: user.login }))) await run(() => api("DELETE", `/api/users/${user.id}`), t("users.deleteDone", { login: user.login }))();
      } }, t("dead.delete")));
  }

  const parts = [h("h1", {}, t("nav.users")), message, list];
  if (admin) parts.push(createForm(accounts, message, load));
  replace(main, ...parts);
  await load();
  document.body.dataset.users = "ready";
}

/** A modal dialog to change a user's name, e-mail, roles and seller account; saved in two calls (PATCH, then PUT
 * of the account when it changed) and the list reloaded either way, so it never shows a half-saved state. */
function editDialog(user, accounts, reload) {
  document.getElementById("user-edit")?.remove();
  const problem = h("p", { role: "alert", id: "user-edit-problem" });
  const input = (id, label, value, attributes = {}) => h("label", { for: id }, label, h("input", { id, name: id, value: value ?? "", ...attributes }));
  const roles = h("fieldset", {}, h("legend", {}, t("users.roles")),
    ROLES.map((role) => h("label", { class: "inline" },
      h("input", { type: "checkbox", name: "edit-roles", value: role, checked: user.roles.includes(role) }), t("role." + role))));
  const account = h("select", { id: "edit-account", name: "edit-account" }, h("option", { value: "" }, "—"),
    accounts.map((item) => h("option", { value: item.id, selected: item.id === user.accountId }, item.name)));
  const dialog = h("dialog", { id: "user-edit", "aria-labelledby": "user-edit-title" });
  const form = h("form", { class: "stack", method: "dialog", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const chosen = data.get("edit-account") ? Number(data.get("edit-account")) : null;
    try {
      await api("PATCH", `/api/users/${user.id}`, { name: data.get("edit-name"), email: data.get("edit-email") || null, roles: data.getAll("edit-roles") });
      if (chosen !== (user.accountId ?? null)) await api("PUT", `/api/users/${user.id}/account`, { accountId: chosen });
      dialog.close();
      dialog.remove();
      toast(t("users.saved", { login: user.login }));
      await reload();
    } catch (error) {
      problem.textContent = error.message;
      await reload();
    }
  } },
    input("edit-name", t("users.name"), user.name, { required: true, maxlength: 200 }),
    input("edit-email", t("users.email"), user.email, { type: "email" }),
    roles,
    h("label", { for: "edit-account" }, t("users.account"), account),
    problem,
    h("div", { class: "row" },
      h("button", { type: "submit", id: "user-edit-save" }, t("users.save")),
      h("button", { type: "button", class: "secondary", onclick: () => { dialog.close(); dialog.remove(); } }, t("users.cancel"))));
  dialog.append(h("h2", { id: "user-edit-title" }, t("users.editTitle", { login: user.login })), form);
  document.body.append(dialog);
  dialog.showModal();
}

function createForm(accounts, message, reload) {
  const field = (id, label, attributes) => h("label", { for: id }, label, h("input", { id, name: id, ...attributes }));
  const roles = h("fieldset", {}, h("legend", {}, t("users.roles")),
    ROLES.map((role) => h("label", { class: "inline" }, h("input", { type: "checkbox", name: "roles", value: role }), t("role." + role))));
  const account = h("select", { id: "new-account", name: "account" }, h("option", { value: "" }, "—"), accounts.map((item) => h("option", { value: item.id }, item.name)));
  const form = h("form", { class: "stack", id: "create-user", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      login: data.get("new-login"), name: data.get("new-name"), email: data.get("new-email") || null, password: data.get("new-password"),
      roles: data.getAll("roles"), accountId: data.get("account") ? Number(data.get("account")) : null,
    };
    try {
      await api("POST", "/api/users", body);
      message.textContent = t("users.created", { login: body.login });
      form.reset();
      await reload();
    } catch (error) {
      message.textContent = error.message;
    }
  } },
    field("new-login", t("users.login"), { required: true, pattern: "[a-z0-9][a-z0-9._\\-]{2,63}", autocomplete: "off" }),
    field("new-name", t("users.name"), { required: true, maxlength: 200 }),
    field("new-email", t("users.email"), { type: "email", maxlength: 254 }),
    field("new-password", t("users.password"), { type: "password", required: true, minlength: 10, maxlength: 72, autocomplete: "new-password" }),
    roles,
    h("label", { for: "new-account" }, t("users.account"), account),
    h("button", { type: "submit" }, t("users.create")));
  return h("section", { class: "card", "aria-labelledby": "create-title" }, h("h2", { id: "create-title" }, t("users.createTitle")), form);
}
