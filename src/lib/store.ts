// Reading the local computer's store once and freezing what it said (STYLE: snapshot injected
// data first), so that a store that changes while a selection runs cannot change it half-way.
// Each entry is parsed once; an entry that is not a certificate is kept, with its reason, so
// the explanation can show it, and never stops the others from being considered.
import { InvalidCertificateError } from "../errors.js";
import type { CertificateFacts, CertStore, Exclusion, StoreEntry, TimeStatus } from "../types.js";
import { type ParsedCertificate, parseCertificate } from "./certificate.js";
import { type PrivateKeyStatus, privateKeyStatus } from "./private-key.js";
import type { Thumbprint } from "./thumbprint.js";

/** One readable, distinct certificate of the store. */
export interface StoreCertificate {
  readonly index: number;
  readonly entry: StoreEntry;
  readonly certificate: ParsedCertificate;
  readonly privateKey: PrivateKeyStatus;
}

/** An entry that is left out before any rule looks at it. */
export interface StoreReject {
  readonly index: number;
  readonly entry: unknown;
  readonly exclusion: Exclusion;
  /** For a duplicate, the certificate it duplicates. */
  readonly certificate?: ParsedCertificate;
}

export interface StoreSnapshot {
  /** Distinct readable certificates (one per thumbprint), in store order. */
  readonly certificates: readonly StoreCertificate[];
  readonly rejects: readonly StoreReject[];
  readonly size: number;
  find(thumbprint: Thumbprint): StoreCertificate | undefined;
}

/** Parses (or fetches from a cache) a certificate; the prepared selector injects its cache. */
export type CertificateParser = (input: StoreEntry["certificate"]) => ParsedCertificate;

/** Checks a private key against its certificate (or fetches the verdict from a cache). */
export type PrivateKeyChecker = (
  certificate: ParsedCertificate,
  hasPrivateKey: boolean,
  privateKey: string | undefined,
) => PrivateKeyStatus;

export class StoreReadError extends Error {}

/** Awaits `promise`, or rejects when `signal` aborts first. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Calls `store.list()` once and copies the array. Throws what the store threw (A16 keeps it). */
export async function listStore(
  store: CertStore,
  signal: AbortSignal | undefined,
): Promise<readonly unknown[]> {
  const listed = await raceAbort(
    Promise.resolve().then(() => store.list()),
    signal,
  );
  if (!Array.isArray(listed)) {
    throw new StoreReadError(
      `the store listed ${Object.prototype.toString.call(listed)}, not an array`,
    );
  }
  return [...listed];
}

function entryShapeProblem(entry: unknown): string | null {
  if (typeof entry !== "object" || entry === null) return "the entry is not an object";
  const record = entry as Record<string, unknown>;
  if (!(typeof record.certificate === "string" || record.certificate instanceof Uint8Array)) {
    return "certificate is neither DER bytes nor PEM text";
  }
  if (typeof record.hasPrivateKey !== "boolean") return "hasPrivateKey is not a boolean";
  if (!Array.isArray(record.services) || !record.services.every((s) => typeof s === "string")) {
    return "services is not an array of strings";
  }
  if (record.privateKey !== undefined && typeof record.privateKey !== "string") {
    return "privateKey is not PEM text";
  }
  return null;
}

function freezeEntry(entry: StoreEntry): StoreEntry {
  // Copy what we read so later mutation by the caller cannot reach the decision.
  return Object.freeze({
    certificate:
      typeof entry.certificate === "string" ? entry.certificate : new Uint8Array(entry.certificate),
    hasPrivateKey: entry.hasPrivateKey,
    services: Object.freeze([...entry.services]),
    ...(entry.privateKey !== undefined ? { privateKey: entry.privateKey } : {}),
  });
}

/**
 * Among entries that hold the same certificate, the one a decision uses must not depend on the
 * order the store lists them (permuting the store never changes the outcome): prefer a usable
 * private key, then SMTP enabled, then key material present, then the lexically smallest
 * services list and key text.
 */
function preferred(a: StoreCertificate, b: StoreCertificate): StoreCertificate {
  const score = (c: StoreCertificate): [number, number, number, string, string] => [
    c.privateKey.usable ? 1 : 0,
    c.entry.services.some((s) => s.trim().toLowerCase() === "smtp") ? 1 : 0,
    c.entry.privateKey !== undefined ? 1 : 0,
    JSON.stringify([...c.entry.services].sort()),
    c.entry.privateKey ?? "",
  ];
  const sa = score(a);
  const sb = score(b);
  for (let i = 0; i < 3; i++)
    if (sa[i] !== sb[i]) return (sa[i] as number) > (sb[i] as number) ? a : b;
  if (sa[3] !== sb[3]) return sa[3] < sb[3] ? a : b;
  if (sa[4] !== sb[4]) return sa[4] < sb[4] ? a : b;
  return a.index < b.index ? a : b;
}

/** Parses a listed store into a snapshot. Never throws for any content. */
export function snapshotStore(
  listed: readonly unknown[],
  parse: CertificateParser = parseCertificate,
  checkKey: PrivateKeyChecker = privateKeyStatus,
): StoreSnapshot {
  const rejects: StoreReject[] = [];
  const byThumbprint = new Map<string, StoreCertificate[]>();
  listed.forEach((raw, index) => {
    const shape = entryShapeProblem(raw);
    if (shape !== null) {
      rejects.push({
        index,
        entry: raw,
        exclusion: { rule: "parse", code: "bad-entry", message: shape },
      });
      return;
    }
    const entry = freezeEntry(raw as StoreEntry);
    let certificate: ParsedCertificate;
    try {
      certificate = parse(entry.certificate);
    } catch (error) {
      const code = error instanceof InvalidCertificateError ? error.reason : "unparseable";
      rejects.push({
        index,
        entry,
        exclusion: {
          rule: "parse",
          code,
          message: `not a certificate: ${(error as Error).message}`,
        },
      });
      return;
    }
    const candidate: StoreCertificate = {
      index,
      entry,
      certificate,
      privateKey: checkKey(certificate, entry.hasPrivateKey, entry.privateKey),
    };
    const group = byThumbprint.get(certificate.thumbprint);
    if (group === undefined) byThumbprint.set(certificate.thumbprint, [candidate]);
    else group.push(candidate);
  });

  const certificates: StoreCertificate[] = [];
  const chosen = new Map<string, StoreCertificate>();
  for (const [thumbprint, group] of byThumbprint) {
    const winner = group.reduce(preferred);
    chosen.set(thumbprint, winner);
    certificates.push(winner);
    for (const other of group) {
      if (other === winner) continue;
      rejects.push({
        index: other.index,
        entry: other.entry,
        certificate: other.certificate,
        exclusion: {
          rule: "parse",
          code: "duplicate-entry",
          message: `the same certificate is listed again at position ${winner.index}, which is used instead`,
        },
      });
    }
  }
  certificates.sort((a, b) => a.index - b.index);
  rejects.sort((a, b) => a.index - b.index);
  return {
    certificates,
    rejects,
    size: listed.length,
    find: (thumbprint) => chosen.get(thumbprint),
  };
}

/** A4: validity is inclusive at both ends. */
export function timeStatus(certificate: ParsedCertificate, now: Date): TimeStatus {
  const t = now.getTime();
  if (t < certificate.notBefore.getTime()) return "not-yet-valid";
  if (t > certificate.notAfter.getTime()) return "expired";
  return "valid";
}

/** The facts an explanation shows for a readable certificate. */
export function certificateFacts(
  index: number,
  entry: StoreEntry,
  certificate: ParsedCertificate,
  now: Date,
  directoryThumbprint: string | null,
): CertificateFacts {
  return {
    index,
    thumbprint: certificate.thumbprint,
    subject: certificate.subject,
    issuer: certificate.issuer,
    names: uniqueNames([...certificate.commonNames, ...certificate.dnsNames]),
    version: certificate.version,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    time: timeStatus(certificate, now),
    hasPrivateKey: entry.hasPrivateKey,
    services: entry.services,
    isDirectoryCertificate: certificate.thumbprint === directoryThumbprint,
  };
}

/** CN and SAN often repeat each other; show each name once (ASCII case-insensitively). */
function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Facts for an entry that is not a certificate. */
export function unreadableFacts(index: number, entry: unknown): CertificateFacts {
  const record = (typeof entry === "object" && entry !== null ? entry : {}) as Record<
    string,
    unknown
  >;
  return {
    index,
    thumbprint: null,
    subject: null,
    issuer: null,
    names: [],
    version: null,
    notBefore: null,
    notAfter: null,
    time: null,
    hasPrivateKey: record.hasPrivateKey === true,
    services: Array.isArray(record.services)
      ? record.services.filter((s): s is string => typeof s === "string")
      : [],
    isDirectoryCertificate: false,
  };
}
