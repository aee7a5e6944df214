// Same answers (issue 9): for random stores, configurations, times (including every fixture's
// validity boundaries to the millisecond) and store changes between sessions, the prepared
// selector returns exactly what the plain functions return: outcome, thumbprints, events (and
// onEvent calls), trace, certificate verdicts, chain: the whole Selection.
//
// Issue 18 added: concurrent sessions; stores that throw, reject, list a non-array or hang, and
// directories that reject or hang (until the session's signal fires); leaves, intermediates and
// anchors with inverted, equal and one-millisecond validity periods, and time walks across every
// validity boundary of a scenario, forward and backward; onEvent handlers that throw or write
// into their events; callers that change their options after the call and write into their
// results. Both results must also be frozen all the way down and own their bytes.
//
// Issue 16 (A21) added: caller-supplied CRLs per selector (soft and hard mode, hard mode without
// any CRL), revoking a leaf or an intermediate, CRLs that expire or only become current near NOW
// (their thisUpdate and nextUpdate are time boundaries the prepared selector must respect, so
// sessions and walks land on them to the millisecond), and a CRL that does not parse.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createSelector } from "../../src/exchange/selector.js";
import {
  type CertStore,
  type Directory,
  type DirectoryValue,
  type ExchangeEvent,
  type Selection,
  type StoreEntry,
  selectInboundAnonymousTlsCert,
  selectInboundStartTlsCert,
  selectOutboundAnonymousTlsCert,
  selectOutboundStartTlsCert,
} from "../../src/index.js";
import { parseCertificate } from "../../src/x509/certificate.js";
import { forgeCrl, REASON } from "../revocation/crl-forge.js";
import {
  CLUSTER_NAME,
  DAY,
  directoryFile,
  fixture,
  manifest,
  NOW,
  SERVER,
} from "../support/fixtures.js";
import { type CertSpec, forgeCertificate, OID, poolKey, toPem } from "../support/forge.js";

/** CI runs at least 200; SELECTOR_RUNS raises it locally. */
const RUNS = Math.max(200, Number(process.env.SELECTOR_RUNS ?? 0));
const HOUR = 3_600_000;

interface Source {
  readonly name: string;
  readonly der: Uint8Array;
  readonly pem: string;
  readonly keyPem: string;
  readonly thumbprint: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

const INTER_EC = [
  ["O", "Contoso Test PKI"],
  ["CN", "Contoso Issuing CA (ECDSA)"],
] as const;
const INTER_RSA = [
  ["O", "Contoso Test PKI"],
  ["CN", "Contoso Issuing CA (RSA)"],
] as const;
const LEAF = {
  basicConstraints: { ca: false },
  keyUsage: ["digitalSignature", "keyEncipherment"],
  eku: [OID.serverAuth],
} as const;
const at = (offset: number) => new Date(NOW.getTime() + offset);
const ODD_ROOT = [
  ["O", "Contoso Odd PKI"],
  ["CN", "Contoso Odd Root"],
] as const;
const ODD_CA = [
  ["O", "Contoso Odd PKI"],
  ["CN", "Contoso Odd Issuing CA"],
] as const;

/** Forged variants whose boundaries fall near NOW, so that sessions cross them. */
const FORGED: Record<string, CertSpec> = {
  "pki-tomorrow": {
    subject: [["CN", "mail.contoso.com"]],
    issuer: INTER_EC,
    notBefore: at(DAY),
    notAfter: at(100 * DAY),
    key: "p256-3",
    signer: "p256-1",
    ...LEAF,
  },
  "pki-two-hours": {
    subject: [["CN", "mail.contoso.com"]],
    issuer: INTER_RSA,
    notBefore: at(-5 * DAY),
    notAfter: at(2 * HOUR),
    key: "p256-4",
    signer: "rsa-2",
    san: ["mail.contoso.com", "edge01.contoso.com"],
    ...LEAF,
  },
  "pki-client-only": {
    subject: [["CN", "mail.contoso.com"]],
    issuer: INTER_EC,
    notBefore: at(-2 * DAY),
    notAfter: at(50 * DAY),
    key: "p256-5",
    signer: "p256-1",
    ...LEAF,
    eku: [OID.clientAuth],
  },
  "self-wildcard": {
    subject: [["CN", "*.contoso.com"]],
    notBefore: at(-DAY),
    notAfter: at(30 * DAY),
    key: "p256-6",
  },
  "self-corrupt": {
    subject: [["CN", "mail.contoso.com"]],
    notBefore: at(-3 * DAY),
    notAfter: at(30 * DAY),
    key: "p384-2",
    corruptSignature: true,
  },
  ...oddChain(),
};

/**
 * A chain whose every level comes in four validity shapes (issue 18): a normal period, an
 * inverted one (notBefore after notAfter), an empty one (notBefore = notAfter) and one
 * millisecond long, with boundaries near NOW at different offsets per level, so that sessions
 * and walks cross them. Variants of a level share its name and key, so any of them can chain.
 */
function oddChain(): Record<string, CertSpec> {
  const CA = { basicConstraints: { ca: true }, keyUsage: ["keyCertSign", "cRLSign"] } as const;
  const shapes = (offset: number) => ({
    "": { notBefore: at(-200 * DAY), notAfter: at(200 * DAY) },
    "-inverted": { notBefore: at(offset + 2 * DAY), notAfter: at(offset - 2 * DAY) },
    "-equal": { notBefore: at(offset), notAfter: at(offset) },
    "-1ms": { notBefore: at(offset - HOUR), notAfter: at(offset - HOUR + 1) },
  });
  const specs: Record<string, CertSpec> = {};
  let serial = 0x7000;
  for (const [suffix, window] of Object.entries(shapes(3 * HOUR))) {
    specs[`odd-root${suffix}`] = {
      serial: ++serial,
      subject: ODD_ROOT,
      key: "p384-2",
      ...CA,
      ...window,
    };
  }
  for (const [suffix, window] of Object.entries(shapes(7 * HOUR))) {
    specs[`odd-ca${suffix}`] = {
      serial: ++serial,
      subject: ODD_CA,
      issuer: ODD_ROOT,
      key: "rsa-6",
      signer: "p384-2",
      ...CA,
      ...window,
    };
  }
  // Valid PKI under "rfc5280" only: "strict" wants a CA's basicConstraints critical (A3).
  specs["odd-ca-lax"] = {
    ...specs["odd-ca"]!,
    serial: ++serial,
    basicConstraints: { ca: true, critical: false },
  };
  for (const [suffix, window] of Object.entries(shapes(-5 * HOUR))) {
    specs[`odd-leaf${suffix}`] = {
      serial: ++serial,
      subject: [["CN", "mail.contoso.com"]],
      issuer: ODD_CA,
      key: "p256-2",
      signer: "rsa-6",
      ...LEAF,
      ...window,
    };
  }
  return specs;
}

const ODD_LEAVES = ["odd-leaf", "odd-leaf-inverted", "odd-leaf-equal", "odd-leaf-1ms"] as const;

const ANCHORS = [
  "root-rsa",
  "root-ec",
  "root-other",
  "odd-root",
  "odd-root-inverted",
  "odd-root-equal",
  "odd-root-1ms",
] as const;
const INTERMEDIATES = [
  "inter-rsa",
  "inter-ec",
  "inter-expired",
  "odd-ca",
  "odd-ca-inverted",
  "odd-ca-equal",
  "odd-ca-1ms",
  "odd-ca-lax",
] as const;

let sources: Source[] = [];
let boundaries: number[] = [];

/** A21: the CRL sets a scenario picks from (built once the forged serials are known). */
const CRL_SETS = [
  "leaf-ec-revoked",
  "inter-ec-good",
  "inter-rsa-revoked",
  "inter-rsa-good",
  "odd-future",
  "odd-root",
  "garbage",
] as const;
type CrlSetName = (typeof CRL_SETS)[number];
interface CrlSource {
  readonly input: Uint8Array | string;
  /** thisUpdate and nextUpdate ± 1 ms: where a CRL becomes or stops being current. */
  readonly edges: readonly number[];
}
let crlSources: Record<CrlSetName, CrlSource>;

function buildCrls(): Record<CrlSetName, CrlSource> {
  const serial = (name: string) => parseCertificate(source(name).der).serialNumber;
  const make = (spec: {
    issuer: readonly (readonly [string, string])[];
    signer: Parameters<typeof forgeCrl>[0]["signer"];
    from: number;
    to: number;
    listed: readonly string[];
    number: number;
  }): CrlSource => {
    const thisUpdate = at(spec.from);
    const nextUpdate = at(spec.to);
    return {
      input: forgeCrl({
        issuer: spec.issuer as [string, string][],
        signer: spec.signer,
        thisUpdate,
        nextUpdate,
        crlNumber: spec.number,
        entries: spec.listed.map((name) => ({
          serial: serial(name),
          date: at(-7 * DAY),
          reason: REASON.keyCompromise,
        })),
      }),
      edges: [
        thisUpdate.getTime() - 1,
        thisUpdate.getTime(),
        nextUpdate.getTime(),
        nextUpdate.getTime() + 1,
      ],
    };
  };
  const ROOT_RSA = [
    ["O", "Contoso Test PKI"],
    ["CN", "Contoso Root CA (RSA)"],
  ] as const;
  return {
    // Expires five hours after NOW: the revoked leaves come back (soft) or stay out (hard).
    "leaf-ec-revoked": make({
      issuer: INTER_EC,
      signer: "p256-1",
      from: -DAY,
      to: 5 * HOUR,
      listed: ["leaf-ec", "pki-tomorrow", "pki-client-only"],
      number: 3,
    }),
    "inter-ec-good": make({
      issuer: INTER_EC,
      signer: "p256-1",
      from: -2 * DAY,
      to: 2 * DAY,
      listed: [],
      number: 2,
    }),
    "inter-rsa-revoked": make({
      issuer: ROOT_RSA,
      signer: "rsa-1",
      from: -2 * DAY,
      to: 20 * DAY,
      listed: ["inter-rsa"],
      number: 9,
    }),
    "inter-rsa-good": make({
      issuer: INTER_RSA,
      signer: "rsa-2",
      from: -3 * HOUR,
      to: 3 * DAY,
      listed: [],
      number: 4,
    }),
    // Only current from two hours after NOW to nine hours after.
    "odd-future": make({
      issuer: ODD_CA,
      signer: "rsa-6",
      from: 2 * HOUR,
      to: 9 * HOUR,
      listed: ["odd-leaf", "odd-leaf-1ms"],
      number: 1,
    }),
    "odd-root": make({
      issuer: ODD_ROOT,
      signer: "p384-2",
      from: -DAY,
      to: 6 * HOUR,
      listed: ["odd-ca-lax"],
      number: 1,
    }),
    garbage: {
      input: "-----BEGIN X509 CRL-----\nnot base64!\n-----END X509 CRL-----\n",
      edges: [],
    },
  };
}

/** A21: a scenario's revocation options (none, most of the time). */
const revocationSpec = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  {
    weight: 1,
    arbitrary: fc.record({
      crls: fc.subarray([...CRL_SETS]),
      mode: fc.constantFrom(undefined, "soft" as const, "hard" as const),
    }),
  },
);
type RevocationSpec = typeof revocationSpec extends fc.Arbitrary<infer T> ? T : never;

function revocationOptions(spec: RevocationSpec): {
  crls?: (Uint8Array | string)[];
  revocationMode?: "soft" | "hard";
} {
  if (spec === null) return {};
  return {
    crls: spec.crls.map((name) => crlSources[name].input),
    ...(spec.mode === undefined ? {} : { revocationMode: spec.mode }),
  };
}

const crlEdges = (spec: RevocationSpec): number[] =>
  spec === null ? [] : spec.crls.flatMap((name) => crlSources[name].edges);

beforeAll(async () => {
  const fromDer = (name: string, der: Uint8Array, keyPem: string): Source => {
    const parsed = parseCertificate(der);
    return {
      name,
      der,
      pem: toPem(der),
      keyPem,
      thumbprint: parsed.thumbprint,
      notBefore: parsed.notBefore.getTime(),
      notAfter: parsed.notAfter.getTime(),
    };
  };
  sources = Object.keys(manifest.certificates).map((name) => {
    const f = fixture(name);
    return fromDer(name, f.der, f.keyPem);
  });
  for (const [name, spec] of Object.entries(FORGED)) {
    const der = await forgeCertificate(spec);
    sources.push(fromDer(name, der, poolKey(spec.key).privateKeyPem));
  }
  const times = new Set<number>();
  for (const s of sources) for (const t of edges(s)) times.add(t);
  boundaries = [...times];
  crlSources = buildCrls();
});

// --- Arbitraries ----------------------------------------------------------------------------

/** An index into a list, uniformly (fc.nat() favours small values: the first fixtures). */
const INDEX = fc.noBias(fc.nat());

const entrySpec = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant("certificate" as const),
      source: INDEX,
      pem: fc.boolean(),
      hasPrivateKey: fc.constantFrom(true, true, true, true, false),
      services: fc.constantFrom(["SMTP"], ["SMTP"], ["IIS", "SMTP"], [" smtp "], ["IIS"], []),
      key: fc.constantFrom("none", "none", "none", "none", "own", "wrong"),
    }),
  },
  // Leaves of the odd chain, often: their trust is what the odd pool and the profile change.
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("certificate" as const),
      source: fc.constantFrom(...ODD_LEAVES.map((_, i) => -1 - i)),
      pem: fc.boolean(),
      hasPrivateKey: fc.constant(true),
      services: fc.constant(["SMTP"]),
      key: fc.constant("none"),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("junk" as const), shape: fc.nat({ max: 3 }) }),
  },
);

const storeSpec = fc.array(entrySpec, { minLength: 0, maxLength: 10 });

const directorySpec = fc.oneof(
  // The directory usually names a certificate the store lists (else nearly every session would
  // end in 12013).
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constantFrom("stored" as const),
      source: INDEX,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constantFrom("thumbprint" as const, "spaced" as const, "der" as const),
      source: INDEX,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        "serialized" as const,
        "null" as const,
        "empty" as const,
        "garbage" as const,
        "throws" as const,
        "rejects" as const,
        "hangs" as const,
        "arraybuffer" as const,
      ),
      source: fc.constant(0),
    }),
  },
);

const timeSpec = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: -400, max: 400 })
      .map((d) => ({ kind: "near" as const, index: 0, offset: d * HOUR })),
  },
  // Exactly at (or 1 ms beside) a validity boundary of any certificate…
  { weight: 2, arbitrary: INDEX.map((index) => ({ kind: "any" as const, index, offset: 0 })) },
  // …or of a trust anchor or intermediate of this scenario, where path verdicts change.
  { weight: 2, arbitrary: INDEX.map((index) => ({ kind: "pool" as const, index, offset: 0 })) },
);

/** Which edition's process runs (E1–E6); 2007 stays the most common. */
const editionSpec = fc.constantFrom("2007" as const, "2007" as const, "2016" as const);

const outboundSpec = fc.record({
  direction: fc.constant("outbound" as const),
  edition: editionSpec,
  role: fc.constantFrom("HubTransport" as const, "EdgeTransport" as const),
  mechanism: fc.constantFrom(...Array(18).fill("ExchangeServer"), "BasicAuth", "None"),
  addressSpaces: fc.constantFrom(
    ["SMTP:--;1"],
    ["SMTP:--;1"],
    ["--"],
    ["SMTP:--;5", "X400:c=US;1"],
    ["SMTP:*;1"],
  ),
  deliveryType: fc.constantFrom(
    ...Array(14).fill("SmtpRelayWithinAdSiteToEdge"),
    "SmtpRelayToRemoteAdSite",
    undefined,
  ),
  cluster: fc.boolean(),
  wildcardNames: fc.boolean(),
  policy: fc.constantFrom("keep-directory-certificate" as const, "use-best-candidate" as const),
  expiryWarning: fc.constantFrom(undefined, { days: 10 }, { days: 400 }),
  phase: fc.constantFrom("session" as const, "startup" as const),
});

const inboundSpec = fc.record({
  direction: fc.constant("inbound" as const),
  edition: editionSpec,
  authMechanism: fc.constantFrom(
    "ExchangeServer",
    "Tls, ExchangeServer",
    "ExchangeServer, Tls",
    "Tls",
  ),
  expiryWarning: fc.constantFrom(undefined, { days: 10 }),
  phase: fc.constantFrom("session" as const, "startup" as const),
});

/** E3: TlsCertificateNames of fixtures (as PowerShell prints them), and one no certificate has. */
const TLS_CERTIFICATE_NAMES = [
  "<I>CN=Contoso Issuing CA (RSA), O=Contoso Test PKI<S>CN=mail.contoso.com, O=Contoso",
  "<I>CN=Contoso Issuing CA (ECDSA), O=Contoso Test PKI<S>CN=mail.contoso.com",
  "<I>CN=mail.contoso.com<S>CN=mail.contoso.com",
  "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com",
] as const;

/** STARTTLS (S1–S11), either side; a TlsCertificateName only in 2016 (E3). */
const starttlsSpec = fc.record({
  direction: fc.constantFrom("starttls-inbound" as const, "starttls-outbound" as const),
  edition: editionSpec,
  authMechanism: fc.constantFrom("Tls", "Tls", "Tls, ExchangeServer", "ExchangeServer"),
  fqdn: fc.constantFrom(null, "mail.contoso.com", "mail.contoso.com", "edge01.contoso.com"),
  tlsCertificateName: fc.constantFrom(null, null, ...TLS_CERTIFICATE_NAMES),
  /** 12014's %2 and S2's fallback: both reach the result, so both belong in a decision's key. */
  name: fc.constantFrom("EDGE01\\Default EDGE01", "EDGE01\\Internet"),
  physicalFqdn: fc.constantFrom("edge01.contoso.com", "mail.contoso.com"),
  wildcardNames: fc.boolean(),
  expiryWarning: fc.constantFrom(undefined, { days: 10 }, { days: 400 }),
  phase: fc.constantFrom("session" as const, "startup" as const),
});

/** STARTTLS settings a second configuration changes, one at a time. */
const STARTTLS_VARIED = [
  "edition",
  "authMechanism",
  "fqdn",
  "tlsCertificateName",
  "name",
  "physicalFqdn",
  "wildcardNames",
  "expiryWarning",
] as const;

/** Outbound settings a second configuration changes, one at a time. */
const VARIED = [
  "role",
  "mechanism",
  "addressSpaces",
  "deliveryType",
  "cluster",
  "wildcardNames",
  "policy",
  "expiryWarning",
  "phase",
  "edition",
] as const;

/** How `list()` answers for a session (A16); a hanging one is cut short by the signal. */
const storeModeSpec = fc.constantFrom(
  ...Array(16).fill("lists" as const),
  "throws" as const,
  "rejects" as const,
  "not-array" as const,
  "hangs" as const,
);

/** What the session's onEvent does with each event, besides recording it. */
const handlerSpec = fc.constantFrom(
  ...Array(4).fill("records" as const),
  "throws" as const,
  "rejects" as const,
  "writes" as const,
);

/** Sessions pick from a small palette, so that decisions repeat and get replayed. */
const sessionSpec = fc.record({
  change: fc.constantFrom(...Array(8).fill("same"), "copy", "new", "mutate"),
  storeMode: storeModeSpec,
  handler: handlerSpec,
  /** The caller changes its options after the call and writes into its result. */
  meddles: fc.boolean(),
  store: storeSpec,
  config: INDEX,
  directory: INDEX,
  time: INDEX,
  /** Later within the same slot, usually: the expiry step is redone per session. */
  jitter: fc.constantFrom(0, 0, 1, 1000, 30 * 60_000, 3 * HOUR),
});

/** Usually one value, sometimes two: sessions that differ in nothing else get replayed. */
function palette<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T[]> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.array(arbitrary, { minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.array(arbitrary, { minLength: 2, maxLength: 2 }) },
  );
}

const scenarioSpec = fc.record({
  anchors: fc.subarray([...ANCHORS]),
  intermediates: fc.subarray([...INTERMEDIATES]),
  /** Sessions started together, before any of them is awaited. */
  concurrency: fc.constantFrom(1, 1, 2, 4),
  /** A3: the validation profile, per selector; the plain function gets the same. */
  profile: fc.constantFrom(undefined, undefined, "rfc5280" as const, "strict" as const),
  /** A21: CRLs and mode, per selector; the plain function gets the same. */
  revocation: revocationSpec,
  detectInPlaceChanges: fc.constantFrom(false, false, false, true),
  initial: storeSpec,
  configs: fc
    .oneof(
      { weight: 3, arbitrary: fc.tuple(outboundSpec, outboundSpec, fc.constantFrom(...VARIED)) },
      {
        weight: 1,
        arbitrary: fc.tuple(
          inboundSpec,
          inboundSpec,
          fc.constantFrom("authMechanism" as const, "edition" as const),
        ),
      },
      {
        weight: 2,
        arbitrary: fc.tuple(starttlsSpec, starttlsSpec, fc.constantFrom(...STARTTLS_VARIED)),
      },
    )
    .map(([base, other, field]) =>
      // Two configurations that differ in one field, so that each field's part in a decision's
      // key is tested.
      [base, { ...base, [field]: (other as Record<string, unknown>)[field] } as typeof base],
    ),
  directories: palette(directorySpec),
  times: palette(timeSpec),
  sessions: fc.array(sessionSpec, { minLength: 3, maxLength: 12 }),
});

type Scenario = typeof scenarioSpec extends fc.Arbitrary<infer T> ? T : never;
type ConfigSpec = Scenario["configs"][number];

type TimeSpec = Scenario["times"][number];
type EntrySpec = typeof entrySpec extends fc.Arbitrary<infer T> ? T : never;
type DirectorySpec = typeof directorySpec extends fc.Arbitrary<infer T> ? T : never;

/** A source by name, by index, or (negative) one of the odd chain's leaves. */
function source(i: number | string): Source {
  if (typeof i === "string") return sources.find((s) => s.name === i)!;
  if (i < 0) return source(ODD_LEAVES[(-1 - i) % ODD_LEAVES.length]!);
  return sources[i % sources.length]!;
}

function makeEntry(spec: EntrySpec): StoreEntry {
  if (spec.kind === "junk") {
    // Not a certificate, not an entry at all, a wrong field type, a field that throws.
    const shapes: unknown[] = [
      {
        certificate: Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x01]),
        hasPrivateKey: true,
        services: ["SMTP"],
      },
      null,
      { certificate: 42, hasPrivateKey: true, services: ["SMTP"] },
      Object.defineProperty({ hasPrivateKey: true, services: ["SMTP"] }, "certificate", {
        enumerable: true,
        get() {
          throw new Error("unreadable entry");
        },
      }),
    ];
    return shapes[spec.shape] as StoreEntry;
  }
  const s = source(spec.source);
  const key =
    spec.key === "own"
      ? s.keyPem
      : spec.key === "wrong"
        ? source(spec.source + 1).keyPem
        : undefined;
  return {
    certificate: spec.pem ? s.pem : s.der,
    hasPrivateKey: spec.hasPrivateKey,
    services: spec.services,
    ...(key === undefined ? {} : { privateKey: key }),
  };
}

/** "stored": one of the scenario's initial store certificates, by thumbprint. */
function resolveDirectory(spec: DirectorySpec, initial: readonly EntrySpec[]): DirectorySpec {
  if (spec.kind !== "stored") return spec;
  const stored = initial.flatMap((e) => (e.kind === "certificate" ? [e.source] : []));
  return {
    kind: "thumbprint",
    source: stored.length === 0 ? spec.source : stored[spec.source % stored.length]!,
  };
}

function makeDirectory(spec: DirectorySpec): Directory {
  const s = source(spec.source);
  const value = (() => {
    switch (spec.kind) {
      case "thumbprint":
      case "stored":
        return s.thumbprint;
      case "spaced":
        return `\u200e${s.thumbprint.toLowerCase().replace(/(..)/g, "$1 ")}`;
      case "der":
        return new Uint8Array(s.der);
      case "arraybuffer":
        return new Uint8Array(source(0).der).buffer;
      case "serialized":
        return directoryFile("serialized.bin");
      case "null":
        return null;
      case "empty":
        return "   ";
      case "garbage":
        return "not a thumbprint";
      case "throws":
      case "rejects":
      case "hangs":
        return undefined;
    }
  })();
  return {
    readInternalTransportCertificate() {
      if (spec.kind === "throws") throw new Error("LDAP server unavailable");
      if (spec.kind === "rejects") return Promise.reject(new Error("LDAP timeout"));
      if (spec.kind === "hangs") return new Promise<never>(() => {});
      // A directory may hand back an ArrayBuffer although the type does not say so.
      return Promise.resolve((value ?? null) as DirectoryValue);
    },
  };
}

/** The reason every session's signal gives when it fires (one object: causes compare equal). */
const DEADLINE = new Error("session deadline");
/** Longer than any read that answers takes (microtasks), short enough for hanging ones. */
const DEADLINE_MS = 15;

type Handler = Scenario["sessions"][number]["handler"];

function sessionOptions(
  config: ConfigSpec,
  directory: DirectorySpec,
  now: Date,
  handler: Handler = "records",
) {
  const events: ExchangeEvent[] = [];
  const controller = new AbortController();
  setTimeout(() => controller.abort(DEADLINE), DEADLINE_MS);
  const common = {
    directory: makeDirectory(directory),
    // The caller's own objects (a copy of the spec's), which a meddling caller changes later.
    now: new Date(now.getTime()),
    phase: config.phase,
    signal: controller.signal,
    onEvent: (event: ExchangeEvent) => {
      events.push(event);
      if (handler === "throws") throw new Error("event log unavailable");
      // An async handler whose promise rejects (returned through a `void` signature).
      if (handler === "rejects") return Promise.reject(new Error("event log unavailable")) as never;
      if (handler === "writes") {
        // Frozen, so in this (strict) module each write throws a TypeError: the selection must
        // not notice.
        (event as { message: string }).message = "rewritten";
        (event.data as { thumbprint?: string }).thumbprint = "0".repeat(40);
      }
    },
    ...(config.expiryWarning === undefined
      ? {}
      : { expiryWarning: { days: config.expiryWarning.days as number } }),
  };
  const none = {
    inbound: undefined,
    outbound: undefined,
    starttlsIn: undefined,
    starttlsOut: undefined,
  };
  if (config.direction === "starttls-inbound" || config.direction === "starttls-outbound") {
    const { directory: _none, ...settings } = common;
    const starttls = {
      ...settings,
      edition: config.edition,
      server: { ...SERVER, physicalFqdn: config.physicalFqdn },
      wildcardNames: config.wildcardNames,
    };
    const names = {
      fqdn: config.fqdn as string | null,
      // E3: the 2007 edition has no TlsCertificateName (a value there is misuse).
      tlsCertificateName: config.edition === "2016" ? config.tlsCertificateName : null,
      name: config.name,
    };
    return config.direction === "starttls-inbound"
      ? {
          ...none,
          events,
          starttlsIn: {
            ...starttls,
            receiveConnector: { authMechanism: config.authMechanism, ...names },
          },
        }
      : { ...none, events, starttlsOut: { ...starttls, sendConnector: names } };
  }
  if (config.direction === "inbound") {
    return {
      ...none,
      events,
      inbound: {
        ...common,
        edition: config.edition,
        receiveConnector: { authMechanism: config.authMechanism },
      },
    };
  }
  const outbound = config as Extract<ConfigSpec, { direction: "outbound" }>;
  // E1: each edition has its own pair of roles; the spec's HubTransport is 2016's Mailbox.
  const role: "HubTransport" | "EdgeTransport" | "Mailbox" =
    outbound.edition === "2016" && outbound.role === "HubTransport" ? "Mailbox" : outbound.role;
  return {
    ...none,
    events,
    outbound: {
      ...common,
      edition: outbound.edition,
      role,
      sendConnector: {
        smartHostAuthMechanism: outbound.mechanism,
        addressSpaces: [...outbound.addressSpaces],
      },
      ...(outbound.deliveryType === undefined ? {} : { deliveryType: outbound.deliveryType }),
      server: outbound.cluster ? { ...SERVER, clusterName: CLUSTER_NAME } : { ...SERVER },
      wildcardNames: outbound.wildcardNames,
      // E2: the 2016 edition has no ranking, so asking for its best candidate is misuse.
      onThumbprintMismatch:
        outbound.edition === "2016" ? "keep-directory-certificate" : outbound.policy,
    },
  };
}

type Options = ReturnType<typeof sessionOptions>;

/** A caller that changes everything it passed, right after the call (issue 18). */
function meddleWithOptions(options: Options): void {
  const common = options.inbound ?? options.outbound ?? options.starttlsIn ?? options.starttlsOut!;
  common.now.setTime(0);
  if (common.expiryWarning !== undefined) common.expiryWarning.days = 100_000;
  if (options.outbound !== undefined) {
    options.outbound.sendConnector.smartHostAuthMechanism = "None";
    options.outbound.sendConnector.addressSpaces.push("SMTP:*;1");
    options.outbound.server.fqdn = "evil.example";
  }
  const starttls = options.starttlsIn ?? options.starttlsOut;
  if (starttls !== undefined) {
    (starttls.server as { physicalFqdn: string }).physicalFqdn = "evil.example";
    const connector: { fqdn: string | null } =
      options.starttlsIn?.receiveConnector ?? options.starttlsOut!.sendConnector;
    connector.fqdn = "evil.example";
  }
}

/** Paths of everything in `value` a caller could change (bytes and `cause` excepted). */
function writable(value: unknown, path = "result"): string[] {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return [];
  if (value instanceof Date) {
    try {
      value.setTime(0);
      return [`${path} (a writable Date)`];
    } catch {
      return [];
    }
  }
  const own = Object.isFrozen(value) ? [] : [path];
  return [
    ...own,
    ...Object.entries(value).flatMap(([key, child]) =>
      key === "cause" ? [] : writable(child, `${path}.${key}`),
    ),
  ];
}

function bytesOf(selection: Selection): Uint8Array[] {
  if (selection.outcome !== "selected") return [];
  const { certificate } = selection.entry;
  return [...selection.chain, ...(certificate instanceof Uint8Array ? [certificate] : [])];
}

/** A caller that writes into everything it was given back (issue 18). */
function meddleWithResult(selection: Selection): void {
  for (const bytes of bytesOf(selection))
    for (let i = 0; i < bytes.length; i += 5) bytes[i]! ^= 0xa5;
  for (const attempt of [
    () => (selection.events as ExchangeEvent[]).pop(),
    () => (selection.certificates as unknown[]).push(null),
    () => Object.assign(selection.trace[0]?.data ?? {}, { meddled: true }),
  ]) {
    expect(attempt).toThrow(TypeError);
  }
}

function edges(s: Source): number[] {
  return [s.notBefore - 1, s.notBefore, s.notAfter, s.notAfter + 1];
}

function timeOf(
  spec: TimeSpec,
  jitter: number,
  pool: readonly string[],
  extra: readonly number[] = [],
): Date {
  const poolEdges = [...pool.flatMap((name) => edges(source(name))), ...extra];
  const t =
    spec.kind === "near"
      ? NOW.getTime() + spec.offset
      : spec.kind === "pool" && poolEdges.length > 0
        ? poolEdges[spec.index % poolEdges.length]!
        : boundaries[spec.index % boundaries.length]!;
  return new Date(t + jitter);
}

interface Launched {
  readonly options: Options;
  readonly result: Promise<Selection>;
}

/** Starts a prepared session (not awaited: sessions of a batch run concurrently). */
function launch(
  prepared: ReturnType<typeof createSelector>,
  config: ConfigSpec,
  directory: DirectorySpec,
  now: Date,
  handler: Handler,
  meddles: boolean,
): Launched {
  const options = sessionOptions(config, directory, now, handler);
  const result: Promise<Selection> =
    options.inbound !== undefined
      ? prepared.selectInbound(options.inbound)
      : options.starttlsIn !== undefined
        ? prepared.selectInboundStartTls(options.starttlsIn)
        : options.starttlsOut !== undefined
          ? prepared.selectOutboundStartTls(options.starttlsOut)
          : prepared.selectOutbound(options.outbound!);
  if (meddles) meddleWithOptions(options);
  return { options, result };
}

/** The plain function for the same session, then the comparison; returns the prepared result. */
async function compare(
  launched: Launched,
  config: ConfigSpec,
  directory: DirectorySpec,
  now: Date,
  handler: Handler,
  meddles: boolean,
  store: CertStore,
  pool: {
    trustAnchors: Uint8Array[];
    intermediates: Uint8Array[];
    profile?: "rfc5280" | "strict";
    crls?: (Uint8Array | string)[];
    revocationMode?: "soft" | "hard";
  },
  listed: readonly StoreEntry[],
): Promise<Selection> {
  const theirs = sessionOptions(config, directory, now, handler);
  const pending: Promise<Selection> =
    theirs.inbound !== undefined
      ? selectInboundAnonymousTlsCert({ ...theirs.inbound, store, ...pool })
      : theirs.starttlsIn !== undefined
        ? selectInboundStartTlsCert({ ...theirs.starttlsIn, store, ...pool })
        : theirs.starttlsOut !== undefined
          ? selectOutboundStartTlsCert({ ...theirs.starttlsOut, store, ...pool })
          : selectOutboundAnonymousTlsCert({ ...theirs.outbound!, store, ...pool });
  if (meddles) meddleWithOptions(theirs);
  const plain = await pending;
  const ours = await launched.result;
  expect(ours).toEqual(plain);
  expect(launched.options.events).toEqual(theirs.events);
  expect(launched.options.events).toEqual([...ours.events]);
  // Frozen all the way down, whichever step decided, and bytes no one else holds.
  expect(writable(ours)).toEqual([]);
  expect(writable(plain)).toEqual([]);
  const held = [...bytesOf(ours), ...bytesOf(plain)];
  const theirsToo = [
    ...listed.flatMap((e) => {
      try {
        // Some junk entries throw when read.
        return e.certificate instanceof Uint8Array ? [e.certificate] : [];
      } catch {
        return [];
      }
    }),
    ...pool.trustAnchors,
    ...pool.intermediates,
  ];
  for (const bytes of held) expect(theirsToo.some((b) => b.buffer === bytes.buffer)).toBe(false);
  // Each result's bytes are views into one buffer of its own, side by side, never overlapping.
  for (const result of [ours, plain]) {
    let end = -1;
    for (const bytes of bytesOf(result).sort((a, b) => a.byteOffset - b.byteOffset)) {
      expect(bytes.byteOffset).toBeGreaterThan(end - 1);
      end = bytes.byteOffset + bytes.byteLength;
    }
  }
  const buffers = (s: Selection) => new Set(bytesOf(s).map((b) => b.buffer));
  for (const buffer of buffers(ours)) expect(buffers(plain).has(buffer)).toBe(false);
  if (meddles) {
    meddleWithResult(ours);
    meddleWithResult(plain);
  }
  return ours;
}

/** A store whose `list()` answers as the current mode says (A16 faults included). */
function faultyStore(state: { listed: StoreEntry[]; mode: StoreMode }): CertStore {
  return {
    list(): readonly StoreEntry[] | Promise<readonly StoreEntry[]> {
      switch (state.mode) {
        case "lists":
          return state.listed;
        case "throws":
          throw new Error("access denied to LocalMachine\\My");
        case "rejects":
          return Promise.reject(new Error("store timeout"));
        case "not-array":
          return { length: 0 } as unknown as StoreEntry[];
        default:
          return new Promise<never>(() => {});
      }
    },
  };
}

/** "hangs" is the default branch of faultyStore. */
type StoreMode = Scenario["sessions"][number]["storeMode"];

describe("the prepared selector answers exactly as the plain functions", () => {
  it(`for random stores, configurations, times, store changes, faults, concurrent sessions and meddling callers (${RUNS} runs)`, async () => {
    let replayed = 0;
    let sessions = 0;
    await fc.assert(
      fc.asyncProperty(scenarioSpec, async (scenario) => {
        const state: { listed: StoreEntry[]; mode: StoreMode } = {
          listed: scenario.initial.map(makeEntry),
          mode: "lists",
        };
        const store = faultyStore(state);
        const pool = {
          trustAnchors: scenario.anchors.map((name) => source(name).der),
          intermediates: scenario.intermediates.map((name) => source(name).der),
          ...(scenario.profile === undefined ? {} : { profile: scenario.profile }),
          ...revocationOptions(scenario.revocation),
        };
        const prepared = createSelector({
          store,
          ...pool,
          detectInPlaceChanges: scenario.detectInPlaceChanges,
        });
        const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;
        for (let start = 0; start < scenario.sessions.length; start += scenario.concurrency) {
          const batch = scenario.sessions.slice(start, start + scenario.concurrency);
          // The store changes (and fails) between batches: every session of a batch, and the
          // plain function after it, sees the same store.
          const first = batch[0]!;
          switch (first.change) {
            case "copy":
              state.listed = [...state.listed];
              break;
            case "new":
              state.listed = first.store.map(makeEntry);
              break;
            case "mutate":
              // In place: only a selector told to expect it may see it (its documented contract).
              if (scenario.detectInPlaceChanges) {
                state.listed.splice(0, 1, ...first.store.slice(0, 2).map(makeEntry));
              } else {
                state.listed = first.store.map(makeEntry);
              }
              break;
          }
          state.mode = first.storeMode;
          const planned = batch.map((session) => ({
            session,
            config: pick(scenario.configs, session.config),
            directory: resolveDirectory(
              pick(scenario.directories, session.directory),
              scenario.initial,
            ),
            now: timeOf(
              pick(scenario.times, session.time),
              session.jitter,
              [...scenario.anchors, ...scenario.intermediates],
              crlEdges(scenario.revocation),
            ),
          }));
          const launched = planned.map((p) =>
            launch(prepared, p.config, p.directory, p.now, p.session.handler, p.session.meddles),
          );
          for (const [i, p] of planned.entries()) {
            await compare(
              launched[i]!,
              p.config,
              p.directory,
              p.now,
              p.session.handler,
              p.session.meddles,
              store,
              pool,
              state.listed,
            );
          }
        }
        const stats = prepared.stats();
        replayed += stats.replayed;
        sessions += stats.sessions;
      }),
      { numRuns: RUNS, seed: Number(process.env.SELECTOR_SEED ?? 20250615), endOnFailure: true },
    );
    // The property is only interesting if decisions were actually replayed.
    expect(replayed).toBeGreaterThan(sessions / 10);
  }, 240_000);
});

/** CI runs 25 walks; SELECTOR_WALKS raises it locally. */
const WALKS = Math.max(25, Number(process.env.SELECTOR_WALKS ?? 0));

/**
 * A walk's configuration with every gate passing (R1/R2, I1, S1): the walks are about trust and
 * time, so each step they take must reach the ranking.
 */
function withPassingGates(config: ConfigSpec): ConfigSpec {
  return {
    ...config,
    ...(config.direction === "outbound"
      ? {
          mechanism: "ExchangeServer",
          deliveryType: "SmtpRelayWithinAdSiteToEdge",
          addressSpaces: ["SMTP:--;1"],
        }
      : config.direction === "inbound"
        ? { authMechanism: "ExchangeServer" }
        : { authMechanism: "Tls" }),
  } as ConfigSpec;
}

const walkSpec = fc.record({
  anchors: fc.subarray([...ANCHORS], { minLength: 1, maxLength: 3 }),
  intermediates: fc.subarray([...INTERMEDIATES], { minLength: 1, maxLength: 3 }),
  store: fc.array(
    fc.record({
      kind: fc.constant("certificate" as const),
      source: fc.constantFrom(
        "odd-leaf",
        "odd-leaf-inverted",
        "odd-leaf-equal",
        "odd-leaf-1ms",
        "leaf-ec",
        "leaf-rsa",
        "pki-two-hours",
        "self-signed",
        "expired",
        "not-yet-valid",
      ),
      pem: fc.boolean(),
      hasPrivateKey: fc.constant(true),
      services: fc.constant(["SMTP"]),
      key: fc.constant("none"),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  directory: INDEX,
  config: fc.oneof(
    { weight: 3, arbitrary: outboundSpec },
    { weight: 1, arbitrary: inboundSpec },
    { weight: 2, arbitrary: starttlsSpec },
  ),
  backward: fc.boolean(),
  profile: fc.constantFrom(undefined, "rfc5280" as const, "strict" as const),
  revocation: revocationSpec,
});

describe("time walks across every validity and CRL boundary (issues 18, 16)", () => {
  it(`leaves, intermediates and anchors, forward or backward, on one selector (${WALKS} walks)`, async () => {
    await fc.assert(
      fc.asyncProperty(walkSpec, async (walk) => {
        const entries = walk.store.map((e) => ({
          ...e,
          source: sources.findIndex((s) => s.name === e.source),
        }));
        const listed = entries.map(makeEntry);
        const store: CertStore = { list: () => listed };
        const pool = {
          trustAnchors: walk.anchors.map((name) => source(name).der),
          intermediates: walk.intermediates.map((name) => source(name).der),
          ...(walk.profile === undefined ? {} : { profile: walk.profile }),
          ...revocationOptions(walk.revocation),
        };
        const prepared = createSelector({ store, ...pool });
        const directory: DirectorySpec = {
          kind: "thumbprint",
          source: entries[walk.directory % entries.length]!.source,
        };
        const config = withPassingGates(walk.config);
        const times = new Set<number>();
        for (const name of [
          ...walk.anchors,
          ...walk.intermediates,
          ...walk.store.map((e) => e.source),
        ]) {
          for (const t of edges(source(name))) times.add(t);
        }
        // A21: a CRL becoming or stopping being current is a boundary too.
        for (const t of crlEdges(walk.revocation)) times.add(t);
        const ordered = [...times].sort((a, b) => a - b);
        if (walk.backward) ordered.reverse();
        for (const t of ordered) {
          const now = new Date(t);
          await compare(
            launch(prepared, config, directory, now, "records", false),
            config,
            directory,
            now,
            "records",
            false,
            store,
            pool,
            listed,
          );
        }
      }),
      { numRuns: WALKS, seed: Number(process.env.SELECTOR_SEED ?? 20250615), endOnFailure: true },
    );
  }, 240_000);
});

/** CI runs 25 CRL walks; SELECTOR_WALKS raises it locally. */
const crlWalkSpec = fc.record({
  store: fc.subarray(
    ["leaf-ec", "leaf-rsa", "pki-tomorrow", "odd-leaf", "odd-leaf-1ms", "odd-leaf-inverted"],
    { minLength: 1 },
  ),
  selfSigned: fc.boolean(),
  crls: fc.subarray([...CRL_SETS], { minLength: 1 }),
  mode: fc.constantFrom(undefined, "soft" as const, "hard" as const),
  directory: INDEX,
  config: fc.oneof(
    { weight: 3, arbitrary: outboundSpec },
    { weight: 1, arbitrary: inboundSpec },
    { weight: 2, arbitrary: starttlsSpec },
  ),
  backward: fc.boolean(),
  profile: fc.constantFrom(undefined, "strict" as const),
});

describe("time walks across every CRL's thisUpdate and nextUpdate (issue 16, A21)", () => {
  it(`every chain's CAs in the pool, CRLs that expire or start near NOW (${WALKS} walks)`, async () => {
    await fc.assert(
      fc.asyncProperty(crlWalkSpec, async (walk) => {
        const names = [...walk.store, ...(walk.selfSigned ? ["self-signed"] : [])];
        const entries = names.map((name) => ({
          kind: "certificate" as const,
          source: sources.findIndex((s) => s.name === name),
          pem: false,
          hasPrivateKey: true as const,
          services: ["SMTP"] as const,
          key: "none" as const,
        }));
        const listed = entries.map(makeEntry);
        const store: CertStore = { list: () => listed };
        const revocation = { crls: walk.crls, mode: walk.mode };
        const pool = {
          trustAnchors: ANCHORS.map((name) => source(name).der),
          intermediates: INTERMEDIATES.map((name) => source(name).der),
          ...(walk.profile === undefined ? {} : { profile: walk.profile }),
          ...revocationOptions(revocation),
        };
        const prepared = createSelector({ store, ...pool });
        const directory: DirectorySpec = {
          kind: "thumbprint",
          source: entries[walk.directory % entries.length]!.source,
        };
        const config = withPassingGates(walk.config);
        // Only the CRLs' boundaries (and NOW): between two of them every certificate of the
        // store and the pool keeps its validity, so only the CRL cuts can tell the slots apart.
        const times = [...new Set([NOW.getTime(), ...crlEdges(revocation)])].sort((a, b) => a - b);
        if (walk.backward) times.reverse();
        for (const t of times) {
          const now = new Date(t);
          await compare(
            launch(prepared, config, directory, now, "records", false),
            config,
            directory,
            now,
            "records",
            false,
            store,
            pool,
            listed,
          );
        }
      }),
      { numRuns: WALKS, seed: Number(process.env.SELECTOR_SEED ?? 20250615), endOnFailure: true },
    );
  }, 240_000);
});
