// What the prepared selector (src/exchange/selector.ts) keeps between sessions: parsed certificates by
// content, private-key verdicts, trust verdicts by the time slot in which they hold, and decoded
// directory values. Each cache is an implementation of a seam the plain pipeline already has
// (CertificateParser, PrivateKeyChecker, TrustEvaluator), so a cached session runs the very same
// steps as an uncached one.
//
// Q: what is a certificate's cache key?
// A: its content: the SHA-1 of the DER bytes (the thumbprint, when the bytes parse), or the PEM
//    text itself. Never the identity of a Uint8Array: bytes can be changed in place, and the
//    store snapshot hands the parser fresh copies anyway.
// Q: then every store change hashes every certificate again?
// A: only those whose bytes moved. A listing is parsed in store order, so each parse call is
//    first compared (memcmp) with the certificate that the previous listing had at the same
//    position; only a difference falls back to hashing.
// Q: when does a trust verdict computed at one time hold at another?
// A: a verdict depends on `now` only through validity periods: the leaf's own, and those of the
//    trust anchors and intermediates the path search may visit (the search prefers issuers valid
//    at `now`, so a CA's period changes the order it tries them in, and so the reported path or
//    failure). Their boundaries cut time into slots; inside one slot every such comparison has
//    the same answer, so the verdict is the same. A verdict is kept per (certificate, slot).
// Q: and the caller's CRLs (A21)?
// A: a CRL is used only while it is current (thisUpdate <= now <= nextUpdate, inclusive), and
//    that is the only other place `now` is read (the revocation date is reported, never compared;
//    an off-path CRL signer's validity is a pool certificate's, already cut). So each CRL adds
//    two cuts, thisUpdate and nextUpdate + 1 ms, to the pool's (crlCuts).
import { InvalidCertificateError } from "../../errors.js";
import type { CertificateInput } from "../../types.js";
import { type ParsedCertificate, parseDer, pemToDer } from "../../x509/certificate.js";
import type { ValidationProfile } from "../../x509/path/validator.js";
import { type PrivateKeyStatus, privateKeyStatus } from "../../x509/private-key.js";
import type { CrlSet } from "../../x509/revocation/checker.js";
import { type Thumbprint, thumbprintOf } from "../../x509/thumbprint.js";
import { type DecodedDirectoryValue, decodeDirectoryValue } from "../directory-value.js";
import type { RevocationInput } from "../options.js";
import type { CertificateParser, PrivateKeyChecker } from "../store.js";
import {
  createTrustEvaluator,
  type EvaluateOptions,
  type TrustEvaluation,
  type TrustEvaluator,
} from "../trust.js";

type ParseResult = ParsedCertificate | InvalidCertificateError;

/** One parse call of a listing, in order: what was given and what it gave. */
export interface ParseRecord {
  readonly input: CertificateInput;
  readonly result: ParseResult;
  /** The cache key (content hash or PEM text), for eviction. */
  readonly key: string;
}

function sameInput(a: CertificateInput, b: CertificateInput): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  return (
    a.length === b.length &&
    Buffer.from(a.buffer, a.byteOffset, a.length).equals(
      Buffer.from(b.buffer, b.byteOffset, b.length),
    )
  );
}

function unwrap(result: ParseResult): ParsedCertificate {
  if (result instanceof InvalidCertificateError) throw result;
  return result;
}

/** Parsed certificates (and parse failures) by content. */
export class CertificateCache {
  readonly #results = new Map<string, ParseResult>();
  /** parseCertificate calls made, successful or not: what the cache exists to avoid. */
  parsed = 0;

  get size(): number {
    return this.#results.size;
  }

  /** The result for `input`, parsing only on a miss. */
  lookUp(input: CertificateInput): ParseRecord {
    if (typeof input !== "string") {
      const hash = thumbprintOf(input);
      return { input, result: this.#byHash(hash, input), key: hash };
    }
    // PEM: known under its text, and, once decoded, under its content hash like DER.
    const key = `pem:${input}`;
    let result = this.#results.get(key);
    if (result === undefined) {
      let der: Uint8Array | undefined;
      try {
        der = pemToDer(input);
      } catch (error) {
        this.parsed += 1;
        result = asResult(error);
      }
      if (der !== undefined) result = this.#byHash(thumbprintOf(der), der);
      this.#results.set(key, result!);
    }
    return { input, result: result!, key };
  }

  #byHash(hash: Thumbprint, der: Uint8Array): ParseResult {
    let result = this.#results.get(hash);
    if (result === undefined) {
      this.parsed += 1;
      try {
        result = parseDer(der, hash);
      } catch (error) {
        result = asResult(error);
      }
      this.#results.set(hash, result);
    }
    return result;
  }

  /**
   * A parser for one listing: it expects the calls of `expected` (the previous listing) in
   * order, confirms each by content, and records what it was actually asked.
   */
  parser(expected: readonly ParseRecord[], records: ParseRecord[]): CertificateParser {
    return (input) => {
      const guess = expected[records.length];
      const record =
        guess !== undefined && sameInput(guess.input, input)
          ? { input, result: guess.result, key: guess.key }
          : this.lookUp(input);
      records.push(record);
      return unwrap(record.result);
    };
  }

  /** Forgets everything a listing no longer holds. Returns how many entries went. */
  retain(records: readonly ParseRecord[]): number {
    const live = new Set<string>();
    for (const record of records) {
      live.add(record.key);
      // A PEM entry is known under its text and under its content hash.
      if (!(record.result instanceof InvalidCertificateError)) live.add(record.result.thumbprint);
    }
    let evicted = 0;
    for (const key of this.#results.keys()) {
      if (!live.has(key)) {
        this.#results.delete(key);
        evicted += 1;
      }
    }
    return evicted;
  }
}

function asResult(error: unknown): InvalidCertificateError {
  if (error instanceof InvalidCertificateError) return error;
  // parseCertificate throws TypeError only for a wrong input type, which the snapshot's entry
  // check has already excluded; anything else would be a bug, and must not be cached.
  throw error;
}

/**
 * Private-key verdicts. Without key material the check is a flag read and is not worth caching;
 * with it (a PEM private key to match against the certificate) it costs a key import, so the
 * verdict is kept per (certificate, key text).
 */
export class PrivateKeyCache {
  readonly #results = new Map<string, Map<string, PrivateKeyStatus>>();

  readonly check: PrivateKeyChecker = (certificate, hasPrivateKey, privateKey) => {
    if (!hasPrivateKey || privateKey === undefined) {
      return privateKeyStatus(certificate, hasPrivateKey, privateKey);
    }
    let byKey = this.#results.get(certificate.thumbprint);
    if (byKey === undefined) {
      byKey = new Map();
      this.#results.set(certificate.thumbprint, byKey);
    }
    let status = byKey.get(privateKey);
    if (status === undefined) {
      status = privateKeyStatus(certificate, hasPrivateKey, privateKey);
      byKey.set(privateKey, status);
    }
    return status;
  };

  retain(live: ReadonlySet<string>): void {
    for (const thumbprint of this.#results.keys()) {
      if (!live.has(thumbprint)) this.#results.delete(thumbprint);
    }
  }
}

/** Instants at which some certificate's validity changes, as `t >= cut` (ms, A4 inclusive). */
export function validityCuts(certificates: Iterable<ParsedCertificate>): number[] {
  const cuts = new Set<number>();
  for (const certificate of certificates) {
    // Valid from notBefore on (inclusive); expired from notAfter + 1 ms on (inclusive end).
    cuts.add(certificate.notBefore.getTime());
    cuts.add(certificate.notAfter.getTime() + 1);
  }
  return [...cuts].sort((a, b) => a - b);
}

/**
 * Instants at which some CRL becomes or stops being current (A21): thisUpdate, and nextUpdate +
 * 1 ms (inclusive end, as for certificates). A CRL without nextUpdate is current from thisUpdate.
 */
export function crlCuts(set: CrlSet | undefined): number[] {
  const cuts: number[] = [];
  for (const crl of set?.crls ?? []) {
    cuts.push(crl.thisUpdate.getTime());
    if (crl.nextUpdate !== undefined) cuts.push(crl.nextUpdate.getTime() + 1);
  }
  return cuts;
}

/** Sorted union of cut lists. */
export function mergeCuts(...lists: readonly (readonly number[])[]): number[] {
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}

/** How many cuts are at or before `t`: equal for two times in the same slot. */
export function slotOf(cuts: readonly number[], t: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cuts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The time-dependent state of one certificate at `t`, as the path validator sees it: before
 * notBefore and after notAfter are two independent facts. A certificate whose notBefore is after
 * its notAfter can be both at once, and the validator then reports whichever it checks first
 * (issue 18), so the state must tell all four combinations apart rather than rank them.
 */
export function timeState(certificate: ParsedCertificate, t: number): 0 | 1 | 2 | 3 {
  return ((t < certificate.notBefore.getTime() ? 1 : 0) |
    (t > certificate.notAfter.getTime() ? 2 : 0)) as 0 | 1 | 2 | 3;
}

/**
 * Trust verdicts (A3, A6) per certificate and time slot, over one shared evaluator, for one
 * validation profile (the selector's).
 *
 * Q: when may a verdict computed at one time be reused at another?
 * A: when every comparison of `now` the validator makes has the same answer at both: for each
 *    certificate of the pool (anchors, intermediates) and for the certificate judged, whether
 *    now < notBefore and whether now > notAfter (A4, both ends inclusive). The pool's slot (the
 *    number of its cuts at or before now) fixes both facts for every pool certificate, however
 *    its dates are ordered (a cut at notBefore and one at notAfter + 1); the judged
 *    certificate's two facts are its timeState. With CRLs (A21) their currency boundaries are
 *    pool cuts too. Nothing else in path validation reads `now`.
 */
export class TrustCache implements TrustEvaluator {
  readonly #anchors: readonly ParsedCertificate[];
  readonly #intermediates: readonly ParsedCertificate[];
  readonly #profile: ValidationProfile;
  readonly #revocation: RevocationInput | undefined;
  readonly #poolCuts: readonly number[];
  #base: TrustEvaluator;
  #results = new Map<string, Map<string, Promise<TrustEvaluation>>>();
  #evictedSinceRebuild = 0;
  /** Path validations actually run. */
  evaluated = 0;

  constructor(
    anchors: readonly ParsedCertificate[],
    intermediates: readonly ParsedCertificate[],
    profile: ValidationProfile = "rfc5280",
    revocation?: RevocationInput,
  ) {
    this.#anchors = anchors;
    this.#intermediates = intermediates;
    this.#profile = profile;
    this.#revocation = revocation;
    this.#poolCuts = mergeCuts(
      validityCuts([...anchors, ...intermediates]),
      crlCuts(revocation?.crls),
    );
    this.#base = this.#createBase();
  }

  /** The validity cuts of the trust anchors and intermediates, and the CRLs' (A21). */
  get poolCuts(): readonly number[] {
    return this.#poolCuts;
  }

  #createBase(): TrustEvaluator {
    return createTrustEvaluator({
      trustAnchors: this.#anchors,
      intermediates: this.#intermediates,
      profile: this.#profile,
      ...(this.#revocation === undefined ? {} : { revocation: this.#revocation }),
    });
  }

  evaluate(
    certificate: ParsedCertificate,
    now: Date,
    options?: EvaluateOptions,
  ): Promise<TrustEvaluation> {
    const t = now.getTime();
    // A22: a verdict that leaves the certificate's own dates out is a different verdict.
    const own = options?.leafValidity === false ? "chain" : timeState(certificate, t);
    const slot = `${slotOf(this.#poolCuts, t)}:${own}`;
    let bySlot = this.#results.get(certificate.thumbprint);
    if (bySlot === undefined) {
      bySlot = new Map();
      this.#results.set(certificate.thumbprint, bySlot);
    }
    let result = bySlot.get(slot);
    if (result === undefined) {
      this.evaluated += 1;
      const pending = this.#base.evaluate(certificate, now, options);
      result = pending;
      bySlot.set(slot, pending);
      // A failure is not a verdict: let the next session try again.
      pending.catch(() => {
        if (bySlot.get(slot) === pending) bySlot.delete(slot);
      });
    }
    return result;
  }

  /**
   * Forgets the verdicts of certificates no longer in the store. The shared evaluator's own
   * caches (signatures, per-certificate checks) cannot be trimmed one by one, so after enough
   * churn it is replaced wholesale.
   */
  retain(live: ReadonlySet<string>): void {
    for (const thumbprint of this.#results.keys()) {
      if (!live.has(thumbprint)) {
        this.#results.delete(thumbprint);
        this.#evictedSinceRebuild += 1;
      }
    }
    if (this.#evictedSinceRebuild > Math.max(4096, live.size)) {
      this.#base = this.#createBase();
      this.#results = new Map();
      this.#evictedSinceRebuild = 0;
    }
  }
}

const DIRECTORY_CACHE_SIZE = 16;

/**
 * Decoded directory values by content. A server's msExchServerInternalTLSCert changes rarely,
 * but an LDAP read hands back fresh bytes every time, so the key is the content.
 */
export class DirectoryValueCache {
  readonly #decoded = new Map<string, DecodedDirectoryValue>();

  decode(value: unknown): DecodedDirectoryValue {
    const key =
      typeof value === "string"
        ? `s:${value}`
        : value instanceof Uint8Array
          ? `b:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("latin1")}`
          : null;
    if (key === null) return decodeDirectoryValue(value);
    let decoded = this.#decoded.get(key);
    if (decoded === undefined) {
      decoded = decodeDirectoryValue(value);
      if (this.#decoded.size >= DIRECTORY_CACHE_SIZE) this.#decoded.clear();
      this.#decoded.set(key, decoded);
    }
    return decoded;
  }
}
