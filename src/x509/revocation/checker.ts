// Revocation from caller-supplied CRLs (A21), as a RevocationChecker for the path validator.
// Nothing is fetched: the caller's CRLs are parsed once, indexed by issuer, and each complete
// path is checked against them (RFC 5280 §6.3, the parts a caller-supplied CRL set needs).
//
// Q: which certificates are checked, in which order?
// A: every certificate of the path except the trust anchor (A3: the anchor is trusted as
//    given), leaf first. A revoked certificate anywhere makes the path invalid ("revoked", the
//    one closest to the leaf is reported); otherwise, in hard mode, the first certificate whose
//    status is unknown makes it invalid ("revocation-unknown"). Soft mode (the default) keeps a
//    path with unknown statuses valid and lists them.
// Q: when is a CRL used for a certificate?
// A: (RFC 5280 §6.3.3) it is a complete CRL (no deltaCRLIndicator) whose scope covers the
//    certificate (scope.ts: issuer or authorised indirect cRLIssuer, issuingDistributionPoint
//    names, only-user/only-CA/only-attribute flags, reasons); it is current (thisUpdate <= now
//    <= nextUpdate, both ends inclusive as for certificates, A4); it has no unknown critical CRL
//    or entry extension; and it is signed by a CRL issuer the path vouches for (below).
// Q: a CRL without nextUpdate?
// A: current from thisUpdate on. RFC 5280 §5.1.2.5 makes nextUpdate mandatory for conforming
//    issuers, but OpenSSL (the differential oracle) accepts a CRL without it, and refusing it
//    would turn an old-style CRL into "unknown" rather than using what it says.
// Q: who may sign the CRL?
// A: a certificate named as the CRL's issuer, whose keyUsage (when present) allows cRLSign and
//    whose key verifies the CRL's signature: either a certificate of the path above the one
//    being checked (usually its issuer), or a certificate from the caller's pool (anchors and
//    intermediates) issued by one of those, valid at now and not itself revoked (checked the
//    same way, at most 3 levels deep): PKITS 4.4.19–21's separate CRL signing key, and the
//    cRLIssuer certificates of 4.14's indirect CRLs. The trust anchor stays the path's own
//    (RFC 5280 §6.3.3 (f)). In hard mode a signer whose own status is unknown cannot vouch.
// Q: a revocationDate after now?
// A: still revoked: the CRL is current and its issuer lists the certificate (OpenSSL agrees;
//    the differential test has the case). The date is reported, not compared.
// Q: delta CRLs?
// A: a delta CRL (RFC 5280 §5.2.4) applies on top of a complete CRL of the same issuer and
//    scope (identical issuingDistributionPoint) when its BaseCRLNumber <= the complete CRL's
//    cRLNumber < its own cRLNumber; the newest such current, signed delta is used. An entry in
//    the delta wins: removeFromCRL un-revokes (a hold that was lifted), any other reason
//    revokes. A delta alone decides nothing (PKITS 4.15.1). When deltas for a base exist but
//    none is usable (expired), the base alone still decides: the complete CRL is current by
//    its own dates.
// Q: reasons?
// A: RFC 5280 §6.3.3's reasons_mask: CRLs partitioned by reason (onlySomeReasons, or reasons
//    in the distribution point) each vouch for their reasons; the status is "good" only when
//    the usable CRLs together cover every reason, "revoked" as soon as one lists the
//    certificate.
import type { ParsedCertificate } from "../certificate.js";
import { sameBytes } from "../der.js";
import { CERTIFICATE_CHECKS, checkValidity } from "../path/checks.js";
import { profileOf } from "../path/extensions.js";
import { type PathFailure, pathFailure } from "../path/failure.js";
import type {
  CertificateRevocationStatus,
  RevocationCheck,
  RevocationChecker,
} from "../path/validator.js";
import { SignatureVerifier } from "../signature.js";
import {
  ALL_REASONS,
  type CertificateRevocationListInput,
  CRL_REASONS,
  type CrlEntry,
  type CrlParseFailure,
  type ParsedCrl,
  parseCrlInput,
  REMOVE_FROM_CRL,
} from "./crl.js";
import { issuerKeyOf, subjectKeyOf } from "./names.js";
import { checkScope, type DistributionPoint, distributionPointsOf, mayIssueCrls } from "./scope.js";

/**
 * A21: with no usable CRL for a certificate, "soft" leaves its status unknown and the path valid;
 * "hard" makes the path invalid.
 */
export type RevocationMode = "soft" | "hard";

/** A supplied CRL that is never used, and why (stable code). */
export interface IgnoredCrl {
  /** Position of the input in the caller's list. */
  readonly input: number;
  readonly failure: CrlParseFailure;
  readonly detail: string;
}

/** The caller's CRLs, parsed once. */
export interface CrlSet {
  readonly crls: readonly ParsedCrl[];
  readonly ignored: readonly IgnoredCrl[];
}

/** Parses every input once; unreadable ones are listed, never thrown (TypeError for misuse). */
export function prepareCrls(inputs: readonly CertificateRevocationListInput[]): CrlSet {
  const crls: ParsedCrl[] = [];
  const ignored: IgnoredCrl[] = [];
  const seen = new Set<string>();
  for (const [input, value] of inputs.entries()) {
    for (const result of parseCrlInput(value)) {
      if (!result.ok) ignored.push({ input, failure: result.failure, detail: result.detail });
      else if (!seen.has(result.crl.id)) {
        seen.add(result.crl.id);
        crls.push(result.crl);
      }
    }
  }
  return { crls, ignored };
}

export interface CrlRevocationOptions {
  /** The CRLs (inputs, or a set already prepared with {@link prepareCrls}). */
  readonly crls: readonly CertificateRevocationListInput[] | CrlSet;
  /** Default "soft" (A21). */
  readonly mode?: RevocationMode;
  /**
   * Certificates that may have signed a CRL without being on the path (a separate CRL signing
   * key, an indirect CRL issuer): pass the trust anchors and intermediates.
   */
  readonly certificates?: readonly ParsedCertificate[];
  /** Share the validator's verifier so keys are imported once. */
  readonly verifier?: SignatureVerifier;
}

/** Signer levels checked below a path certificate (a CRL signer's own CRL signer, …). */
const MAX_SIGNER_DEPTH = 3;
/** Distribution points of one certificate that are looked at (RFC 5280 sets no bound). */
const MAX_POINTS = 64;
const MAX_REASONS_SHOWN = 8;

interface Decision {
  readonly status: CertificateRevocationStatus;
  readonly revoked?: { readonly entry: CrlEntry; readonly crl: ParsedCrl };
}

/** Builds the checker the path validator calls on each complete path (A21). */
export function createCrlRevocationChecker(options: CrlRevocationOptions): RevocationChecker {
  const set = "ignored" in options.crls ? options.crls : prepareCrls(options.crls);
  const engine = new CrlEngine(
    set,
    options.mode ?? "soft",
    options.certificates ?? [],
    options.verifier ?? new SignatureVerifier(),
  );
  return (path, now) => engine.check(path, now);
}

class CrlEngine {
  readonly #complete = new Map<string, ParsedCrl[]>();
  readonly #deltas = new Map<string, ParsedCrl[]>();
  readonly #pool = new Map<string, ParsedCertificate[]>();
  readonly #ignored: readonly IgnoredCrl[];

  constructor(
    set: CrlSet,
    readonly mode: RevocationMode,
    certificates: readonly ParsedCertificate[],
    readonly verifier: SignatureVerifier,
  ) {
    this.#ignored = set.ignored;
    // Newest first; CRL dates have one-second resolution, so two CRLs of one issuer regenerated
    // within the same second (revoke, then re-issue) tie on thisUpdate: the higher cRLNumber is
    // the later one (RFC 5280 §5.2.3, monotonically increasing). Then by id, so the order the
    // caller listed them in never matters.
    const sorted = [...set.crls].sort(
      (a, b) =>
        b.thisUpdate.getTime() - a.thisUpdate.getTime() ||
        compareNumbers(b.crlNumber, a.crlNumber) ||
        (a.id < b.id ? -1 : 1),
    );
    for (const crl of sorted) {
      const map = crl.baseCrlNumber === undefined ? this.#complete : this.#deltas;
      push(map, crl.issuerKey, crl);
    }
    for (const certificate of certificates) {
      try {
        push(this.#pool, subjectKeyOf(certificate), certificate);
      } catch {
        // A certificate whose names cannot be modelled cannot sign a CRL we could match.
      }
    }
  }

  async check(path: readonly ParsedCertificate[], now: Date): Promise<RevocationCheck> {
    const decisions: Decision[] = [];
    // Every certificate but the trust anchor, leaf first.
    for (let i = 0; i + 1 < path.length; i++) {
      decisions.push(await this.#decide(path.slice(i), now, []));
    }
    const statuses = decisions.map((decision) => decision.status);
    const revoked = decisions.find((decision) => decision.revoked !== undefined);
    if (revoked !== undefined) {
      return { failure: revokedFailure(path, revoked, statuses), statuses };
    }
    const unknown = statuses.find((status) => status.status === "unknown");
    if (this.mode === "hard" && unknown !== undefined) {
      const certificate = path.find((c) => c.thumbprint === unknown.certificate);
      return {
        failure: pathFailure(
          "revocation-unknown",
          `no usable CRL decides whether ${certificate?.subject ?? unknown.certificate} is revoked`,
          certificate,
          // Every status of the path, so that an explanation can show them on a failure too.
          { detail: unknown.detail, ignoredCrls: this.#ignored.length, revocation: statuses },
        ),
        statuses,
      };
    }
    return { statuses };
  }

  /** The status of chain[0], whose issuer is chain[1] (chain ends at the trust anchor). */
  async #decide(
    chain: readonly ParsedCertificate[],
    now: Date,
    vouching: readonly ParsedCertificate[],
  ): Promise<Decision> {
    const certificate = chain[0]!;
    const unknown = (detail: string): Decision => ({
      status: { certificate: certificate.thumbprint, status: "unknown", detail },
    });
    let issuerKey: string;
    try {
      issuerKey = issuerKeyOf(certificate);
    } catch {
      return unknown("the certificate's issuer name cannot be read");
    }
    const points = distributionPointsOf(certificate);
    if (typeof points === "string") return unknown(points);
    // Work is points × CRLs of the issuer: a certificate with thousands of distribution points
    // must not multiply it (no CA issues more than a handful).
    if (points.length > MAX_POINTS) {
      return unknown(`more than ${MAX_POINTS} CRL distribution points`);
    }
    const why: string[] = [];
    let covered = 0;
    let decidedBy: { crl: ParsedCrl; delta: ParsedCrl | undefined } | undefined;
    for (const point of points) {
      for (const crl of this.#candidates(point, issuerKey)) {
        if ((covered & ALL_REASONS) === ALL_REASONS) break;
        const scope = checkScope(crl, point, certificate);
        if (!scope.ok) {
          why.push(`${describe(crl)}: ${scope.why}`);
          continue;
        }
        if ((scope.reasons & ~covered) === 0) continue;
        const unusable = await this.#unusable(crl, chain, now, vouching);
        if (unusable !== undefined) {
          why.push(`${describe(crl)}: ${unusable}`);
          continue;
        }
        const delta = await this.#delta(crl, chain, now, vouching);
        const fromDelta = delta?.lookup(certificate.serialNumber, issuerKey);
        const entry = fromDelta ?? crl.lookup(certificate.serialNumber, issuerKey);
        // RFC 5280 §5.3.1: removeFromCRL (in a delta) lifts the base's certificateHold.
        if (entry !== undefined && entry.reasonCode !== REMOVE_FROM_CRL) {
          const source = fromDelta !== undefined && delta !== undefined ? delta : crl;
          return {
            status: {
              certificate: certificate.thumbprint,
              status: "revoked",
              crl: source.id,
              crlIssuer: source.issuer,
              ...(source.crlNumber === undefined ? {} : { crlNumber: source.crlNumber.toString() }),
              ...(entry.reasonCode === undefined
                ? {}
                : { reasonCode: entry.reasonCode, reason: reasonName(entry.reasonCode) }),
              ...(entry.revocationDate === undefined
                ? {}
                : { revocationDate: entry.revocationDate }),
              detail: `listed on ${describe(source)}${
                entry.reasonCode === undefined ? "" : ` (${reasonName(entry.reasonCode)})`
              }`,
            },
            revoked: { entry, crl: source },
          };
        }
        covered |= scope.reasons;
        decidedBy ??= { crl, delta };
      }
    }
    if ((covered & ALL_REASONS) === ALL_REASONS && decidedBy !== undefined) {
      const { crl, delta } = decidedBy;
      return {
        status: {
          certificate: certificate.thumbprint,
          status: "good",
          crl: crl.id,
          crlIssuer: crl.issuer,
          ...(crl.crlNumber === undefined ? {} : { crlNumber: crl.crlNumber.toString() }),
          ...(delta === undefined ? {} : { deltaCrl: delta.id }),
          detail: `not listed on ${describe(crl)}${delta === undefined ? "" : " nor its delta CRL"}`,
        },
      };
    }
    if (covered !== 0) why.push("the usable CRLs do not cover every revocation reason");
    if (why.length === 0) why.push(`no CRL from ${certificate.issuer} was supplied`);
    // The first few reasons say enough; a thousand rejected CRLs make no better message.
    const shown = why.slice(0, MAX_REASONS_SHOWN);
    if (why.length > shown.length) shown.push(`and ${why.length - shown.length} more`);
    return unknown(shown.join("; "));
  }

  /** Complete CRLs that may be in scope through `point`: by issuer, then by cRLIssuer. */
  #candidates(point: DistributionPoint, issuerKey: string): ParsedCrl[] {
    const keys = new Set<string>([issuerKey, ...point.crlIssuerKeys]);
    return [...keys].flatMap((key) => this.#complete.get(key) ?? []);
  }

  /** Why `crl` cannot be used at `now` for chain[0], or undefined when it can. */
  async #unusable(
    crl: ParsedCrl,
    chain: readonly ParsedCertificate[],
    now: Date,
    vouching: readonly ParsedCertificate[],
  ): Promise<string | undefined> {
    if (crl.unknownCritical !== undefined) {
      return `unknown critical extension ${crl.unknownCritical}`;
    }
    const time = now.getTime();
    if (crl.thisUpdate.getTime() > time) {
      return `not yet issued (thisUpdate ${crl.thisUpdate.toISOString()})`;
    }
    if (crl.nextUpdate !== undefined && crl.nextUpdate.getTime() < time) {
      return `expired (nextUpdate ${crl.nextUpdate.toISOString()})`;
    }
    return this.#signer(crl, chain, now, vouching);
  }

  /**
   * RFC 5280 §6.3.3 (f): some certificate named as the CRL's issuer, allowed to sign CRLs, that
   * the path vouches for, verifies the CRL. Undefined when one does; otherwise why not.
   */
  async #signer(
    crl: ParsedCrl,
    chain: readonly ParsedCertificate[],
    now: Date,
    vouching: readonly ParsedCertificate[],
  ): Promise<string | undefined> {
    if (crl.signatureMalformed) return "its signature value is malformed (unused bits)";
    const above = chain.slice(1);
    // A signer being vouched for already counts as vouched for while its own status is checked:
    // an indirect CRL may cover its own issuer's certificate (PKITS 4.14.30), and the
    // recursion must end.
    const onPath = [...above, ...vouching].filter((c) => safeSubjectKey(c) === crl.issuerKey);
    const offPath = (this.#pool.get(crl.issuerKey) ?? []).filter(
      (c) => !onPath.some((a) => a.thumbprint === c.thumbprint),
    );
    let why = "no certificate of its issuer verifies its signature";
    for (const candidate of [...onPath, ...offPath]) {
      if (!mayIssueCrls(candidate)) {
        why = `${candidate.subject}'s keyUsage does not allow cRLSign`;
        continue;
      }
      const keyId = profileOf(candidate).subjectKeyIdentifier?.value;
      if (crl.authorityKeyId !== undefined && keyId !== undefined) {
        if (!sameBytes(crl.authorityKeyId, keyId)) continue;
      }
      if (!(await this.#verifies(crl, candidate))) {
        why = "its signature does not verify";
        continue;
      }
      if (onPath.includes(candidate)) return undefined;
      const vouched = await this.#vouch(candidate, above, now, vouching);
      if (vouched === undefined) return undefined;
      why = vouched;
    }
    return why;
  }

  /** An off-path CRL signer: issued by a certificate of `above`, valid, not revoked. */
  async #vouch(
    signer: ParsedCertificate,
    above: readonly ParsedCertificate[],
    now: Date,
    vouching: readonly ParsedCertificate[],
  ): Promise<string | undefined> {
    if (vouching.length >= MAX_SIGNER_DEPTH) {
      return "its signer is too many levels away from the path";
    }
    if (checkValidity(signer, now) !== undefined) {
      return `its signer ${signer.subject} is not valid now`;
    }
    // The RFC 5280 structure checks every path certificate passes (decodable extensions, none
    // critical and unknown, no duplicates, a usable key): a signer is a certificate too.
    for (const check of CERTIFICATE_CHECKS) {
      const failure = check(signer);
      if (failure !== undefined) return `its signer ${signer.subject}: ${failure.code}`;
    }
    const issuerKey = safeIssuerKey(signer);
    for (const [j, issuer] of above.entries()) {
      if (safeSubjectKey(issuer) !== issuerKey) continue;
      let verified: boolean;
      try {
        verified = (await this.verifier.verify(signer, issuer.spki)).ok;
      } catch {
        verified = false;
      }
      if (!verified) continue;
      const decision = await this.#decide([signer, ...above.slice(j)], now, [...vouching, signer]);
      if (decision.status.status === "revoked") return `its signer ${signer.subject} is revoked`;
      if (decision.status.status === "unknown" && this.mode === "hard") {
        return `its signer ${signer.subject}'s revocation status is unknown`;
      }
      return undefined;
    }
    return `its signer ${signer.subject} is not issued by a certificate of the path`;
  }

  /** The newest usable delta CRL for `base` (RFC 5280 §5.2.4), if any. */
  async #delta(
    base: ParsedCrl,
    chain: readonly ParsedCertificate[],
    now: Date,
    vouching: readonly ParsedCertificate[],
  ): Promise<ParsedCrl | undefined> {
    const number = base.crlNumber;
    if (number === undefined) return undefined;
    const idp = base.issuingDistributionPoint?.der;
    const deltas = (this.#deltas.get(base.issuerKey) ?? []).filter((delta) => {
      const theirs = delta.issuingDistributionPoint?.der;
      const sameScope =
        idp === undefined ? theirs === undefined : theirs !== undefined && sameBytes(idp, theirs);
      return (
        sameScope &&
        delta.crlNumber !== undefined &&
        delta.baseCrlNumber! <= number &&
        delta.crlNumber > number
      );
    });
    deltas.sort((a, b) => compareNumbers(b.crlNumber, a.crlNumber));
    for (const delta of deltas) {
      if ((await this.#unusable(delta, chain, now, vouching)) === undefined) return delta;
    }
    return undefined;
  }

  async #verifies(crl: ParsedCrl, signer: ParsedCertificate): Promise<boolean> {
    // A CRL's outer/inner algorithm mismatch was refused when it was parsed; its id (SHA-256,
    // 64 digits) cannot collide with a certificate thumbprint in the verifier's cache.
    try {
      const check = await this.verifier.verifySigned(
        {
          id: `CRL${crl.id}`,
          tbs: crl.tbs,
          signatureAlgorithm: crl.signatureAlgorithm,
          signature: crl.signature,
          encodingFaults: [],
        },
        signer.spki,
      );
      return check.ok;
    } catch {
      return false;
    }
  }
}

function safeSubjectKey(certificate: ParsedCertificate): string | undefined {
  try {
    return subjectKeyOf(certificate);
  } catch {
    return undefined;
  }
}

function safeIssuerKey(certificate: ParsedCertificate): string | undefined {
  try {
    return issuerKeyOf(certificate);
  } catch {
    return undefined;
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function describe(crl: ParsedCrl): string {
  const kind = crl.baseCrlNumber === undefined ? "CRL" : "delta CRL";
  const number = crl.crlNumber === undefined ? "" : ` #${crl.crlNumber}`;
  return `the ${kind}${number} of ${crl.issuer}`;
}

export function reasonName(code: number): string {
  return CRL_REASONS[code] ?? `reason ${code}`;
}

function revokedFailure(
  path: readonly ParsedCertificate[],
  decision: Decision,
  statuses: readonly CertificateRevocationStatus[],
): PathFailure {
  const { entry, crl } = decision.revoked!;
  const certificate = path.find((c) => c.thumbprint === decision.status.certificate);
  const reason = entry.reasonCode === undefined ? undefined : reasonName(entry.reasonCode);
  return pathFailure(
    "revoked",
    `${certificate?.subject ?? decision.status.certificate} is revoked${
      reason === undefined ? "" : ` (${reason})`
    }`,
    certificate,
    {
      serialNumber: entry.serialNumber,
      ...(entry.reasonCode === undefined ? {} : { reasonCode: entry.reasonCode, reason }),
      ...(entry.revocationDate === undefined ? {} : { revocationDate: entry.revocationDate }),
      ...(entry.invalidityDate === undefined ? {} : { invalidityDate: entry.invalidityDate }),
      crl: crl.id,
      crlIssuer: crl.issuer,
      ...(crl.crlNumber === undefined ? {} : { crlNumber: crl.crlNumber.toString() }),
      revocation: statuses,
    },
  );
}

/** Ascending; an absent cRLNumber sorts before every present one. */
function compareNumbers(a: bigint | undefined, b: bigint | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}
