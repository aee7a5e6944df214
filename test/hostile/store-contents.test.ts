// Store contents from anywhere: truncated DER, random bytes, bit flips, PEM with junk, huge
// certificates, duplicates, keys that do not fit, entries of the wrong shape. Each bad entry is
// excluded with a reason in `certificates[]`, the rest are still considered, nothing throws, and
// nothing changes which certificate is used or ranked best.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";

import type { AnonymousTlsSelection, CertificateVerdict, StoreEntry } from "../../src/index.js";
import { parseCertificate } from "../../src/x509/certificate.js";
import { readChildren, readTlv } from "../../src/x509/der.js";
import { AsnConvert } from "../../src/x509/x509.js";
import { entry, fixture, staticDirectory } from "../support/fixtures.js";
import { toPem } from "../support/forge.js";
import { canonical, flipBit, forgeEntry, outbound, prng } from "./support.js";

const D = fixture("self-signed"); // the directory's certificate
const TRUST = {
  trustAnchors: [fixture("root-rsa").der, fixture("root-ec").der],
  intermediates: [fixture("inter-rsa").der, fixture("inter-ec").der],
};

/** Four good certificates: the directory's, a newer self-signed one, and two valid-PKI leaves. */
function goodEntries(): StoreEntry[] {
  return [
    entry("self-signed", { withKey: true }),
    entry("self-signed-newest"),
    entry("leaf-ec"),
    entry("leaf-rsa"),
  ];
}

function select(store: readonly unknown[], extra: Record<string, unknown> = {}) {
  return outbound({
    directory: staticDirectory(D.thumbprint),
    store: { list: () => store as StoreEntry[] },
    ...TRUST,
    ...extra,
  });
}

let baselineResult: AnonymousTlsSelection | undefined;
async function baseline(): Promise<AnonymousTlsSelection> {
  baselineResult ??= await select(goodEntries());
  return baselineResult;
}

/** What bad entries must never change: the outcome, the certificate used, the best, the events. */
function decision(selection: AnonymousTlsSelection) {
  const { verdicts: _verdicts, ...rest } = canonical(selection) as Record<string, unknown>;
  return rest;
}

function verdictAt(selection: AnonymousTlsSelection, index: number): CertificateVerdict {
  const verdict = selection.certificates.find((c) => c.index === index);
  if (verdict === undefined) throw new Error(`no verdict at ${index}`);
  return verdict;
}

/** Unreadable, excluded by the parse step, with a typed reason (never a crash inside the parser). */
function expectUnreadable(verdict: CertificateVerdict, code?: string) {
  expect(verdict.status).toBe("unreadable");
  if (verdict.status !== "unreadable") return;
  expect(verdict.exclusion.rule).toBe("parse");
  // "unparseable" is what the store calls a parser that threw something other than
  // InvalidCertificateError: a crash, in other words.
  expect(verdict.exclusion.code).not.toBe("unparseable");
  expect(verdict.exclusion.code).toMatch(/^[a-z0-9-]+$/);
  expect(verdict.exclusion.message.length).toBeGreaterThan(0);
  if (code !== undefined) expect(verdict.exclusion.code).toBe(code);
}

/** Puts `junk` in front of the good entries and checks the decision did not move. */
async function withJunk(junk: readonly unknown[]) {
  const result = await select([...junk, ...goodEntries()]);
  expect(decision(result)).toEqual(decision(await baseline()));
  expect(result.certificates).toHaveLength(junk.length + 4);
  return result;
}

const asEntry = (certificate: Uint8Array | string): StoreEntry => ({
  certificate,
  hasPrivateKey: true,
  services: ["SMTP"],
});

/** Offsets of the TBSCertificate and of what follows it (the unsigned algorithm and signature). */
function layout(der: Uint8Array) {
  const outer = readTlv(der, 0);
  const [tbs, algorithm, signature] = readChildren(der, outer);
  return { tbs: tbs!, algorithm: algorithm!, signature: signature! };
}

describe("store contents: the baseline", () => {
  it("R12/A1: four good certificates: the directory's is used, a valid-PKI leaf ranks best", async () => {
    const result = await baseline();
    expect(result).toMatchObject({ outcome: "selected", thumbprint: D.thumbprint });
    expect(result.outcome === "selected" && result.bestCandidate).toBe(
      fixture("leaf-ec").thumbprint,
    );
  });
});

describe("store contents: bytes that are not a certificate", () => {
  it("parse: every truncation of a DER certificate is excluded, the rest still considered", async () => {
    for (const name of ["self-signed", "leaf-ec"]) {
      const der = fixture(name).der;
      const junk = Array.from({ length: der.length }, (_, n) => asEntry(der.slice(0, n)));
      const result = await withJunk(junk);
      expectUnreadable(verdictAt(result, 0), "empty");
      for (let n = 1; n < der.length; n++) expectUnreadable(verdictAt(result, n));
    }
  });

  it("A18: the DER with bytes appended is read as the certificate it holds, bytes after it ignored", async () => {
    // OpenSSL and Node read a DER file with bytes after the certificate; the thumbprint is that
    // of the certificate's own encoding, so these are two more copies of D (A9: duplicates).
    const appended = [Uint8Array.from([...D.der, 0x00]), Uint8Array.from([...D.der, ...D.der])];
    for (const der of appended) {
      const parsed = parseCertificate(der);
      expect(parsed.thumbprint).toBe(D.thumbprint);
      expect(parsed.encodingFaults).toEqual(["trailing-data"]);
      expect(Buffer.from(parsed.der)).toEqual(Buffer.from(D.der));
    }
    const result = await select([...appended.map(asEntry), ...goodEntries()]);
    expect(result).toMatchObject({ outcome: "selected", thumbprint: D.thumbprint });
    for (const index of [0, 1]) {
      const verdict = verdictAt(result, index);
      expect(verdict.status).not.toBe("unreadable");
      expect(verdict.status !== "unreadable" && verdict.thumbprint).toBe(D.thumbprint);
    }
  });

  it("parse: 400 seeded random byte strings (some with a SEQUENCE header) are excluded", async () => {
    const random = prng(0x5eed);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
    const junk = Array.from({ length: 400 }, (_, i) => {
      const body = bytes(Math.floor(random() * 2000));
      if (i % 4 === 1) {
        // A plausible outer header: SEQUENCE with a long-form length that fits the body.
        return asEntry(
          Uint8Array.from([0x30, 0x82, body.length >> 8, body.length & 0xff, ...body]),
        );
      }
      if (i % 4 === 2) return asEntry(toPem(body)); // well-formed armour around garbage
      return asEntry(body);
    });
    const result = await withJunk(junk);
    for (let i = 0; i < junk.length; i++) expectUnreadable(verdictAt(result, i));
  });

  it("parse: SEQUENCEs nested 100,000 deep are excluded without exhausting the stack", async () => {
    // Certificate ::= SEQUENCE { tbs, algorithm, signature } with the tbs nested 100,000 deep.
    const header = (tag: number, n: number) =>
      n < 0x80
        ? [tag, n]
        : n < 0x100
          ? [tag, 0x81, n]
          : n < 0x10000
            ? [tag, 0x82, n >> 8, n & 0xff]
            : [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
    const wrap = (tag: number, content: Uint8Array) =>
      Uint8Array.from([...header(tag, content.length), ...content]);
    // Inside out, lengths only; then the headers outside in, into one buffer.
    const depth = 100_000;
    const headers: number[][] = [];
    let size = 2; // the innermost NULL
    for (let i = 0; i < depth; i++) {
      const h = header(0x30, size);
      headers.push(h);
      size += h.length;
    }
    const tbs = new Uint8Array(size);
    let offset = 0;
    for (let i = depth - 1; i >= 0; i--) {
      tbs.set(headers[i]!, offset);
      offset += headers[i]!.length;
    }
    tbs.set([0x05, 0x00], offset);
    const algorithm = wrap(0x30, Uint8Array.from([0x06, 0x01, 0x2a]));
    const signature = wrap(0x03, Uint8Array.from([0x00, 0x01]));
    const body = new Uint8Array(tbs.length + algorithm.length + signature.length);
    body.set(tbs);
    body.set(algorithm, tbs.length);
    body.set(signature, tbs.length + algorithm.length);
    const outer = header(0x30, body.length);
    const der = new Uint8Array(outer.length + body.length);
    der.set(outer);
    der.set(body, outer.length);
    const result = await withJunk([asEntry(der)]);
    expectUnreadable(verdictAt(result, 0));
  });

  it("parse: a store of 10,000 junk entries still selects, in reasonable time", async () => {
    const junk = Array.from({ length: 10_000 }, (_, i) =>
      i % 2 ? asEntry(Uint8Array.of(0x30, 0x03, 0x02, 0x01, i & 0x7f)) : asEntry(`junk ${i}`),
    );
    const started = performance.now();
    const result = await withJunk(junk);
    expect(performance.now() - started).toBeLessThan(5_000);
    expectUnreadable(verdictAt(result, 0), "pem-no-certificate");
    expectUnreadable(verdictAt(result, 1), "der-malformed");
  });
});

describe("store contents: bit flips of valid certificates", () => {
  const FLIPPED = ["self-signed", "self-signed-newest", "leaf-ec", "leaf-rsa", "wildcard", "v1"];

  it("A3/A6: 150 seeded bit flips in the signed part of each of six certificates change nothing", async () => {
    const random = prng(0xb17f11b);
    for (const name of FLIPPED) {
      const der = fixture(name).der;
      const { tbs } = layout(der);
      const junk = Array.from({ length: 150 }, () => {
        const bit = tbs.start * 8 + Math.floor(random() * (tbs.end - tbs.start) * 8);
        return { ...asEntry(flipBit(der, bit)), privateKey: fixture(name).keyPem };
      });
      const result = await withJunk(junk);
      for (let i = 0; i < junk.length; i++) {
        const verdict = verdictAt(result, i);
        if (verdict.status === "unreadable") {
          expectUnreadable(verdict);
        } else {
          // Readable but altered: its signature no longer verifies, so it is neither valid
          // PKI nor self-signed, and can never be the best candidate (R12, R13).
          expect(verdict.thumbprint).not.toBe(fixture(name).thumbprint);
          if (verdict.status === "eligible") {
            expect(verdict.best).toBe(false);
            expect(verdict.trust?.kind ?? "not-evaluated").not.toMatch(/^(pki|self-signed)$/);
          }
        }
      }
    }
  });

  /**
   * Every single-bit flip of one certificate, all in one store with no valid-PKI certificate,
   * so that the ranking evaluates every eligible flip (the path validator reads the whole
   * certificate); the directory names another certificate.
   */
  async function everyFlip(name: string) {
    // No valid-PKI certificate in the store, so the ranking evaluates every eligible flip (the
    // path validator reads the whole certificate); the directory names another certificate.
    const der = fixture(name).der;
    const { tbs } = layout(der);
    const flips = Array.from({ length: der.length * 8 }, (_, bit) => ({
      ...asEntry(flipBit(der, bit)),
      privateKey: fixture(name).keyPem,
    }));
    const E = fixture("expired");
    const result = await outbound({
      directory: staticDirectory(E.thumbprint),
      store: { list: () => [...flips, entry("expired", { withKey: true })] },
      ...TRUST,
    });
    expect(result).toMatchObject({ outcome: "selected", thumbprint: E.thumbprint });
    const wrong: string[] = [];
    for (const verdict of result.certificates) {
      const bit = verdict.index;
      if (bit >= flips.length) continue;
      const where = `byte ${bit >> 3} mask 0x${(0x80 >> (bit & 7)).toString(16)}`;
      if (verdict.status === "unreadable") {
        if (verdict.exclusion.code === "unparseable") wrong.push(`${where}: the parser crashed`);
        continue;
      }
      if (verdict.thumbprint === fixture(name).thumbprint) wrong.push(`${where}: same thumbprint`);
      const signed = bit >= tbs.start * 8 && bit < tbs.end * 8;
      const trust = verdict.status === "eligible" ? verdict.trust?.kind : undefined;
      if (signed && (trust === "pki" || trust === "self-signed"))
        wrong.push(`${where}: altered, yet ${trust}`);
    }
    expect(wrong).toEqual([]);
  }

  it("A3/A6: every single-bit flip of leaf-ec, all in one store, never throws and the signed part is never trusted", () =>
    everyFlip("leaf-ec"));

  it("A3/A6: every single-bit flip of self-signed, all in one store, never throws and the signed part is never trusted", () =>
    everyFlip("self-signed"));

  it("A3: a constructed NULL (0x25) as algorithm parameters never makes the selection throw", async () => {
    // The minimal repro of the bug above.
    const der = new Uint8Array(D.der);
    const { tbs } = layout(der);
    const [, , signature] = readChildren(der, tbs); // version [0], serial, signature
    const nullTag = signature!.end - 2; // … 06 09 <sha256WithRSAEncryption> 05 00
    expect(der[nullTag]).toBe(0x05);
    der[nullTag] = 0x25;
    const result = await select([asEntry(der), entry("self-signed", { withKey: true })]);
    expect(result).toMatchObject({ outcome: "selected", thumbprint: D.thumbprint });
  });

  it("A6: a bit flip outside the signed part never yields a self-signed twin", async () => {
    const twins: string[] = [];
    for (const name of FLIPPED) {
      const der = fixture(name).der;
      const { algorithm, signature } = layout(der);
      // The algorithm identifier and the signature's header (tag, length, unused-bits octet).
      const end = signature.contentStart + 1;
      const junk: StoreEntry[] = [];
      for (let bit = algorithm.start * 8; bit < end * 8; bit++) {
        junk.push({ ...asEntry(flipBit(der, bit)), privateKey: fixture(name).keyPem });
      }
      const result = await select([...junk, ...goodEntries()], {
        onThumbprintMismatch: "use-best-candidate",
      });
      for (const verdict of result.certificates) {
        if (verdict.index >= junk.length) continue;
        if (verdict.status === "eligible" && verdict.trust?.kind === "self-signed")
          twins.push(`${name}: ${verdict.thumbprint}`);
      }
      expect(decision(result)).toEqual(
        decision(await select(goodEntries(), { onThumbprintMismatch: "use-best-candidate" })),
      );
    }
    expect(twins).toEqual([]);
  });

  it("A11/A1: a malformed twin is never the best candidate nor the certificate used", async () => {
    // Repro: self-signed.pem with the outer signatureAlgorithm's NULL (0x05) turned into 0x0d.
    const der = D.der;
    const { algorithm } = layout(der);
    const nullTag = algorithm.end - 2; // … 06 09 <sha256WithRSAEncryption> 05 00
    expect(der[nullTag]).toBe(0x05);
    const twins = [0x01, 0x04, 0x0d, 0x15, 0x25, 0x45, 0x85].map((tag) => {
      const copy = new Uint8Array(der);
      copy[nullTag] = tag;
      return { ...asEntry(copy), privateKey: D.keyPem };
    });
    const result = await select([entry("self-signed", { withKey: true }), ...twins], {
      onThumbprintMismatch: "use-best-candidate",
    });
    expect(result).toMatchObject({
      outcome: "selected",
      thumbprint: D.thumbprint,
      bestCandidate: D.thumbprint,
      thumbprintMatches: true,
    });
  });

  it("parse: a flip in the TBS header that parses is read by Node too, and is DER unless a fault says otherwise (A18)", () => {
    const der = D.der;
    expect(Buffer.from(AsnConvert.serialize(parseCertificate(der).asn))).toEqual(Buffer.from(der));
    const accepted: string[] = [];
    for (let bit = 0; bit < 48 * 8; bit++) {
      const flipped = flipBit(der, bit);
      let parsed: ReturnType<typeof parseCertificate>;
      try {
        parsed = parseCertificate(flipped);
      } catch {
        continue;
      }
      let openssl = true;
      try {
        new X509Certificate(flipped);
      } catch {
        openssl = false;
      }
      const reencoded = Buffer.from(AsnConvert.serialize(parsed.asn));
      const faultless = parsed.encodingFaults.length === 0;
      if (!openssl || (faultless && !reencoded.equals(Buffer.from(flipped))))
        accepted.push(
          `byte ${bit >> 3} mask 0x${(0x80 >> (bit & 7)).toString(16)} [${parsed.encodingFaults.join(",")}]`,
        );
    }
    expect(accepted).toEqual([]);
  });
});

describe("store contents: PEM", () => {
  const body = (der: Uint8Array) => Buffer.from(der).toString("base64");
  const lines = (text: string, width: number) => text.match(new RegExp(`.{1,${width}}`, "g"))!;

  it.each([
    [
      "explanatory text before and after (RFC 7468 §2)",
      `Subject: CN=mail\nIssuer: x\n${D.pem}trailing words\n`,
    ],
    [
      "openssl pkcs12 Bag Attributes",
      `Bag Attributes\n    localKeyID: 01 00 00 00\nsubject=/CN=mail.contoso.com\n${D.pem}`,
    ],
    ["CRLF line endings", D.pem.replace(/\n/g, "\r\n")],
    [
      "76-column base64 lines",
      `-----BEGIN CERTIFICATE-----\n${lines(body(D.der), 76).join("\n")}\n-----END CERTIFICATE-----`,
    ],
    [
      "one long base64 line, no final newline",
      `-----BEGIN CERTIFICATE-----${body(D.der)}-----END CERTIFICATE-----`,
    ],
    ["a private key block next to it", `${D.pem}${D.keyPem}`],
    ["leading white space and a BOM", `\ufeff   \n${D.pem}`],
  ])("accepted: %s", async (_name, pem) => {
    const result = await select([{ ...asEntry(pem), privateKey: D.keyPem }]);
    expect(result).toMatchObject({ outcome: "selected", thumbprint: D.thumbprint });
    expect(result.certificates[0]).toMatchObject({ thumbprint: D.thumbprint });
  });

  const armour = (inside: string) =>
    `-----BEGIN CERTIFICATE-----\n${inside}\n-----END CERTIFICATE-----\n`;
  const b64 = lines(body(D.der), 64);

  it.each([
    [
      "a non-base64 character inside",
      armour([...b64.slice(0, 3), "!!!!", ...b64.slice(3)].join("\n")),
      "pem-bad-base64",
    ],
    [
      "RFC 1421 headers inside",
      armour(["Proc-Type: 4,ENCRYPTED", "", ...b64].join("\n")),
      "pem-bad-base64",
    ],
    [
      "padding in the middle",
      armour([...b64.slice(0, 3), "QQ==", ...b64.slice(3)].join("\n")),
      "pem-bad-base64",
    ],
    ["a base64 length that is not a multiple of 4", armour(`${b64.join("\n")}A`), "pem-bad-base64"],
    ["an empty block", armour(""), "pem-bad-base64"],
    [
      "two certificates in one entry",
      `${D.pem}${fixture("leaf-ec").pem}`,
      "pem-multiple-certificates",
    ],
    ["BEGIN without END", `-----BEGIN CERTIFICATE-----\n${b64.join("\n")}\n`, "pem-no-certificate"],
    [
      "mismatched labels",
      `-----BEGIN CERTIFICATE-----\n${b64.join("\n")}\n-----END X509 CRL-----\n`,
      "pem-no-certificate",
    ],
    ["only a private key", D.keyPem, "pem-no-certificate"],
    [
      "another certificate's END inside",
      armour(
        `${b64.slice(0, 3).join("\n")}\n-----END CERTIFICATE-----\n${b64.slice(3).join("\n")}`,
      ),
      undefined,
    ],
    ["garbage in valid armour", toPem(Uint8Array.of(1, 2, 3, 4, 5, 6)), undefined],
  ] as const)("rejected: %s", async (_name, pem, code) => {
    const result = await withJunk([asEntry(pem)]);
    expectUnreadable(verdictAt(result, 0), code);
  });

  it("parse: 16,000 BEGIN lines without an END are rejected in linear time", () => {
    const text = "-----BEGIN CERTIFICATE-----\n".repeat(16_000);
    const started = performance.now();
    expect(() => parseCertificate(text)).toThrow();
    expect(performance.now() - started).toBeLessThan(400);
  });
});

describe("store contents: huge certificates", () => {
  it("R10c: a certificate with 10,000 SAN names is read, matched and ranked", async () => {
    const san = Array.from({ length: 9_999 }, (_, i) => `host${i}.contoso.com`);
    const matching = await forgeEntry({ san: [...san, "mail.contoso.com"], key: "p256-2" });
    const other = await forgeEntry({ san: [...san, "other.contoso.com"], key: "p256-3" });
    const started = performance.now();
    const result = await select([matching.entry, other.entry, ...goodEntries()]);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(verdictAt(result, 0)).toMatchObject({
      status: "eligible",
      match: { certificateName: "mail.contoso.com", source: "san-dns" },
    });
    expect(verdictAt(result, 0).names).toHaveLength(10_000);
    expect(verdictAt(result, 1)).toMatchObject({
      status: "excluded",
      exclusion: { rule: "R10c", code: "no-matching-name" },
    });
    expect(result).toMatchObject({ outcome: "selected", thumbprint: D.thumbprint });
  });

  it("R10c: a 64 KB subject (a 65,536-character CN beside the real one) is read and matched", async () => {
    const forged = await forgeEntry({
      subject: [
        ["CN", "x".repeat(65_536)],
        ["CN", "mail.contoso.com"],
      ],
      key: "p256-4",
    });
    expect(forged.der.length).toBeGreaterThan(65_536);
    const result = await select([forged.entry, ...goodEntries()]);
    expect(verdictAt(result, 0)).toMatchObject({
      status: "eligible",
      match: { certificateName: "mail.contoso.com", source: "subject-cn" },
    });
    expect(verdictAt(result, 0).subject?.length).toBeGreaterThan(65_536);
  });

  it("R10c: a subject of 2,000 RDNs is read", async () => {
    const forged = await forgeEntry({
      subject: [
        ...Array.from({ length: 2_000 }, (_, i) => ["OU", `unit ${i}`] as const),
        ["CN", "mail.contoso.com"],
      ],
      key: "p256-5",
    });
    const result = await select([forged.entry, ...goodEntries()]);
    expect(verdictAt(result, 0)).toMatchObject({ status: "eligible" });
  });
});

describe("store contents: duplicates (the same certificate listed more than once)", () => {
  const variants = (): StoreEntry[] => [
    entry("self-signed", { hasPrivateKey: false }),
    entry("self-signed", { services: ["IIS"], withKey: true }),
    entry("self-signed", { withKey: true }),
    entry("self-signed", { withKey: true, certificate: D.pem }),
    entry("self-signed", { privateKey: fixture("leaf-rsa").keyPem }),
  ];

  function permutations<T>(items: readonly T[]): T[][] {
    if (items.length <= 1) return [[...items]];
    return items.flatMap((item, i) =>
      permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
    );
  }

  it("R6/A9: every order of five copies gives the same decision, verdicts and entry used", async () => {
    const results = await Promise.all(permutations(variants()).map((store) => select(store)));
    const first = results[0]!;
    expect(first).toMatchObject({ outcome: "selected", thumbprint: D.thumbprint });
    // The copy used has a usable key, SMTP, key material, and is the DER form (the tie-break).
    expect(first.outcome === "selected" && first.entry).toMatchObject({
      certificate: D.der,
      privateKey: D.keyPem,
      services: ["SMTP"],
    });
    for (const result of results) {
      expect(canonical(result)).toEqual(canonical(first));
      expect(result.outcome === "selected" && result.entry).toEqual(
        first.outcome === "selected" && first.entry,
      );
      const duplicates = result.certificates.filter(
        (c) => c.status === "excluded" && c.exclusion.code === "duplicate-entry",
      );
      expect(duplicates).toHaveLength(4);
    }
  }, 30_000);

  it("A9: a flag without a key and a key the flag denies: the order never decides which is shown", async () => {
    const a = entry("self-signed", { hasPrivateKey: false, withKey: true });
    const b = entry("self-signed", { privateKey: fixture("leaf-rsa").keyPem });
    const ab = await select([a, b]);
    const ba = await select([b, a]);
    expect(canonical(ab)).toEqual(canonical(ba));
    expect(ab).toMatchObject({ outcome: "no-certificate", reason: "no-private-key" });
  });
});

describe("store contents: private keys that do not fit (R10b, A9)", () => {
  const KEY = D.keyPem;
  const pkcs1 = createPrivateKey(KEY).export({ type: "pkcs1", format: "pem" }).toString();
  const encrypted = createPrivateKey(KEY)
    .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "secret" })
    .toString();

  it.each([
    ["the certificate's key as PKCS#8", KEY, true, undefined],
    ["the certificate's key as PKCS#1", pkcs1, true, undefined],
    ["another RSA key", fixture("leaf-rsa").keyPem, false, "private-key-mismatch"],
    ["an EC key", fixture("leaf-ec").keyPem, false, "private-key-mismatch"],
    [
      "a key that does not parse",
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
      false,
      "private-key-unreadable",
    ],
    ["an encrypted key (no passphrase)", encrypted, false, "private-key-unreadable"],
    ["the certificate itself", D.pem, false, "private-key-unreadable"],
    ["an empty string", "", false, "private-key-unreadable"],
    ["a truncated key", KEY.slice(0, KEY.length / 2), false, "private-key-unreadable"],
  ] as const)("%s", async (_name, privateKey, usable, code) => {
    // As the directory's certificate: found only with a usable key (A9), else 12013.
    const direct = await select([{ ...entry("self-signed"), privateKey }]);
    // As another certificate of the store: R10b excludes it, with the key's verdict as code.
    const other = await select([
      entry("self-signed", { withKey: true }),
      { ...entry("self-signed-newest"), privateKey },
    ]);
    if (usable) {
      expect(direct).toMatchObject({ outcome: "selected", thumbprint: D.thumbprint });
    } else {
      expect(direct).toMatchObject({ outcome: "no-certificate", reason: "no-private-key" });
      expect(direct.events).toMatchObject([{ id: 12013, data: { reason: "no-private-key" } }]);
      expect(verdictAt(other, 1)).toMatchObject({
        status: "excluded",
        exclusion: { rule: "R10b", code },
      });
      expect(other).toMatchObject({ outcome: "selected", bestCandidate: D.thumbprint });
    }
  });

  it("A9: a key of another type on one entry never makes the next entry's good key unreadable", async () => {
    // An EC key on an RSA certificate, then the directory's certificate with its own key, in one
    // store and across two selections in a row (OpenSSL's error queue is per thread, not per call).
    const ecOnRsa = { ...entry("leaf-rsa"), privateKey: fixture("leaf-ec").keyPem };
    const rsaOnEc = { ...entry("self-signed-newest"), privateKey: fixture("leaf-rsa").keyPem };
    const ed = await forgeEntry({ key: "ed25519-1", subject: [["CN", "mail.contoso.com"]] });
    const rsaOnEd = { ...ed.entry, privateKey: D.keyPem };
    for (const bad of [ecOnRsa, rsaOnEc, rsaOnEd]) {
      const together = await select([bad, entry("self-signed", { withKey: true })]);
      expect(together).toMatchObject({ outcome: "selected", thumbprint: D.thumbprint });
      expect(verdictAt(together, 0)).toMatchObject({
        exclusion: { rule: "R10b", code: "private-key-mismatch" },
      });
      await select([bad]);
      const next = await select([entry("self-signed", { withKey: true })]);
      expect(next).toMatchObject({ outcome: "selected", thumbprint: D.thumbprint });
    }
  });

  it("R10b: a newer certificate whose key does not fit is never ranked", async () => {
    const result = await select([
      entry("self-signed", { withKey: true }),
      entry("self-signed-newest", { privateKey: fixture("self-signed-old").keyPem }),
    ]);
    expect(result).toMatchObject({
      outcome: "selected",
      thumbprint: D.thumbprint,
      bestCandidate: D.thumbprint,
    });
    expect(verdictAt(result, 1)).toMatchObject({
      status: "excluded",
      exclusion: { rule: "R10b", code: "private-key-mismatch" },
    });
  });
});

describe("store contents: entries of the wrong shape", () => {
  const good = entry("self-signed");
  const throwing = Object.defineProperty({ ...good }, "certificate", {
    get() {
      throw new Error("getter");
    },
  });
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const trap = new Proxy(
    {},
    {
      get() {
        throw new Error("get trap");
      },
    },
  );

  it.each([
    ["null", null],
    ["undefined", undefined],
    ["a number", 42],
    ["a string", "certificate"],
    ["an array", [good]],
    ["an empty object", {}],
    ["a certificate that is a number", { ...good, certificate: 5 }],
    ["a certificate that is an ArrayBuffer", { ...good, certificate: D.der.buffer }],
    ["a certificate that is a number array", { ...good, certificate: [...D.der] }],
    ["no certificate", { hasPrivateKey: true, services: ["SMTP"] }],
    ["hasPrivateKey 'yes'", { ...good, hasPrivateKey: "yes" }],
    ["hasPrivateKey missing", { certificate: D.der, services: ["SMTP"] }],
    ["services a string", { ...good, services: "SMTP" }],
    ["services holding a number", { ...good, services: ["SMTP", 1] }],
    ["services missing", { certificate: D.der, hasPrivateKey: true }],
    ["privateKey a number", { ...good, privateKey: 1 }],
    ["a getter that throws", throwing],
    ["a proxy whose get trap throws", trap],
    ["a revoked proxy", revoked],
  ])("parse: %s is excluded as bad-entry, the rest still considered", async (_name, bad) => {
    const result = await withJunk([bad]);
    expectUnreadable(verdictAt(result, 0), "bad-entry");
  });

  it("parse: a sparse store array (holes) is read as bad entries", async () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const result = await withJunk([, ,]);
    expectUnreadable(verdictAt(result, 0), "bad-entry");
    expectUnreadable(verdictAt(result, 1), "bad-entry");
  });

  it("parse: the facts shown for a bad entry are a copy, read once", async () => {
    let reads = 0;
    const counting = {
      get certificate() {
        reads += 1;
        return 5;
      },
      hasPrivateKey: true,
      services: ["SMTP", 7],
    };
    const result = await withJunk([counting]);
    expect(reads).toBe(1);
    expect(verdictAt(result, 0)).toMatchObject({ hasPrivateKey: true, services: ["SMTP"] });
  });
});
