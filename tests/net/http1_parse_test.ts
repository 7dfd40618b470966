import assert from "node:assert/strict";
import fc from "fast-check";
import {
  bodyFraming,
  ChunkedDecoder,
  findHeadEnd,
  Http1Error,
  keepsAlive,
  parseResponseHead,
} from "../../src/net/http1_parse.ts";

const enc = (s: string) => new TextEncoder().encode(s);
/** The text of body parts decoded in order (a character may span two parts). */
function dec(parts: Uint8Array[]): string {
  const d = new TextDecoder();
  return parts.map((p) => d.decode(p, { stream: true })).join("") + d.decode();
}

function head(text: string) {
  const bytes = enc(text);
  return parseResponseHead(bytes.subarray(0, findHeadEnd(bytes, 0, bytes.length)));
}

Deno.test("findHeadEnd() finds the blank line, CRLF or bare LF, across reads", () => {
  const b = enc("HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody");
  assert.equal(findHeadEnd(b, 0, b.length), b.length - 4);
  assert.equal(findHeadEnd(b, 0, 20), -1, "not there yet");
  assert.equal(findHeadEnd(b, 20, b.length), b.length - 4, "resumes a few bytes back");
  const lf = enc("HTTP/1.1 200 OK\nA: b\n\nbody");
  assert.equal(findHeadEnd(lf, 0, lf.length), lf.length - 4);
});

Deno.test("parseResponseHead() reads status, reason and fields, lower-casing names", () => {
  const h = head("HTTP/1.1 404 Not Found\r\nContent-Type:  text/html \r\nX-A: 1\r\nx-a: 2\r\n\r\n");
  assert.equal(h.status, 404);
  assert.equal(h.statusText, "Not Found");
  assert.equal(h.minor, 1);
  assert.deepEqual(h.headers, [["content-type", "text/html"], ["x-a", "1"], ["x-a", "2"]]);
  assert.equal(head("HTTP/1.0 200\r\n\r\n").statusText, "", "a missing reason is fine");
  assert.equal(head("HTTP/1.1 200 OK\r\nno colon here\r\nA: b\r\n\r\n").headers.length, 1);
});

Deno.test("parseResponseHead() rejects what is not an HTTP/1.x status line", () => {
  for (const bad of ["HTTP/2 200 OK", "ICY 200 OK", "HTTP/1.1 20 OK", "<html>", "HTTP/1.1 2000"]) {
    assert.throws(() => head(`${bad}\r\n\r\n`), Http1Error, bad);
  }
});

Deno.test("bodyFraming() follows RFC 9112 §6.3", () => {
  const f = (text: string) => bodyFraming(head(`HTTP/1.1 ${text}\r\n\r\n`));
  assert.deepEqual(f("204 No Content\r\nContent-Length: 5"), { kind: "none" });
  assert.deepEqual(f("304 Not Modified"), { kind: "none" });
  assert.deepEqual(f("200 OK\r\nContent-Length: 12"), { kind: "length", length: 12 });
  assert.deepEqual(f("200 OK\r\nContent-Length: 7, 7"), { kind: "length", length: 7 });
  assert.deepEqual(f("200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3"), {
    kind: "chunked",
  }, "chunked wins over a length");
  assert.deepEqual(f("200 OK\r\nTransfer-Encoding: gzip"), { kind: "close" });
  assert.deepEqual(f("200 OK"), { kind: "close" });
  assert.throws(() => f("200 OK\r\nContent-Length: 7, 8"), /Conflicting/);
  assert.throws(() => f("200 OK\r\nContent-Length: -1"), /Invalid/);
  assert.throws(() => f("200 OK\r\nContent-Length: 1e3"), /Invalid/);
});

Deno.test("keepsAlive() follows the version and Connection tokens", () => {
  assert.equal(keepsAlive(head("HTTP/1.1 200 OK\r\n\r\n")), true);
  assert.equal(keepsAlive(head("HTTP/1.1 200 OK\r\nConnection: Close\r\n\r\n")), false);
  assert.equal(keepsAlive(head("HTTP/1.0 200 OK\r\n\r\n")), false);
  assert.equal(keepsAlive(head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n")), true);
});

Deno.test("ChunkedDecoder decodes sizes, extensions, trailers and keeps what follows", () => {
  const d = new ChunkedDecoder();
  const wire = "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-T: 1\r\n\r\nNEXT";
  const out = d.push(enc(wire));
  assert.equal(dec(out), "helloabcdefghijklmnopqrstuvwxyz");
  assert.ok(d.done);
  assert.equal(new TextDecoder().decode(d.rest), "NEXT");
});

Deno.test("ChunkedDecoder gives the same body however the bytes are split (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ minLength: 1, maxLength: 40 }), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
      fc.boolean(),
      (chunks, cuts, lfOnly) => {
        const nl = lfOnly ? "\n" : "\r\n";
        let wire = "";
        for (const c of chunks) wire += `${enc(c).length.toString(16)}${nl}${c}${nl}`;
        const bytes = enc(`${wire}0${nl}${nl}`);
        const d = new ChunkedDecoder();
        const out: Uint8Array[] = [];
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const n = cuts[i % cuts.length];
          out.push(...d.push(bytes.subarray(at, at + n)).map((x) => x.slice()));
          at += n;
        }
        assert.ok(d.done);
        assert.equal(dec(out), chunks.join(""));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("ChunkedDecoder rejects malformed framing with Http1Error and never hangs", () => {
  for (const bad of ["zz\r\n", "5\r\nhelloXY", "\r\n", "1" + "0".repeat(20) + "\r\n"]) {
    assert.throws(() => new ChunkedDecoder().push(enc(bad)), Http1Error, JSON.stringify(bad));
  }
  assert.throws(() => new ChunkedDecoder().push(enc("5;" + "x".repeat(5000))), /extension/);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        new ChunkedDecoder().push(bytes);
      } catch (e) {
        assert.ok(e instanceof Http1Error, String(e));
      }
    }),
    { numRuns: 500 },
  );
});
