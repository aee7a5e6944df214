// Issue 14 §5: SignatureVerifier checks signatures with node:crypto's synchronous verify instead of
// WebCrypto (a cold selection was waiting on the thread pool). The verdicts must not change:
// A3/A6 (a signature verifies with its issuer's / its own key) and A18 (faults never verify, ECDSA
// strict DER, RSA-PSS parameters, unsupported algorithms with the same failure codes). WebCrypto,
// injected, is the oracle: every certificate we have (fixtures, NIST PKITS, forged RSA-PSS,
// P-384/P-521, Ed25519, re-encoded twins) is checked against every candidate key by both, and the
// answers ({ok, failure}) must be equal. Hostile keys too, the EC point at infinity included: with
// it, Node 20's P1363 verify aborts the process, so a crash here fails the whole file.
import { constants, createPrivateKey, sign, webcrypto } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as x from "@peculiar/asn1-x509";
import { describe, expect, it } from "vitest";

import {
  type ParsedCertificate,
  parseCertificate,
  signatureAlgorithmOf,
} from "../../src/x509/certificate.js";
import { type SignatureCheck, SignatureVerifier } from "../../src/x509/signature.js";
import type { WebCrypto } from "../../src/x509/x509.js";
import { FIXTURE_DIR, fixture, manifest, NOW } from "../support/fixtures.js";
import { forgeCertificate, poolKey } from "../support/forge.js";

const PKITS = join(FIXTURE_DIR, "..", "conformance", "pkits", "certs");

const outcome = (check: SignatureCheck) => (check.ok ? "ok" : check.failure);

/** Both verifiers' answers for each (certificate, key) pair, side by side. */
async function compare(
  certificates: readonly ParsedCertificate[],
  keysFor: (certificate: ParsedCertificate) => readonly Uint8Array[],
) {
  const node = new SignatureVerifier();
  const web = new SignatureVerifier(webcrypto as unknown as WebCrypto);
  const rows: { name: string; node: string; web: string }[] = [];
  for (const certificate of certificates) {
    for (const spki of keysFor(certificate)) {
      rows.push({
        name: certificate.subject,
        node: outcome(await node.verify(certificate, spki)),
        web: outcome(await web.verify(certificate, spki)),
      });
    }
  }
  return rows;
}

function tally(rows: readonly { node: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.node] = (counts[row.node] ?? 0) + 1;
  return counts;
}

const WINDOW = {
  notBefore: new Date(NOW.getTime() - 86_400_000),
  notAfter: new Date(NOW.getTime() + 86_400_000 * 365),
};

/**
 * A self-signed rsa-1 certificate whose signed (and outer) RSASSA-PSS parameters say `saltLength`
 * while the signature itself was made with a salt of `realSalt` octets.
 */
async function pssCertificate(saltLength: number, realSalt = 32): Promise<Uint8Array> {
  const der = await forgeCertificate({
    subject: [["CN", `pss ${saltLength}`]],
    key: "rsa-1",
    pss: true,
    ...WINDOW,
  });
  const model = AsnConvert.parse(der, x.Certificate);
  const sha256 = new x.AlgorithmIdentifier({
    algorithm: "2.16.840.1.101.3.4.2.1",
    parameters: null,
  });
  const params = new RsaSaPssParams({
    hashAlgorithm: sha256,
    maskGenAlgorithm: new x.AlgorithmIdentifier({
      algorithm: "1.2.840.113549.1.1.8",
      parameters: AsnConvert.serialize(sha256),
    }),
    saltLength,
  });
  const algorithm = new x.AlgorithmIdentifier({
    algorithm: "1.2.840.113549.1.1.10",
    parameters: AsnConvert.serialize(params),
  });
  model.tbsCertificate.signature = algorithm;
  model.signatureAlgorithm = algorithm;
  const tbs = new Uint8Array(AsnConvert.serialize(model.tbsCertificate));
  const signature = sign("sha256", tbs, {
    key: createPrivateKey(poolKey("rsa-1").privateKeyPem),
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: realSalt,
  });
  model.signatureValue = new Uint8Array(signature).buffer;
  return new Uint8Array(AsnConvert.serialize(model));
}

/** An SPKI on `curve`'s OID holding `point` as its subjectPublicKey. */
function ecSpki(curveOidDer: readonly number[], point: readonly number[]): Uint8Array {
  const ecPublicKey = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
  const algorithm = [0x30, ecPublicKey.length + curveOidDer.length, ...ecPublicKey, ...curveOidDer];
  const key = [0x03, point.length + 1, 0x00, ...point];
  const body = [...algorithm, ...key];
  return Uint8Array.from([0x30, body.length, ...body]);
}
const P256 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

describe("issue 14 §5: node:crypto verify gives WebCrypto's verdicts (A3, A6, A18)", () => {
  it("every fixture against every fixture's key", async () => {
    const certificates = Object.keys(manifest.certificates).map((name) =>
      parseCertificate(fixture(name).der),
    );
    const keys = [...new Set(certificates.map((c) => Buffer.from(c.spki).toString("base64")))].map(
      (k) => new Uint8Array(Buffer.from(k, "base64")),
    );
    const rows = await compare(certificates, () => keys);
    expect(rows.filter((r) => r.node !== r.web)).toEqual([]);
    // The corpus exercises what it should: self-signatures and issuer signatures verify, the
    // others are bad signatures or key/algorithm mismatches (RSA keys for ECDSA signatures).
    const counts = tally(rows);
    expect(counts["ok"]).toBeGreaterThanOrEqual(certificates.length);
    expect(counts["bad-signature"]).toBeGreaterThan(0);
    expect(counts["key-algorithm-mismatch"]).toBeGreaterThan(0);
  });

  it("NIST PKITS: every certificate against its own key and every issuer's by name", async () => {
    const certificates: ParsedCertificate[] = [];
    for (const file of readdirSync(PKITS).sort()) {
      try {
        certificates.push(parseCertificate(new Uint8Array(readFileSync(join(PKITS, file)))));
      } catch {
        // An unreadable certificate has no signature to check.
      }
    }
    const bySubject = new Map<string, Uint8Array[]>();
    for (const c of certificates) {
      bySubject.set(c.subjectKey, [...(bySubject.get(c.subjectKey) ?? []), c.spki]);
    }
    const rows = await compare(certificates, (c) => [
      c.spki,
      ...(bySubject.get(c.issuerKey) ?? []),
    ]);
    expect(rows.filter((r) => r.node !== r.web)).toEqual([]);
    const counts = tally(rows);
    // PKITS holds valid signatures, invalid ones (4.1.2, 4.1.3) and DSA (unsupported).
    expect(counts["ok"]).toBeGreaterThan(300);
    expect(counts["bad-signature"]).toBeGreaterThan(0);
    expect(counts["unsupported-algorithm"]).toBeGreaterThan(0);
  });

  it("P-384, P-521, Ed25519, RSA PKCS#1 with SHA-1/384/512, RSA-PSS: self-signed and corrupted", async () => {
    const specs = [
      { key: "p384-1", hash: undefined },
      { key: "p521-1", hash: undefined },
      { key: "p256-1", hash: "SHA-1" },
      { key: "p256-1", hash: "SHA-512" },
      { key: "ed25519-1", hash: undefined },
      { key: "rsa-1", hash: "SHA-1" },
      { key: "rsa-1", hash: "SHA-384" },
      { key: "rsa-1", hash: "SHA-512" },
      { key: "rsa-1", hash: "SHA-256", pss: true },
      { key: "rsa-2", hash: "SHA-512", pss: true },
    ] as const;
    const certificates: ParsedCertificate[] = [];
    for (const [i, spec] of specs.entries()) {
      for (const corruptSignature of [false, true]) {
        const der = await forgeCertificate({
          subject: [["CN", `algorithm ${i} ${corruptSignature}`]],
          key: spec.key,
          ...(spec.hash ? { hash: spec.hash } : {}),
          ...("pss" in spec ? { pss: spec.pss } : {}),
          corruptSignature,
          ...WINDOW,
        });
        certificates.push(parseCertificate(der));
      }
    }
    const keys = certificates.map((c) => c.spki);
    const rows = await compare(certificates, () => keys);
    expect(rows.filter((r) => r.node !== r.web)).toEqual([]);
    const own = await compare(certificates, (c) => [c.spki]);
    expect(own.map((r) => r.node)).toEqual(specs.flatMap(() => ["ok", "bad-signature"]));
  });

  it.each([
    [32, "ok"],
    // WebCrypto's saltLength is an unsigned long: OpenSSL's -1 (digest length) and -2 (recover
    // the salt length) must not turn a signature made with another salt into a valid one.
    [-1, "bad-signature"],
    [-2, "bad-signature"],
    [0, "bad-signature"],
    [20, "bad-signature"],
    [2 ** 31, "bad-signature"],
  ] as const)(
    "RSA-PSS with a saltLength of %d in the parameters (signed with 32): %s",
    async (salt, expected) => {
      const certificate = parseCertificate(await pssCertificate(salt));
      const rows = await compare([certificate], (c) => [c.spki]);
      expect(rows).toEqual([{ name: certificate.subject, node: expected, web: expected }]);
    },
  );

  it("hostile keys: the EC point at infinity, points off the curve or beyond the field, truncated or typed wrong", async () => {
    const ec = parseCertificate(fixture("leaf-ec").der);
    const rsa = parseCertificate(fixture("leaf-rsa").der);
    const ed = parseCertificate(
      await forgeCertificate({ subject: [["CN", "ed"]], key: "ed25519-1", ...WINDOW }),
    );
    const good = ec.spki;
    const point = [...good.subarray(good.length - 65)];
    const hostile = [
      ecSpki(P256, [0x00]), // SEC 1 §2.3.3: the point at infinity
      ecSpki(P256, [0x00, 0x00]),
      ecSpki(P256, []),
      ecSpki(P256, [0x04, ...new Array<number>(64).fill(0xff)]), // x, y ≥ p
      ecSpki(P256, [0x04, ...new Array<number>(63).fill(0), 1]), // (0, 1) is not on P-256
      ecSpki(P256, [0x02 + (point[64]! & 1), ...point.slice(1, 33)]), // compressed: fine
      ecSpki(P256, [0x06 + (point[64]! & 1), ...point.slice(1)]), // hybrid
      ecSpki([0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22], point), // P-384's OID, P-256's point
      good.subarray(0, good.length - 1),
      Uint8Array.from([0x30, 0x00]),
      new Uint8Array(0),
      rsa.spki.subarray(0, 40),
      ed.spki.subarray(0, ed.spki.length - 1),
    ];
    const rows = await compare([ec, rsa, ed], () => hostile);
    expect(rows.filter((r) => r.node !== r.web)).toEqual([]);
    // The leaf's own point, compressed or hybrid, is its key: its issuer's signature does not
    // verify with it, but it is a key, not a bad one.
    expect(rows.slice(0, hostile.length).map((r) => r.node)).toEqual([
      "bad-key",
      "bad-key",
      "bad-key",
      "bad-key",
      "bad-key",
      "bad-signature",
      "bad-signature",
      "bad-key",
      "bad-key",
      "bad-key",
      "bad-key",
      "bad-key",
      "bad-key",
    ]);
  });

  it("keys with random bytes changed (seeded): the same verdicts, and no crash", async () => {
    let seed = 20261202;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const certificates = ["leaf-ec", "leaf-rsa", "self-signed", "root-ec", "root-rsa"].map((name) =>
      parseCertificate(fixture(name).der),
    );
    const pick = () => certificates[Math.floor(random() * certificates.length)]!;
    const cases = Array.from({ length: 400 }, () => {
      const spki = new Uint8Array(pick().spki);
      for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
        spki[Math.floor(random() * spki.length)] = Math.floor(random() * 256);
      }
      return { certificate: pick(), spki };
    });
    const node = new SignatureVerifier();
    const web = new SignatureVerifier(webcrypto as unknown as WebCrypto);
    const rows: { node: string; web: string }[] = [];
    for (const { certificate, spki } of cases) {
      rows.push({
        node: outcome(await node.verify(certificate, spki)),
        web: outcome(await web.verify(certificate, spki)),
      });
    }
    expect(rows.filter((r) => r.node !== r.web)).toEqual([]);
    const counts = tally(rows);
    expect(counts["bad-key"]).toBeGreaterThan(0);
    expect(counts["bad-signature"]).toBeGreaterThan(0);
  });

  it("the signature algorithm read from the bytes is the asn1-x509 model's (fixtures, PKITS, PSS)", async () => {
    const certificates = [
      await pssCertificate(32),
      await forgeCertificate({ subject: [["CN", "ed"]], key: "ed25519-1", ...WINDOW }),
      ...Object.keys(manifest.certificates).map((name) => fixture(name).der),
      ...readdirSync(PKITS).map((file) => new Uint8Array(readFileSync(join(PKITS, file)))),
    ].flatMap((der) => {
      try {
        return [parseCertificate(der)];
      } catch {
        return [];
      }
    });
    const hex = (b: ArrayBuffer | null | undefined) => (b ? Buffer.from(b).toString("hex") : null);
    const differ = certificates.filter((c) => {
      const read = signatureAlgorithmOf(c);
      const model = parseCertificate(c.der).signatureAlgorithm;
      return read.algorithm !== model.algorithm || hex(read.parameters) !== hex(model.parameters);
    });
    expect(certificates.length).toBeGreaterThan(400);
    expect(differ.map((c) => c.subject)).toEqual([]);
    // The forms occur: absent (ECDSA, DSA, Ed25519), NULL (RSA PKCS#1: the model's null), a
    // SEQUENCE (RSASSA-PSS-params, as encoded).
    const forms = certificates.map((c) => signatureAlgorithmOf(c).parameters);
    expect(forms).toContain(undefined);
    expect(forms).toContain(null);
    expect(forms.some((p) => p instanceof ArrayBuffer && new Uint8Array(p)[0] === 0x30)).toBe(true);
  });

  it("the verdict of a (certificate, key) pair is computed once per verifier", async () => {
    const verifier = new SignatureVerifier();
    const c = parseCertificate(fixture("self-signed").der);
    const first = verifier.verify(c, c.spki);
    expect(verifier.verify(c, new Uint8Array(c.spki))).toBe(first);
    expect(await first).toEqual({ ok: true });
  });
});
