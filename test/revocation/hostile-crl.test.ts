// Hostile CRLs (A21, issue 16): truncated, mutated, random, huge, a million entries, wrong
// signature, future thisUpdate. Parsing never throws and takes linear time; a damaged CRL never
// decides anything (it is ignored with a reason, or unusable when checked), so a listed
// certificate can never come out "good" from a CRL that is not exactly the signed one.
// Properties run 300 times from a fixed seed (FUZZ_RUNS / FUZZ_SEED as in test/hostile).
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";

import type { ParsedCertificate } from "../../src/x509/certificate.js";
import { PathValidator } from "../../src/x509/path/validator.js";
import { createCrlRevocationChecker, prepareCrls } from "../../src/x509/revocation/checker.js";
import { type CrlParseFailure, parseCrl, parseCrlInput } from "../../src/x509/revocation/crl.js";
import { cn, days, intermediate, leaf, NOW, root } from "../support/chains.js";
import { forgeCrl, seq, tlv, toCrlPem } from "./crl-forge.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED ?? "20261202";
const params = { numRuns: RUNS, ...(SEED === "random" ? {} : { seed: Number(SEED) }) };
const TIMEOUT = Math.max(60_000, RUNS * 100);

const FAILURES: ReadonlySet<CrlParseFailure> = new Set([
  "empty",
  "pem-bad-base64",
  "der-malformed",
  "asn1-schema",
  "unsupported-version",
  "bad-time",
  "signature-algorithm-mismatch",
  "duplicate-extension",
  "bad-extension",
]);

const ROOT = { name: "Hostile CRL Root", key: "p256-1" } as const;
const CA = { name: "Hostile CRL CA", key: "p256-2" } as const;

let rootCert: ParsedCertificate;
let caCert: ParsedCertificate;
let leafCert: ParsedCertificate;
let listing: Uint8Array;
let rootCrl: Uint8Array;

beforeAll(async () => {
  rootCert = await root(ROOT);
  caCert = await intermediate(CA, ROOT);
  leafCert = await leaf({ name: "hostile-crl.example", key: "p256-3" }, CA);
  listing = forgeCrl({
    issuer: cn(CA.name),
    signer: CA.key,
    thisUpdate: days(-1),
    nextUpdate: days(6),
    crlNumber: 7,
    entries: [{ serial: "01" }, { serial: leafCert.serialNumber, reason: 1 }, { serial: "7F" }],
  });
  rootCrl = forgeCrl({ issuer: cn(ROOT.name), signer: ROOT.key, ...window(), crlNumber: 1 });
});

function window() {
  return { thisUpdate: days(-1), nextUpdate: days(6) };
}

async function verdict(crls: readonly Uint8Array[]): Promise<string> {
  const validator = new PathValidator({
    trustAnchors: [rootCert],
    intermediates: [caCert],
    revocationChecker: createCrlRevocationChecker({
      crls,
      mode: "hard",
      certificates: [rootCert, caCert],
    }),
  });
  const result = await validator.validate(leafCert, NOW);
  return result.status === "valid" ? "valid" : result.reason.code;
}

/** A mutation of a CRL: flip, set, insert or delete bytes, or truncate. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant("delete" as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const at = m.at % bytes.length;
  switch (m.kind) {
    case "flip": {
      const out = bytes.slice();
      out[at]! ^= 1 << m.bit;
      return out;
    }
    case "set": {
      const out = bytes.slice();
      out[at] = m.value;
      return out;
    }
    case "insert":
      return Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
    case "delete":
      return Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + m.count)]);
    case "truncate":
      return bytes.subarray(0, at);
  }
}

describe("A21: hostile CRLs never throw", () => {
  it("A21: random bytes parse to a reason, never an exception", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const result = parseCrl(bytes);
        if (!result.ok) expect(FAILURES.has(result.failure)).toBe(true);
      }),
      params,
    );
  });

  it("A21: random text parses to a reason, never an exception", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `-----BEGIN X509 CRL-----\n${s}\n-----END X509 CRL-----`),
          fc.string().map((s) => `-----BEGIN X509 CRL-----${s}`),
        ),
        (text) => {
          for (const result of parseCrlInput(text)) {
            expect(result.ok || FAILURES.has(result.failure)).toBe(true);
          }
        },
      ),
      params,
    );
  });

  it(
    "A21: a damaged CRL that listed the leaf never makes it valid (hard mode)",
    async () => {
      expect(await verdict([listing, rootCrl])).toBe("revoked");
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
          const damaged = mutations.reduce(mutate, listing);
          fc.pre(Buffer.compare(Buffer.from(damaged), Buffer.from(listing)) !== 0);
          const parsed = parseCrl(damaged);
          if (!parsed.ok) expect(FAILURES.has(parsed.failure)).toBe(true);
          const result = await verdict([damaged, rootCrl]);
          // Revoked is possible only if the signed bytes survived (a mutation outside them that
          // the parser tolerates); "valid" never: nothing else covers the leaf.
          expect(["revoked", "revocation-unknown"]).toContain(result);
        }),
        params,
      );
    },
    TIMEOUT,
  );
});

describe("A21: hostile shapes", () => {
  it("A21: a length that claims more than the input is der-malformed", () => {
    const claim = Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00);
    expect(parseCrl(claim)).toMatchObject({ ok: false, failure: "der-malformed" });
  });

  it("A21: an empty input and an empty PEM are 'empty'", () => {
    expect(parseCrl(new Uint8Array(0))).toMatchObject({ ok: false, failure: "empty" });
    expect(parseCrlInput("")).toEqual([expect.objectContaining({ ok: false, failure: "empty" })]);
  });

  it("A21: trailing bytes after the CRL make it unreadable", () => {
    const result = parseCrl(Uint8Array.from([...listing, 0]));
    expect(result).toMatchObject({ ok: false, failure: "der-malformed" });
  });

  it("A21: a deeply nested extension value is read without recursion", () => {
    let nested: Uint8Array = tlv(0x05);
    for (let i = 0; i < 10_000; i++) nested = seq(nested);
    const crl = forgeCrl({
      issuer: cn(CA.name),
      signer: CA.key,
      ...window(),
      extensions: [{ oid: "1.2.3.4", value: nested }],
    });
    expect(parseCrl(crl).ok).toBe(true);
  });

  it("A21: many PEM BEGIN lines without END lines are scanned once", () => {
    const text = "-----BEGIN X509 CRL-----\n".repeat(50_000);
    const started = performance.now();
    const results = parseCrlInput(text);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(results.every((r) => !r.ok)).toBe(true);
  });

  it("A21: a future thisUpdate never decides; the status is unknown", async () => {
    const future = forgeCrl({
      issuer: cn(CA.name),
      signer: CA.key,
      thisUpdate: days(2),
      nextUpdate: days(9),
      entries: [{ serial: leafCert.serialNumber }],
    });
    expect(await verdict([future, rootCrl])).toBe("revocation-unknown");
  });

  it("A21: five hundred unusable CRLs of the issuer: linear work, a bounded message", async () => {
    const crls = Array.from({ length: 500 }, (_, i) =>
      forgeCrl({
        issuer: cn(CA.name),
        signer: "p256-4", // not the CA's key: each one fails its signature check
        ...window(),
        crlNumber: i + 1,
        entries: [{ serial: leafCert.serialNumber }],
      }),
    );
    const started = performance.now();
    const validator = new PathValidator({
      trustAnchors: [rootCert],
      intermediates: [caCert],
      revocationChecker: createCrlRevocationChecker({
        crls: [...crls, rootCrl],
        mode: "hard",
        certificates: [rootCert, caCert],
      }),
    });
    const result = await validator.validate(leafCert, NOW);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(result.status === "invalid" && result.reason.code).toBe("revocation-unknown");
    const detail = result.status === "invalid" ? String(result.reason["detail"]) : "";
    expect(detail).toMatch(/and 492 more$/);
    expect(detail.length).toBeLessThan(2_000);
  }, 60_000);

  it("A21: a certificate with too many distribution points is unknown, not slow", async () => {
    const points = seq(
      ...Array.from({ length: 65 }, (_, i) =>
        seq(tlv(0xa0, tlv(0xa0, tlv(0x86, Buffer.from(`http://x/${i}.crl`))))),
      ),
    );
    const many = await leaf({ name: "many-dps.example", key: "p256-5" }, CA, {
      extraExtensions: [{ oid: "2.5.29.31", critical: false, value: points }],
    });
    const validator = new PathValidator({
      trustAnchors: [rootCert],
      intermediates: [caCert],
      revocationChecker: createCrlRevocationChecker({
        crls: [listing, rootCrl],
        certificates: [rootCert, caCert],
      }),
    });
    const result = await validator.validate(many, NOW);
    expect(result.status === "valid" && result.revocation?.[0]).toMatchObject({
      status: "unknown",
      detail: "more than 64 CRL distribution points",
    });
  });

  it("A21: the same CRL supplied twice is used once", () => {
    const set = prepareCrls([listing, listing, toCrlPem(listing)]);
    expect(set.crls.length).toBe(1);
  });
});

/** `count` entries with serials 0x01000001.., written straight into one buffer. */
function rawEntries(count: number, extra: readonly string[] = []): Uint8Array {
  const date = Buffer.from("240530120000Z", "latin1");
  const buffer = new Uint8Array(count * 23);
  for (let i = 0; i < count; i++) {
    const at = i * 23;
    const serial = 0x01000001 + i;
    // SEQUENCE { INTEGER (4 octets, minimal, positive), UTCTime }
    buffer.set([0x30, 0x15, 0x02, 0x04], at);
    buffer[at + 4] = (serial >>> 24) & 0xff;
    buffer[at + 5] = (serial >>> 16) & 0xff;
    buffer[at + 6] = (serial >>> 8) & 0xff;
    buffer[at + 7] = serial & 0xff;
    buffer.set([0x17, 0x0d], at + 8);
    buffer.set(date, at + 10);
  }
  const extraEntries = extra.map((serial) =>
    seq(tlv(0x02, Buffer.from(serial, "hex")), tlv(0x17, date)),
  );
  return Uint8Array.from(Buffer.concat([buffer, ...extraEntries]));
}

describe("A21: huge CRLs", () => {
  it(
    "A21: a million entries parse once, in linear time, and look-ups are O(1)",
    async () => {
      const small = forgeCrl({
        issuer: cn(CA.name),
        signer: CA.key,
        ...window(),
        rawEntries: rawEntries(100_000),
      });
      const big = forgeCrl({
        issuer: cn(CA.name),
        signer: CA.key,
        ...window(),
        rawEntries: rawEntries(1_000_000, [leafCert.serialNumber]),
      });
      let started = performance.now();
      const smallParsed = parseCrl(small);
      const smallTime = performance.now() - started;
      started = performance.now();
      const bigParsed = parseCrl(big);
      const bigTime = performance.now() - started;
      expect(smallParsed.ok && bigParsed.ok).toBe(true);
      if (!bigParsed.ok) return;
      expect(bigParsed.crl.entryCount).toBe(1_000_001);
      expect(bigParsed.crl.lookup("010F4240", bigParsed.crl.issuerKey)?.serialNumber).toBe(
        "010F4240",
      );
      expect(bigParsed.crl.lookup("010F4241", bigParsed.crl.issuerKey)).toBeUndefined();
      // Ten times the entries: well under a hundred times the time (linear, with slack for a
      // Map that outgrows the CPU caches, a shared machine and garbage collection).
      expect(bigTime).toBeLessThan(Math.max(60 * smallTime, 500));
      started = performance.now();
      for (let i = 0; i < 10_000; i++) bigParsed.crl.lookup("0100ABCD", bigParsed.crl.issuerKey);
      expect(performance.now() - started).toBeLessThan(1_000);
      // The whole validation with it: the leaf is found among a million entries.
      expect(await verdict([big, rootCrl])).toBe("revoked");
    },
    TIMEOUT,
  );
});
