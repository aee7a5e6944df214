// Helpers for path-validation tests: a fixed NOW, validity windows around it, and builders for
// root / intermediate / leaf certificates over the committed key pool (never generated keys).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { type ParsedCertificate, parseCertificate } from "../../src/x509/certificate.js";
import { AsnConvert, asn1x509 } from "../../src/x509/x509.js";
import {
  type CertSpec,
  forgeCertificate,
  KEY_NAMES,
  type KeyName,
  type NameSpec,
  OID,
  poolKey,
  toPem,
} from "./forge.js";

export const NOW = new Date("2024-06-01T12:00:00Z");
const DAY = 86_400_000;
export const days = (n: number): Date => new Date(NOW.getTime() + n * DAY);

/** Validity windows relative to NOW. */
export const WINDOW = {
  valid: { notBefore: days(-365), notAfter: days(365) },
  expired: { notBefore: days(-730), notAfter: days(-1) },
  notYetValid: { notBefore: days(1), notAfter: days(730) },
} as const;

export const cn = (name: string): NameSpec => [
  ["O", "Path Tests"],
  ["CN", name],
];

export interface Node {
  readonly name: string;
  readonly key: KeyName;
}

type Extra = Partial<Omit<CertSpec, "subject" | "issuer" | "key" | "signer">>;

/** Builder overrides; a field set to undefined removes the builder's default for it. */
export type Overrides = {
  readonly [K in keyof Extra]?: Extra[K] | undefined;
};

type Dated = Extra & { readonly notBefore: Date; readonly notAfter: Date };

function applyOverrides(defaults: Dated, overrides: Overrides): Dated {
  const merged: Record<string, unknown> = { ...defaults, ...overrides };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  // A window cannot be removed, only replaced.
  merged["notBefore"] ??= defaults.notBefore;
  merged["notAfter"] ??= defaults.notAfter;
  return merged as Dated;
}

let serial = 0x1000;
const nextSerial = () => ++serial;

export async function root(node: Node, extra: Overrides = {}): Promise<ParsedCertificate> {
  return parseCertificate(
    await forgeCertificate({
      serial: nextSerial(),
      subject: cn(node.name),
      key: node.key,
      ...applyOverrides(
        { ...WINDOW.valid, basicConstraints: { ca: true }, keyUsage: ["keyCertSign", "cRLSign"] },
        extra,
      ),
    }),
  );
}

export async function intermediate(
  node: Node,
  issuer: Node,
  extra: Overrides = {},
): Promise<ParsedCertificate> {
  return parseCertificate(
    await forgeCertificate({
      serial: nextSerial(),
      subject: cn(node.name),
      issuer: cn(issuer.name),
      key: node.key,
      signer: issuer.key,
      ...applyOverrides(
        { ...WINDOW.valid, basicConstraints: { ca: true }, keyUsage: ["keyCertSign", "cRLSign"] },
        extra,
      ),
    }),
  );
}

export async function leaf(
  node: Node,
  issuer: Node,
  extra: Overrides = {},
): Promise<ParsedCertificate> {
  return parseCertificate(
    await forgeCertificate({
      serial: nextSerial(),
      subject: cn(node.name),
      issuer: cn(issuer.name),
      key: node.key,
      signer: issuer.key,
      ...applyOverrides(
        {
          ...WINDOW.valid,
          san: [node.name],
          keyUsage: ["digitalSignature", "keyEncipherment"],
          eku: [OID.serverAuth],
        },
        extra,
      ),
    }),
  );
}

export { OID };

/**
 * An authorityKeyIdentifier extension naming `key` (RFC 5280 §4.2.1.2 method 1), for
 * certificates that claim one issuer but are signed by another key (use with `aki: false`).
 */
export function authorityKeyIdentifierFor(key: KeyName): {
  oid: string;
  critical: boolean;
  value: Uint8Array;
} {
  const info = AsnConvert.parse(poolKey(key).spki, asn1x509.SubjectPublicKeyInfo);
  const id = createHash("sha1").update(new Uint8Array(info.subjectPublicKey)).digest();
  const aki = new asn1x509.AuthorityKeyIdentifier({
    keyIdentifier: new asn1x509.KeyIdentifier(id),
  });
  return { oid: "2.5.29.35", critical: false, value: new Uint8Array(AsnConvert.serialize(aki)) };
}

// ---------------------------------------------------------------------------------------------
// A seeded generator of chains for the differential test against `openssl verify`.
//
// Every case has a leaf, zero to two intermediates and a self-signed root, with one or two
// mutations (dates at any level, a wrong or corrupted signature, missing/false/non-critical
// basicConstraints, pathLen violations, keyUsage without keyCertSign, EKUs, untrusted or missing
// certificates, cross-signed alternatives…). Subject names carry the case id, so all cases can
// share one CAfile and one -untrusted file without ever chaining into each other.

export type Rng = () => number;

/** mulberry32: a small deterministic PRNG, so the same seed always gives the same corpus. */
export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

const SECOND = 1000;
/** Validity windows used by the generator, relative to NOW (whole seconds: UTCTime). */
export const WINDOWS = {
  valid: WINDOW.valid,
  expired: WINDOW.expired,
  notYetValid: WINDOW.notYetValid,
  /** Expired one second ago / valid from one second on: both sides agree these fail. */
  justExpired: { notBefore: days(-365), notAfter: new Date(NOW.getTime() - SECOND) },
  justNotYetValid: { notBefore: new Date(NOW.getTime() + SECOND), notAfter: days(365) },
  /** now == notAfter / now == notBefore: A4 says valid (inclusive). */
  boundaryNotAfter: { notBefore: days(-365), notAfter: NOW },
  boundaryNotBefore: { notBefore: NOW, notAfter: days(365) },
} as const;
export type WindowName = keyof typeof WINDOWS;

interface Level {
  name: string;
  key: KeyName;
  window: WindowName;
  extra: Extra;
  /** Sign with this key instead of the issuer's (a wrong issuer signature). */
  wrongSigner?: KeyName;
  /** Name this key in the AKI (default: the signer's). */
  akiKey?: KeyName;
  corrupt?: boolean;
}

export interface GeneratedChain {
  readonly id: string;
  /** What was done to the chain, e.g. ["int1:expired", "cross-signed"]. */
  readonly tags: readonly string[];
  readonly leaf: Uint8Array;
  readonly intermediates: readonly Uint8Array[];
  readonly trustAnchors: readonly Uint8Array[];
}

const ALL_KEYS: readonly KeyName[] = KEY_NAMES;

function distinctKeys(rng: Rng, count: number): KeyName[] {
  const keys = [...ALL_KEYS];
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  return keys.slice(0, count);
}

const CA_DEFAULTS: Extra = {
  basicConstraints: { ca: true },
  keyUsage: ["keyCertSign", "cRLSign"],
};
const LEAF_DEFAULTS: Extra = {
  keyUsage: ["digitalSignature", "keyEncipherment"],
  eku: [OID.serverAuth],
};
/** An unknown critical extension: a private OID with an empty SEQUENCE. */
const UNKNOWN_CRITICAL = {
  oid: "1.3.6.1.4.1.55738.666.1",
  critical: true,
  value: Uint8Array.from([0x30, 0x00]),
};

interface Draft {
  readonly id: string;
  readonly rng: Rng;
  /** levels[0] = leaf, then intermediates, last = root. */
  readonly levels: Level[];
  tags: string[];
  rootTrusted: boolean;
  /** Level indexes left out of every pool. */
  omitted: Set<number>;
  /** Extra certificates (cross-signatures): where they go. */
  extras: { level: Level; issuer: Level; pool: "intermediate" | "anchor" }[];
  extraRoots: { level: Level; trusted: boolean }[];
  /** A level whose certificate is also trusted directly (a non-self-signed anchor). */
  trustedLevel?: number;
}

const levelName = (draft: Draft, i: number): string =>
  i === 0 ? "leaf" : i === draft.levels.length - 1 ? "root" : `int${i}`;

const caLevels = (draft: Draft): number[] => draft.levels.map((_, i) => i).filter((i) => i > 0);
const issuedLevels = (draft: Draft): number[] =>
  draft.levels.map((_, i) => i).filter((i) => i < draft.levels.length - 1);
const intermediateLevels = (draft: Draft): number[] =>
  draft.levels.map((_, i) => i).filter((i) => i > 0 && i < draft.levels.length - 1);

type Mutation = (draft: Draft) => boolean;

/** The mutations; each returns false when it does not apply to this chain's shape. */
const MUTATIONS: Readonly<Record<string, Mutation>> = {
  none: () => true,
  dates: (d) => {
    const i = pick(
      d.rng,
      d.levels.map((_, index) => index),
    );
    const window = pick(d.rng, [
      "expired",
      "notYetValid",
      "justExpired",
      "justNotYetValid",
      "boundaryNotAfter",
      "boundaryNotBefore",
    ] as const);
    d.levels[i]!.window = window;
    d.tags.push(`${levelName(d, i)}:${window}`);
    return true;
  },
  corruptSignature: (d) => {
    const i = pick(d.rng, issuedLevels(d));
    d.levels[i]!.corrupt = true;
    d.tags.push(`${levelName(d, i)}:corrupt-signature`);
    return true;
  },
  wrongSigner: (d) => {
    const i = pick(d.rng, issuedLevels(d));
    const used = new Set(d.levels.map((level) => level.key));
    const level = d.levels[i]!;
    level.wrongSigner = pick(
      d.rng,
      ALL_KEYS.filter((key) => !used.has(key)),
    );
    // Keep the AKI naming the real issuer, so that the issuer is found and its key rejects the
    // signature (rather than the issuer simply not being found).
    if (level.extra.aki !== false) level.akiKey = d.levels[i + 1]!.key;
    d.tags.push(`${levelName(d, i)}:wrong-signer`);
    return true;
  },
  basicConstraints: (d) => {
    const i = pick(d.rng, caLevels(d));
    const kind = pick(d.rng, ["missing", "false", "non-critical"] as const);
    const level = d.levels[i]!;
    if (kind === "missing") {
      const { basicConstraints: _, ...rest } = level.extra;
      // keyCertSign without cA would be a second fault; keep the keyUsage a CA-neutral one.
      level.extra = { ...rest, keyUsage: ["digitalSignature"] };
    } else if (kind === "false") {
      level.extra = {
        ...level.extra,
        basicConstraints: { ca: false },
        keyUsage: ["digitalSignature"],
      };
    } else {
      level.extra = { ...level.extra, basicConstraints: { ca: true, critical: false } };
    }
    d.tags.push(`${levelName(d, i)}:bc-${kind}`);
    return true;
  },
  pathLen: (d) => {
    const cas = caLevels(d);
    const i = pick(d.rng, cas);
    const below = i - 1; // intermediates between this CA and the leaf
    const value = Math.max(0, below + pick(d.rng, [-1, -1, 0, 1]));
    const level = d.levels[i]!;
    level.extra = { ...level.extra, basicConstraints: { ca: true, pathLen: value } };
    d.tags.push(`${levelName(d, i)}:pathlen-${value}-below-${below}`);
    return true;
  },
  keyUsageWithoutCertSign: (d) => {
    const i = pick(d.rng, caLevels(d));
    const level = d.levels[i]!;
    level.extra = { ...level.extra, keyUsage: ["digitalSignature", "cRLSign"] };
    d.tags.push(`${levelName(d, i)}:ku-without-keycertsign`);
    return true;
  },
  keyUsageMissing: (d) => {
    const i = pick(d.rng, caLevels(d));
    const level = d.levels[i]!;
    const { keyUsage: _, ...rest } = level.extra;
    level.extra = rest;
    d.tags.push(`${levelName(d, i)}:ca-without-ku`);
    return true;
  },
  leafEku: (d) => {
    const kind = pick(d.rng, [
      "clientAuth",
      "server+client",
      "absent",
      "anyEku",
      "emailProtection",
    ] as const);
    const leaf = d.levels[0]!;
    const eku = {
      clientAuth: [OID.clientAuth],
      "server+client": [OID.clientAuth, OID.serverAuth],
      absent: undefined,
      anyEku: [OID.anyExtendedKeyUsage],
      emailProtection: [OID.emailProtection],
    }[kind];
    const { eku: _, ...rest } = leaf.extra;
    leaf.extra = eku === undefined ? rest : { ...rest, eku };
    d.tags.push(`leaf:eku-${kind}`);
    return true;
  },
  intermediateEku: (d) => {
    const ints = intermediateLevels(d);
    if (ints.length === 0) return false;
    const i = pick(d.rng, ints);
    const kind = pick(d.rng, ["clientAuth", "serverAuth"] as const);
    const level = d.levels[i]!;
    level.extra = {
      ...level.extra,
      eku: [kind === "clientAuth" ? OID.clientAuth : OID.serverAuth],
    };
    d.tags.push(`${levelName(d, i)}:eku-${kind}`);
    return true;
  },
  untrustedRoot: (d) => {
    d.rootTrusted = false;
    d.tags.push("root:untrusted");
    return true;
  },
  missingIntermediate: (d) => {
    const ints = intermediateLevels(d);
    if (ints.length === 0) return false;
    const i = pick(d.rng, ints);
    d.omitted.add(i);
    d.tags.push(`${levelName(d, i)}:missing`);
    return true;
  },
  unknownCriticalExtension: (d) => {
    const i = pick(
      d.rng,
      d.levels.map((_, index) => index),
    );
    const level = d.levels[i]!;
    level.extra = { ...level.extra, extraExtensions: [UNKNOWN_CRITICAL] };
    d.tags.push(`${levelName(d, i)}:unknown-critical`);
    return true;
  },
  keyIdentifiers: (d) => {
    const kind = pick(d.rng, ["aki", "ski"] as const);
    const i =
      kind === "aki"
        ? pick(d.rng, issuedLevels(d))
        : pick(d.rng, intermediateLevels(d).length > 0 ? intermediateLevels(d) : [0]);
    if (kind === "ski" && i === 0) return false;
    const level = d.levels[i]!;
    level.extra = { ...level.extra, ...(kind === "aki" ? { aki: false } : { ski: false }) };
    if (kind === "aki") delete level.akiKey;
    d.tags.push(`${levelName(d, i)}:no-${kind}`);
    return true;
  },
  crossSigned: (d) => {
    const ints = intermediateLevels(d);
    if (ints.length === 0) return false;
    // The top intermediate T (issued by the root R) is also cross-signed by a second root R2:
    // two paths, which the variant then breaks one way or another.
    const top = ints[ints.length - 1]!;
    const used = new Set(d.levels.map((level) => level.key));
    const root2: Level = {
      name: `${d.id} Root 2`,
      key: pick(
        d.rng,
        ALL_KEYS.filter((key) => !used.has(key)),
      ),
      window: "valid",
      extra: { ...CA_DEFAULTS },
    };
    const cross: Level = { ...d.levels[top]!, window: "valid", extra: { ...d.levels[top]!.extra } };
    const variant = pick(d.rng, [
      "root-expired",
      "original-expired",
      "cross-expired",
      "root2-expired",
      "root2-untrusted",
      "both-broken",
      "both-fine",
    ] as const);
    const root = d.levels[d.levels.length - 1]!;
    let root2Trusted = true;
    if (variant === "root-expired") root.window = "expired";
    if (variant === "original-expired") d.levels[top]!.window = "expired";
    if (variant === "cross-expired") cross.window = "expired";
    if (variant === "root2-expired") root2.window = "expired";
    if (variant === "root2-untrusted") root2Trusted = false;
    if (variant === "both-broken") {
      root.window = "expired";
      cross.corrupt = true;
    }
    d.extras.push({ level: cross, issuer: root2, pool: "intermediate" });
    d.extraRoots.push({ level: root2, trusted: root2Trusted });
    d.tags.push(`cross-signed:${variant}`);
    return true;
  },
  trustedIntermediate: (d) => {
    const ints = intermediateLevels(d);
    if (ints.length === 0) return false;
    // An intermediate that is itself a trust anchor, while the root is not trusted.
    d.trustedLevel = pick(d.rng, ints);
    d.rootTrusted = false;
    d.tags.push(`${levelName(d, d.trustedLevel)}:trusted-anchor`, "root:untrusted");
    return true;
  },
};

/** Mutation names with their weights (how often each is drawn). */
const MUTATION_WEIGHTS: readonly (readonly [string, number])[] = [
  ["none", 2],
  ["dates", 6],
  ["corruptSignature", 2],
  ["wrongSigner", 2],
  ["basicConstraints", 3],
  ["pathLen", 3],
  ["keyUsageWithoutCertSign", 2],
  ["keyUsageMissing", 1],
  ["leafEku", 3],
  ["intermediateEku", 1],
  ["untrustedRoot", 1],
  ["missingIntermediate", 1],
  ["unknownCriticalExtension", 1],
  ["keyIdentifiers", 1],
  ["crossSigned", 4],
  ["trustedIntermediate", 1],
];

function drawMutation(rng: Rng): string {
  const total = MUTATION_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
  let x = rng() * total;
  for (const [name, weight] of MUTATION_WEIGHTS) {
    x -= weight;
    if (x < 0) return name;
  }
  return "none";
}

async function forgeLevel(draft: Draft, level: Level, issuer: Level | undefined, serialNo: number) {
  const signer = level.wrongSigner ?? issuer?.key ?? level.key;
  return forgeCertificate({
    serial: serialNo,
    subject: cn(level.name),
    ...(issuer === undefined ? {} : { issuer: cn(issuer.name) }),
    key: level.key,
    signer,
    ...WINDOWS[level.window],
    ...(draft.rng() < 0.3 && poolIsRsa(signer) ? { pss: true } : {}),
    ...level.extra,
    ...(level.akiKey === undefined
      ? {}
      : {
          aki: false,
          extraExtensions: [
            ...(level.extra.extraExtensions ?? []),
            authorityKeyIdentifierFor(level.akiKey),
          ],
        }),
    ...(level.corrupt ? { corruptSignature: true } : {}),
  });
}

const poolIsRsa = (key: KeyName): boolean => key.startsWith("rsa");

/** Generates `count` chains from `seed`: same seed, same certificates (up to signatures). */
export async function generateChains(seed: number, count: number): Promise<GeneratedChain[]> {
  const rng = seededRng(seed);
  const chains: GeneratedChain[] = [];
  let serialNo = 1;
  for (let n = 0; n < count; n++) {
    const id = `c${String(n).padStart(3, "0")}`;
    const depth = pick(rng, [0, 1, 1, 2, 2]);
    const keys = distinctKeys(rng, depth + 2);
    const levels: Level[] = keys.map((key, i) => ({
      name: i === 0 ? `${id}.leaf.example` : i === depth + 1 ? `${id} Root` : `${id} CA ${i}`,
      key,
      window: "valid" as const,
      extra: i === 0 ? { ...LEAF_DEFAULTS, san: [`${id}.leaf.example`] } : { ...CA_DEFAULTS },
    }));
    const draft: Draft = {
      id,
      rng,
      levels,
      tags: [],
      rootTrusted: true,
      omitted: new Set(),
      extras: [],
      extraRoots: [],
    };
    const mutations = rng() < 0.25 ? 2 : 1;
    for (let m = 0; m < mutations; m++) {
      let applied = false;
      for (let attempt = 0; attempt < 8 && !applied; attempt++)
        applied = MUTATIONS[drawMutation(rng)]!(draft);
    }
    if (draft.tags.length === 0) draft.tags.push("valid");

    const certificates: Uint8Array[] = [];
    for (const [i, level] of levels.entries()) {
      certificates.push(await forgeLevel(draft, level, levels[i + 1], serialNo++));
    }
    const rootIndex = levels.length - 1;
    const intermediates: Uint8Array[] = [];
    const trustAnchors: Uint8Array[] = [];
    for (let i = 1; i < rootIndex; i++) {
      if (draft.omitted.has(i)) continue;
      if (draft.trustedLevel === i) trustAnchors.push(certificates[i]!);
      else intermediates.push(certificates[i]!);
    }
    (draft.rootTrusted ? trustAnchors : intermediates).push(certificates[rootIndex]!);
    for (const extraRoot of draft.extraRoots) {
      const der = await forgeLevel(draft, extraRoot.level, undefined, serialNo++);
      (extraRoot.trusted ? trustAnchors : intermediates).push(der);
    }
    for (const extra of draft.extras) {
      const der = await forgeLevel(draft, extra.level, extra.issuer, serialNo++);
      // Random position: which of two equivalent issuers a builder meets first varies.
      if (rng() < 0.5) intermediates.unshift(der);
      else intermediates.push(der);
    }
    chains.push({ id, tags: draft.tags, leaf: certificates[0]!, intermediates, trustAnchors });
  }
  return chains;
}

// ---------------------------------------------------------------------------------------------
// `openssl verify`, once for a whole batch of chains.

export interface OpensslVerdict {
  readonly ok: boolean;
  /** OpenSSL's error lines for this leaf, e.g. "error 10 at 0 depth lookup: certificate has expired". */
  readonly errors: readonly string[];
}

/** Whether an `openssl` binary is on the PATH. */
export function opensslAvailable(): boolean {
  return spawnSync("openssl", ["version"], { encoding: "utf8" }).status === 0;
}

/**
 * Runs `openssl verify [-x509_strict] -purpose sslserver -attime T -CAfile … -untrusted …` once
 * for every chain (one shared CAfile and -untrusted file: the generator's names never cross
 * cases), and returns each leaf's verdict by chain id.
 */
export interface VerifyInput {
  readonly id: string;
  readonly leaf: Uint8Array;
  readonly intermediates: readonly Uint8Array[];
  readonly trustAnchors: readonly Uint8Array[];
}

export function opensslVerifyBatch(
  chains: readonly VerifyInput[],
  at: Date,
  options: {
    readonly partialChain?: boolean;
    /** -x509_strict (default true): the strict profile's oracle; without it, the default's. */
    readonly strict?: boolean;
  } = {},
): Map<string, OpensslVerdict> {
  if (chains.length === 0) return new Map();
  const dir = mkdtempSync(join(tmpdir(), "path-diff-"));
  try {
    const anchors = chains.flatMap((chain) => chain.trustAnchors.map(toPem));
    const untrusted = chains.flatMap((chain) => chain.intermediates.map(toPem));
    writeFileSync(join(dir, "anchors.pem"), anchors.join(""));
    writeFileSync(join(dir, "untrusted.pem"), untrusted.join(""));
    const files = chains.map((chain) => {
      const file = join(dir, `${chain.id}.pem`);
      writeFileSync(file, toPem(chain.leaf));
      return file;
    });
    const args = [
      "verify",
      ...(options.strict === false ? [] : ["-x509_strict"]),
      "-purpose",
      "sslserver",
      ...(options.partialChain ? ["-partial_chain"] : []),
      "-attime",
      String(Math.floor(at.getTime() / 1000)),
      "-CAfile",
      join(dir, "anchors.pem"),
      ...(untrusted.length > 0 ? ["-untrusted", join(dir, "untrusted.pem")] : []),
      ...files,
    ];
    // stderr and stdout are merged in order, so each leaf's error lines precede its verdict. On a
    // pipe OpenSSL's stdout is block-buffered, and a stderr line could land in the middle of an
    // "x.pem: OK" line at a buffer boundary (seen at ~3,000 chains): stdbuf makes it line-buffered.
    const line =
      'command -v stdbuf >/dev/null && exec stdbuf -oL "$0" "$@" 2>&1; exec "$0" "$@" 2>&1';
    const run = spawnSync("sh", ["-c", line, "openssl", ...args], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    const verdicts = new Map<string, OpensslVerdict>();
    let pending: string[] = [];
    for (const line of run.stdout.split("\n")) {
      const ok = /^(.*\/(c\d+)\.pem): OK$/.exec(line);
      const failed = /^error (.*\/(c\d+)\.pem): verification failed$/.exec(line);
      if (ok) {
        verdicts.set(ok[2]!, { ok: true, errors: pending });
        pending = [];
      } else if (failed) {
        verdicts.set(failed[2]!, { ok: false, errors: pending });
        pending = [];
      } else if (/^error \d+ at \d+ depth lookup:/.test(line)) {
        pending.push(line);
      }
    }
    return verdicts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
