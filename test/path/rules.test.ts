// The path validator, rule by rule (A3, A4, A13; RFC 5280 §6 as issue 3 lists it). Each case is
// named by the rule it protects; chains come from the committed key pool (test/support/chains).
import { webcrypto } from "node:crypto";

import { RsaSaPssParams } from "@peculiar/asn1-rsa";

import { describe, expect, it } from "vitest";

import { type ParsedCertificate, parseCertificate } from "../../src/x509/certificate.js";
import {
  type PathCheckOptions,
  type PathResult,
  PathValidator,
  type ValidationProfile,
} from "../../src/x509/path/validator.js";
import { SignatureVerifier } from "../../src/x509/signature.js";
import { AsnConvert, asn1x509, type WebCrypto } from "../../src/x509/x509.js";
import {
  authorityKeyIdentifierFor,
  cn,
  days,
  intermediate,
  leaf,
  NOW,
  OID,
  root,
  WINDOW,
} from "../support/chains.js";
import { forgeCertificate } from "../support/forge.js";

const R = { name: "Root CA", key: "rsa-1" } as const;
const R2 = { name: "Other Root CA", key: "p384-1" } as const;
const I = { name: "Issuing CA", key: "p256-1" } as const;
const I2 = { name: "Sub CA", key: "rsa-2" } as const;
const L = { name: "mail.contoso.com", key: "p256-2" } as const;
const SECOND = 1000;

async function validate(
  leafCert: ParsedCertificate,
  anchors: readonly ParsedCertificate[],
  intermediates: readonly ParsedCertificate[] = [],
  options: PathCheckOptions & { now?: Date; maxDepth?: number; profile?: ValidationProfile } = {},
): Promise<PathResult> {
  const { now = NOW, maxDepth, profile, ...check } = options;
  const validator = new PathValidator({
    trustAnchors: anchors,
    intermediates,
    ...(maxDepth === undefined ? {} : { maxDepth }),
    ...(profile === undefined ? {} : { profile }),
  });
  return validator.validate(leafCert, now, check);
}

const thumbprints = (result: PathResult) =>
  result.status === "valid" ? result.path.map((c) => c.thumbprint) : result.reason.code;

async function standardChain() {
  const r = await root(R);
  const i = await intermediate(I, R);
  const l = await leaf(L, I);
  return { r, i, l };
}

describe("A3: a chain to a caller-supplied trust anchor, every signature verifying", () => {
  it("A3: leaf ← intermediate ← root is valid, path leaf … anchor", async () => {
    const { r, i, l } = await standardChain();
    expect(thumbprints(await validate(l, [r], [i]))).toEqual([
      l.thumbprint,
      i.thumbprint,
      r.thumbprint,
    ]);
  });

  it("A3: a leaf issued directly by the anchor is valid", async () => {
    const r = await root(R);
    const l = await leaf(L, R);
    expect(thumbprints(await validate(l, [r]))).toEqual([l.thumbprint, r.thumbprint]);
  });

  it("A3: no trust anchors → no-trust-anchors", async () => {
    const { i, l } = await standardChain();
    expect(await validate(l, [], [i])).toMatchObject({ reason: { code: "no-trust-anchors" } });
  });

  it("A3: a missing intermediate → no-path, naming the certificate without an issuer", async () => {
    const { r, l } = await standardChain();
    expect(await validate(l, [r])).toMatchObject({
      reason: { code: "no-path", certificate: l.thumbprint },
    });
  });

  it("A3: a root that is only among the intermediates → untrusted-root", async () => {
    const { r, i, l } = await standardChain();
    const other = await root(R2);
    expect(await validate(l, [other], [i, r])).toMatchObject({
      reason: { code: "untrusted-root", certificate: r.thumbprint },
    });
  });

  it("A3: a corrupted leaf signature → bad-signature", async () => {
    const r = await root(R);
    const i = await intermediate(I, R);
    const l = await leaf(L, I, { corruptSignature: true });
    expect(await validate(l, [r], [i])).toMatchObject({
      reason: { code: "bad-signature", certificate: l.thumbprint },
    });
  });

  it("A3: an intermediate signed by another key than its issuer's → bad-signature", async () => {
    const r = await root(R);
    const i = parseCertificate(
      await forgeCertificate({
        subject: cn(I.name),
        issuer: cn(R.name),
        key: I.key,
        signer: "rsa-3",
        ...WINDOW.valid,
        basicConstraints: { ca: true },
        keyUsage: ["keyCertSign"],
        aki: false,
        // The AKI names the real issuer's key, so the root is a candidate and the signature fails.
        extraExtensions: [authorityKeyIdentifierFor(R.key)],
      }),
    );
    const l = await leaf(L, I);
    expect(await validate(l, [r], [i])).toMatchObject({
      reason: { code: "bad-signature", certificate: i.thumbprint },
    });
  });

  it("A3: a self-signed leaf that is not an anchor → untrusted-root (and no crash)", async () => {
    const self = await root(
      { name: "mail.contoso.com", key: "p256-3" },
      { basicConstraints: { ca: false }, keyUsage: ["digitalSignature"] },
    );
    const r = await root(R);
    expect(await validate(self, [r])).toMatchObject({ reason: { code: "untrusted-root" } });
  });

  it("A3: a leaf that is itself a trust anchor is a one-element path (direct trust)", async () => {
    const self = await root(
      { name: "mail.contoso.com", key: "p256-3" },
      { basicConstraints: { ca: false }, keyUsage: ["digitalSignature"] },
    );
    expect(thumbprints(await validate(self, [self]))).toEqual([self.thumbprint]);
  });

  it("A3: an intermediate may be the trust anchor (no self-signed root needed)", async () => {
    const { i, l } = await standardChain();
    expect(thumbprints(await validate(l, [i]))).toEqual([l.thumbprint, i.thumbprint]);
  });
});

describe("A4: validity is inclusive at both ends, at every level", () => {
  const levels = ["leaf", "intermediate", "root"] as const;
  async function chainWith(
    level: (typeof levels)[number],
    window: { notBefore: Date; notAfter: Date },
  ) {
    const r = await root(R, level === "root" ? window : {});
    const i = await intermediate(I, R, level === "intermediate" ? window : {});
    const l = await leaf(L, I, level === "leaf" ? window : {});
    return { r, i, l, at: { leaf: l, intermediate: i, root: r }[level] };
  }

  for (const level of levels) {
    it(`A4: ${level} with notAfter == now is valid`, async () => {
      const { r, i, l } = await chainWith(level, { notBefore: days(-10), notAfter: NOW });
      expect((await validate(l, [r], [i])).status).toBe("valid");
    });
    it(`A4: ${level} one second past notAfter → expired, with notAfter and now`, async () => {
      const { r, i, l, at } = await chainWith(level, {
        notBefore: days(-10),
        notAfter: new Date(NOW.getTime() - SECOND),
      });
      expect(await validate(l, [r], [i])).toMatchObject({
        reason: { code: "expired", certificate: at.thumbprint, notAfter: at.notAfter, now: NOW },
      });
    });
    it(`A4: ${level} with notBefore == now is valid`, async () => {
      const { r, i, l } = await chainWith(level, { notBefore: NOW, notAfter: days(10) });
      expect((await validate(l, [r], [i])).status).toBe("valid");
    });
    it(`A4: ${level} one second before notBefore → not-yet-valid`, async () => {
      const { r, i, l, at } = await chainWith(level, {
        notBefore: new Date(NOW.getTime() + SECOND),
        notAfter: days(10),
      });
      expect(await validate(l, [r], [i])).toMatchObject({
        reason: { code: "not-yet-valid", certificate: at.thumbprint },
      });
    });
  }

  it("A4: `now` is the injected time, not the wall clock", async () => {
    const { r, i, l } = await standardChain();
    expect((await validate(l, [r], [i], { now: days(400) })).status).toBe("invalid");
    expect((await validate(l, [r], [i], { now: days(-400) })).status).toBe("invalid");
  });
});

describe("A13: issuers are CAs, keyCertSign when keyUsage is present, pathLen honoured", () => {
  const cases = [
    [
      "intermediate without basicConstraints → issuer-not-ca",
      "intermediate",
      { basicConstraints: undefined, keyUsage: ["digitalSignature"] },
      "issuer-not-ca",
    ],
    [
      "intermediate with cA=false → issuer-not-ca",
      "intermediate",
      { basicConstraints: { ca: false }, keyUsage: ["digitalSignature"] },
      "issuer-not-ca",
    ],
    [
      "root with cA=false → issuer-not-ca (anchors are certificates too)",
      "root",
      { basicConstraints: { ca: false }, keyUsage: ["digitalSignature"] },
      "issuer-not-ca",
    ],
    [
      "non-critical basicConstraints → basic-constraints-not-critical (strict; A3: valid by default)",
      "intermediate",
      { basicConstraints: { ca: true, critical: false } },
      "basic-constraints-not-critical",
      "valid",
    ],
    [
      "intermediate keyUsage without keyCertSign → issuer-key-usage",
      "intermediate",
      { keyUsage: ["digitalSignature", "cRLSign"] },
      "issuer-key-usage",
    ],
    [
      "root keyUsage without keyCertSign → issuer-key-usage",
      "root",
      { keyUsage: ["cRLSign"] },
      "issuer-key-usage",
    ],
    [
      "keyCertSign without cA → key-usage-without-ca (strict; issuer-not-ca by default)",
      "intermediate",
      { basicConstraints: { ca: false }, keyUsage: ["keyCertSign"] },
      "key-usage-without-ca",
      "issuer-not-ca",
    ],
    [
      "intermediate EKU clientAuth only → issuer-eku",
      "intermediate",
      { eku: [OID.clientAuth] },
      "issuer-eku",
    ],
    [
      "CA without keyUsage is valid (A13: only when present)",
      "intermediate",
      { keyUsage: undefined },
      "valid",
    ],
    ["intermediate EKU serverAuth is valid", "intermediate", { eku: [OID.serverAuth] }, "valid"],
    [
      "intermediate without subjectKeyIdentifier → missing-key-identifier (strict; A3: valid by default)",
      "intermediate",
      { ski: false },
      "missing-key-identifier",
      "valid",
    ],
    [
      "intermediate without authorityKeyIdentifier → missing-key-identifier (strict; A3: valid by default)",
      "intermediate",
      { aki: false },
      "missing-key-identifier",
      "valid",
    ],
    [
      "unknown critical extension on the intermediate → unknown-critical-extension",
      "intermediate",
      {
        extraExtensions: [
          { oid: "1.3.6.1.4.1.55738.666.1", critical: true, value: Uint8Array.from([5, 0]) },
        ],
      },
      "unknown-critical-extension",
    ],
    [
      "unknown critical extension on the root → unknown-critical-extension",
      "root",
      {
        extraExtensions: [
          { oid: "1.3.6.1.4.1.55738.666.1", critical: true, value: Uint8Array.from([5, 0]) },
        ],
      },
      "unknown-critical-extension",
    ],
    [
      "unknown non-critical extension is ignored",
      "intermediate",
      {
        extraExtensions: [
          { oid: "1.3.6.1.4.1.55738.666.1", critical: false, value: Uint8Array.from([5, 0]) },
        ],
      },
      "valid",
    ],
  ] as const;
  // Each case under both profiles: the fourth element is the strict profile's verdict, the
  // optional fifth the default profile's where the two differ (A3: RFC 5280's rules for how a CA
  // encodes a certificate are the strict profile's; A17 for trust anchors).
  const both = cases.flatMap((entry) => {
    const [name, level, extra, strict] = entry;
    const byDefault = entry.length > 4 ? (entry as readonly unknown[])[4] : strict;
    return [
      [`${name} [strict]`, level, extra, strict, "strict"],
      [`${name} [rfc5280]`, level, extra, byDefault as string, "rfc5280"],
    ] as const;
  });
  it.each(both)("A13: %s", async (_name, level, extra, expected, profile) => {
    const r = await root(R, level === "root" ? extra : {});
    const i = await intermediate(I, R, level === "intermediate" ? extra : {});
    const l = await leaf(L, I);
    const result = await validate(l, [r], [i], { profile });
    if (expected === "valid") expect(result.status).toBe("valid");
    else {
      const at = level === "root" ? r : i;
      expect(result).toMatchObject({ reason: { code: expected, certificate: at.thumbprint } });
    }
  });

  it.each([
    [0, 0, "valid"],
    [0, 1, "path-length"],
    [1, 1, "valid"],
    [1, 2, "path-length"],
    [2, 2, "valid"],
  ] as const)(
    "A13: root pathLenConstraint %i with %i intermediates → %s",
    async (pathLen, count, expected) => {
      const r = await root(R, { basicConstraints: { ca: true, pathLen } });
      const cas = [I, I2].slice(0, count);
      const intermediates: ParsedCertificate[] = [];
      for (const [index, ca] of cas.entries())
        intermediates.push(await intermediate(ca, index === 0 ? R : cas[index - 1]!));
      const l = await leaf(L, cas[cas.length - 1] ?? R);
      const result = await validate(l, [r], intermediates);
      if (expected === "valid") expect(result.status).toBe("valid");
      else
        expect(result).toMatchObject({
          reason: { code: expected, certificate: r.thumbprint, pathLen, intermediates: count },
        });
    },
  );

  it("A13: an intermediate's own pathLenConstraint 0 forbids a sub-CA below it", async () => {
    const r = await root(R);
    const i = await intermediate(I, R, { basicConstraints: { ca: true, pathLen: 0 } });
    const i2 = await intermediate(I2, I);
    const l = await leaf(L, I2);
    expect(await validate(l, [r], [i, i2])).toMatchObject({
      reason: { code: "path-length", certificate: i.thumbprint },
    });
  });

  it("A13/RFC 5280 §6.1.4 (l): a self-issued (key rollover) intermediate does not count for pathLen", async () => {
    const r = await root(R, { basicConstraints: { ca: true, pathLen: 1 } });
    const oldKey = await intermediate(I, R);
    const rollover = parseCertificate(
      await forgeCertificate({
        serial: 99,
        subject: cn(I.name),
        issuer: cn(I.name),
        key: "p256-4",
        signer: I.key,
        ...WINDOW.valid,
        basicConstraints: { ca: true },
        keyUsage: ["keyCertSign"],
        aki: true,
      }),
    );
    const l = await leaf(L, { name: I.name, key: "p256-4" });
    expect(thumbprints(await validate(l, [r], [oldKey, rollover]))).toEqual([
      l.thumbprint,
      rollover.thumbprint,
      oldKey.thumbprint,
      r.thumbprint,
    ]);
  });

  it.each([
    [[OID.serverAuth], "valid"],
    [[OID.clientAuth, OID.serverAuth], "valid"],
    [[OID.anyExtendedKeyUsage], "valid"],
    [undefined, "valid"],
    [[OID.clientAuth], "leaf-eku"],
    [[OID.emailProtection], "leaf-eku"],
  ] as const)("A13: leaf EKU %j → %s", async (eku, expected) => {
    const r = await root(R);
    const l = parseCertificate(
      await forgeCertificate({
        serial: 5,
        subject: cn(L.name),
        issuer: cn(R.name),
        key: L.key,
        signer: R.key,
        ...WINDOW.valid,
        san: [L.name],
        ...(eku === undefined ? {} : { eku }),
      }),
    );
    const result = await validate(l, [r]);
    if (expected === "valid") expect(result.status).toBe("valid");
    else expect(result).toMatchObject({ reason: { code: expected, certificate: l.thumbprint } });
  });

  it("RFC 5280 §4.2: an unknown critical extension on the leaf rejects it", async () => {
    const r = await root(R);
    const l = await leaf(L, R, {
      extraExtensions: [{ oid: "1.2.3.4.5", critical: true, value: Uint8Array.from([5, 0]) }],
    });
    expect(await validate(l, [r])).toMatchObject({
      reason: { code: "unknown-critical-extension", oid: "1.2.3.4.5" },
    });
  });
});

describe("RFC 5280 §4.2.1.10: DNS name constraints", () => {
  async function constrained(
    nameConstraints: { permitted?: string[]; excluded?: string[] },
    san: string[],
    subjectName = san[0] ?? "x",
  ) {
    const r = await root(R, { nameConstraints });
    const l = await leaf({ name: subjectName, key: L.key }, R, { san });
    return { r, l };
  }
  it.each([
    [{ permitted: ["contoso.com"] }, ["mail.contoso.com"], "valid"],
    [{ permitted: ["contoso.com"] }, ["contoso.com"], "valid"],
    [{ permitted: ["contoso.com"] }, ["mail.fabrikam.com"], "name-constraints"],
    [{ permitted: ["contoso.com"] }, ["evilcontoso.com"], "name-constraints"],
    [{ permitted: [".contoso.com"] }, ["contoso.com"], "name-constraints"],
    [{ permitted: [".contoso.com"] }, ["mail.contoso.com"], "valid"],
    [{ excluded: ["bad.contoso.com"] }, ["mail.contoso.com"], "valid"],
    [{ excluded: ["bad.contoso.com"] }, ["x.bad.contoso.com"], "name-constraints"],
    [
      { permitted: ["contoso.com"], excluded: ["bad.contoso.com"] },
      ["bad.contoso.com"],
      "name-constraints",
    ],
    [{ permitted: ["contoso.com"] }, ["*.contoso.com"], "valid"],
    [{ excluded: ["mail.contoso.com"] }, ["*.contoso.com"], "name-constraints"],
  ] as const)("NC %j with SAN %j → %s", async (nameConstraints, san, expected) => {
    const { r, l } = await constrained(
      {
        ...("permitted" in nameConstraints ? { permitted: [...nameConstraints.permitted] } : {}),
        ...("excluded" in nameConstraints ? { excluded: [...nameConstraints.excluded] } : {}),
      },
      [...san],
    );
    const result = await validate(l, [r]);
    if (expected === "valid") expect(result.status).toBe("valid");
    else
      expect(result).toMatchObject({
        reason: { code: expected, certificate: l.thumbprint, constrainedBy: r.thumbprint },
      });
  });

  it("A7: a subject CN outside the permitted subtree rejects the path, though the SAN is inside", async () => {
    const { r, l } = await constrained(
      { permitted: ["contoso.com"] },
      ["mail.contoso.com"],
      "mail.fabrikam.com",
    );
    expect(await validate(l, [r])).toMatchObject({ reason: { code: "name-constraints" } });
    // With SAN-only matching (RFC 9525) the CN is not a name, so it is not constrained either.
    expect((await validate(l, [r], [], { nameSources: "san-only" })).status).toBe("valid");
  });

  it("RFC 5280 §6.1.3: an intermediate's constraints apply to the leaf below it", async () => {
    const r = await root(R);
    const i = await intermediate(I, R, { nameConstraints: { permitted: ["fabrikam.com"] } });
    const l = await leaf(L, I);
    expect(await validate(l, [r], [i])).toMatchObject({
      reason: { code: "name-constraints", constrainedBy: i.thumbprint },
    });
  });

  it("RFC 5280 §4.2.1.10: name constraints on a leaf → bad-extension (strict profile)", async () => {
    const r = await root(R);
    const l = await leaf(L, R, { nameConstraints: { permitted: ["contoso.com"] } });
    expect(await validate(l, [r], [], { profile: "strict" })).toMatchObject({
      reason: { code: "bad-extension" },
    });
    // A3: a CA's encoding mistake on the leaf, not something a relying party must refuse.
    expect((await validate(l, [r])).status).toBe("valid");
  });
});

/** DER TLV with a definite length (short or long form). */
function tlv(tag: number, content: Uint8Array): Uint8Array {
  const length =
    content.length < 0x80
      ? [content.length]
      : content.length < 0x100
        ? [0x81, content.length]
        : [0x82, content.length >> 8, content.length & 0xff];
  return Uint8Array.from([tag, ...length, ...content]);
}
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]));
const subtrees = (tag: number, bases: Uint8Array[]) =>
  tlv(tag, concat(...bases.map((base) => tlv(0x30, base))));
const directoryName = (o: string) =>
  tlv(
    0xa4,
    new Uint8Array(
      AsnConvert.serialize(
        new asn1x509.Name([
          new asn1x509.RelativeDistinguishedName([
            new asn1x509.AttributeTypeAndValue({
              type: "2.5.4.10",
              value: new asn1x509.AttributeValue({ utf8String: o }),
            }),
          ]),
        ]),
      ),
    ),
  );
const ipBase = (...octets: number[]) => tlv(0x87, Uint8Array.from(octets));
function nameConstraintsExtension(permitted: Uint8Array[], excluded: Uint8Array[] = []) {
  const parts = [
    ...(permitted.length > 0 ? [subtrees(0xa0, permitted)] : []),
    ...(excluded.length > 0 ? [subtrees(0xa1, excluded)] : []),
  ];
  return { oid: "2.5.29.30", critical: true, value: tlv(0x30, concat(...parts)) };
}
const ipSan = (...octets: number[]) => ({
  oid: "2.5.29.17",
  critical: false,
  value: tlv(
    0x30,
    concat(tlv(0x82, new TextEncoder().encode("mail.contoso.com")), ipBase(...octets)),
  ),
});

describe("RFC 5280 §4.2.1.10: directoryName and iPAddress constraints", () => {
  it.each([
    ["permitted O=Path Tests", [directoryName("Path Tests")], [], "valid"],
    ["permitted O=Other", [directoryName("Other")], [], "name-constraints"],
    ["excluded O=Path Tests", [], [directoryName("Path Tests")], "name-constraints"],
  ] as const)("DN: %s", async (_name, permitted, excluded, expected) => {
    const r = await root(R, {
      extraExtensions: [nameConstraintsExtension([...permitted], [...excluded])],
    });
    const l = await leaf(L, R);
    const result = await validate(l, [r]);
    if (expected === "valid") expect(result.status).toBe("valid");
    else expect(result).toMatchObject({ reason: { code: expected } });
  });

  it.each([
    ["192.0.2.10 in 192.0.2.0/24", [192, 0, 2, 10], [192, 0, 2, 0, 255, 255, 255, 0], "valid"],
    [
      "198.51.100.1 outside 192.0.2.0/24",
      [198, 51, 100, 1],
      [192, 0, 2, 0, 255, 255, 255, 0],
      "name-constraints",
    ],
    [
      "a mask that is not a prefix",
      [192, 0, 2, 10],
      [192, 0, 2, 0, 255, 0, 255, 0],
      "name-constraints",
    ],
    ["a constraint of 5 octets", [192, 0, 2, 10], [192, 0, 2, 0, 255], "name-constraints"],
  ] as const)("IP: %s", async (_name, address, constraint, expected) => {
    const r = await root(R, {
      extraExtensions: [nameConstraintsExtension([ipBase(...constraint)])],
    });
    const l = await leaf(L, R, { san: undefined, extraExtensions: [ipSan(...address)] });
    const result = await validate(l, [r], [], { ipAddress: Uint8Array.from(address) });
    if (expected === "valid") expect(result.status).toBe("valid");
    else expect(result).toMatchObject({ reason: { code: expected } });
  });

  it("ipAddress: a leaf without that SAN iPAddress → name-mismatch", async () => {
    const r = await root(R);
    const l = await leaf(L, R, { san: undefined, extraExtensions: [ipSan(192, 0, 2, 10)] });
    expect(
      await validate(l, [r], [], { ipAddress: Uint8Array.from([192, 0, 2, 11]) }),
    ).toMatchObject({
      reason: { code: "name-mismatch" },
    });
  });
});

describe("dnsName: the selection's matcher (A2, A5, A7)", () => {
  it.each([
    [{ dnsName: "mail.contoso.com" }, ["mail.contoso.com"], "leaf", "valid"],
    [{ dnsName: "MAIL.Contoso.com." }, ["mail.contoso.com"], "leaf", "valid"],
    [{ dnsName: "contoso.com" }, ["evilcontoso.com"], "leaf", "name-mismatch"],
    [{ dnsName: "mail.contoso.com" }, ["*.contoso.com"], "leaf", "name-mismatch"],
    [{ dnsName: "mail.contoso.com", wildcardNames: true }, ["*.contoso.com"], "leaf", "valid"],
    [{ dnsName: "mail.contoso.com" }, ["other.contoso.com"], "mail.contoso.com", "valid"],
    [
      { dnsName: "mail.contoso.com", nameSources: "san-only" },
      ["other.contoso.com"],
      "mail.contoso.com",
      "name-mismatch",
    ],
    [{ dnsName: "not a host" }, ["mail.contoso.com"], "leaf", "name-mismatch"],
  ] as const)("%j against SAN %j, CN %s → %s", async (options, san, subjectName, expected) => {
    const r = await root(R);
    const l = await leaf({ name: subjectName, key: L.key }, R, { san: [...san] });
    const result = await validate(l, [r], [], options);
    if (expected === "valid") expect(result.status).toBe("valid");
    else expect(result).toMatchObject({ reason: { code: expected } });
  });
});

describe("issue 3 §2: backtracking, loops, depth", () => {
  async function crossSigned(rootWindow: { notBefore: Date; notAfter: Date }) {
    const r = await root(R, rootWindow);
    const r2 = await root(R2);
    const viaR = await intermediate(I, R);
    const viaR2 = await intermediate(I, R2);
    const l = await leaf(L, I);
    return { r, r2, viaR, viaR2, l };
  }

  it("an expired trust anchor on one path does not hide a valid cross-signed path, in any order", async () => {
    const { r, r2, viaR, viaR2, l } = await crossSigned(WINDOW.expired);
    for (const anchors of [
      [r, r2],
      [r2, r],
    ]) {
      for (const pool of [
        [viaR, viaR2],
        [viaR2, viaR],
      ]) {
        expect(thumbprints(await validate(l, anchors, pool))).toEqual([
          l.thumbprint,
          viaR2.thumbprint,
          r2.thumbprint,
        ]);
      }
    }
  });

  it("an expired cross-certificate does not hide the valid one", async () => {
    const r = await root(R);
    const r2 = await root(R2);
    const expired = await intermediate(I, R2, WINDOW.expired);
    const good = await intermediate(I, R);
    const l = await leaf(L, I);
    expect(thumbprints(await validate(l, [r2, r], [expired, good]))).toEqual([
      l.thumbprint,
      good.thumbprint,
      r.thumbprint,
    ]);
  });

  it("when every path fails, the failure on a verified issuer beats a bad candidate signature", async () => {
    const r = await root(R, WINDOW.expired);
    const r2 = await root(R2);
    const viaR = await intermediate(I, R);
    const viaR2 = await intermediate(I, R2, { corruptSignature: true });
    const l = await leaf(L, I);
    for (const pool of [
      [viaR, viaR2],
      [viaR2, viaR],
    ]) {
      expect(await validate(l, [r, r2], pool)).toMatchObject({
        reason: { code: "expired", certificate: r.thumbprint },
      });
    }
  });

  it("the leaf's own problem is reported before any path problem", async () => {
    const r = await root(R);
    const l = await leaf(L, I, WINDOW.expired);
    expect(await validate(l, [r])).toMatchObject({
      reason: { code: "expired", certificate: l.thumbprint },
    });
  });

  it("two CAs that cross-sign each other, with no anchor above them, terminate (loop detected)", async () => {
    const a = await intermediate({ name: "CA A", key: "p256-5" }, { name: "CA B", key: "p256-6" });
    const b = await intermediate({ name: "CA B", key: "p256-6" }, { name: "CA A", key: "p256-5" });
    const l = await leaf(L, { name: "CA A", key: "p256-5" });
    const other = await root(R);
    expect(await validate(l, [other], [a, b])).toMatchObject({ reason: { code: "path-loop" } });
  });

  it("maxDepth bounds the intermediates → depth-exceeded", async () => {
    const r = await root(R);
    const i = await intermediate(I, R);
    const i2 = await intermediate(I2, I);
    const l = await leaf(L, I2);
    expect((await validate(l, [r], [i, i2], { maxDepth: 2 })).status).toBe("valid");
    expect(await validate(l, [r], [i, i2], { maxDepth: 1 })).toMatchObject({
      reason: { code: "depth-exceeded" },
    });
  });

  it("the default depth (8) rejects a chain of 9 intermediates", async () => {
    const keys = [
      "rsa-2",
      "rsa-3",
      "rsa-4",
      "rsa-5",
      "rsa-6",
      "p256-1",
      "p256-3",
      "p256-4",
      "p256-5",
    ] as const;
    const nodes = keys.map((key, index) => ({ name: `CA ${index}`, key }));
    const r = await root(R);
    const pool: ParsedCertificate[] = [];
    for (const [index, node] of nodes.entries())
      pool.push(await intermediate(node, index === 0 ? R : nodes[index - 1]!));
    const l = await leaf(L, nodes[nodes.length - 1]!);
    expect(await validate(l, [r], pool)).toMatchObject({
      reason: { code: "depth-exceeded", maxDepth: 8 },
    });
    expect((await validate(l, [r], pool, { maxDepth: 9 })).status).toBe("valid");
  });
});

describe("revocation hook: can only make a path invalid", () => {
  it("revoked leaf → revoked; unknown → still valid", async () => {
    const { r, i, l } = await standardChain();
    const revoked = await validate(l, [r], [i], {
      revocation: async (c) => (c.thumbprint === l.thumbprint ? "revoked" : "good"),
    });
    expect(revoked).toMatchObject({
      reason: { code: "revoked", certificate: l.thumbprint, issuer: i.thumbprint },
    });
    expect((await validate(l, [r], [i], { revocation: async () => "unknown" })).status).toBe(
      "valid",
    );
  });

  it("a hook that throws → revocation-error (fail closed)", async () => {
    const { r, i, l } = await standardChain();
    const result = await validate(l, [r], [i], {
      revocation: async () => {
        throw new Error("CRL offline");
      },
    });
    expect(result).toMatchObject({ reason: { code: "revocation-error" } });
  });

  it("a revoked cross-certificate: the other path is used", async () => {
    const r = await root(R);
    const r2 = await root(R2);
    const viaR = await intermediate(I, R);
    const viaR2 = await intermediate(I, R2);
    const l = await leaf(L, I);
    const result = await validate(l, [r, r2], [viaR, viaR2], {
      revocation: async (c) => (c.thumbprint === viaR.thumbprint ? "revoked" : "good"),
    });
    expect(thumbprints(result)).toEqual([l.thumbprint, viaR2.thumbprint, r2.thumbprint]);
  });

  it("a hook saying good cannot rescue an invalid path, and is not asked about it", async () => {
    const r = await root(R, WINDOW.expired);
    const i = await intermediate(I, R);
    const l = await leaf(L, I);
    let calls = 0;
    const result = await validate(l, [r], [i], {
      revocation: async () => {
        calls++;
        return "good";
      },
    });
    expect(result).toMatchObject({ reason: { code: "expired" } });
    expect(calls).toBe(0);
  });
});

describe("issue 3 §6: cost", () => {
  it("each (certificate, issuer) signature is verified at most once per validator instance", async () => {
    const subtle = webcrypto.subtle;
    let verifications = 0;
    const counting = {
      getRandomValues: webcrypto.getRandomValues.bind(webcrypto),
      randomUUID: webcrypto.randomUUID.bind(webcrypto),
      subtle: new Proxy(subtle, {
        get(target, property) {
          const value = Reflect.get(target, property, target);
          if (property === "verify") {
            return (...args: Parameters<typeof subtle.verify>) => {
              verifications++;
              return subtle.verify(...args);
            };
          }
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
    } as unknown as WebCrypto;
    const r = await root(R, WINDOW.expired);
    const r2 = await root(R2);
    const viaR = await intermediate(I, R);
    const viaR2 = await intermediate(I, R2);
    const l = await leaf(L, I);
    const validator = new PathValidator({
      trustAnchors: [r, r2],
      intermediates: [viaR, viaR2],
      verifier: new SignatureVerifier(counting),
    });
    expect((await validate(l, [r, r2], [viaR, viaR2])).status).toBe("valid");
    await validator.validate(l, NOW);
    const first = verifications;
    await validator.validate(l, NOW);
    await validator.validate(l, NOW, { dnsName: L.name });
    expect(verifications).toBe(first);
    // l by viaR's key and by viaR2's key are the same pair (same key): at most l, viaR, viaR2,
    // plus the self-signature checks of the two roots.
    expect(first).toBeLessThanOrEqual(5);
  });
});

describe("robustness", () => {
  it("a signature the verifier cannot even parse (RSA-PSS with malformed MGF1 parameters) is bad-signature, not a crash", async () => {
    const r = await root(R);
    const der = await forgeCertificate({
      serial: 9,
      subject: cn(L.name),
      issuer: cn(R.name),
      key: L.key,
      signer: R.key,
      pss: true,
      ...WINDOW.valid,
      san: [L.name],
    });
    const model = AsnConvert.parse(der, asn1x509.Certificate);
    const params = new RsaSaPssParams({
      hashAlgorithm: new asn1x509.AlgorithmIdentifier({
        algorithm: "2.16.840.1.101.3.4.2.1",
        parameters: null,
      }),
      // MGF1's parameter must be an AlgorithmIdentifier; an OCTET STRING is not one.
      maskGenAlgorithm: new asn1x509.AlgorithmIdentifier({
        algorithm: "1.2.840.113549.1.1.8",
        parameters: Uint8Array.from([0x04, 0x01, 0x00]).buffer,
      }),
      saltLength: 32,
    });
    const algorithm = new asn1x509.AlgorithmIdentifier({
      algorithm: "1.2.840.113549.1.1.10",
      parameters: AsnConvert.serialize(params),
    });
    model.signatureAlgorithm = algorithm;
    model.tbsCertificate.signature = algorithm;
    const l = parseCertificate(new Uint8Array(AsnConvert.serialize(model)));
    expect(await validate(l, [r])).toMatchObject({
      reason: { code: "bad-signature", certificate: l.thumbprint },
    });
  });
});
