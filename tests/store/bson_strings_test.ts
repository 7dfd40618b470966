import assert from "node:assert/strict";
import fc from "fast-check";
import { BSON } from "mongodb";
import {
  asciiFirst,
  type EncodeInto,
  installAsciiStrings,
} from "../../src/store/mongo/bson_strings.ts";

/** UTF-8 as the standard encoder writes it, into a copy of `buffer`. */
const reference: EncodeInto = (buffer, source, offset) => {
  const { written } = new TextEncoder().encodeInto(source, buffer.subarray(offset));
  return written;
};

const strings = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."aZ09:/.-_?=&%#~ ".split("")), maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }), // lone surrogates too
  fc.integer({ min: 1000, max: 1100 }).map((n) => "x".repeat(n)), // around the length limit
);

Deno.test("asciiFirst() writes the same bytes and count as the encoder it stands in front of", () => {
  let fellBack = 0;
  const fallback: EncodeInto = (b, s, o) => {
    fellBack++;
    return reference(b, s, o);
  };
  const encode = asciiFirst(fallback);
  fc.assert(
    fc.property(strings, fc.integer({ min: 0, max: 8 }), (s, offset) => {
      const a = new Uint8Array(offset + s.length * 3 + 1);
      const b = new Uint8Array(a.length);
      assert.equal(encode(a, s, offset), reference(b, s, offset), JSON.stringify(s));
      assert.deepEqual(a, b);
    }),
    { numRuns: 2000 },
  );
  assert.ok(fellBack > 0, "non-ASCII and long strings go to the fallback");
  fellBack = 0;
  const ascii = "http://127.0.0.1:8000/a/path/long/enough.html";
  encode(new Uint8Array(100), ascii, 3);
  assert.equal(fellBack, 0, "an ASCII URL is written by the loop");
  // Not enough room: the fallback decides (bson's throws), as without the loop.
  encode(new Uint8Array(10), ascii, 0);
  assert.equal(fellBack, 1);
});

Deno.test("installAsciiStrings() leaves BSON documents byte for byte as they were", () => {
  const docs = fc.sample(
    fc.record({
      _id: strings,
      url: strings,
      links: fc.array(strings, { maxLength: 12 }),
      n: fc.integer(),
    }),
    { numRuns: 300, seed: 21 },
  );
  const before = docs.map((d) => BSON.serialize(d));
  const utils = (BSON as unknown as { onDemand: { ByteUtils: { encodeUTF8Into: EncodeInto } } })
    .onDemand.ByteUtils;
  const was = utils.encodeUTF8Into;
  assert.equal(installAsciiStrings(), true, "bson 7's hook is where it was");
  assert.notEqual(utils.encodeUTF8Into, was, "the serializer's string writer is replaced");
  assert.equal(installAsciiStrings(), true, "a second call is a no-op");
  const after = docs.map((d) => BSON.serialize(d));
  after.forEach((bytes, i) => assert.deepEqual(bytes, before[i]));
  assert.deepEqual(BSON.deserialize(after[0]), docs[0]);
});
