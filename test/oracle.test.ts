// Outside oracles: OpenSSL and Node's own X509Certificate are independent parsers. Every fixture's
// thumbprint, dates, version and names as we read them must agree with both.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { parseCertificate } from "../src/x509/certificate.js";
import { FIXTURE_DIR, fixture, manifest } from "./support/fixtures.js";

const names = Object.keys(manifest.certificates);

function openssl(file: string, ...args: string[]): string {
  return execFileSync("openssl", ["x509", "-in", file, "-noout", ...args], { encoding: "utf8" });
}

describe("thumbprints and fields against OpenSSL and node:crypto", () => {
  it("covers every fixture", () => {
    expect(names.length).toBeGreaterThanOrEqual(29);
  });

  it.each(names)("%s", (name) => {
    const f = fixture(name);
    const ours = parseCertificate(f.pem);
    const file = join(FIXTURE_DIR, manifest.certificates[name]!.file);

    const opensslFingerprint = openssl(file, "-fingerprint", "-sha1")
      .trim()
      .split("=")[1]!
      .replace(/:/g, "");
    const native = new X509Certificate(f.der);
    expect(ours.thumbprint).toBe(opensslFingerprint);
    expect(ours.thumbprint).toBe(native.fingerprint.replace(/:/g, ""));
    expect(ours.thumbprint).toBe(f.thumbprint);

    expect(ours.notBefore.getTime()).toBe(new Date(native.validFrom).getTime());
    expect(ours.notAfter.getTime()).toBe(new Date(native.validTo).getTime());
    expect(ours.serialNumber).toBe(native.serialNumber.toUpperCase());

    const text = openssl(file, "-text");
    const version = /Version: (\d)/.exec(text)?.[1];
    expect(String(ours.version)).toBe(version);

    const san =
      native.subjectAltName
        ?.split(", ")
        .filter((n) => n.startsWith("DNS:"))
        .map((n) => n.slice(4)) ?? [];
    expect(ours.dnsNames).toEqual(san);
    const cns = ((native.subject ?? "").match(/^CN=(.*)$/gm) ?? []).map((line) => line.slice(3));
    expect(ours.commonNames).toEqual(cns);
  });
});
