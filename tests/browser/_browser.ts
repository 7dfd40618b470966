/**
 * Headless Chromium for the dashboard tests: the system's /usr/bin/chromium
 * driven over the DevTools protocol by `puppeteer-core`, with a fresh
 * profile, no network services of its own (no QUIC, sync, updates or
 * background requests), and every sign of script running recorded: console
 * messages, dialogs, page errors and CSP violations.
 *
 * @module
 */
import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** Where the browser tests save screenshots (git-ignored; named in the README). */
export const SCREENSHOTS = new URL("../../bench/out/screenshots/", import.meta.url);

/** A browser and what its pages did. */
export interface TestBrowser extends AsyncDisposable {
  browser: Browser;
  /** A new tab whose console, dialogs and errors are recorded in `log`. */
  newPage(): Promise<Page>;
  /**
   * What the tabs did: `console:<type> text`, `dialog:<type> message`,
   * `pageerror: message`, `response:<status> <method> <url>` for 4xx and 5xx.
   */
  log: string[];
}

/** Whether the browser tests can run here; in CI they must (the caller fails instead). */
export async function hasChromium(): Promise<boolean> {
  return await Deno.stat(CHROMIUM).then((s) => s.isFile, () => false);
}

/** Launches Chromium; see the module doc. */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await Deno.makeTempDir({ prefix: "skein_chromium_" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  const log: string[] = [];
  return {
    browser,
    log,
    async newPage() {
      const page = await browser.newPage();
      page.on("console", (m) => log.push(`console:${m.type()} ${m.text()}`));
      page.on("pageerror", (e) => log.push(`pageerror: ${(e as Error).message ?? e}`));
      page.on("response", (r) => {
        if (r.status() >= 400) {
          log.push(`response:${r.status()} ${r.request().method()} ${r.url()}`);
        }
      });
      page.on("dialog", (d) => {
        log.push(`dialog:${d.type()} ${d.message()}`);
        d.dismiss().catch(() => {});
      });
      page.setDefaultTimeout(30_000);
      return page;
    },
    async [Symbol.asyncDispose]() {
      await browser.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
