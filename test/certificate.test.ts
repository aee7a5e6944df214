// Parser checks on the bytes a signature does not cover (RFC 5280 §4.1.1.2): without them a
// flip there yields a "different" certificate (new thumbprint) that still verifies.
import { describe, expect, it } from "vitest";

import { InvalidCertificateError } from "../src/index.js";
import { parseCertificate } from "../src/lib/certificate.js";
import { readChildren, readTlv } from "../src/lib/der.js";
import { fixture } from "./support/fixtures.js";

function outerParts(der: Uint8Array) {
  const [, algorithm, signature] = readChildren(der, readTlv(der, 0));
  return { algorithm: algorithm!, signature: signature! };
}

function reason(der: Uint8Array): string {
  try {
    parseCertificate(der);
    return "accepted";
  } catch (error) {
    return error instanceof InvalidCertificateError ? error.reason : "foreign error";
  }
}

describe("RFC 5280 §4.1.1.2: the unsigned outer fields", () => {
  it("A6: an outer signature algorithm that differs from the signed one is refused", () => {
    const der = new Uint8Array(fixture("self-signed").der);
    const { algorithm } = outerParts(der);
    // sha256WithRSAEncryption (…01 01 0b) → sha384WithRSAEncryption (…01 01 0c)
    const oid = readChildren(der, algorithm)[0]!;
    expect(der[oid.end - 1]).toBe(0x0b);
    der[oid.end - 1] = 0x0c;
    expect(reason(der)).toBe("signature-algorithm-mismatch");
  });

  it("A6: unused bits in the signature BIT STRING are refused", () => {
    const der = new Uint8Array(fixture("self-signed").der);
    const { signature } = outerParts(der);
    expect(der[signature.contentStart]).toBe(0);
    der[signature.contentStart] = 1;
    expect(reason(der)).toBe("der-malformed");
  });

  it("the untouched certificate parses", () => {
    expect(reason(fixture("self-signed").der)).toBe("accepted");
  });
});
