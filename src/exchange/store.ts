// Reading the local computer's store once and freezing what it said (STYLE: snapshot injected
// data first), so that a store that changes while a selection runs cannot change it half-way.
// Each entry is parsed once; an entry that is not a certificate is kept, with its reason, so
// the explanation can show it, and never stops the others from being considered.
import { InvalidCertificateError } from "../errors.js";
import type { CertificateFacts, CertStore, Exclusion, StoreEntry, TimeStatus } from "../types.js";
import { type ParsedCertificate, parseCertificate } from "../x509/certificate.js";
import { type PrivateKeyStatus, privateKeyStatus } from "../x509/private-key.js";
import { readonlyDate } from "../x509/readonly-date.js";
import type { Thumbprint } from "../x509/thumbprint.js";
import { hasSmtpService } from "./vocabulary.js";

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

/** What a store entry said, each field read exactly once. */
type EntryRead =
  | { readonly ok: true; readonly entry: StoreEntry }
  | {
      readonly ok: false;
      readonly problem: string;
      /** A plain copy of what could be read, for the verdict's facts; never the caller's object. */
      readonly seen: { readonly hasPrivateKey: boolean; readonly services: readonly string[] };
    };

/**
 * Reads one listed entry field by field, once each, and copies what it read (STYLE: snapshot
 * injected data first). A getter may answer differently on each read, or throw: checking one
 * read and using another would let a store change a decision half-way, and a getter that
 * throws is one bad entry, never a store that cannot be read (A16 is for `list()` itself).
 */
function readEntry(raw: unknown): EntryRead {
  let certificate: unknown;
  let hasPrivateKey: unknown;
  let services: unknown;
  let privateKey: unknown;
  const bad = (problem: string): EntryRead => ({
    ok: false,
    problem,
    seen: {
      hasPrivateKey: hasPrivateKey === true,
      services: Object.freeze(
        Array.isArray(services) ? services.filter((s): s is string => typeof s === "string") : [],
      ),
    },
  });
  if (typeof raw !== "object" || raw === null) return bad("the entry is not an object");
  try {
    const record = raw as Record<string, unknown>;
    certificate = record.certificate;
    hasPrivateKey = record.hasPrivateKey;
    const listed = record.services;
    services = Array.isArray(listed) ? Array.from(listed as unknown[]) : listed;
    privateKey = record.privateKey;
    if (certificate instanceof Uint8Array) certificate = new Uint8Array(certificate);
  } catch {
    return bad("the entry cannot be read (reading one of its fields threw)");
  }
  if (!(typeof certificate === "string" || certificate instanceof Uint8Array)) {
    return bad("certificate is neither DER bytes nor PEM text");
  }
  if (typeof hasPrivateKey !== "boolean") return bad("hasPrivateKey is not a boolean");
  if (!Array.isArray(services) || !services.every((s) => typeof s === "string")) {
    return bad("services is not an array of strings");
  }
  if (privateKey !== undefined && typeof privateKey !== "string") {
    return bad("privateKey is not PEM text");
  }
  return {
    ok: true,
    entry: Object.freeze({
      certificate,
      hasPrivateKey,
      services: Object.freeze(services as string[]),
      ...(privateKey !== undefined ? { privateKey } : {}),
    }),
  };
}

/**
 * Among entries that hold the same certificate, the one a decision uses must not depend on the
 * order the store lists them (permuting the store never changes the outcome, nor the verdicts):
 * prefer a usable private key, then SMTP enabled, then key material present, then the store's
 * flag; after that any difference at all decides (the key's verdict, the services, the key
 * text, DER before PEM, the PEM text), so two entries tie only when they are the same entry.
 */
function preferenceKey(c: StoreCertificate): readonly (number | string)[] {
  const { entry, privateKey } = c;
  return [
    privateKey.usable ? 0 : 1,
    hasSmtpService(entry.services) ? 0 : 1,
    entry.privateKey !== undefined ? 0 : 1,
    entry.hasPrivateKey ? 0 : 1,
    privateKey.usable ? (privateKey.checked ? "" : "unchecked") : privateKey.reason,
    JSON.stringify([...entry.services].sort()),
    JSON.stringify(entry.services),
    entry.privateKey ?? "",
    typeof entry.certificate === "string" ? 1 : 0,
    typeof entry.certificate === "string" ? entry.certificate : "",
  ];
}

function preferred(a: StoreCertificate, b: StoreCertificate): StoreCertificate {
  const ka = preferenceKey(a);
  const kb = preferenceKey(b);
  for (const [i, va] of ka.entries()) {
    const vb = kb[i]!;
    if (va !== vb) return va < vb ? a : b;
  }
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
    const read = readEntry(raw);
    if (!read.ok) {
      rejects.push({
        index,
        entry: read.seen,
        exclusion: { rule: "parse", code: "bad-entry", message: read.problem },
      });
      return;
    }
    const { entry } = read;
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
          message: `not a certificate: ${errorMessage(error)}`,
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

function errorMessage(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return "(an error that cannot be described)";
  }
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
    // Read-only copies: parsed certificates and whole decisions are shared across sessions.
    notBefore: readonlyDate(certificate.notBefore),
    notAfter: readonlyDate(certificate.notAfter),
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
    // ASCII folding only, as matching does (A2): "\u212a" (Kelvin sign) is not "k".
    const key = name.replace(/[A-Z]/g, (c) => c.toLowerCase());
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Facts for an entry that is not a certificate (`entry` is the plain copy `readEntry` kept). */
export function unreadableFacts(index: number, entry: unknown): CertificateFacts {
  let hasPrivateKey = false;
  let services: readonly string[] = [];
  try {
    const record = (typeof entry === "object" && entry !== null ? entry : {}) as Record<
      string,
      unknown
    >;
    hasPrivateKey = record.hasPrivateKey === true;
    const listed = record.services;
    services = Array.isArray(listed)
      ? listed.filter((s): s is string => typeof s === "string")
      : [];
  } catch {
    // A hostile object: show no facts rather than fail the selection.
  }
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
    hasPrivateKey,
    services,
    isDirectoryCertificate: false,
  };
}
