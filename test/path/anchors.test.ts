// A17 (trust anchors are a name and a key) and A3's two profiles, on chains whose root has the
// shapes real public roots have: Go Daddy Class 2 and Starfield (serial 0), QuoVadis and Certigna
// (an authorityKeyIdentifier naming issuer and serial), v1 roots with no extensions, roots
// without a subjectKeyIdentifier or with basicConstraints not critical. By default each anchors
// a path; the strict profile (OpenSSL -x509_strict) refuses it with the rule it breaks. What an
// anchor *asserts* (cA=false, a keyUsage without keyCertSign, an EKU without serverAuth, a
// critical extension nobody understands) and its validity period (A13) count in both profiles.
import { describe, expect, it } from "vitest";

import type { ParsedCertificate } from "../../src/x509/certificate.js";
import {
  type PathFailureCode,
  PathValidator,
  type ValidationProfile,
} from "../../src/x509/path/validator.js";
import { validateCertificatePath } from "../../src/x509/validate-path.js";
import { cn, days, intermediate, leaf, NOW, OID, type Overrides, root } from "../support/chains.js";
import { forgeCertificate } from "../support/forge.js";

const R = { name: "Anchor Root", key: "rsa-1" } as const;
const I = { name: "Anchor Issuing CA", key: "p256-1" } as const;
const L = { name: "mail.contoso.com", key: "p256-2" } as const;

/** authorityKeyIdentifier { authorityCertIssuer [1] { directoryName CN=<name> }, serial [2] 1 }. */
function issuerAndSerialAki(name: string): {
  oid: string;
  critical: boolean;
  value: Uint8Array;
} {
  const utf8 = Buffer.from(name, "utf8");
  const attribute = [0x30, 5 + utf8.length, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, utf8.length];
  const rdnSet = [0x31, attribute.length + utf8.length, ...attribute, ...utf8];
  const nameSeq = [0x30, rdnSet.length, ...rdnSet];
  const directoryName = [0xa4, nameSeq.length, ...nameSeq];
  const issuer = [0xa1, directoryName.length, ...directoryName];
  const serial = [0x82, 0x01, 0x01];
  const body = [...issuer, ...serial];
  return {
    oid: "2.5.29.35",
    critical: false,
    value: Uint8Array.from([0x30, body.length, ...body]),
  };
}

async function chainUnder(rootShape: Overrides): Promise<{
  anchor: ParsedCertificate;
  inter: ParsedCertificate;
  end: ParsedCertificate;
}> {
  const anchor = await root(R, rootShape);
  const inter = await intermediate(I, R);
  const end = await leaf(L, I);
  return { anchor, inter, end };
}

async function verdict(
  shape: Overrides,
  profile: ValidationProfile,
): Promise<"valid" | PathFailureCode> {
  const { anchor, inter, end } = await chainUnder(shape);
  const validator = new PathValidator({ trustAnchors: [anchor], intermediates: [inter], profile });
  const result = await validator.validate(end, NOW, { dnsName: L.name });
  return result.status === "valid" ? "valid" : result.reason.code;
}

describe("A17: a trust anchor's own encoding never makes a path invalid (default profile)", () => {
  // [shape, strict profile's verdict]
  const shapes: readonly [string, Overrides, PathFailureCode][] = [
    ["serial number 0 (Go Daddy Class 2, Starfield)", { serial: "00" }, "bad-serial"],
    ["version 1, no extensions", { version: 1 }, "bad-version"],
    [
      "authorityKeyIdentifier with issuer and serial (QuoVadis, Certigna)",
      { extraExtensions: [issuerAndSerialAki(R.name)] },
      "bad-extension",
    ],
    ["no subjectKeyIdentifier", { ski: false }, "missing-key-identifier"],
    [
      "basicConstraints not critical",
      { basicConstraints: { ca: true, critical: false } },
      "basic-constraints-not-critical",
    ],
    // Strict: its keyUsage asserts keyCertSign without cA (RFC 5280 §4.2.1.3), reported first.
    ["basicConstraints absent (v3)", { basicConstraints: undefined }, "key-usage-without-ca"],
  ];

  it.each(shapes)(
    "%s: valid by default, refused by the strict profile",
    async (_n, shape, code) => {
      expect(await verdict(shape, "rfc5280")).toBe("valid");
      expect(await verdict(shape, "strict")).toBe(code);
    },
  );

  it("the same shapes on an intermediate still count where RFC 5280 §6.1.4 says so", async () => {
    // (k): an intermediate must carry basicConstraints with cA=true, in both profiles: only the
    // anchor is a name and a key.
    const anchor = await root(R);
    const inter = await intermediate(I, R, { basicConstraints: undefined });
    const end = await leaf(L, I);
    const validator = new PathValidator({ trustAnchors: [anchor], intermediates: [inter] });
    expect(await validator.validate(end, NOW)).toMatchObject({
      status: "invalid",
      reason: { code: "issuer-not-ca", certificate: inter.thumbprint },
    });
    // A v1 intermediate cannot say it is a CA at all.
    const v1 = await intermediate(I, R, { version: 1 });
    const v1Validator = new PathValidator({ trustAnchors: [anchor], intermediates: [v1] });
    expect(await v1Validator.validate(end, NOW)).toMatchObject({
      reason: { code: "bad-version", certificate: v1.thumbprint },
    });
  });
});

describe("A17/A13: what an anchor asserts, and its dates, count in both profiles", () => {
  const asserted: readonly [string, Overrides, PathFailureCode][] = [
    ["cA=false", { basicConstraints: { ca: false }, keyUsage: undefined }, "issuer-not-ca"],
    ["keyUsage without keyCertSign", { keyUsage: ["cRLSign"] }, "issuer-key-usage"],
    ["EKU without serverAuth", { eku: [OID.clientAuth] }, "issuer-eku"],
    [
      "an unknown critical extension",
      {
        extraExtensions: [
          { oid: "1.3.6.1.4.1.55738.666.1", critical: true, value: Uint8Array.from([5, 0]) },
        ],
      },
      "unknown-critical-extension",
    ],
    [
      "expired (A13: trust anchors are certificates too)",
      { notBefore: days(-400), notAfter: days(-1) },
      "expired",
    ],
  ];
  it.each(asserted)("%s", async (_n, shape, code) => {
    expect(await verdict(shape, "rfc5280")).toBe(code);
    expect(await verdict(shape, "strict")).toBe(code);
  });
});

describe("A17: a v1 root through the public validator", () => {
  it("anchors a chain by default and reports the policy set (A19: none asserted, none required)", async () => {
    const anchor = await forgeCertificate({
      version: 1,
      serial: "00",
      subject: cn(R.name),
      key: R.key,
      notBefore: days(-1000),
      notAfter: days(1000),
    });
    const inter = await intermediate(I, R);
    const end = await leaf(L, I);
    const result = await validateCertificatePath({
      certificate: end.der,
      trustAnchors: [anchor],
      intermediates: [inter.der],
      now: NOW,
      dnsName: L.name,
    });
    // RFC 5280 §6.1.3 (e): certificates without certificatePolicies leave the valid policy tree
    // empty; with initial-explicit-policy false (the default) the path is still valid.
    expect(result).toMatchObject({ status: "valid", policies: [] });
    if (result.status === "valid") expect(result.path).toHaveLength(3);
    const strict = await validateCertificatePath({
      certificate: end.der,
      trustAnchors: [anchor],
      intermediates: [inter.der],
      now: NOW,
      profile: "strict",
    });
    expect(strict).toMatchObject({ status: "invalid", reason: { code: "bad-version" } });
  });

  it("rejects a profile it does not know (misuse, not a verdict)", async () => {
    const anchor = await root(R);
    expect(
      () =>
        new PathValidator({
          trustAnchors: [anchor],
          profile: "lenient" as unknown as ValidationProfile,
        }),
    ).toThrow(TypeError);
  });
});

describe("A19: the policy inputs are checked as misuse", () => {
  it.each([
    ["a string", "2.5.29.32.0"],
    ["a number in the list", [2, 5]],
    ["text that is not an OID", ["anyPolicy"]],
  ])("initialPolicySet as %s is a TypeError", async (_n, value) => {
    const anchor = await root(R);
    expect(
      () =>
        new PathValidator({
          trustAnchors: [anchor],
          initialPolicySet: value as unknown as readonly string[],
        }),
    ).toThrow(TypeError);
  });
});
