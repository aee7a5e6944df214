// Revocation from caller-supplied CRLs through the public entry point (A21): which CRL counts,
// soft and hard mode, the statuses and failure context, delta CRLs, indirect CRLs, scope.
import { beforeAll, describe, expect, it } from "vitest";

import type { ParsedCertificate } from "../../src/x509/certificate.js";
import { createCrlRevocationChecker, prepareCrls } from "../../src/x509/revocation/checker.js";
import { parseCrl } from "../../src/x509/revocation/crl.js";
import { validateCertificatePath } from "../../src/x509/validate-path.js";
import { cn, days, intermediate, leaf, NOW, root } from "../support/chains.js";
import {
  type CrlSpec,
  crlDistributionPoints,
  forgeCrl,
  idp,
  REASON,
  toCrlPem,
} from "./crl-forge.js";

const ROOT = { name: "CRL Root", key: "p256-1" } as const;
const CA = { name: "CRL Issuing CA", key: "p256-2" } as const;
const LEAF = { name: "crl-leaf.example", key: "p256-3" } as const;
const OTHER_KEY = "p256-4" as const;

let rootCert: ParsedCertificate;
let caCert: ParsedCertificate;
let leafCert: ParsedCertificate;

beforeAll(async () => {
  rootCert = await root(ROOT);
  caCert = await intermediate(CA, ROOT);
  leafCert = await leaf(LEAF, CA);
});

/** A current CRL of `issuer`, signed by its key, listing `entries`. */
function crlOf(
  issuer: { name: string; key: (typeof ROOT)["key"] | (typeof CA)["key"] },
  extra: Partial<CrlSpec> = {},
): Uint8Array {
  return forgeCrl({
    issuer: cn(issuer.name),
    signer: issuer.key,
    thisUpdate: days(-1),
    nextUpdate: days(6),
    crlNumber: 1,
    ...extra,
  });
}

async function check(
  crls: readonly (Uint8Array | string)[] | undefined,
  revocationMode?: "soft" | "hard",
  certificate: ParsedCertificate = leafCert,
) {
  return validateCertificatePath({
    certificate: certificate.der,
    trustAnchors: [rootCert.der],
    intermediates: [caCert.der],
    now: NOW,
    ...(crls === undefined ? {} : { crls }),
    ...(revocationMode === undefined ? {} : { revocationMode }),
  });
}

const codeOf = (result: Awaited<ReturnType<typeof check>>) =>
  result.status === "valid" ? "valid" : result.reason.code;
const statusesOf = (result: Awaited<ReturnType<typeof check>>) =>
  result.status === "valid" ? result.revocation?.map((status) => status.status) : undefined;

describe("A21: which certificates are checked", () => {
  it("A21: without crls or revocationMode no revocation check runs (no statuses)", async () => {
    const result = await check(undefined);
    expect(result.status).toBe("valid");
    expect(result.status === "valid" && result.revocation).toBeUndefined();
  });

  it("A21: good CRLs for the leaf and the CA: both good, leaf first, anchor not listed", async () => {
    const caCrl = crlOf(CA);
    const result = await check([caCrl, crlOf(ROOT)], "hard");
    expect(result.status).toBe("valid");
    if (result.status !== "valid") return;
    expect(result.revocation?.map((s) => [s.certificate, s.status])).toEqual([
      [leafCert.thumbprint, "good"],
      [caCert.thumbprint, "good"],
    ]);
    const crlId = parseCrl(caCrl);
    expect(crlId.ok && result.revocation?.[0]?.crl).toBe(crlId.ok && crlId.crl.id);
    expect(result.revocation?.[0]?.crlIssuer).toContain("CRL Issuing CA");
    expect(result.revocation?.[0]?.crlNumber).toBe("1");
  });

  it("A21: the trust anchor is not checked, even when its own CRL lists it", async () => {
    const listsRoot = crlOf(ROOT, { entries: [{ serial: rootCert.serialNumber }] });
    expect(codeOf(await check([crlOf(CA), listsRoot], "hard"))).toBe("valid");
  });

  it("A21: a revoked leaf makes the path invalid, with reason code, date and CRL", async () => {
    const revokedAt = days(-3);
    const crl = crlOf(CA, {
      entries: [{ serial: leafCert.serialNumber, date: revokedAt, reason: REASON.keyCompromise }],
    });
    const result = await check([crl, crlOf(ROOT)]);
    expect(result.status).toBe("invalid");
    if (result.status !== "invalid") return;
    expect(result.reason).toMatchObject({
      code: "revoked",
      certificate: leafCert.thumbprint,
      reasonCode: 1,
      reason: "keyCompromise",
      revocationDate: revokedAt,
      serialNumber: leafCert.serialNumber,
      crlNumber: "1",
    });
    expect(result.reason["crl"]).toMatch(/^[0-9A-F]{64}$/);
  });

  it("A21: a failure lists every certificate's status too (for the explanation)", async () => {
    const crl = crlOf(CA, { entries: [{ serial: leafCert.serialNumber }] });
    const revoked = await check([crl], "hard");
    expect(
      revoked.status === "invalid" &&
        (revoked.reason["revocation"] as { status: string }[]).map((s) => s.status),
    ).toEqual(["revoked", "unknown"]);
    const unknown = await check([crlOf(CA)], "hard");
    expect(
      unknown.status === "invalid" &&
        (unknown.reason["revocation"] as { status: string }[]).map((s) => s.status),
    ).toEqual(["good", "unknown"]);
  });

  it("A21: a revoked intermediate makes the path invalid (the CA is reported)", async () => {
    const crl = crlOf(ROOT, { entries: [{ serial: caCert.serialNumber }] });
    const result = await check([crlOf(CA), crl]);
    expect(result.status === "invalid" && result.reason.certificate).toBe(caCert.thumbprint);
    expect(codeOf(result)).toBe("revoked");
  });

  it("A21: both revoked: the one closest to the leaf is reported", async () => {
    const result = await check([
      crlOf(CA, { entries: [{ serial: leafCert.serialNumber }] }),
      crlOf(ROOT, { entries: [{ serial: caCert.serialNumber }] }),
    ]);
    expect(result.status === "invalid" && result.reason.certificate).toBe(leafCert.thumbprint);
  });

  it("A21: revoked outranks unknown: leaf unknown, CA revoked reports the CA (hard)", async () => {
    const result = await check(
      [crlOf(ROOT, { entries: [{ serial: caCert.serialNumber }] })],
      "hard",
    );
    expect(codeOf(result)).toBe("revoked");
    expect(result.status === "invalid" && result.reason.certificate).toBe(caCert.thumbprint);
  });

  it("A21: a revoked CA certificate is routed around when another one for the same key is good", async () => {
    // Two certificates for the issuing CA (same name and key, e.g. a renewal); the root revoked
    // the newer one. Path building tries it first (later notAfter) and then the other.
    const renewed = await intermediate(CA, ROOT, { notAfter: days(700) });
    const result = await validateCertificatePath({
      certificate: leafCert.der,
      trustAnchors: [rootCert.der],
      intermediates: [renewed.der, caCert.der],
      now: NOW,
      crls: [crlOf(CA), crlOf(ROOT, { entries: [{ serial: renewed.serialNumber }] })],
      revocationMode: "hard",
    });
    const serialOnPath = (r: typeof result) =>
      r.status === "valid" ? r.path[1]?.serialNumber.toUpperCase() : undefined;
    expect(codeOf(result)).toBe("valid");
    expect(serialOnPath(result)).toBe(caCert.serialNumber);
    // Without the revocation, the renewed certificate is the one on the path.
    const unrevoked = await validateCertificatePath({
      certificate: leafCert.der,
      trustAnchors: [rootCert.der],
      intermediates: [renewed.der, caCert.der],
      now: NOW,
      crls: [crlOf(CA), crlOf(ROOT)],
      revocationMode: "hard",
    });
    expect(serialOnPath(unrevoked)).toBe(renewed.serialNumber);
  });

  it("A21: a revoked entry without a reason code has no reasonCode in the failure", async () => {
    const result = await check([crlOf(CA, { entries: [{ serial: leafCert.serialNumber }] })]);
    expect(codeOf(result)).toBe("revoked");
    expect(result.status === "invalid" && "reasonCode" in result.reason).toBe(false);
  });
});

describe("A21: soft and hard mode", () => {
  it("A21 soft (default): no CRL at all keeps the path valid with status unknown", async () => {
    const result = await check([]);
    expect(codeOf(result)).toBe("valid");
    expect(statusesOf(result)).toEqual(["unknown", "unknown"]);
    if (result.status === "valid") expect(result.revocation?.[0]?.detail).toMatch(/no CRL/);
  });

  it("A21 hard: no CRL makes the path invalid (revocation-unknown, the leaf first)", async () => {
    const result = await check([], "hard");
    expect(codeOf(result)).toBe("revocation-unknown");
    expect(result.status === "invalid" && result.reason.certificate).toBe(leafCert.thumbprint);
  });

  it("A21 hard: revocationMode without crls checks against no CRLs", async () => {
    expect(codeOf(await check(undefined, "hard"))).toBe("revocation-unknown");
  });

  it("A21 hard: the CA's CRL missing is enough to fail", async () => {
    const result = await check([crlOf(CA)], "hard");
    expect(codeOf(result)).toBe("revocation-unknown");
    expect(result.status === "invalid" && result.reason.certificate).toBe(caCert.thumbprint);
  });

  it("A21 soft: a revoked certificate is invalid in soft mode too", async () => {
    const crl = crlOf(CA, { entries: [{ serial: leafCert.serialNumber }] });
    expect(codeOf(await check([crl], "soft"))).toBe("revoked");
  });
});

describe("A21: a CRL is used only when valid, current and in scope", () => {
  const listing = () => ({ entries: [{ serial: leafCert.serialNumber }] });
  const unusable: readonly (readonly [string, () => Partial<CrlSpec>])[] = [
    ["expired (nextUpdate < now)", () => ({ thisUpdate: days(-10), nextUpdate: days(-1) })],
    ["not yet issued (thisUpdate > now)", () => ({ thisUpdate: days(1), nextUpdate: days(8) })],
    ["signed by another key", () => ({ signer: OTHER_KEY })],
    ["a corrupted signature", () => ({ corruptSignature: true })],
    ["issued by another name", () => ({ issuer: cn("Someone Else") })],
    [
      "an unknown critical CRL extension",
      () => ({ extensions: [{ oid: "1.2.3.4", critical: true, value: Uint8Array.of(5, 0) }] }),
    ],
    ["a delta CRL alone (no base)", () => ({ baseCrlNumber: 1, crlNumber: 2 })],
    ["scoped to CA certificates only", () => ({ idp: idp({ onlyCA: true }) })],
    ["scoped to another distribution point", () => ({ idp: idp({ uri: "http://x/other.crl" }) })],
  ];

  it.each(unusable)(
    "A21: a listing CRL that is %s does not revoke: unknown",
    async (_what, make) => {
      const crl = crlOf(CA, { ...listing(), ...make() });
      const soft = await check([crl, crlOf(ROOT)]);
      expect(codeOf(soft)).toBe("valid");
      expect(statusesOf(soft)).toEqual(["unknown", "good"]);
      expect(codeOf(await check([crl, crlOf(ROOT)], "hard"))).toBe("revocation-unknown");
    },
  );

  it("A21/A4: now == nextUpdate and now == thisUpdate are current (inclusive)", async () => {
    const atNext = crlOf(CA, { thisUpdate: days(-7), nextUpdate: NOW });
    const atThis = crlOf(CA, { thisUpdate: NOW, nextUpdate: days(7) });
    expect(codeOf(await check([atNext, crlOf(ROOT)], "hard"))).toBe("valid");
    expect(codeOf(await check([atThis, crlOf(ROOT)], "hard"))).toBe("valid");
  });

  it("A21: a CRL without nextUpdate is current from thisUpdate on (as OpenSSL)", async () => {
    expect(codeOf(await check([crlOf(CA, { nextUpdate: null }), crlOf(ROOT)], "hard"))).toBe(
      "valid",
    );
  });

  it("A21: an unknown critical entry extension makes the whole CRL unusable", async () => {
    const crl = crlOf(CA, {
      entries: [
        { serial: "0A", extensions: [{ oid: "1.2.3.4", critical: true, value: tlvNull() }] },
      ],
    });
    expect(codeOf(await check([crl, crlOf(ROOT)], "hard"))).toBe("revocation-unknown");
  });

  it("A21: an unknown non-critical CRL extension is ignored", async () => {
    const crl = crlOf(CA, { extensions: [{ oid: "1.2.3.4", value: tlvNull() }] });
    expect(codeOf(await check([crl, crlOf(ROOT)], "hard"))).toBe("valid");
  });

  it("A21: an expired CRL beside a current one: the current one decides", async () => {
    const old = crlOf(CA, { ...listing(), thisUpdate: days(-20), nextUpdate: days(-10) });
    expect(codeOf(await check([old, crlOf(CA), crlOf(ROOT)], "hard"))).toBe("valid");
  });

  it("A21: a CRL issuer whose keyUsage lacks cRLSign cannot vouch", async () => {
    const noCrlSign = await intermediate(CA, ROOT, { keyUsage: ["keyCertSign"] });
    const leafUnder = await leaf({ name: "crl-leaf2.example", key: "p256-5" }, CA);
    const result = await validateCertificatePath({
      certificate: leafUnder.der,
      trustAnchors: [rootCert.der],
      intermediates: [noCrlSign.der],
      now: NOW,
      crls: [crlOf(CA), crlOf(ROOT)],
      revocationMode: "hard",
    });
    expect(codeOf(result)).toBe("revocation-unknown");
    expect(result.status === "invalid" && String(result.reason["detail"])).toMatch(/cRLSign/);
  });

  it("A21: a CRL listed by a distribution point is in scope through the point", async () => {
    const uri = "http://crl.example/ca.crl";
    const leafWithDp = await leaf({ name: "dp-leaf.example", key: "p256-5" }, CA, {
      extraExtensions: [
        { oid: "2.5.29.31", critical: false, value: crlDistributionPoints({ uri }) },
      ],
    });
    const scoped = crlOf(CA, {
      idp: idp({ uri }),
      entries: [{ serial: leafWithDp.serialNumber }],
    });
    expect(codeOf(await check([scoped, crlOf(ROOT)], "hard", leafWithDp))).toBe("revoked");
    // The same CRL does not cover a certificate without that distribution point.
    expect(codeOf(await check([scoped, crlOf(ROOT)], "hard"))).toBe("revocation-unknown");
  });
});

describe("A21: a separate CRL signing key (RFC 5280 §6.3.3 (f); PKITS 4.4.19)", () => {
  const SIGNER_KEY = "p256-6" as const;
  const signedBySeparateKey = (entries: CrlSpec["entries"] = []) =>
    forgeCrl({
      issuer: cn(CA.name),
      signer: SIGNER_KEY,
      thisUpdate: days(-1),
      nextUpdate: days(6),
      ...(entries === undefined ? {} : { entries }),
    });
  const run = (signer: ParsedCertificate, crls: readonly Uint8Array[]) =>
    validateCertificatePath({
      certificate: leafCert.der,
      trustAnchors: [rootCert.der],
      intermediates: [caCert.der, signer.der],
      now: NOW,
      crls: [...crls, crlOf(ROOT)],
      revocationMode: "hard",
    });

  it("A21: a certificate of the CA's name with another key, issued by the root, may sign", async () => {
    const signer = await intermediate({ name: CA.name, key: SIGNER_KEY }, ROOT, {
      keyUsage: ["cRLSign"],
    });
    expect(codeOf(await run(signer, [signedBySeparateKey()]))).toBe("valid");
    const revoked = await run(signer, [signedBySeparateKey([{ serial: leafCert.serialNumber }])]);
    expect(codeOf(revoked)).toBe("revoked");
  });

  it("A21: that signer must itself pass the RFC 5280 checks (no unknown critical extension)", async () => {
    const signer = await intermediate({ name: CA.name, key: SIGNER_KEY }, ROOT, {
      keyUsage: ["cRLSign"],
      extraExtensions: [{ oid: "1.2.3.4", critical: true, value: Uint8Array.of(5, 0) }],
    });
    const result = await run(signer, [signedBySeparateKey()]);
    expect(codeOf(result)).toBe("revocation-unknown");
    expect(result.status === "invalid" && String(result.reason["detail"])).toMatch(
      /unknown-critical-extension/,
    );
  });

  it("A21: that signer must not be revoked by its own issuer", async () => {
    const signer = await intermediate({ name: CA.name, key: SIGNER_KEY }, ROOT, {
      keyUsage: ["cRLSign"],
    });
    const result = await validateCertificatePath({
      certificate: leafCert.der,
      trustAnchors: [rootCert.der],
      intermediates: [caCert.der, signer.der],
      now: NOW,
      crls: [signedBySeparateKey(), crlOf(ROOT, { entries: [{ serial: signer.serialNumber }] })],
      revocationMode: "hard",
    });
    expect(codeOf(result)).toBe("revocation-unknown");
    expect(result.status === "invalid" && String(result.reason["detail"])).toMatch(/is revoked/);
  });
});

describe("A21: delta CRLs (RFC 5280 §5.2.4)", () => {
  it("A21: a delta on top of its base revokes", async () => {
    const base = crlOf(CA, { crlNumber: 10 });
    const delta = crlOf(CA, {
      crlNumber: 11,
      baseCrlNumber: 10,
      entries: [{ serial: leafCert.serialNumber, reason: REASON.superseded }],
    });
    const result = await check([base, delta, crlOf(ROOT)], "hard");
    expect(codeOf(result)).toBe("revoked");
    expect(result.status === "invalid" && result.reason["reason"]).toBe("superseded");
  });

  it("A21: removeFromCRL in a delta un-revokes a certificate on hold in the base", async () => {
    const base = crlOf(CA, {
      crlNumber: 10,
      entries: [{ serial: leafCert.serialNumber, reason: REASON.certificateHold }],
    });
    const delta = crlOf(CA, {
      crlNumber: 11,
      baseCrlNumber: 10,
      entries: [{ serial: leafCert.serialNumber, reason: REASON.removeFromCRL }],
    });
    expect(codeOf(await check([base, crlOf(ROOT)], "hard"))).toBe("revoked");
    const result = await check([base, delta, crlOf(ROOT)], "hard");
    expect(codeOf(result)).toBe("valid");
    if (result.status === "valid")
      expect(result.revocation?.[0]?.deltaCrl).toMatch(/^[0-9A-F]{64}$/);
  });

  it("A21: a delta whose BaseCRLNumber is newer than the base does not apply", async () => {
    const base = crlOf(CA, { crlNumber: 10 });
    const delta = crlOf(CA, {
      crlNumber: 13,
      baseCrlNumber: 12,
      entries: [{ serial: leafCert.serialNumber }],
    });
    expect(codeOf(await check([base, delta, crlOf(ROOT)], "hard"))).toBe("valid");
  });

  it("A21: an expired delta is not applied; the current base still decides", async () => {
    const base = crlOf(CA, { crlNumber: 10, thisUpdate: days(-3), nextUpdate: days(7) });
    const delta = crlOf(CA, {
      crlNumber: 11,
      baseCrlNumber: 10,
      thisUpdate: days(-2),
      nextUpdate: days(-1),
      entries: [{ serial: leafCert.serialNumber }],
    });
    expect(codeOf(await check([base, delta, crlOf(ROOT)], "hard"))).toBe("valid");
  });
});

describe("A21: indirect CRLs (RFC 5280 §5.3.3, §6.3.3 (b)(1))", () => {
  const ISSUER = { name: "Indirect CRL Issuer", key: "p256-6" } as const;

  it("A21: a cRLIssuer named by the certificate, issued by the CA, may revoke it", async () => {
    const crlIssuerCert = await leaf(ISSUER, CA, {
      keyUsage: ["cRLSign"],
      eku: undefined,
      san: undefined,
    });
    const leafIndirect = await leaf({ name: "indirect-leaf.example", key: "p256-5" }, CA, {
      extraExtensions: [
        {
          oid: "2.5.29.31",
          critical: false,
          value: crlDistributionPoints({ crlIssuer: cn(ISSUER.name) }),
        },
      ],
    });
    const indirect = (entries: CrlSpec["entries"]) =>
      forgeCrl({
        issuer: cn(ISSUER.name),
        signer: ISSUER.key,
        thisUpdate: days(-1),
        nextUpdate: days(6),
        crlNumber: 1,
        idp: idp({ indirect: true }),
        ...(entries === undefined ? {} : { entries }),
      });
    const run = (crls: Uint8Array[]) =>
      validateCertificatePath({
        certificate: leafIndirect.der,
        trustAnchors: [rootCert.der],
        intermediates: [caCert.der, crlIssuerCert.der],
        now: NOW,
        crls: [...crls, crlOf(ROOT), crlOf(CA)],
        revocationMode: "hard",
      });
    expect(codeOf(await run([indirect([])]))).toBe("valid");
    expect(
      codeOf(
        await run([
          indirect([{ serial: leafIndirect.serialNumber, certificateIssuer: cn(CA.name) }]),
        ]),
      ),
    ).toBe("revoked");
    // Without certificateIssuer the entry is the CRL issuer's own certificate: not this one.
    expect(codeOf(await run([indirect([{ serial: leafIndirect.serialNumber }])]))).toBe("valid");
  });
});

describe("A21: inputs", () => {
  it("A21: PEM text with several CRL blocks, and DER, are both read", async () => {
    const bundle = toCrlPem(crlOf(CA)) + toCrlPem(crlOf(ROOT));
    expect(codeOf(await check([bundle], "hard"))).toBe("valid");
  });

  it("A21: unreadable CRLs are ignored with a reason, never thrown", async () => {
    const result = await check([Uint8Array.of(1, 2, 3), "not a CRL", crlOf(CA), crlOf(ROOT)]);
    expect(codeOf(result)).toBe("valid");
    expect(
      result.status === "valid" && result.ignoredCrls?.map((i) => [i.input, i.failure]),
    ).toEqual([
      [0, "der-malformed"],
      [1, "empty"],
    ]);
  });

  it("A21: a CRL is copied when read: changing the caller's buffer later changes nothing", async () => {
    const bytes = crlOf(CA, { entries: [{ serial: leafCert.serialNumber }] });
    const set = prepareCrls([bytes]);
    bytes.fill(0);
    const checker = createCrlRevocationChecker({ crls: set, certificates: [rootCert, caCert] });
    const result = await checker([leafCert, caCert, rootCert], NOW);
    expect(result.failure?.code).toBe("revoked");
  });

  it("A21: the first of two entries for one serial number counts", () => {
    const parsed = parseCrl(
      crlOf(CA, {
        entries: [
          { serial: "0A", reason: REASON.keyCompromise },
          { serial: "0A", reason: REASON.superseded },
        ],
      }),
    );
    expect(parsed.ok && parsed.crl.lookup("0A", parsed.crl.issuerKey)?.reasonCode).toBe(1);
  });

  it("misuse: a CRL that is neither bytes nor text rejects with TypeError", async () => {
    await expect(check([42 as unknown as string])).rejects.toThrow(TypeError);
    await expect(
      validateCertificatePath({
        certificate: leafCert.der,
        trustAnchors: [rootCert.der],
        revocationMode: "always" as "hard",
      }),
    ).rejects.toThrow(TypeError);
  });
});

function tlvNull(): Uint8Array {
  return Uint8Array.of(0x05, 0x00);
}

describe("A21: CRLs regenerated within one second (review finding)", () => {
  it("two current CRLs of one issuer with the same thisUpdate: the higher cRLNumber decides, in any order", async () => {
    // "revoke, then regenerate": the older CRL (#n) does not list the leaf, the newer (#n+1)
    // does, both issued in the same second. Several pairs, so that the ids (SHA-256) fall both
    // ways round; the caller's order never matters either.
    const caCrl = crlOf(CA, { crlNumber: 1 });
    for (let n = 10; n < 20; n += 2) {
      const older = crlOf(ROOT, { crlNumber: n });
      const newer = crlOf(ROOT, { crlNumber: n + 1, entries: [{ serial: caCert.serialNumber }] });
      for (const crls of [
        [caCrl, older, newer],
        [caCrl, newer, older],
      ]) {
        expect(codeOf(await check(crls, "hard"))).toBe("revoked");
        expect(codeOf(await check(crls, "soft"))).toBe("revoked");
      }
      // And the other way round: a later CRL that no longer lists it (removed) wins too.
      const relisted = crlOf(ROOT, { crlNumber: n, entries: [{ serial: caCert.serialNumber }] });
      const cleared = crlOf(ROOT, { crlNumber: n + 1 });
      expect(codeOf(await check([caCrl, relisted, cleared], "hard"))).toBe("valid");
    }
  });

  it("a PEM CRL handed over as bytes is read as PEM (as a PEM string is), never ignored", async () => {
    const pem = toCrlPem(crlOf(CA, { entries: [{ serial: leafCert.serialNumber }] }));
    const bytes = new Uint8Array(Buffer.from(pem, "latin1"));
    expect(codeOf(await check([bytes, crlOf(ROOT)], "soft"))).toBe("revoked");
    expect(codeOf(await check([pem, crlOf(ROOT)], "soft"))).toBe("revoked");
  });
});
