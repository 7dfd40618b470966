// One job: live counters, pages/s over time, errors by code, the table of
// pages as they arrive, cancel, downloads. Follows /jobs/:id/events.
import { api, apiJson, followJob } from "./api.js";
import { bytes, duration, h, mount } from "./dom.js";
import { PageTable } from "./page_table.js";
import { RateChart } from "./rate_chart.js";

const ENDED = new Set(["completed", "cancelled", "failed"]);

export function jobView(root, id, { onAuth }) {
  const ac = new AbortController();
  const enc = encodeURIComponent(id);
  const counts = { pages: 0, errors: 0, skipped: 0, bytes: 0 };
  const errorsByCode = new Map();
  let job = null;
  let done = null;

  const status = h("span", { class: "status", "data-testid": "job-status" }, "…");
  const streamState = h("span", { class: "muted", "data-testid": "stream-state" }, "");
  const counter = (name, label) => {
    const b = h("b", { "data-testid": `count-${name}` }, "0");
    return { b, el: h("div", { class: "counter" }, b, h("span", {}, label)) };
  };
  const c = {
    pages: counter("pages", "pages"),
    errors: counter("errors", "errors"),
    skipped: counter("skipped", "skipped"),
    bytes: counter("bytes", "fetched"),
    rate: counter("rate", "pages/s (5 s)"),
    elapsed: counter("elapsed", "duration"),
  };
  const errorsTable = h("tbody");
  const chart = new RateChart();
  const record = h("pre", { class: "record", "data-testid": "record", hidden: true });
  const table = new PageTable({
    recordHref: (r) => `/jobs/${enc}/pages?url=${encodeURIComponent(r.url)}`,
    onRecord: async (r) => {
      record.hidden = false;
      record.textContent = "Loading…";
      try {
        const res = await api(`/jobs/${enc}/pages?url=${encodeURIComponent(r.url)}`);
        record.textContent = (await res.text()).split("\n").filter(Boolean)
          .map((l) => JSON.stringify(JSON.parse(l), null, 2)).join("\n") || "(not stored)";
      } catch (e) {
        record.textContent = e.message;
      }
    },
  });
  const filter = h("input", {
    type: "search",
    placeholder: "Filter: URL, title or status",
    "data-testid": "filter",
    oninput: (e) => table.setFilter(e.target.value),
  });
  const cancel = h("button", {
    class: "danger",
    "data-testid": "cancel",
    onclick: async () => {
      cancel.disabled = true;
      try {
        job = await apiJson(`/jobs/${enc}`, { method: "DELETE" });
        paint();
      } catch (e) {
        cancel.disabled = false;
        if (e.status === 401) onAuth();
      }
    },
  }, "Cancel job");
  const download = (what) =>
    h("button", {
      class: "secondary",
      "data-testid": `download-${what}`,
      onclick: async () => {
        const res = await api(`/jobs/${enc}/${what}`);
        const url = URL.createObjectURL(await res.blob());
        const a = h("a", { download: `${id}-${what}.ndjson` });
        a.href = url;
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      },
    }, `Download ${what} (NDJSON)`);
  const downloadEvents = download("events");

  mount(
    root,
    h("h1", {}, "Job ", h("code", {}, id), " ", status, " ", streamState),
    h("section", {}, h("div", { class: "counters" }, Object.values(c).map((x) => x.el))),
    h(
      "div",
      { class: "row2" },
      h("section", {}, h("h2", {}, "Pages per second"), chart.el),
      h(
        "section",
        {},
        h("h2", {}, "Errors by code"),
        h("table", { "data-testid": "errors-by-code" }, h("tbody", {}, errorsTable)),
      ),
    ),
    h(
      "section",
      {},
      h("div", { class: "toolbar" }, filter, cancel, download("pages"), downloadEvents),
      table.el,
      record,
    ),
  );

  let painting = false;
  function paint() {
    if (painting) return;
    painting = true;
    requestAnimationFrame(() => {
      painting = false;
      const st = done ? (job && ENDED.has(job.status) ? job.status : "done") : job?.status ?? "…";
      status.textContent = st;
      status.className = `status ${st}`;
      cancel.disabled = Boolean(done) || (job !== null && ENDED.has(job.status));
      downloadEvents.disabled = !done;
      c.pages.b.textContent = String(counts.pages);
      c.errors.b.textContent = String(counts.errors);
      c.skipped.b.textContent = String(counts.skipped);
      c.bytes.b.textContent = bytes(counts.bytes);
      c.rate.b.textContent = chart.rate(Date.now()).toFixed(1);
      const started = job?.startedAt ? Date.parse(job.startedAt) : null;
      const ended = job?.finishedAt ? Date.parse(job.finishedAt) : null;
      c.elapsed.b.textContent = started ? duration((ended ?? Date.now()) - started) : "";
      errorsTable.replaceChildren(
        ...[...errorsByCode].sort((a, b) => b[1] - a[1]).map(([code, n]) =>
          h("tr", {}, h("td", {}, code), h("td", { class: "num" }, String(n)))
        ),
      );
      chart.draw();
    });
  }

  function onEvents(events) {
    const rows = [];
    const now = Date.now();
    let pages = 0;
    for (const e of events) {
      if (e.type === "page") {
        pages++;
        counts.pages++;
        counts.bytes += e.bytes;
        rows.push({
          type: "page",
          url: e.url,
          status: e.status,
          title: e.title,
          depth: e.depth,
          ms: e.ms,
          links: e.links.length,
        });
      } else if (e.type === "error") {
        counts.errors++;
        errorsByCode.set(e.code, (errorsByCode.get(e.code) ?? 0) + 1);
        rows.push({ type: "error", url: e.url, code: e.code, message: e.message, depth: e.depth });
      } else if (e.type === "skipped") counts.skipped++;
      else if (e.type === "done") done = e;
    }
    if (pages > 0) chart.add(now, pages);
    table.add(rows);
    paint();
    if (done) refreshJob();
  }

  async function refreshJob() {
    try {
      job = await apiJson(`/jobs/${enc}`, { signal: ac.signal });
      paint();
    } catch (e) {
      if (e.status === 401) onAuth();
    }
  }

  const tick = setInterval(() => {
    if (!job || !ENDED.has(job.status)) refreshJob();
    else paint();
  }, 2000);
  refreshJob();
  followJob(id, {
    signal: ac.signal,
    onEvents,
    onState: (state, reconnects) => {
      streamState.textContent = state === "reconnecting"
        ? "(connection lost, resuming…)"
        : state === "live" && !done
        ? "(live)"
        : "";
      root.dataset.reconnects = String(reconnects);
    },
  }).catch((e) => {
    if (e.status === 401) onAuth();
    else streamState.textContent = `(${e.message})`;
  });
  globalThis.__skeinJob = { table, counts, errorsByCode };
  return () => {
    ac.abort();
    clearInterval(tick);
  };
}
