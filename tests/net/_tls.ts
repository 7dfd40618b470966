/**
 * Test certificates for the HTTPS and HTTP/2 tests: a throwaway CA made with
 * `/usr/bin/openssl`, and a server certificate it signed. Without openssl the
 * tests that need them are ignored, except in CI (`CI=true` or
 * `REQUIRE_MONGO=1`), where they fail instead.
 *
 * @module
 */

/** The path of openssl, or null when it is missing. */
export const openssl: string | null = (() => {
  try {
    return Deno.statSync("/usr/bin/openssl").isFile ? "/usr/bin/openssl" : null;
  } catch {
    return null;
  }
})();

/** Whether tests needing openssl are ignored (it is missing and this is not CI). */
export const ignoreTls: boolean = openssl === null &&
  Deno.env.get("CI") !== "true" && Deno.env.get("REQUIRE_MONGO") !== "1";

/** A throwaway CA and a server certificate it signed (for skein.test and 127.0.0.1). */
export async function makeCert(): Promise<{ cert: string; key: string; ca: string }> {
  const dir = await Deno.makeTempDir({ prefix: "skein_tls_" });
  if (openssl === null) throw new Error("/usr/bin/openssl is missing: install openssl");
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(openssl!, { args, stdout: "null", stderr: "piped" })
      .output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  try {
    await run(
      "req",
      "-x509",
      ...ec,
      "-days",
      "1",
      "-subj",
      "/CN=skein test CA",
      "-keyout",
      `${dir}/ca.key`,
      "-out",
      `${dir}/ca.pem`,
    );
    await run(
      "req",
      ...ec,
      "-subj",
      "/CN=skein.test",
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/leaf.csr`,
    );
    await Deno.writeTextFile(
      `${dir}/ext.cnf`,
      "subjectAltName=DNS:skein.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n" +
        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    );
    await run(
      "x509",
      "-req",
      "-in",
      `${dir}/leaf.csr`,
      "-CA",
      `${dir}/ca.pem`,
      "-CAkey",
      `${dir}/ca.key`,
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      `${dir}/ext.cnf`,
      "-out",
      `${dir}/cert.pem`,
    );
    return {
      cert: await Deno.readTextFile(`${dir}/cert.pem`),
      key: await Deno.readTextFile(`${dir}/key.pem`),
      ca: await Deno.readTextFile(`${dir}/ca.pem`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
