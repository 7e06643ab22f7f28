// The fleet dashboard: every queue's depth, lag and rates, a live throughput chart, the workers with their
// heartbeats and running jobs; admins pause and resume queues. Refreshes itself every two seconds.
import { api } from "./api.js";
import { can, navigate } from "./app.js";
import { h, replace, svg, table, toast } from "./dom.js";
import { ago, moscowClock, number, t } from "./i18n.js";

const INTERVAL = 2000;
const POINTS = 60;

export function render(main) {
  const totals = h("div", { class: "grid", id: "totals" });
  const chart = h("div", { id: "throughput" });
  const queues = h("div", { id: "queues" });
  const workers = h("div", { id: "workers" });
  const status = h("p", { class: "muted", role: "status", id: "fleet-status" });
  const lookup = h("input", { id: "job-id", name: "job", autocomplete: "off", maxlength: 200 });
  replace(main,
    h("h1", {}, t("nav.fleet")),
    totals,
    h("h2", { id: "throughput-title" }, t("fleet.throughput")),
    chart,
    h("h2", {}, t("fleet.queues")), queues,
    h("h2", {}, t("fleet.workers")), workers,
    h("h2", {}, t("fleet.findJob")),
    h("form", { class: "row", onsubmit: (event) => { event.preventDefault(); if (lookup.value.trim()) navigate("/fleet/jobs/" + encodeURIComponent(lookup.value.trim())); } },
      h("label", { for: "job-id" }, t("fleet.jobId"), lookup), h("button", { type: "submit" }, t("fleet.open"))),
    status);

  const history = [];
  let previous = null;
  let alive = true;
  let timer = null;

  async function tick() {
    try {
      const [overview, live] = await Promise.all([api("GET", "/api/queues?sample=0"), api("GET", "/api/workers")]);
      if (!alive) return;
      const now = Date.now();
      const sum = (name) => overview.reduce((total, queue) => total + (queue.stats.counters[name] || 0), 0);
      const counters = { processed: sum("processed"), failed: sum("failed"), at: now };
      if (previous) {
        const seconds = Math.max(0.001, (now - previous.at) / 1000);
        history.push({ processed: Math.max(0, counters.processed - previous.processed) / seconds, failed: Math.max(0, counters.failed - previous.failed) / seconds });
        if (history.length > POINTS) history.shift();
      }
      previous = counters;
      drawTotals(totals, overview, history.at(-1));
      replace(chart, drawChart(history));
      replace(queues, queueTable(overview));
      replace(workers, workerTable(live));
      status.textContent = t("fleet.updated", { time: moscowClock() });
      document.body.dataset.fleet = "ready";
    } catch (error) {
      if (alive) status.textContent = error.message;
    }
    if (alive) timer = setTimeout(tick, INTERVAL);
  }
  tick();
  return () => { alive = false; clearTimeout(timer); };
}

function drawTotals(box, overview, rate) {
  const total = (field) => overview.reduce((sum, queue) => sum + (queue.stats[field] || 0), 0);
  const stat = (label, value, id) => h("div", { class: "stat" }, h("div", { class: "muted" }, label), h("div", { class: "value", id }, value));
  replace(box,
    stat(t("fleet.waiting"), number(total("waiting")), "total-waiting"),
    stat(t("fleet.running"), number(total("pending")), "total-running"),
    stat(t("fleet.delayed"), number(total("delayed")), "total-delayed"),
    stat(t("fleet.dead"), number(total("dead")), "total-dead"),
    stat(t("fleet.processedRate"), rate ? number(rate.processed, 1) : "—", "rate-processed"),
    stat(t("fleet.failedRate"), rate ? number(rate.failed, 1) : "—", "rate-failed"));
}

function drawChart(history) {
  const width = 600;
  const height = 160;
  const top = Math.max(1, ...history.map((point) => Math.max(point.processed, point.failed)));
  const line = (field) => history.map((point, index) =>
    `${((index + POINTS - history.length) / (POINTS - 1)) * width},${height - 8 - (point[field] / top) * (height - 16)}`).join(" ");
  const latest = history.at(-1);
  const description = latest ? t("fleet.chartNow", { processed: number(latest.processed, 1), failed: number(latest.failed, 1), top: number(top, 1) }) : t("fleet.chartWait");
  return h("figure", {},
    svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img", "aria-label": description },
      svg("polyline", { class: "processed", points: line("processed") }),
      svg("polyline", { class: "failed", points: line("failed") })),
    h("figcaption", { class: "legend" }, h("span", { class: "processed" }, t("fleet.processedRate")), h("span", { class: "failed" }, t("fleet.failedRate")),
      h("span", { class: "muted" }, description)));
}

function queueTable(overview) {
  const admin = can(["ADMIN"]);
  const columns = [
    [t("fleet.queue"), (queue) => queue.stats.name],
    [t("fleet.waiting"), (queue) => number(queue.stats.waiting), { num: true }],
    [t("fleet.running"), (queue) => number(queue.stats.pending), { num: true }],
    [t("fleet.delayed"), (queue) => number(queue.stats.delayed), { num: true }],
    [t("fleet.dead"), (queue) => queue.stats.dead ? h("a", { href: "/fleet/dead?queue=" + encodeURIComponent(queue.stats.name), "data-link": true }, number(queue.stats.dead)) : "0", { num: true }],
    [t("fleet.lag"), (queue) => t("time.ms", { ms: number(queue.stats.lagMs) }), { num: true }],
    [t("fleet.processed"), (queue) => number(queue.stats.counters.processed || 0), { num: true }],
    [t("fleet.failed"), (queue) => number(queue.stats.counters.failed || 0), { num: true }],
    [t("fleet.state"), (queue) => h("span", { class: queue.stats.paused ? "badge warn" : "badge ok" }, t(queue.stats.paused ? "fleet.paused" : "fleet.active"))],
  ];
  if (admin) {
    columns.push([t("fleet.actions"), (queue) => h("button", { type: "button", class: "secondary", "aria-label": t(queue.stats.paused ? "fleet.resumeQueue" : "fleet.pauseQueue", { queue: queue.stats.name }), onclick: async () => {
      try {
        await api("POST", `/api/queues/${encodeURIComponent(queue.stats.name)}/${queue.stats.paused ? "resume" : "pause"}`);
        toast(t(queue.stats.paused ? "fleet.resumed" : "fleet.pausedDone", { queue: queue.stats.name }));
      } catch (error) { toast(error.message); }
    } }, t(queue.stats.paused ? "fleet.resume" : "fleet.pause"))]);
  }
  return table(columns, overview, t("fleet.noQueues"), t("fleet.queues"));
}

function workerTable(workers) {
  return table([
    [t("fleet.worker"), (worker) => worker.name],
    [t("fleet.host"), (worker) => `${worker.host} · ${worker.pid}`],
    [t("fleet.queues"), (worker) => worker.queues.join(", ")],
    [t("fleet.busy"), (worker) => `${number(worker.running)} / ${number(worker.concurrency)}`, { num: true }],
    [t("fleet.jobs"), (worker) => worker.jobs.length ? worker.jobs.map((id) => h("a", { href: "/fleet/jobs/" + encodeURIComponent(id), "data-link": true }, id)).flatMap((link, index) => (index ? [" ", link] : [link])) : "—"],
    [t("fleet.heartbeat"), (worker) => ago(worker.heartbeatMs)],
    [t("fleet.processed"), (worker) => number(worker.processed), { num: true }],
    [t("fleet.failed"), (worker) => number(worker.failed), { num: true }],
  ], workers, t("fleet.noWorkers"), t("fleet.workers"));
}
