// The bytes a signature does not cover (RFC 5280 §4.1.1.2): an outer algorithm that differs
// from the signed one, or unused bits in the signature BIT STRING, are readable since A18 (OpenSSL
// and Node read them) but recorded as faults, and such a certificate never verifies: otherwise a
// flip there would yield a "different" certificate (new thumbprint) that still verifies (A6).
import { describe, expect, it } from "vitest";

import { parseCertificate } from "../src/x509/certificate.js";
import { readChildren, readTlv } from "../src/x509/der.js";
import { SignatureVerifier } from "../src/x509/signature.js";
import { fixture } from "./support/fixtures.js";

function outerParts(der: Uint8Array) {
  const [, algorithm, signature] = readChildren(der, readTlv(der, 0));
  return { algorithm: algorithm!, signature: signature! };
}

async function selfCheck(der: Uint8Array) {
  const parsed = parseCertificate(der);
  return {
    faults: parsed.encodingFaults,
    thumbprint: parsed.thumbprint,
    verify: await new SignatureVerifier().verify(parsed, parsed.spki),
  };
}

describe("RFC 5280 §4.1.1.2: the unsigned outer fields", () => {
  it("A18/A6: an outer signature algorithm that differs from the signed one is read, and never verifies", async () => {
    const der = new Uint8Array(fixture("self-signed").der);
    const { algorithm } = outerParts(der);
    // sha256WithRSAEncryption (…01 01 0b) → sha384WithRSAEncryption (…01 01 0c)
    const oid = readChildren(der, algorithm)[0]!;
    expect(der[oid.end - 1]).toBe(0x0b);
    der[oid.end - 1] = 0x0c;
    const result = await selfCheck(der);
    expect(result.faults).toEqual(["signature-algorithm-mismatch"]);
    expect(result.thumbprint).not.toBe(fixture("self-signed").thumbprint);
    expect(result.verify).toMatchObject({ ok: false, failure: "malformed-signature" });
  });

  it("A18/A6: unused bits in the signature BIT STRING are read, and never verify", async () => {
    const der = new Uint8Array(fixture("self-signed").der);
    const { signature } = outerParts(der);
    expect(der[signature.contentStart]).toBe(0);
    der[signature.contentStart] = 1;
    const result = await selfCheck(der);
    expect(result.faults).toEqual(["signature-encoding"]);
    expect(result.verify).toMatchObject({ ok: false, failure: "malformed-signature" });
  });

  it("the untouched certificate parses without faults and verifies", async () => {
    const result = await selfCheck(fixture("self-signed").der);
    expect(result.faults).toEqual([]);
    expect(result.verify).toEqual({ ok: true });
  });
});
