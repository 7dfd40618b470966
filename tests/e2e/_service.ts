/** Starts `main.ts` (or `worker.ts`) as a real process and talks to it over HTTP. */

export interface ServiceProcess extends AsyncDisposable {
  origin: string;
  child: Deno.ChildProcess;
  /** What the service wrote to stderr so far. */
  log(): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

/** Runs the service (or a worker) with `env` on a free port; resolves once it listens. */
export async function startServiceProcess(
  env: Record<string, string>,
  entry: "main.ts" | "worker.ts" = "main.ts",
): Promise<ServiceProcess> {
  const main = new URL(`../../${entry}`, import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", "--allow-env", "--allow-sys", main],
    env: { PORT: "0", HOST: "127.0.0.1", NO_COLOR: "1", ...env },
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const reading = (async () => {
    for await (const chunk of child.stderr) text += decoder.decode(chunk, { stream: true });
  })();
  const deadline = Date.now() + 30_000;
  let origin = "";
  while (!origin) {
    const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(text);
    if (m) origin = m[1];
    else if (exited || Date.now() > deadline) {
      if (!exited) child.kill("SIGKILL");
      await status;
      await reading;
      throw new Error(`service did not start:\n${text}`);
    } else await new Promise((r) => setTimeout(r, 25));
  }
  let done = false;
  const finish = async () => {
    if (done) return (await status).code;
    done = true;
    const s = await status;
    await reading;
    return s.code;
  };
  return {
    origin,
    child,
    log: () => text,
    async stop() {
      if (!exited) child.kill("SIGTERM");
      return await finish();
    },
    async kill() {
      if (!exited) child.kill("SIGKILL");
      await finish();
    },
    async [Symbol.asyncDispose]() {
      if (!exited) child.kill("SIGKILL");
      await finish();
    },
  };
}

/** Reads an NDJSON response to the end. */
export async function ndjson<T = Record<string, unknown>>(res: Response): Promise<T[]> {
  const text = await res.text();
  return text.trim() === "" ? [] : text.trim().split("\n").map((l) => JSON.parse(l));
}

/** Polls GET /jobs/:id until its status is one of `want`. */
export async function waitForStatus(
  origin: string,
  id: string,
  want: string[],
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${origin}/jobs/${id}`);
    const job = await res.json();
    if (want.includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} is ${job.status}, never ${want}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** POSTs a JSON job and returns the created job (asserting 201). */
export async function postJob(
  origin: string,
  body: { urls: string[]; options?: Record<string, unknown> },
): Promise<{ id: string; links: Record<string, string> }> {
  const res = await fetch(`${origin}/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST /jobs answered ${res.status}: ${await res.text()}`);
  return await res.json();
}

/** Polls a job until its counters show at least `pages` pages. */
export async function waitForPages(origin: string, id: string, pages: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const j = await (await fetch(`${origin}/jobs/${id}`)).json();
    if (j.counters.pages >= pages) return;
    if (Date.now() > deadline) throw new Error(`job ${id} never reached ${pages} pages`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
