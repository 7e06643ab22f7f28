// Backups: "Back up now" (admins) with a live bar fed by the job's progress (bytes uploaded; the share is measured
// against the last good backup's size, since a streamed dump's size is known only at its end), the history, and
// how to restore one.
import { api } from "./api.js";
import { can } from "./app.js";
import { h, replace, table } from "./dom.js";
import { bytes, duration, moscowTime, number, t } from "./i18n.js";

export async function render(main) {
  const bar = h("progress", { id: "backup-bar", max: 100, value: 0, "aria-labelledby": "backup-progress-label" });
  const label = h("span", { id: "backup-progress-label" }, t("backups.idle"));
  const percent = h("span", { id: "backup-percent" }, "");
  const tracker = h("div", { class: "card", id: "backup-tracker", hidden: true }, h("div", { class: "progress-line" }, label, percent), bar);
  const message = h("p", { role: "status", id: "backup-message" });
  const history = h("div", { id: "backup-history" });
  const button = can(["ADMIN"]) ? h("button", { type: "button", id: "backup-now", onclick: start }, t("backups.now")) : null;
  replace(main,
    h("h1", {}, t("nav.backups")),
    h("p", { class: "muted" }, t("backups.about")),
    button, message, tracker,
    h("h2", {}, t("backups.history")), history,
    h("h2", {}, t("backups.restoreTitle")),
    h("p", {}, t("backups.restoreText")),
    h("pre", {}, "joycity backup list\njoycity backup restore <key> --into postgres://user@host/empty_database"));

  let alive = true;
  let timer = null;
  let rows = [];

  async function loadHistory() {
    rows = await api("GET", "/api/backups?limit=50");
    replace(history, table([
      [t("backups.started"), (row) => moscowTime(row.startedAt)],
      [t("fleet.state"), (row) => h("span", { class: "badge " + (row.status === "succeeded" ? "ok" : row.status === "failed" ? "error" : "warn") }, t("backups.status." + row.status))],
      [t("backups.size"), (row) => bytes(row.bytes), { num: true }],
      [t("backups.parts"), (row) => number(row.parts), { num: true }],
      [t("backups.duration"), (row) => row.finishedAt ? duration((new Date(row.finishedAt) - new Date(row.startedAt)) / 1000) : "—", { num: true }],
      [t("backups.key"), (row) => h("code", {}, row.key)],
      [t("dead.error"), (row) => row.error || ""],
    ], rows, t("backups.none"), t("backups.history")));
    return rows;
  }

  function estimate() {
    return rows.find((row) => row.status === "succeeded")?.bytes || 0;
  }

  async function track(jobId, expected) {
    tracker.hidden = false;
    try {
      const job = await api("GET", "/api/jobs/" + encodeURIComponent(jobId));
      if (!alive) return;
      let progress = {};
      try { progress = JSON.parse(job.progress || "{}"); } catch { progress = {}; }
      if (job.state === "completed") {
        bar.value = 100;
        percent.textContent = "100 %";
        label.textContent = t("backups.done", { size: bytes(progress.bytes ?? 0) });
        await loadHistory();
        if (button) button.disabled = false;
        document.body.dataset.backup = "done";
        return;
      }
      if (["dead", "cancelled"].includes(job.state)) {
        label.textContent = t("backups.failed");
        message.textContent = job.errors || "";
        await loadHistory();
        if (button) button.disabled = false;
        document.body.dataset.backup = "failed";
        return;
      }
      const sent = progress.bytes || 0;
      const share = expected ? Math.min(99, Math.round((sent / expected) * 100)) : null;
      if (share === null) bar.removeAttribute("value"); else bar.value = share;
      percent.textContent = share === null ? "" : `${share} %`;
      label.textContent = progress.phase === "finishing" ? t("backups.finishing", { size: bytes(sent) })
        : job.state === "active" ? t("backups.uploading", { size: bytes(sent), parts: number(progress.parts || 0) }) : t("backups.waiting");
      document.body.dataset.backup = "running";
    } catch (error) {
      message.textContent = error.message;
    }
    if (alive) timer = setTimeout(() => track(jobId, expected), 500);
  }

  async function start() {
    button.disabled = true;
    message.textContent = "";
    try {
      const queued = await api("POST", "/api/backups");
      message.textContent = queued.alreadyRunning ? t("backups.already") : t("backups.queued");
      bar.value = 0;
      track(queued.jobId, estimate());
    } catch (error) {
      message.textContent = error.message;
      button.disabled = false;
    }
  }

  await loadHistory();
  const running = rows.find((row) => row.status === "running" && row.jobId);
  if (running) {
    if (button) button.disabled = true;
    track(running.jobId, estimate());
  }
  document.body.dataset.backups = "ready";
  return () => { alive = false; clearTimeout(timer); };
}
