// The walk in src/x509/certificate.ts against the schema-driven parser it replaced (kept in
// reference-certificate.ts): on every fixture, every x509-limbo certificate and thousands of
// mutated certificates, it reads the same fields from every DER certificate the reference reads,
// accepts beyond the reference only what it reports as an encoding fault (A18: readable is not
// valid), builds the lazy asn1-schema model without error for everything it accepts, and throws
// nothing but InvalidCertificateError. test/selector/readable-faults.test.ts compares each fault
// with OpenSSL and Node.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { InvalidCertificateError } from "../../src/errors.js";
import { type ParsedCertificate, parseCertificate } from "../../src/x509/certificate.js";
import { AsnConvert } from "../../src/x509/x509.js";
import { fixture, manifest } from "../support/fixtures.js";
import { forgeCertificate } from "../support/forge.js";
import { referenceParseCertificate } from "./reference-certificate.js";

const here = dirname(fileURLToPath(import.meta.url));
// The corpus vendored in test/conformance/limbo (the repository never reads ../shared).
const LIMBO = join(here, "..", "conformance", "limbo", "x509-limbo-ddc40b4.limbo.json");
const NOW = new Date("2025-06-15T12:00:00Z");
const YEAR = 365 * 86_400_000;

const fixtureDers = Object.keys(manifest.certificates).map((name) => fixture(name).der);

function limboPems(): string[] {
  if (!existsSync(LIMBO)) return [];
  const corpus = JSON.parse(readFileSync(LIMBO, "utf8")) as {
    testcases: {
      peer_certificate: string;
      trusted_certs: string[];
      untrusted_intermediates: string[];
    }[];
  };
  return corpus.testcases.flatMap((t) => [
    t.peer_certificate,
    ...t.trusted_certs,
    ...t.untrusted_intermediates,
  ]);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Every field of the interface, in comparable form. */
function fields(c: ParsedCertificate) {
  return {
    thumbprint: c.thumbprint,
    version: c.version,
    serialNumber: c.serialNumber,
    subject: c.subject,
    issuer: c.issuer,
    subjectKey: c.subjectKey,
    issuerKey: c.issuerKey,
    commonNames: c.commonNames,
    dnsNames: c.dnsNames,
    notBefore: c.notBefore.getTime(),
    notAfter: c.notAfter.getTime(),
    der: hex(c.der),
    spki: hex(c.spki),
    tbs: hex(c.tbs),
    signature: hex(c.signature),
    signatureAlgorithm: hex(new Uint8Array(AsnConvert.serialize(c.signatureAlgorithm))),
    extensions: [...c.extensions].map(([oid, e]) => [oid, e.critical, hex(e.value)]),
  };
}

type Outcome = { ok: true; fields: ReturnType<typeof fields> } | { ok: false; reason: string };

function outcome(
  parse: (input: Uint8Array | string) => ParsedCertificate,
  input: Uint8Array | string,
): Outcome {
  try {
    return { ok: true, fields: fields(parse(input)) };
  } catch (error) {
    if (!(error instanceof InvalidCertificateError)) throw error;
    return { ok: false, reason: error.reason };
  }
}

/**
 * The walk never does worse than the reference: the same fields from a DER certificate, and
 * beyond what the reference reads, only certificates with an encoding fault (A18).
 */
function checkAgainstReference(input: Uint8Array | string): void {
  const ours = outcome(parseCertificate, input);
  const reference = outcome(referenceParseCertificate, input);
  if (ours.ok) {
    const parsed = parseCertificate(input);
    // The lazy model builds for everything the walk accepts, and agrees with it.
    const model = parsed.asn;
    expect(hex(new Uint8Array(model.tbsCertificate.serialNumber)).toUpperCase()).toBe(
      ours.fields.serialNumber,
    );
    expect(model.tbsCertificate.validity.notAfter.getTime().getTime()).toBe(
      // The model's Time keeps whole seconds.
      Math.floor(ours.fields.notAfter / 1000) * 1000,
    );
    if (parsed.encodingFaults.length === 0 && parsed.version <= 3) {
      expect(reference).toEqual(ours);
    } else if (parsed.version > 3) {
      // A version X.509 does not define: read since A18, refused by the reference.
      expect(reference).toEqual({ ok: false, reason: "unsupported-version" });
    } else if (reference.ok) {
      const same = ({ fields: f }: { fields: ReturnType<typeof fields> }) => ({
        serialNumber: f.serialNumber,
        subject: f.subject,
        issuer: f.issuer,
        commonNames: f.commonNames,
        spki: f.spki,
        tbs: f.tbs,
      });
      expect(same(reference)).toEqual(same(ours));
    }
  } else if (!reference.ok) {
    // Where both reject, the structural reasons may differ (a TLV error inside the
    // TBSCertificate is "der-malformed" here, "asn1-schema" there); the others must not.
    // The reference refuses what A18 makes readable (bytes after the certificate, an outer
    // algorithm that differs, a duplicate extension) first, where this walk fails later, for
    // another reason.
    const structural = ["der-malformed", "asn1-schema", "bad-validity", "bad-name"];
    const readableNow = [
      "der-trailing-data",
      "signature-algorithm-mismatch",
      "duplicate-extension",
    ];
    if (readableNow.includes(reference.reason)) return;
    if (!(structural.includes(ours.reason) && structural.includes(reference.reason))) {
      expect(ours.reason).toBe(reference.reason);
    }
  }
}

describe("the DER walk reads what the schema parser read", () => {
  it.each(Object.keys(manifest.certificates))("fixture %s", (name) => {
    const ours = outcome(parseCertificate, fixture(name).pem);
    expect(ours.ok).toBe(true);
    expect(ours).toEqual(outcome(referenceParseCertificate, fixture(name).pem));
  });

  it.skipIf(!existsSync(LIMBO))("every x509-limbo certificate", () => {
    const pems = limboPems();
    expect(pems.length).toBeGreaterThan(300);
    for (const pem of pems) checkAgainstReference(pem);
  });
});

describe("mutated certificates", () => {
  const mutation = fc.record({
    source: fc.nat({ max: fixtureDers.length - 1 }),
    edits: fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
        fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
        fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
        fc.record({
          kind: fc.constant("insert" as const),
          at: fc.nat(),
          value: fc.nat({ max: 255 }),
        }),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  });

  it("A18: read what the reference reads, anything more with a fault, and throw only InvalidCertificateError", () => {
    fc.assert(
      fc.property(mutation, ({ source, edits }) => {
        let bytes = [...fixtureDers[source]!];
        for (const edit of edits) {
          const at = edit.at % bytes.length;
          if (edit.kind === "flip") bytes[at]! ^= 1 << edit.bit;
          else if (edit.kind === "set") bytes[at] = edit.value;
          else if (edit.kind === "cut") bytes = bytes.slice(0, Math.max(1, at));
          else bytes.splice(at, 0, edit.value);
        }
        checkAgainstReference(Uint8Array.from(bytes));
      }),
      { numRuns: 1500, seed: 9 },
    );
  });
});

// --- Hostile shapes, by reason ----------------------------------------------------------------

function reasonOf(input: Uint8Array): string {
  try {
    parseCertificate(input);
    return "accepted";
  } catch (error) {
    if (error instanceof InvalidCertificateError) return error.reason;
    throw error;
  }
}

/** The DER of `der` with the TLV at `path` (child indexes from the root) replaced. */
function replaceAt(
  der: Uint8Array,
  path: readonly number[],
  replace: (tlv: Uint8Array) => Uint8Array,
): Uint8Array {
  const encode = (tag: number, content: Uint8Array): Uint8Array => {
    const n = content.length;
    const length =
      n < 0x80
        ? [n]
        : n < 0x100
          ? [0x81, n]
          : n < 0x10000
            ? [0x82, n >> 8, n & 0xff]
            : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
    return Uint8Array.from([tag, ...length, ...content]);
  };
  const children = (bytes: Uint8Array) => {
    const out: Uint8Array[] = [];
    let offset = headerLength(bytes, 0);
    while (offset < bytes.length) {
      const end = offset + headerLength(bytes, offset) + contentLength(bytes, offset);
      out.push(bytes.subarray(offset, end));
      offset = end;
    }
    return out;
  };
  const walk = (tlv: Uint8Array, rest: readonly number[]): Uint8Array => {
    if (rest.length === 0) return replace(tlv);
    const parts = children(tlv);
    parts[rest[0]!] = walk(parts[rest[0]!]!, rest.slice(1));
    const content = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      content.set(part, offset);
      offset += part.length;
    }
    return encode(tlv[0]!, content);
  };
  return walk(der, path);
}

function headerLength(bytes: Uint8Array, offset: number): number {
  const first = bytes[offset + 1]!;
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

function contentLength(bytes: Uint8Array, offset: number): number {
  const first = bytes[offset + 1]!;
  if (first < 0x80) return first;
  let n = 0;
  for (let i = 0; i < (first & 0x7f); i++) n = n * 256 + bytes[offset + 2 + i]!;
  return n;
}

describe("hostile input is rejected with a typed reason", () => {
  const der = fixture("leaf-rsa").der;
  // TBSCertificate children: 0 version, 1 serial, 2 signature, 3 issuer, 4 validity, 5 subject,
  // 6 spki, 7 extensions.
  const SERIAL = [0, 1];
  const ISSUER = [0, 3];
  const VALIDITY = [0, 4];

  it.each([
    ["truncated", der.subarray(0, der.length - 10), "der-malformed"],
    [
      "a serial number that is an OCTET STRING",
      replaceAt(der, SERIAL, (tlv) => Uint8Array.from([0x04, ...tlv.subarray(1)])),
      "asn1-schema",
    ],
    [
      "a validity with one time",
      replaceAt(der, VALIDITY, (tlv) => {
        const first = tlv.subarray(2, 2 + 2 + tlv[3]!);
        return Uint8Array.from([0x30, first.length, ...first]);
      }),
      "asn1-schema",
    ],
    [
      "a notBefore in month 13",
      replaceAt(der, [...VALIDITY, 0], () =>
        Uint8Array.from([0x17, 13, ...Buffer.from("251315000000Z", "latin1")]),
      ),
      "bad-validity",
    ],
    [
      "a notAfter on 31 April",
      replaceAt(der, [...VALIDITY, 1], () =>
        Uint8Array.from([0x17, 13, ...Buffer.from("250431000000Z", "latin1")]),
      ),
      "bad-validity",
    ],
    [
      "an indefinite length on a primitive value",
      replaceAt(der, SERIAL, (tlv) => Uint8Array.from([0x02, 0x80, ...tlv.subarray(2), 0, 0])),
      "der-malformed",
    ],
    [
      "an indefinite length without its end-of-contents",
      replaceAt(der, ISSUER, (tlv) => Uint8Array.from([0x30, 0x80, ...tlv.subarray(2)])),
      "der-malformed",
    ],
    [
      "a padded serial number (OpenSSL and Node refuse it too)",
      replaceAt(der, SERIAL, (tlv) => Uint8Array.from([0x02, tlv[1]! + 1, 0, ...tlv.subarray(2)])),
      "der-malformed",
    ],
    [
      "a UTCTime without a zone (OpenSSL and Node cannot read it)",
      replaceAt(der, [...VALIDITY, 0], () =>
        Uint8Array.from([0x17, 12, ...Buffer.from("250101000000", "latin1")]),
      ),
      "bad-validity",
    ],
    [
      "a UTCTime offset of 13 hours (OpenSSL allows 12)",
      replaceAt(der, [...VALIDITY, 0], () =>
        Uint8Array.from([0x17, 17, ...Buffer.from("250101000000+1300", "latin1")]),
      ),
      "bad-validity",
    ],
    [
      "a GeneralizedTime with a fraction but no seconds",
      replaceAt(der, [...VALIDITY, 1], () =>
        Uint8Array.from([0x18, 15, ...Buffer.from("203001010000.5Z", "latin1")]),
      ),
      "bad-validity",
    ],
    [
      "a negative version field",
      replaceAt(der, [0, 0, 0], () => Uint8Array.from([0x02, 0x01, 0xff])),
      "unsupported-version",
    ],
    [
      "a version field beyond 32 bits",
      replaceAt(der, [0, 0, 0], () => Uint8Array.from([0x02, 0x05, 0x01, 0, 0, 0, 0])),
      "unsupported-version",
    ],
  ])("%s", (_name, input, reason) => {
    expect(reasonOf(input)).toBe(reason);
  });

  // A18: what OpenSSL and Node read past is readable, with the fault recorded (the oracle
  // comparison is in readable-faults.test.ts; these are not re-signed).
  it.each([
    ["trailing data", Uint8Array.from([...der, 0]), ["trailing-data"]],
    [
      "a non-minimal length inside the TBSCertificate",
      replaceAt(der, SERIAL, (tlv) => Uint8Array.from([0x02, 0x81, tlv[1]!, ...tlv.subarray(2)])),
      ["ber-encoding"],
    ],
    [
      "an indefinite length inside the TBSCertificate",
      replaceAt(der, ISSUER, (tlv) =>
        Uint8Array.from([0x30, 0x80, ...tlv.subarray(headerLength(tlv, 0)), 0, 0]),
      ),
      ["ber-encoding"],
    ],
    [
      "a GeneralizedTime with fractional seconds",
      replaceAt(der, [...VALIDITY, 1], () =>
        Uint8Array.from([0x18, 17, ...Buffer.from("20300101000000.5Z", "latin1")]),
      ),
      ["time-format"],
    ],
    // Not an encoding fault: X.509 defines no version 4, but OpenSSL and Node read one.
    ["a version field of 3 (v4)", replaceAt(der, [0, 0, 0], () => Uint8Array.from([2, 1, 3])), []],
  ] as const)("readable: %s", (_name, input, faults) => {
    const parsed = parseCertificate(input);
    expect(parsed.encodingFaults).toEqual(faults);
    expect(parsed.asn.tbsCertificate.serialNumber.byteLength).toBeGreaterThan(0);
  });

  it("a certificate with 10,000 SAN names parses", async () => {
    const san = Array.from({ length: 10_000 }, (_, i) => `host${i}.contoso.com`);
    const big = await forgeCertificate({
      subject: [["CN", "mail.contoso.com"]],
      notBefore: new Date(NOW.getTime() - YEAR),
      notAfter: new Date(NOW.getTime() + YEAR),
      key: "p256-1",
      san,
    });
    const parsed = parseCertificate(big);
    expect(parsed.dnsNames).toHaveLength(10_000);
    expect(parsed.dnsNames[9_999]).toBe("host9999.contoso.com");
  });

  it("a 64 KB subject parses", async () => {
    const big = await forgeCertificate({
      subject: [
        ["O", "x".repeat(65_536)],
        ["CN", "mail.contoso.com"],
      ],
      notBefore: new Date(NOW.getTime() - YEAR),
      notAfter: new Date(NOW.getTime() + YEAR),
      key: "p256-1",
    });
    const parsed = parseCertificate(big);
    expect(parsed.commonNames).toEqual(["mail.contoso.com"]);
    expect(parsed.subject.length).toBeGreaterThan(65_536);
  });

  it("a UniversalString keeps characters outside the BMP whole (U+1002E is not '.')", async () => {
    const base = await forgeCertificate({
      subject: [["CN", "mailXcontoso.com"]],
      notBefore: new Date(NOW.getTime() - YEAR),
      notAfter: new Date(NOW.getTime() + YEAR),
      key: "p256-1",
    });
    const ucs4 = (text: string) =>
      [...text].flatMap((c) => {
        const code = c === "X" ? 0x1002e : c.codePointAt(0)!;
        return [code >>> 24, (code >> 16) & 0xff, (code >> 8) & 0xff, code & 0xff];
      });
    // subject (TBS child 5) → RDN 0 → attribute 0 → value 1.
    const forged = replaceAt(base, [0, 5, 0, 0, 1], () => {
      const content = ucs4("mailXcontoso.com");
      return Uint8Array.from([0x1c, 0x40, ...content]);
    });
    const parsed = parseCertificate(forged);
    expect(parsed.commonNames).toEqual(["mail\u{1002e}contoso.com"]);
  });
});
