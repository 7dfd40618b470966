import assert from "node:assert/strict";
import {
  type AddressPolicy,
  checkAddresses,
  checkUrlTarget,
  isBlockedAddress,
  parseAllowNets,
} from "../../src/net/address_policy.ts";
import { NetError } from "../../src/net/net_error.ts";

const OPEN: AddressPolicy = { allowNets: [], allowedPorts: null };

/** [address, expected reason] for addresses the default policy blocks. */
const BLOCKED: [string, string][] = [
  // IPv4
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["10.0.0.1", "private"],
  ["10.255.255.255", "private"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["192.168.1.1", "private"],
  ["169.254.0.1", "link-local"],
  ["100.64.0.1", "shared"],
  ["100.127.255.255", "shared"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "broadcast"],
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "unspecified"],
  ["198.18.0.1", "benchmarking"],
  ["198.19.255.255", "benchmarking"],
  ["192.0.2.1", "documentation"],
  ["198.51.100.7", "documentation"],
  ["203.0.113.9", "documentation"],
  ["169.254.169.254", "metadata"],
  ["100.100.100.200", "metadata"],
  ["192.0.0.8", "reserved"],
  // IPv6
  ["::1", "loopback"],
  ["::", "unspecified"],
  ["fe80::1", "link-local"],
  ["febf:ffff::1", "link-local"],
  ["fc00::1", "unique-local"],
  ["fdff:ffff::1", "unique-local"],
  ["fd00:ec2::254", "metadata"],
  ["ff02::1", "multicast"],
  ["ff0e::1", "multicast"],
  ["2001:db8::1", "documentation"],
  ["2001::1", "teredo"],
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo"],
  ["2002:808:808::1", "6to4"],
  ["64:ff9b:1::8.8.8.8", "nat64-local"],
  ["fec0::1", "deprecated-site-local"],
  // IPv6 forms embedding a blocked IPv4 address, written both ways
  ["::ffff:127.0.0.1", "loopback via ipv4-mapped"],
  ["::ffff:7f00:1", "loopback via ipv4-mapped"],
  ["::ffff:10.0.0.1", "private via ipv4-mapped"],
  ["::ffff:169.254.169.254", "metadata via ipv4-mapped"],
  ["::ffff:0:127.0.0.1", "loopback via ipv4-translated"],
  ["::127.0.0.1", "loopback via ipv4-compatible"],
  ["::7f00:1", "loopback via ipv4-compatible"],
  ["::192.168.0.1", "private via ipv4-compatible"],
  ["64:ff9b::127.0.0.1", "loopback via nat64"],
  ["64:ff9b::a00:1", "private via nat64"],
  ["64:ff9b::a9fe:a9fe", "metadata via nat64"],
  ["2002:7f00:1::", "loopback via 6to4"],
  ["2002:c0a8:101::1", "private via 6to4"],
];

const ALLOWED = [
  "8.8.8.8",
  "1.1.1.1",
  "93.184.215.14",
  "172.32.0.1",
  "100.128.0.1",
  "2606:4700::1111",
  "2a00:1450:4001:82a::200e",
  "::ffff:8.8.8.8",
  "64:ff9b::8.8.8.8",
];

for (const [address, reason] of BLOCKED) {
  Deno.test(`isBlockedAddress() blocks ${address} as ${reason}`, () => {
    assert.equal(isBlockedAddress(address, []), reason);
  });
}

for (const address of ALLOWED) {
  Deno.test(`isBlockedAddress() allows public ${address}`, () => {
    assert.equal(isBlockedAddress(address, []), null);
  });
}

Deno.test("isBlockedAddress() reports unparsable input as invalid", () => {
  const inputs = [
    "",
    "example.com",
    "1.2.3.4.5",
    "::ffff:300.0.0.1",
    "[::1]",
    "0x7f.0.0.1",
    "127.1",
    "010.0.0.1",
    "2130706433",
  ];
  for (const s of inputs) {
    assert.equal(isBlockedAddress(s, []), "invalid", s);
  }
});

/** [allow-list, address, blocked?] */
const ALLOW_CASES: [string, string, boolean][] = [
  ["127.0.0.2/32", "127.0.0.2", false],
  ["127.0.0.2/32", "127.0.0.1", true],
  ["127.0.0.2/32", "127.0.0.3", true],
  ["127.0.0.2/32", "::ffff:127.0.0.2", false],
  ["127.0.0.2", "127.0.0.2", false],
  ["10.0.0.0/8", "10.200.3.4", false],
  ["10.0.0.0/8", "11.0.0.1", false],
  ["10.0.0.0/8", "172.16.0.1", true],
  ["10.0.0.0/8", "::ffff:10.1.1.1", false],
  ["10.0.0.0/8", "64:ff9b::10.1.1.1", false],
  ["::1/128", "::1", false],
  ["::1/128", "127.0.0.1", true],
  ["::1/128", "::2", true],
  ["fd00::/8", "fd12::1", false],
  ["fd00::/8", "fc00::1", true],
  ["169.254.169.254/32", "169.254.169.254", false],
  ["169.254.169.254/32", "169.254.169.253", true],
  ["127.0.0.2/32,10.0.0.0/8,::1/128", "::1", false],
  ["127.0.0.2/32,10.0.0.0/8,::1/128", "10.9.9.9", false],
  ["127.0.0.2/32,10.0.0.0/8,::1/128", "192.168.0.1", true],
];

for (const [list, address, blocked] of ALLOW_CASES) {
  Deno.test(`isBlockedAddress() with allow-list ${list} ${blocked ? "blocks" : "allows"} ${address}`, () => {
    const reason = isBlockedAddress(address, parseAllowNets(list));
    assert.equal(reason !== null, blocked, `reason: ${reason}`);
  });
}

Deno.test("parseAllowNets() parses entries, trims blanks and widens bare addresses", () => {
  const nets = parseAllowNets(" 127.0.0.2/32, 10.0.0.0/8,,::1/128 , ::1, 192.168.0.1 ");
  assert.deepEqual(nets.map((n) => n.text), [
    "127.0.0.2/32",
    "10.0.0.0/8",
    "::1/128",
    "::1/128",
    "192.168.0.1/32",
  ]);
  assert.deepEqual(parseAllowNets(""), []);
});

Deno.test("parseAllowNets() throws RangeError naming the bad entry", () => {
  for (
    const bad of ["10.0.0.0/33", "::1/129", "x", "0x7f.1/8", "127.1", "1.2.3.4/", "1.2.3.4/-1"]
  ) {
    assert.throws(
      () => parseAllowNets(`10.0.0.0/8,${bad}`),
      (e: unknown) => e instanceof RangeError && e.message.includes(`"${bad}"`),
      bad,
    );
  }
});

/** URL spellings of internal hosts; each must end up blocked. */
const URL_TRICKS: [string, string][] = [
  ["http://2130706433/", "127.0.0.1"],
  ["http://0x7f.1/", "127.0.0.1"],
  ["http://127.1/", "127.0.0.1"],
  ["http://0177.0.0.1/", "127.0.0.1"],
  ["http://0x7f000001/", "127.0.0.1"],
  ["http://127.0.0.1./", "127.0.0.1"],
  ["http://[::ffff:127.0.0.1]/", "::ffff:7f00:1"],
  ["http://[::127.0.0.1]/", "::7f00:1"],
  ["http://[::1]/", "::1"],
  ["http://[0:0:0:0:0:0:0:1]:8080/", "::1"],
  ["http://good@127.0.0.1/", "127.0.0.1"],
  ["http://LOCALHOST./", "localhost."],
  ["http://localhost/", "localhost"],
  ["http://api.localhost/", "api.localhost"],
  ["https://169.254.169.254/latest/meta-data/", "169.254.169.254"],
  ["http://[fd00:ec2::254]/", "fd00:ec2::254"],
  ["http://0/", "0.0.0.0"],
];

for (const [href, hostname] of URL_TRICKS) {
  Deno.test(`checkUrlTarget() blocks ${href}`, () => {
    const url = new URL(href);
    assert.equal(url.hostname.replace(/^\[|\]$/g, ""), hostname);
    assert.throws(
      () => checkUrlTarget(url, OPEN),
      (e: unknown) => e instanceof NetError && e.code === "blocked_address",
    );
  });
}

Deno.test("checkUrlTarget() leaves the host after a userinfo trick to DNS", () => {
  const url = new URL("http://good:pw@10.0.0.1:80@evil.test/");
  assert.equal(url.hostname, "evil.test");
  assert.equal(checkUrlTarget(url, OPEN).addresses, null);
});

Deno.test("checkUrlTarget() returns the literal address and default port of allowed targets", () => {
  const policy = { allowNets: parseAllowNets("127.0.0.1/32,::1/128"), allowedPorts: null };
  assert.deepEqual(checkUrlTarget(new URL("http://0x7f.1/"), policy), {
    protocol: "http:",
    hostname: "127.0.0.1",
    port: 80,
    addresses: ["127.0.0.1"],
  });
  assert.deepEqual(checkUrlTarget(new URL("https://[::1]:8443/x"), policy), {
    protocol: "https:",
    hostname: "::1",
    port: 8443,
    addresses: ["::1"],
  });
  assert.deepEqual(checkUrlTarget(new URL("https://Example.COM/"), OPEN), {
    protocol: "https:",
    hostname: "example.com",
    port: 443,
    addresses: null,
  });
});

Deno.test("checkUrlTarget() treats localhost names as both loopback addresses", () => {
  const onlyV4 = { allowNets: parseAllowNets("127.0.0.1/32"), allowedPorts: null };
  assert.throws(() => checkUrlTarget(new URL("http://localhost/"), onlyV4), /::1/);
  const both = { allowNets: parseAllowNets("127.0.0.1/32,::1/128"), allowedPorts: null };
  assert.deepEqual(checkUrlTarget(new URL("http://a.localhost/"), both).addresses, [
    "127.0.0.1",
    "::1",
  ]);
});

Deno.test("checkUrlTarget() blocks schemes other than http and https", () => {
  for (const href of ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "data:,x"]) {
    assert.throws(
      () => checkUrlTarget(new URL(href), OPEN),
      (e: unknown) => e instanceof NetError && e.code === "blocked_scheme",
      href,
    );
  }
});

Deno.test("checkUrlTarget() blocks ports outside allowedPorts", () => {
  const policy = { allowNets: [], allowedPorts: new Set([80, 443]) };
  assert.equal(checkUrlTarget(new URL("http://example.com/"), policy).port, 80);
  assert.equal(checkUrlTarget(new URL("https://example.com:443/"), policy).port, 443);
  for (
    const href of ["http://example.com:8080/", "https://example.com:22/", "http://8.8.8.8:25/"]
  ) {
    assert.throws(
      () => checkUrlTarget(new URL(href), policy),
      (e: unknown) => e instanceof NetError && e.code === "blocked_port",
      href,
    );
  }
});

Deno.test("checkAddresses() refuses a host if any resolved address is blocked", () => {
  checkAddresses("example.com", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"], OPEN);
  assert.throws(
    () => checkAddresses("evil.test", ["93.184.215.14", "127.0.0.1"], OPEN),
    (e: unknown) =>
      e instanceof NetError && e.code === "blocked_address" &&
      e.message === "Host evil.test resolves to 127.0.0.1, which is blocked (loopback)",
  );
});
