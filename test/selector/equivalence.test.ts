// Same answers (issue 9): for random stores, configurations, times (including every fixture's
// validity boundaries to the millisecond) and store changes between sessions, the prepared
// selector returns exactly what the plain functions return: outcome, thumbprints, events (and
// onEvent calls), trace, certificate verdicts, chain: the whole Selection.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";

import {
  type CertStore,
  type Directory,
  type DirectoryValue,
  type ExchangeEvent,
  type Selection,
  type StoreEntry,
  selectInboundAnonymousTlsCert,
  selectOutboundAnonymousTlsCert,
} from "../../src/index.js";
import { parseCertificate } from "../../src/lib/certificate.js";
import { createSelector } from "../../src/selector.js";
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
};

let sources: Source[] = [];
let boundaries: number[] = [];

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

const outboundSpec = fc.record({
  direction: fc.constant("outbound" as const),
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
  authMechanism: fc.constantFrom(
    "ExchangeServer",
    "Tls, ExchangeServer",
    "ExchangeServer, Tls",
    "Tls",
  ),
  expiryWarning: fc.constantFrom(undefined, { days: 10 }),
  phase: fc.constantFrom("session" as const, "startup" as const),
});

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
] as const;

/** Sessions pick from a small palette, so that decisions repeat and get replayed. */
const sessionSpec = fc.record({
  change: fc.constantFrom(...Array(8).fill("same"), "copy", "new", "mutate"),
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
  anchors: fc.subarray(["root-rsa", "root-ec", "root-other"]),
  intermediates: fc.subarray(["inter-rsa", "inter-ec", "inter-expired"]),
  detectInPlaceChanges: fc.constantFrom(false, false, false, true),
  initial: storeSpec,
  configs: fc
    .oneof(
      { weight: 3, arbitrary: fc.tuple(outboundSpec, outboundSpec, fc.constantFrom(...VARIED)) },
      { weight: 1, arbitrary: fc.tuple(inboundSpec, inboundSpec, fc.constant("authMechanism")) },
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

function source(i: number): Source {
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
        return undefined;
    }
  })();
  return {
    async readInternalTransportCertificate() {
      if (spec.kind === "throws") throw new Error("LDAP server unavailable");
      // A directory may hand back an ArrayBuffer although the type does not say so.
      return (value ?? null) as DirectoryValue;
    },
  };
}

function sessionOptions(config: ConfigSpec, directory: DirectorySpec, now: Date) {
  const events: ExchangeEvent[] = [];
  const common = {
    directory: makeDirectory(directory),
    now,
    phase: config.phase,
    onEvent: (event: ExchangeEvent) => events.push(event),
    ...(config.expiryWarning === undefined ? {} : { expiryWarning: config.expiryWarning }),
  };
  if (config.direction === "inbound") {
    return {
      events,
      inbound: { ...common, receiveConnector: { authMechanism: config.authMechanism } },
    };
  }
  return {
    events,
    outbound: {
      ...common,
      role: config.role,
      sendConnector: {
        smartHostAuthMechanism: config.mechanism,
        addressSpaces: config.addressSpaces,
      },
      ...(config.deliveryType === undefined ? {} : { deliveryType: config.deliveryType }),
      server: config.cluster ? { ...SERVER, clusterName: CLUSTER_NAME } : SERVER,
      wildcardNames: config.wildcardNames,
      onThumbprintMismatch: config.policy,
    },
  };
}

function edges(s: Source): number[] {
  return [s.notBefore - 1, s.notBefore, s.notAfter, s.notAfter + 1];
}

function timeOf(spec: TimeSpec, jitter: number, pool: readonly string[]): Date {
  const poolEdges = pool.flatMap((name) => edges(sources.find((s) => s.name === name)!));
  const t =
    spec.kind === "near"
      ? NOW.getTime() + spec.offset
      : spec.kind === "pool" && poolEdges.length > 0
        ? poolEdges[spec.index % poolEdges.length]!
        : boundaries[spec.index % boundaries.length]!;
  return new Date(t + jitter);
}

/** Runs both and compares; returns the prepared result. */
async function compare(
  config: ConfigSpec,
  directory: DirectorySpec,
  now: Date,
  store: CertStore,
  prepared: ReturnType<typeof createSelector>,
  pool: { trustAnchors: Uint8Array[]; intermediates: Uint8Array[] },
): Promise<Selection> {
  const mine = sessionOptions(config, directory, now);
  const theirs = sessionOptions(config, directory, now);
  let ours: Selection;
  let plain: Selection;
  if (mine.inbound !== undefined && theirs.inbound !== undefined) {
    ours = await prepared.selectInbound(mine.inbound);
    plain = await selectInboundAnonymousTlsCert({ ...theirs.inbound, store, ...pool });
  } else {
    ours = await prepared.selectOutbound(mine.outbound!);
    plain = await selectOutboundAnonymousTlsCert({ ...theirs.outbound!, store, ...pool });
  }
  expect(ours).toEqual(plain);
  expect(mine.events).toEqual(theirs.events);
  expect(mine.events).toEqual([...ours.events]);
  return ours;
}

describe("the prepared selector answers exactly as the plain functions", () => {
  it(`for random stores, configurations, times and store changes (${RUNS} runs)`, async () => {
    let replayed = 0;
    let sessions = 0;
    await fc.assert(
      fc.asyncProperty(scenarioSpec, async (scenario) => {
        let listed: StoreEntry[] = scenario.initial.map(makeEntry);
        const store: CertStore = { list: () => listed };
        const pool = {
          trustAnchors: scenario.anchors.map((name) => fixture(name).der),
          intermediates: scenario.intermediates.map((name) => fixture(name).der),
        };
        const prepared = createSelector({
          store,
          ...pool,
          detectInPlaceChanges: scenario.detectInPlaceChanges,
        });
        for (const session of scenario.sessions) {
          switch (session.change) {
            case "copy":
              listed = [...listed];
              break;
            case "new":
              listed = session.store.map(makeEntry);
              break;
            case "mutate":
              // In place: only a selector told to expect it may see it (its documented contract).
              if (scenario.detectInPlaceChanges) {
                listed.splice(0, 1, ...session.store.slice(0, 2).map(makeEntry));
              } else {
                listed = session.store.map(makeEntry);
              }
              break;
          }
          const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;
          await compare(
            pick(scenario.configs, session.config),
            resolveDirectory(pick(scenario.directories, session.directory), scenario.initial),
            timeOf(pick(scenario.times, session.time), session.jitter, [
              ...scenario.anchors,
              ...scenario.intermediates,
            ]),
            store,
            prepared,
            pool,
          );
        }
        const stats = prepared.stats();
        replayed += stats.replayed;
        sessions += stats.sessions;
      }),
      { numRuns: RUNS, seed: Number(process.env.SELECTOR_SEED ?? 20250615), endOnFailure: true },
    );
    // The property is only interesting if decisions were actually replayed.
    expect(replayed).toBeGreaterThan(sessions / 10);
  }, 120_000);
});
