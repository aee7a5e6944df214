// fast-check arbitraries for the selection: stores built from the committed fixture
// certificates (never new keys) mixed with hostile entries (random bytes, bit flips,
// truncations, wrong shapes), directory values in every form and spelling (and directories
// that throw or reject), and option sets. Shared by the property tests and scripts/fuzz.ts.
import { createHash } from "node:crypto";
import fc from "fast-check";

import type {
  Directory,
  DirectoryValue,
  OutboundSelectionOptions,
  StoreEntry,
} from "../../src/index.js";
import { readChildren, readTlv, type Tlv } from "../../src/x509/der.js";
import { fixture, manifest, NOW, SERVER } from "../support/fixtures.js";
import { flipBit } from "./support.js";

/** Store certificates: every kind the fixtures have (names that match and do not, v1, CAs). */
export const STORE_FIXTURES = [
  "self-signed",
  "self-signed-old",
  "self-signed-newest",
  "expired",
  "not-yet-valid",
  "expiring-soon",
  "v1",
  "host-name",
  "physical-fqdn",
  "cluster",
  "san-only",
  "cn-only",
  "tie-a",
  "tie-b",
  "tie-c",
  "tie-d",
  "wildcard",
  "evil",
  "leaf-rsa",
  "leaf-ec",
  "leaf-untrusted",
  "leaf-expired-chain",
  "leaf-rsa-older",
  "root-rsa",
  "inter-ec",
] as const;
export type StoreFixture = (typeof STORE_FIXTURES)[number];

const fixtureName = fc.constantFrom(...STORE_FIXTURES);

/** A fixture as a well-formed store entry, in any of the shapes a real store hands over. */
export interface FixtureEntrySpec {
  readonly name: StoreFixture;
  readonly hasPrivateKey: boolean;
  readonly services: readonly string[];
  readonly key: "none" | "own" | "other-same-type" | "other-type" | "junk";
  readonly form: "der" | "pem" | "pem-with-text";
}

export const fixtureEntrySpec: fc.Arbitrary<FixtureEntrySpec> = fc.record({
  name: fixtureName,
  hasPrivateKey: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, fc.constant(false)),
  services: fc.oneof(
    { weight: 4, arbitrary: fc.constant(["SMTP"]) },
    fc.subarray(["SMTP", "IIS", "smtp", " Smtp ", "POP", "IMAP", "UM", "None"]),
  ),
  key: fc.oneof(
    { weight: 4, arbitrary: fc.constant("none" as const) },
    { weight: 3, arbitrary: fc.constant("own" as const) },
    fc.constantFrom("other-same-type" as const, "other-type" as const, "junk" as const),
  ),
  form: fc.oneof(
    { weight: 4, arbitrary: fc.constant("der" as const) },
    fc.constantFrom("pem" as const, "pem-with-text" as const),
  ),
});

function isRsa(name: string): boolean {
  return manifest.certificates[name]?.key.startsWith("rsa") === true;
}

export function buildFixtureEntry(spec: FixtureEntrySpec): StoreEntry {
  const f = fixture(spec.name);
  const certificate =
    spec.form === "der"
      ? new Uint8Array(f.der)
      : spec.form === "pem"
        ? f.pem
        : `Subject: whatever\r\nIssuer: something\r\n${f.pem}\r\ntrailing text`;
  const rsa = isRsa(spec.name);
  const privateKey =
    spec.key === "own"
      ? f.keyPem
      : spec.key === "other-same-type"
        ? fixture(
            rsa
              ? spec.name === "leaf-rsa"
                ? "self-signed"
                : "leaf-rsa"
              : spec.name === "leaf-ec"
                ? "self-signed-newest"
                : "leaf-ec",
          ).keyPem
        : spec.key === "other-type"
          ? fixture(rsa ? "leaf-ec" : "leaf-rsa").keyPem
          : spec.key === "junk"
            ? "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
            : undefined;
  return {
    certificate,
    hasPrivateKey: spec.hasPrivateKey,
    services: [...spec.services],
    ...(privateKey === undefined ? {} : { privateKey }),
  };
}

export const fixtureEntry: fc.Arbitrary<StoreEntry> = fixtureEntrySpec.map(buildFixtureEntry);

const headerCache = new Map<Uint8Array, number[]>();

/** Offsets of every tag and length octet of every TLV, walking constructed values. */
function headerOffsets(der: Uint8Array): number[] {
  let offsets = headerCache.get(der);
  if (offsets === undefined) {
    offsets = [];
    const pending: Tlv[] = [readTlv(der, 0)];
    for (let tlv = pending.pop(); tlv !== undefined; tlv = pending.pop()) {
      for (let o = tlv.start; o < tlv.contentStart; o++) offsets.push(o);
      if ((tlv.tag & 0x20) !== 0) pending.push(...readChildren(der, tlv));
    }
    headerCache.set(der, offsets);
  }
  return offsets;
}

/** The first 24 octets after the TBSCertificate: the outer algorithm and the signature header. */
function unsignedTail(der: Uint8Array): number[] {
  const [tbs] = readChildren(der, readTlv(der, 0));
  const end = Math.min(der.length, tbs!.end + 24);
  return Array.from({ length: end - tbs!.end }, (_, i) => tbs!.end + i);
}

const asEntry = (certificate: Uint8Array | string): StoreEntry => ({
  certificate,
  hasPrivateKey: true,
  services: ["SMTP"],
});

/**
 * A18: ways to re-encode the bytes of a certificate that no signature covers (the outer
 * SEQUENCE header, the outer AlgorithmIdentifier, the signature BIT STRING's header and
 * unused-bits octet) into bytes OpenSSL and Node still read: a "twin" with the same
 * TBSCertificate and a new thumbprint. Each is readable, with a signature-encoding or
 * signature-algorithm-mismatch fault, and must never verify (A6, A11).
 */
export const ENVELOPE_EDITS = [
  "outer-long",
  "outer-zero",
  "outer-indefinite",
  "algorithm-long",
  "signature-zero",
  "unused-bits",
  "algorithm-mismatch",
] as const;
export type EnvelopeEdit = (typeof ENVELOPE_EDITS)[number];

/** A TLV header with a BER length: four length octets ("long") or a leading zero ("zero"). */
function berHeader(tag: number, length: number, form: "long" | "zero"): number[] {
  const octets = [length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
  if (form === "long") return [tag, 0x84, ...octets];
  while (octets.length > 1 && octets[0] === 0) octets.shift();
  return [tag, 0x80 | (octets.length + 1), 0, ...octets];
}

function derHeader(tag: number, length: number): number[] {
  if (length < 0x80) return [tag, length];
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
  return [tag, 0x80 | octets.length, ...octets];
}

/** `der` (a DER certificate) with its unsigned envelope re-encoded by `edit`. */
export function reencodeEnvelope(der: Uint8Array, edit: EnvelopeEdit, unusedBits = 1): Uint8Array {
  const outer = readTlv(der, 0);
  const [tbs, algorithm, signature] = readChildren(der, outer) as [Tlv, Tlv, Tlv];
  const bytes = (tlv: Tlv) => [...der.subarray(tlv.start, tlv.end)];
  const content = (tlv: Tlv) => [...der.subarray(tlv.contentStart, tlv.end)];
  const wrap = (body: number[]) => Uint8Array.from([...derHeader(0x30, body.length), ...body]);
  const body = [...der.subarray(outer.contentStart, outer.end)];
  switch (edit) {
    case "outer-long":
    case "outer-zero":
      return Uint8Array.from([
        ...berHeader(0x30, body.length, edit === "outer-long" ? "long" : "zero"),
        ...body,
      ]);
    case "outer-indefinite":
      return Uint8Array.from([0x30, 0x80, ...body, 0, 0]);
    case "algorithm-long":
      return wrap([
        ...bytes(tbs),
        ...berHeader(0x30, algorithm.end - algorithm.contentStart, "long"),
        ...content(algorithm),
        ...bytes(signature),
      ]);
    case "signature-zero":
      return wrap([
        ...bytes(tbs),
        ...bytes(algorithm),
        ...berHeader(0x03, signature.end - signature.contentStart, "zero"),
        ...content(signature),
      ]);
    case "unused-bits": {
      const copy = new Uint8Array(der);
      copy[signature.contentStart] = 1 + (unusedBits % 7);
      return copy;
    }
    case "algorithm-mismatch": {
      // The outer OID's last arc + 1: sha256WithRSAEncryption → sha384…, ecdsa-with-SHA256 →
      // ecdsa-with-SHA384; DER, but not the signed algorithm.
      const copy = new Uint8Array(der);
      const oid = readChildren(der, algorithm)[0]!;
      copy[oid.end - 1]! += 1;
      return copy;
    }
  }
}

/** A twin of a fixture made by re-encoding its envelope, with the fixture's key. */
export const envelopeTwinEntry: fc.Arbitrary<StoreEntry> = fc
  .record({
    name: fixtureName,
    edit: fc.constantFrom(...ENVELOPE_EDITS),
    bits: fc.nat({ max: 6 }),
  })
  .map(({ name, edit, bits }) => ({
    ...asEntry(reencodeEnvelope(fixture(name).der, edit, bits)),
    privateKey: fixture(name).keyPem,
  }));

/** Entries that are not (quite) certificates, or not entries at all. */
export const junkEntry: fc.Arbitrary<unknown> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map(asEntry),
  fc
    .uint8Array({ maxLength: 200 })
    .map((bytes) => asEntry(Uint8Array.from([0x30, 0x81, bytes.length & 0xff, ...bytes]))),
  fc.string({ maxLength: 80 }).map(asEntry),
  fc.record({ name: fixtureName, bit: fc.nat() }).map(({ name, bit }) => {
    const der = fixture(name).der;
    return { ...asEntry(flipBit(der, bit % (der.length * 8))), privateKey: fixture(name).keyPem };
  }),
  // Flips where parsers are most often lenient: a tag or length octet of any TLV (class,
  // constructed bit, tag number, length), and the unsigned tail (outer algorithm, signature
  // header), which no signature covers.
  fc
    .record({ name: fixtureName, pick: fc.nat(), bit: fc.nat({ max: 7 }), tail: fc.boolean() })
    .map(({ name, pick, bit, tail }) => {
      const der = fixture(name).der;
      const offsets = tail ? unsignedTail(der) : headerOffsets(der);
      const flipped = flipBit(der, offsets[pick % offsets.length]! * 8 + bit);
      return { ...asEntry(flipped), privateKey: fixture(name).keyPem };
    }),
  // A18: readable twins (a re-encoded envelope) and copies with bytes appended.
  envelopeTwinEntry,
  fc
    .record({ name: fixtureName, tail: fc.uint8Array({ minLength: 1, maxLength: 8 }) })
    .map(({ name, tail }) => ({
      ...asEntry(Uint8Array.from([...fixture(name).der, ...tail])),
      privateKey: fixture(name).keyPem,
    })),
  fc.record({ name: fixtureName, cut: fc.nat() }).map(({ name, cut }) => {
    const der = fixture(name).der;
    return asEntry(der.slice(0, cut % der.length));
  }),
  fc.constantFrom<unknown>(
    null,
    undefined,
    42,
    "SMTP",
    [],
    {},
    { certificate: 5, hasPrivateKey: true, services: ["SMTP"] },
    { certificate: "x", hasPrivateKey: "yes", services: ["SMTP"] },
    { certificate: "x", hasPrivateKey: true, services: "SMTP" },
    { certificate: "x", hasPrivateKey: true, services: ["SMTP"], privateKey: 7 },
  ),
  fc.anything({ maxDepth: 2 }),
);

/** A store's listing: mostly fixture certificates, with hostile entries among them. */
export const storeEntries: fc.Arbitrary<unknown[]> = fc.array(
  fc.oneof({ weight: 5, arbitrary: fixtureEntry }, { weight: 2, arbitrary: junkEntry }),
  { maxLength: 6 },
);

/** Only well-formed fixture entries. */
export const cleanStoreEntries: fc.Arbitrary<StoreEntry[]> = fc.array(fixtureEntry, {
  maxLength: 6,
});

// --- directory values --------------------------------------------------------------------------

export interface DirectorySpec {
  readonly describe: string;
  readonly directory: Directory;
  /** The thumbprint the value denotes, when it is a readable value; null otherwise. */
  readonly thumbprint: string | null;
}

function u32(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}

/** X509Certificate2.Export(SerializedCert): a SHA-1 property record, then the certificate. */
export function serializedBlob(der: Uint8Array): Uint8Array {
  const sha1 = createHash("sha1").update(der).digest();
  return Uint8Array.from([
    ...u32(3),
    ...u32(1),
    ...u32(sha1.length),
    ...sha1,
    ...u32(32),
    ...u32(1),
    ...u32(der.length),
    ...der,
  ]);
}

const SPELLINGS = [
  "upper",
  "lower",
  "spaced",
  "colons",
  "lrm",
  "text-bytes",
  "der",
  "pem",
  "blob",
] as const;

function spell(name: string, spelling: (typeof SPELLINGS)[number]): DirectoryValue {
  const f = fixture(name);
  const pairs = f.thumbprint.match(/../g)!;
  switch (spelling) {
    case "upper":
      return f.thumbprint;
    case "lower":
      return f.thumbprint.toLowerCase();
    case "spaced":
      return pairs.join(" ").toLowerCase();
    case "colons":
      return pairs.join(":");
    case "lrm":
      return `\u200e${pairs.join(" ")}\r\n`;
    case "text-bytes":
      return new Uint8Array(Buffer.from(f.thumbprint, "latin1"));
    case "der":
      return new Uint8Array(f.der);
    case "pem":
      return f.pem;
    case "blob":
      return serializedBlob(f.der);
  }
}

const staticValue = (value: unknown): Directory => ({
  readInternalTransportCertificate: async () => value as DirectoryValue,
});

/** A directory: a fixture's certificate in any form or spelling, or anything else. */
export const directorySpec: fc.Arbitrary<DirectorySpec> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record({ name: fixtureName, spelling: fc.constantFrom(...SPELLINGS) })
      .map(({ name, spelling }) => ({
        describe: `${name} as ${spelling}`,
        directory: staticValue(spell(name, spelling)),
        thumbprint: fixture(name).thumbprint,
      })),
  },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => {
      const thumbprint = Buffer.from(bytes).toString("hex").toUpperCase();
      return { describe: `absent ${thumbprint}`, directory: staticValue(thumbprint), thumbprint };
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.string({ maxLength: 60 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.constantFrom<unknown>(null, undefined, "", "   ", new Uint8Array(0), 0, {}),
        fc.anything({ maxDepth: 2 }),
        fc.record({ name: fixtureName, bit: fc.nat() }).map(({ name, bit }) => {
          const der = fixture(name).der;
          return flipBit(der, bit % (der.length * 8));
        }),
      )
      .map((value) => ({
        describe: "arbitrary value",
        directory: staticValue(value),
        thumbprint: null,
      })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<DirectorySpec>(
      {
        describe: "throws",
        directory: {
          readInternalTransportCertificate: () => {
            throw new Error("LDAP down");
          },
        },
        thumbprint: null,
      },
      {
        describe: "rejects",
        directory: { readInternalTransportCertificate: () => Promise.reject(new Error("timeout")) },
        thumbprint: null,
      },
    ),
  },
);

/** Only readable fixture values, so the thumbprint is always known. */
export const fixtureDirectorySpec: fc.Arbitrary<DirectorySpec> = fc
  .record({ name: fixtureName, spelling: fc.constantFrom(...SPELLINGS) })
  .map(({ name, spelling }) => ({
    describe: `${name} as ${spelling}`,
    directory: staticValue(spell(name, spelling)),
    thumbprint: fixture(name).thumbprint,
  }));

// --- options -----------------------------------------------------------------------------------

export type OptionSet = Omit<OutboundSelectionOptions, "directory" | "store">;

const anchorSets = [
  [],
  [fixture("root-rsa").der],
  [fixture("root-ec").der],
  [fixture("root-rsa").der, fixture("root-ec").der],
];

export const optionSet: fc.Arbitrary<OptionSet> = fc
  .record({
    role: fc.constantFrom("EdgeTransport" as const, "HubTransport" as const),
    gatePasses: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, fc.constant(false)),
    wildcardNames: fc.boolean(),
    policy: fc.constantFrom(
      "keep-directory-certificate" as const,
      "use-best-candidate" as const,
      undefined,
    ),
    phase: fc.constantFrom("session" as const, "startup" as const),
    anchors: fc.nat({ max: anchorSets.length - 1 }),
    cluster: fc.boolean(),
    expiryWarning: fc.boolean(),
  })
  .map((o): OptionSet => {
    const mechanism = o.gatePasses ? "ExchangeServer" : "BasicAuth";
    return {
      role: o.role,
      sendConnector: {
        smartHostAuthMechanism: mechanism,
        addressSpaces: o.role === "EdgeTransport" ? ["SMTP:--;1"] : ["SMTP:*;1"],
      },
      ...(o.role === "HubTransport" ? { deliveryType: "SmtpRelayWithinAdSiteToEdge" } : {}),
      server: o.cluster ? { ...SERVER, clusterName: "cluster.contoso.com" } : SERVER,
      now: NOW,
      wildcardNames: o.wildcardNames,
      ...(o.policy === undefined ? {} : { onThumbprintMismatch: o.policy }),
      phase: o.phase,
      trustAnchors: anchorSets[o.anchors]!,
      intermediates: [fixture("inter-rsa").der, fixture("inter-ec").der],
      ...(o.expiryWarning ? { expiryWarning: { days: 30 } } : {}),
    };
  });

/** Sort keys for a permutation of up to 8 items (ties keep the original order). */
export const sortKeys = fc.array(fc.integer({ min: 0, max: 1_000 }), {
  minLength: 8,
  maxLength: 8,
});

export function permute<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items
    .map((item, i) => ({ item, key: keys[i % keys.length]!, i }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map((x) => x.item);
}
