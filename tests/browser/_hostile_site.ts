/**
 * A loopback site whose titles, URLs and links carry script payloads, for
 * the dashboard's hostile-page test. Each payload sets `window.__pwned` (or
 * opens a dialog) if it ever runs in the dashboard.
 *
 * @module
 */

/** Titles the hostile pages carry, verbatim (the dashboard must show them as text). */
export const HOSTILE_TITLES = [
  `<script>window.__pwned = "title-script"</script>`,
  `<img src=x onerror="window.__pwned='title-img'">`,
  `"><svg onload=alert("title-svg")>`,
  `javascript:window.__pwned='title-js'`,
];

/** A hostile site on 127.0.0.1 and a port of its own. */
export interface HostileSite extends AsyncDisposable {
  origin: string;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/** Starts the site: `/` links to one page per payload and to hostile URLs. */
export function startHostileSite(): HostileSite {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/robots.txt") return new Response("User-agent: *\nAllow: /\n");
    const links = [
      ...HOSTILE_TITLES.map((_, i) => `/t/${i}`),
      `/p?q=<script>window.__pwned="url-script"</script>`,
      `/"><img src=x onerror=window.__pwned="url-img">`,
      `javascript:window.__pwned="href-js"`,
      `JaVaScRiPt:alert("href-js2")`,
      `data:text/html,<script>alert("data")</script>`,
      `http://127.0.0.1:1/<script>window.__pwned="error-url"</script>`,
    ];
    const i = /^\/t\/(\d+)$/.exec(url.pathname)?.[1];
    const title = i !== undefined ? HOSTILE_TITLES[Number(i)] : `<script>alert("root")</script>`;
    const body = url.pathname === "/"
      ? links.map((l) => `<a href="${escapeHtml(l)}">x</a>`).join("\n")
      : "<p>hostile</p>";
    return new Response(
      `<!doctype html><html><head><title>${
        escapeHtml(title)
      }</title></head><body>${body}</body></html>`,
      { headers: { "content-type": "text/html; charset=utf-8" } },
    );
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
