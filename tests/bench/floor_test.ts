import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { generateSite } from "../../bench/gen_site.ts";

const FLOOR = new URL("../../bench/peers/floor/floor.ts", import.meta.url).pathname;

async function runFloor(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", FLOOR, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("the floor crawls every page of the generated site once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pages = 300;
    await generateSite(dir, { pages });
    const served = new Map<string, number>();
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (req) => {
        const path = new URL(req.url).pathname;
        served.set(path, (served.get(path) ?? 0) + 1);
        try {
          return new Response(await Deno.readFile(dir + path), {
            headers: { "content-type": "text/html" },
          });
        } catch {
          return new Response("not found", { status: 404 });
        }
      },
    );
    const { code, stdout } = await runFloor([
      "--concurrency",
      "8",
      `http://127.0.0.1:${server.addr.port}/index.html`,
    ]);
    assertEquals(code, 0);
    assertEquals(JSON.parse(stdout), { pages });
    assertEquals(served.size, pages);
    assertEquals([...served.values()].every((n) => n === 1), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the floor exits 2 with its usage on a bad command line", async () => {
  const { code, stderr } = await runFloor(["--concurrency", "0", "http://127.0.0.1:1/"]);
  assertEquals(code, 2);
  match(stderr, /usage: floor\.ts --concurrency C/);
});
