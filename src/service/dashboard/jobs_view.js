// The jobs page: a live list of recent jobs and a form to start one. The
// form's defaults come from /openapi.json (the same schema the API checks),
// and the API's validation errors are shown beside the field they name.
import { ApiError, apiJson } from "./api.js";
import { duration, h, mount, time } from "./dom.js";

/** The options the form offers; the rest keep the engine's defaults. */
const FIELDS = [
  "maxPages",
  "maxDepth",
  "concurrency",
  "perHost",
  "delayMs",
  "timeoutMs",
  "retries",
  "scope",
  "ignoreRobots",
];

let specCache = null;
async function optionSpecs() {
  specCache ??= fetch("/openapi.json").then((r) => r.json()).then((doc) =>
    doc.paths["/jobs"].post.requestBody.content["application/json"].schema.properties.options
      .properties
  );
  return await specCache;
}

export function jobsView(root, { onAuth }) {
  const ac = new AbortController();
  const list = h("tbody", { "data-testid": "jobs" });
  const formError = h("div", { class: "form-error", "data-testid": "form-error" });
  const urls = h("textarea", {
    name: "urls",
    "data-testid": "urls",
    placeholder: "https://example.com/\none URL a line",
  });
  const errors = { urls: h("div", { class: "field-error", "data-field": "urls" }) };
  const inputs = {};
  const grid = h("div", { class: "grid" });
  const submit = h("button", { type: "submit", "data-testid": "start" }, "Start crawl");
  const form = h(
    "form",
    { novalidate: true, "data-testid": "new-job", onsubmit: (e) => start(e) },
    h("label", {}, "Seed URLs", urls),
    errors.urls,
    grid,
    formError,
    submit,
  );

  optionSpecs().then((specs) => {
    for (const key of FIELDS) {
      const spec = specs[key];
      if (!spec) continue;
      const def = spec.default;
      let input;
      if (spec.type === "boolean") {
        input = h("input", { type: "checkbox", name: key, checked: def === true });
      } else if (spec.enum) {
        input = h("select", { name: key }, spec.enum.map((v) => h("option", { value: v }, v)));
        input.value = def;
      } else {
        input = h("input", { type: "number", name: key, placeholder: String(def) });
      }
      inputs[key] = { input, spec };
      errors[`options.${key}`] = h("div", { class: "field-error", "data-field": `options.${key}` });
      grid.append(
        h(
          "div",
          {},
          h(
            "label",
            { title: spec.description ?? "" },
            `${key} `,
            h("span", { class: "muted" }, `(default ${def})`),
            input,
          ),
          errors[`options.${key}`],
        ),
      );
    }
  }).catch(() => {
    formError.textContent = "Could not read the option defaults from /openapi.json";
  });

  async function start(e) {
    e.preventDefault();
    for (const el of Object.values(errors)) el.textContent = "";
    formError.textContent = "";
    const options = {};
    for (const [key, { input, spec }] of Object.entries(inputs)) {
      if (spec.type === "boolean") {
        if (input.checked !== spec.default) options[key] = input.checked;
      } else if (spec.enum) {
        if (input.value !== spec.default) options[key] = input.value;
      } else if (input.value.trim() !== "") {
        const n = Number(input.value);
        options[key] = Number.isFinite(n) ? n : input.value;
      }
    }
    const body = {
      urls: urls.value.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#")),
      options,
    };
    submit.disabled = true;
    try {
      const job = await apiJson("/jobs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return onAuth();
      const field = err.field ?? "";
      const target = errors[field] ?? (field.startsWith("urls") ? errors.urls : null);
      (target ?? formError).textContent = err.message;
    } finally {
      submit.disabled = false;
    }
  }

  async function refresh() {
    try {
      const { jobs } = await apiJson("/jobs?limit=50", { signal: ac.signal });
      list.replaceChildren(...jobs.map(jobRow));
    } catch (e) {
      if (e.status === 401) return onAuth();
      if (!ac.signal.aborted) list.replaceChildren(h("tr", {}, h("td", { colspan: 8 }, e.message)));
    }
  }

  mount(
    root,
    h("section", {}, h("h2", {}, "Start a crawl"), form),
    h(
      "section",
      {},
      h("h2", {}, "Jobs"),
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["job", "status", "pages", "errors", "skipped", "started", "duration", "seeds"].map((
              t,
            ) => h("th", {}, t)),
          ),
        ),
        list,
      ),
    ),
  );
  refresh();
  const timer = setInterval(refresh, 2000);
  return () => {
    ac.abort();
    clearInterval(timer);
  };
}

function jobRow(j) {
  const started = j.startedAt ? Date.parse(j.startedAt) : null;
  const ended = j.finishedAt ? Date.parse(j.finishedAt) : null;
  return h(
    "tr",
    { "data-job": j.id },
    h("td", {}, h("a", { href: `#/jobs/${encodeURIComponent(j.id)}` }, j.id.slice(0, 8))),
    h("td", { class: `status ${j.status}` }, j.status),
    h("td", { class: "num" }, String(j.counters.pages)),
    h("td", { class: "num" }, String(j.counters.errors)),
    h("td", { class: "num" }, String(j.counters.skipped)),
    h("td", {}, time(j.startedAt)),
    h("td", {}, started ? duration((ended ?? Date.now()) - started) : ""),
    h(
      "td",
      { title: j.urls.join("\n") },
      j.urls[0] ?? "",
      j.urls.length > 1 ? ` +${j.urls.length - 1}` : "",
    ),
  );
}
