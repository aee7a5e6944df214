// Benchmark stores (issue 9): 10,000 real, signed certificates made once from the committed key
// pool and cached in .bench-cache/ (git-ignored), so that a benchmark run never signs anything.
// A store of N certificates is the first N of them: the same mix at every size.
//
// The mix, per the issue: mixed RSA/ECDSA, about a fifth eligible (mail.contoso.com, SMTP, a
// private key), PKI chains of depth 2 (root → leaf) and 3 (root → intermediate → leaf) beside
// self-signed certificates; notBefore spread over two years, so that some have expired. Leaves
// are mostly signed with P-256 keys (fast to sign), some with RSA.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import type { StoreEntry } from "../src/index.js";
import { parseCertificate } from "../src/x509/certificate.js";
import {
  type CertSpec,
  forgeCertificate,
  type KeyName,
  type NameSpec,
  OID,
} from "../test/support/forge.js";

const here = dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = join(here, "..", ".bench-cache");
/** Bump when the mix changes: an old cache is then regenerated. */
const VERSION = 1;
const CACHE_FILE = join(CACHE_DIR, `stores-v${VERSION}.json`);
export const MAX_SIZE = 10_000;

/** The evaluation time of every benchmark session (fixed, so the cached stores never age). */
export const BENCH_NOW = new Date("2025-06-15T12:00:00Z");
const DAY = 86_400_000;

export const BENCH_SERVER = {
  fqdn: "mail.contoso.com",
  hostName: "EDGE01",
  physicalFqdn: "edge01.contoso.com",
  physicalHostName: "EDGE01",
} as const;

export interface BenchData {
  readonly trustAnchors: readonly Uint8Array[];
  readonly intermediates: readonly Uint8Array[];
  readonly entries: readonly StoreEntry[];
  /** Per entry: eligible by construction, and valid PKI at BENCH_NOW (for the directory). */
  readonly eligible: readonly boolean[];
  readonly validPki: readonly boolean[];
}

interface Cached {
  readonly version: number;
  readonly trustAnchors: string[];
  readonly intermediates: string[];
  readonly entries: {
    der: string;
    hasPrivateKey: boolean;
    services: string[];
    eligible: boolean;
    validPki: boolean;
  }[];
}

/** A small deterministic PRNG (mulberry32): the same stores on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const CA = { basicConstraints: { ca: true }, keyUsage: ["keyCertSign", "cRLSign"] } as const;
const LEAF = {
  basicConstraints: { ca: false },
  keyUsage: ["digitalSignature", "keyEncipherment"],
  eku: [OID.serverAuth, OID.clientAuth],
} as const;
const name = (cn: string): NameSpec => [
  ["O", "Contoso Bench PKI"],
  ["CN", cn],
];

interface Issuer {
  readonly subject: NameSpec;
  readonly key: KeyName;
  readonly depth: 2 | 3;
}

async function generate(): Promise<Cached> {
  const rnd = random(20250615);
  const at = (days: number) => new Date(BENCH_NOW.getTime() + days * DAY);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;

  const rootRsa = { subject: name("Bench Root (RSA)"), key: "rsa-1" as const };
  const rootEc = { subject: name("Bench Root (ECDSA)"), key: "p384-1" as const };
  const roots = await Promise.all(
    [rootRsa, rootEc].map((root) =>
      forgeCertificate({ ...root, notBefore: at(-3650), notAfter: at(3650), ...CA }),
    ),
  );
  const interSpecs = [
    { subject: name("Bench Issuing CA 1 (ECDSA)"), key: "p256-1" as const, parent: rootEc },
    { subject: name("Bench Issuing CA 2 (ECDSA)"), key: "p256-2" as const, parent: rootEc },
    { subject: name("Bench Issuing CA (RSA)"), key: "rsa-2" as const, parent: rootRsa },
  ];
  const intermediates = await Promise.all(
    interSpecs.map((inter) =>
      forgeCertificate({
        subject: inter.subject,
        issuer: inter.parent.subject,
        key: inter.key,
        signer: inter.parent.key,
        notBefore: at(-1825),
        notAfter: at(1825),
        ...CA,
      }),
    ),
  );
  // Who signs PKI leaves: mostly P-256 intermediates (depth 3), some RSA, some roots (depth 2).
  const issuers: readonly [Issuer, number][] = [
    [{ subject: interSpecs[0]!.subject, key: "p256-1", depth: 3 }, 40],
    [{ subject: interSpecs[1]!.subject, key: "p256-2", depth: 3 }, 20],
    [{ subject: interSpecs[2]!.subject, key: "rsa-2", depth: 3 }, 15],
    [{ subject: rootEc.subject, key: "p384-1", depth: 2 }, 15],
    [{ subject: rootRsa.subject, key: "rsa-1", depth: 2 }, 10],
  ];
  const weighted = issuers.flatMap(([issuer, weight]) => Array<Issuer>(weight).fill(issuer));
  const leafKeys: readonly KeyName[] = [
    "p256-3",
    "p256-4",
    "p256-5",
    "p256-6",
    "rsa-3",
    "rsa-4",
    "rsa-5",
    "p384-2",
  ];
  const selfKeys: readonly KeyName[] = ["p256-3", "p256-4", "p256-5", "p256-6", "p256-6", "rsa-6"];

  const entries: Cached["entries"] = [];
  for (let i = 0; i < MAX_SIZE; i++) {
    // The first is the directory's certificate at every size: eligible, valid PKI, current.
    const first = i === 0;
    const eligible = first || rnd() < 0.2;
    // Ineligible ones fail one of R10b–R10d: another host name, no SMTP, or no private key.
    const failure = eligible ? "none" : pick(["name", "name", "smtp", "key"] as const);
    const host = failure === "name" ? `host${i}.contoso.com` : "mail.contoso.com";
    const notBefore = first ? at(-30) : rnd() < 0.02 ? at(1 + rnd() * 30) : at(-1 - rnd() * 700);
    const notAfter = new Date(notBefore.getTime() + (first ? 365 : 365 + rnd() * 730) * DAY);
    const pki = first || rnd() < 0.7;
    const spec: CertSpec = pki
      ? (() => {
          const issuer = pick(weighted);
          return {
            serial: 0x10000 + i,
            subject: [["CN", host]],
            issuer: issuer.subject,
            key: pick(leafKeys),
            signer: issuer.key,
            notBefore,
            notAfter,
            san: [host, `edge${i % 7}.contoso.com`],
            ...LEAF,
          };
        })()
      : {
          serial: 0x10000 + i,
          subject: [["CN", host]],
          key: pick(selfKeys),
          notBefore,
          notAfter,
          keyUsage: ["digitalSignature", "keyEncipherment"],
          eku: [OID.serverAuth],
        };
    const der = await forgeCertificate(spec);
    const now = BENCH_NOW.getTime();
    entries.push({
      der: Buffer.from(der).toString("base64"),
      hasPrivateKey: failure !== "key",
      services:
        failure === "smtp" ? ["IIS"] : pick([["SMTP"], ["IIS", "SMTP"], ["IMAP", "POP", "SMTP"]]),
      eligible,
      validPki: pki && notBefore.getTime() <= now && now <= notAfter.getTime(),
    });
    if ((i + 1) % 1000 === 0) process.stderr.write(`  ${i + 1} / ${MAX_SIZE}\n`);
  }
  const b64 = (der: Uint8Array) => Buffer.from(der).toString("base64");
  return {
    version: VERSION,
    trustAnchors: roots.map(b64),
    intermediates: intermediates.map(b64),
    entries,
  };
}

/** The benchmark stores, from the cache, or generated (once) and cached. */
export async function loadBenchData(): Promise<BenchData> {
  let cached: Cached | undefined;
  if (existsSync(CACHE_FILE)) {
    cached = JSON.parse(readFileSync(CACHE_FILE, "utf8")) as Cached;
    if (cached.version !== VERSION || cached.entries.length !== MAX_SIZE) cached = undefined;
  }
  if (cached === undefined) {
    process.stderr.write(`generating ${MAX_SIZE} benchmark certificates into ${CACHE_FILE}…\n`);
    cached = await generate();
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(CACHE_FILE, JSON.stringify(cached));
  }
  const der = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));
  return {
    trustAnchors: cached.trustAnchors.map(der),
    intermediates: cached.intermediates.map(der),
    entries: cached.entries.map((e) => ({
      certificate: der(e.der),
      hasPrivateKey: e.hasPrivateKey,
      services: e.services,
    })),
    eligible: cached.entries.map((e) => e.eligible),
    validPki: cached.entries.map((e) => e.validPki),
  };
}

/**
 * The first `size` entries, and the thumbprint the directory names: the store's first eligible,
 * valid PKI certificate (the internal transport certificate of a well-run server).
 */
export function benchStore(
  data: BenchData,
  size: number,
): {
  readonly entries: readonly StoreEntry[];
  readonly directoryThumbprint: string;
} {
  const entries = data.entries.slice(0, size);
  let index = entries.findIndex((_, i) => data.eligible[i] && data.validPki[i]);
  if (index < 0) index = 0;
  const chosen = entries[index]!.certificate as Uint8Array;
  return { entries, directoryThumbprint: parseCertificate(chosen).thumbprint };
}
