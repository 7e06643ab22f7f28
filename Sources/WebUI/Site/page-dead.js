// Dead letters of every queue: typing filters the newest 1,000 per queue at once; Find searches every letter in Redis
// (the API's dead-letter search) by type, job id or payload text. Retry or delete one, or every letter shown (after a
// confirmation). Admins only may change them; ops read.
import { api } from "./api.js";
import { can } from "./app.js";
import { h, replace, table, toast } from "./dom.js";
import { moscowTime, number, t } from "./i18n.js";

export async function render(main, { query }) {
  const search = h("input", { id: "dead-search", type: "search", value: query.get("q") || "" });
  const queueFilter = h("select", { id: "dead-queue" });
  const summary = h("p", { id: "dead-summary", role: "status" });
  const list = h("div", { id: "dead-list" });
  const admin = can(["ADMIN"]);
  const bulk = admin
    ? h("div", { class: "row" },
      h("button", { type: "button", id: "retry-all", onclick: () => every("retry") }, t("dead.retryAll")),
      h("button", { type: "button", class: "danger", id: "delete-all", onclick: () => every("delete") }, t("dead.deleteAll")))
    : null;
  replace(main,
    h("h1", {}, t("nav.dead")),
    h("form", { class: "row", role: "search", onsubmit: (event) => { event.preventDefault(); find(); } },
      h("label", { for: "dead-search" }, t("dead.search"), search),
      h("label", { for: "dead-queue" }, t("fleet.queue"), queueFilter),
      h("button", { type: "submit" }, t("dead.find"))),
    summary, bulk, list);

  let letters = [];
  let withDead = [];
  /** The server search's reach ({scanned, complete}) while its results are shown; null for the newest letters. */
  let searched = null;
  async function load() {
    searched = null;
    const overview = await api("GET", "/api/queues?sample=0");
    const wanted = queueFilter.value || query.get("queue") || "";
    replace(queueFilter, h("option", { value: "" }, t("dead.allQueues")),
      overview.map((queue) => h("option", { value: queue.stats.name, selected: queue.stats.name === wanted }, `${queue.stats.name} (${number(queue.stats.dead)})`)));
    withDead = overview.filter((queue) => queue.stats.dead > 0).map((queue) => queue.stats.name);
    const lists = await Promise.all(withDead.map((name) => api("GET", `/api/queues/${encodeURIComponent(name)}/dead?limit=1000`)));
    letters = lists.flat().sort((a, b) => b.failedMs - a.failedMs);
    draw();
  }

  /** Every dead letter of the chosen queues that matches, searched in Redis (not only the newest loaded). */
  async function find() {
    const text = search.value.trim();
    if (!text) { await load(); return; }
    const names = queueFilter.value ? [queueFilter.value] : withDead;
    summary.textContent = t("dead.searching");
    const results = await Promise.all(names.map((name) =>
      api("GET", `/api/queues/${encodeURIComponent(name)}/dead/search?q=${encodeURIComponent(text)}&limit=1000`)));
    letters = results.flatMap((result) => result.letters).sort((a, b) => b.failedMs - a.failedMs);
    searched = { scanned: results.reduce((sum, result) => sum + result.scanned, 0), complete: results.every((result) => result.complete) };
    draw();
    document.body.dataset.deadSearch = String(letters.length);
  }

  const refresh = () => (searched ? find() : load());

  function shown() {
    const needle = search.value.trim().toLowerCase();
    return letters.filter((letter) => (!queueFilter.value || letter.queue === queueFilter.value)
      && (!needle || [letter.type, letter.jobId, letter.payload].some((field) => (field || "").toLowerCase().includes(needle))));
  }

  function lastError(letter) {
    try { const errors = JSON.parse(letter.errors); return errors.at(-1)?.message ?? errors.at(-1) ?? ""; } catch { return letter.errors; }
  }

  function draw() {
    const rows = shown();
    summary.textContent = t("dead.count", { shown: number(rows.length), total: number(letters.length) })
      + (searched ? " " + t(searched.complete ? "dead.searched" : "dead.searchedPart", { scanned: number(searched.scanned) }) : "");
    if (bulk) for (const button of bulk.querySelectorAll("button")) button.disabled = rows.length === 0;
    const columns = [
      [t("dead.failedAt"), (letter) => moscowTime(letter.failedMs)],
      [t("fleet.queue"), (letter) => letter.queue],
      [t("dead.type"), (letter) => letter.type],
      [t("fleet.jobId"), (letter) => h("a", { href: "/fleet/jobs/" + encodeURIComponent(letter.jobId), "data-link": true }, letter.jobId)],
      [t("dead.payload"), (letter) => h("code", {}, letter.payload.length > 160 ? letter.payload.slice(0, 160) + "…" : letter.payload)],
      [t("dead.error"), (letter) => String(lastError(letter)).slice(0, 200)],
    ];
    if (admin) {
      columns.push([t("fleet.actions"), (letter) => h("div", { class: "row" },
        h("button", { type: "button", class: "secondary", "aria-label": t("dead.retryOne", { id: letter.jobId }), onclick: () => one("retry", letter) }, t("dead.retry")),
        h("button", { type: "button", class: "danger", "aria-label": t("dead.deleteOne", { id: letter.jobId }), onclick: () => one("delete", letter) }, t("dead.delete")))]);
    }
    replace(list, table(columns, rows, letters.length ? t("dead.noMatch") : t("dead.none"), t("nav.dead")));
  }

  async function act(action, letter) {
    if (action === "retry") await api("POST", `/api/dead/${encodeURIComponent(letter.jobId)}/retry`);
    else await api("DELETE", `/api/dead/${encodeURIComponent(letter.jobId)}`);
  }

  async function one(action, letter) {
    try {
      await act(action, letter);
      toast(t(action === "retry" ? "dead.retried" : "dead.deleted", { count: 1 }));
    } catch (error) { toast(error.message); }
    await refresh();
  }

  async function every(action) {
    const rows = shown();
    if (!rows.length || !confirm(t(action === "retry" ? "dead.confirmRetry" : "dead.confirmDelete", { count: rows.length }))) return;
    let done = 0;
    const failed = [];
    for (const letter of rows) {
      try { await act(action, letter); done += 1; } catch (error) { failed.push(`${letter.jobId}: ${error.message}`); }
      summary.textContent = t("dead.progress", { done: number(done), total: number(rows.length) });
    }
    toast(t(action === "retry" ? "dead.retried" : "dead.deleted", { count: done }) + (failed.length ? " " + t("dead.someFailed", { count: failed.length }) : ""));
    await refresh();
  }

  search.addEventListener("input", draw);
  queueFilter.addEventListener("change", draw);
  await load();
  document.body.dataset.dead = "ready";
}
