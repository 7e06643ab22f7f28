// One job: state, attempts, deliveries, worker, times, payload, progress, result and errors; refreshed while it
// is still to finish.
import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { moscowTime, number, t } from "./i18n.js";

const UNFINISHED = ["queued", "active", "delayed", "retrying", "parked"];

function pretty(text) {
  if (text === null || text === undefined) return "—";
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return String(text); }
}

export function render(main, { params }) {
  let alive = true;
  let timer = null;
  async function load() {
    try {
      const job = await api("GET", "/api/jobs/" + encodeURIComponent(params.id));
      if (!alive) return;
      let errors = [];
      try { errors = JSON.parse(job.errors || "[]"); } catch { errors = [job.errors]; }
      const fact = (label, value) => [h("dt", {}, label), h("dd", {}, value ?? "—")];
      replace(main,
        h("h1", {}, t("job.title"), " ", h("code", {}, job.id)),
        h("dl", { class: "facts", id: "job-facts" },
          fact(t("fleet.state"), h("span", { class: "badge", id: "job-state" }, job.state)),
          fact(t("fleet.queue"), job.queue),
          fact(t("dead.type"), job.type),
          fact(t("job.attempt"), job.attempt ? `${number(job.attempt)} / ${number(job.maxAttempts)}` : null),
          fact(t("job.deliveries"), job.deliveries !== null && job.deliveries !== undefined ? number(job.deliveries) : null),
          fact(t("fleet.worker"), job.worker),
          fact(t("job.enqueued"), moscowTime(job.enqueuedMs)),
          fact(t("job.runAt"), moscowTime(job.runAtMs)),
          fact(t("job.finished"), moscowTime(job.finishedMs))),
        h("h2", {}, t("dead.payload")), h("pre", { id: "job-payload" }, pretty(job.payload)),
        h("h2", {}, t("job.progress")), h("pre", { id: "job-progress" }, pretty(job.progress)),
        h("h2", {}, t("job.result")), h("pre", { id: "job-result" }, pretty(job.result)),
        h("h2", {}, t("job.errors")),
        errors.length ? h("ol", { id: "job-errors" }, errors.map((error) => h("li", {}, h("pre", {}, typeof error === "string" ? error : JSON.stringify(error, null, 2))))) : h("p", { class: "muted" }, t("job.noErrors")));
      document.body.dataset.job = job.state;
      if (UNFINISHED.includes(job.state)) timer = setTimeout(load, 2000);
    } catch (error) {
      if (alive) replace(main, h("h1", {}, t("job.title")), h("p", { class: "error", role: "alert" }, error.status === 404 ? t("job.missing", { id: params.id }) : error.message));
    }
  }
  load();
  return () => { alive = false; clearTimeout(timer); };
}
