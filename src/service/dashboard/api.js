// The dashboard's access to the API: fetch with the bearer token kept for
// this tab only (sessionStorage), NDJSON read line by line from a streamed
// body, and an event follower that resumes with ?since= after a drop.

const TOKEN_KEY = "skein.token";

/** An API answer that was not 2xx, with the API's error body. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? "http_error";
    this.field = body?.error?.field ?? null;
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** fetch() with the token; throws ApiError on a non-2xx answer. */
export async function api(path, init = {}) {
  const headers = new Headers(init.headers ?? {});
  const token = getToken();
  if (token) headers.set("authorization", `Bearer ${token}`);
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) {
    let body = null;
    try {
      body = await res.json();
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, body);
  }
  return res;
}

/** The JSON of an API answer. */
export async function apiJson(path, init) {
  return await (await api(path, init)).json();
}

/** Yields the JSON lines of a streamed NDJSON body, an array per chunk received. */
export async function* readNdjson(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const onAbort = () => reader.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let buf = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      const lines = buf.split("\n");
      buf = lines.pop();
      const values = lines.filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
      if (values.length > 0) yield values;
    }
    if (buf.trim() !== "") yield [JSON.parse(buf)];
  } finally {
    signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
}

/**
 * Follows a job's events until `done` or until `signal` aborts. After a
 * dropped connection it reconnects with `?since=<last seq>`, so no event is
 * seen twice or missed. `onEvents` gets each batch of events read together;
 * `onState` gets "live", "reconnecting" or "done".
 */
export async function followJob(id, { signal, onEvents, onState, retryMs = 1000 }) {
  let since = 0;
  let reconnects = 0;
  while (!signal.aborted) {
    try {
      const res = await api(`/jobs/${encodeURIComponent(id)}/events?since=${since}`, { signal });
      onState("live", reconnects);
      for await (const values of readNdjson(res.body, signal)) {
        const batch = values.filter((e) => e.seq > since);
        if (batch.length === 0) continue;
        since = batch[batch.length - 1].seq;
        onEvents(batch);
        if (batch[batch.length - 1].type === "done") {
          onState("done", reconnects);
          return;
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError && e.status !== 503 && e.status !== 429) throw e;
    }
    // The stream ended without `done`: the connection dropped or the service restarted.
    reconnects++;
    onState("reconnecting", reconnects);
    await new Promise((r) => setTimeout(r, retryMs));
  }
}

/** Only http(s) URLs may become links. */
export function safeHref(url) {
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}
