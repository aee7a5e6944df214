// Certification-path validation for A3/A13 ("valid PKI"): build every path from the leaf to a
// caller-supplied trust anchor, backtracking over alternative issuers, and accept the first one
// on which every check holds (RFC 5280 §6 for a TLS server certificate, as the Windows chain
// engine applies it; A17-A21).
//
// Q: what does a path go through, in order?
// A: the leaf's own checks (they hold on every path), then, issuer by issuer as the path grows:
//    the signature, the issuer's checks (checks.ts, by profile and role), its dates, depth,
//    pathLen and name constraints. Once a path reaches a trust anchor: certificate policies
//    (policies.ts, A19), then revocation (the caller's hook, then the supplied CRLs, A21). A
//    failure at any point abandons that path only; the search goes on.
// Q: the profile (A3)?
// A: "rfc5280" (default) or "strict" (OpenSSL -x509_strict's encoding rules on top); checks.ts
//    says which check belongs to which. Trust anchors are a name and a key by default (A17).
//
// Q: which issuers are tried, in which order?
// A: certificates whose subject equals the child's issuer (RFC 5280 §7.1 comparison) and, when
//    the child has an authorityKeyIdentifier and the candidate a subjectKeyIdentifier, whose
//    identifiers agree. Trust anchors first, then intermediates; within each, those valid at
//    `now` first, then the later notAfter, then the thumbprint: deterministic, whatever order
//    the caller listed them in. Every alternative is tried before giving up, so an expired
//    cross-certificate cannot hide a valid path.
// Q: when every path fails, which failure is reported?
// A: the leaf's own problems first (they hold on every path). Otherwise the "most informative"
//    one: a path that reached an anchor and failed revocation, then a real check on a verified
//    issuer (expired, not a CA, pathLen…), then a dead end (no issuer, loop, depth), then a
//    candidate whose signature did not verify; among equals the deepest, then the first found.
// Q: is a certificate listed among the trust anchors trusted by itself (direct trust)?
// A: yes: a leaf that is itself a trust anchor is a one-element path, after the leaf checks.
//    (Whether a self-signed certificate counts as "valid PKI" is A6, decided by the ranking.)
// Q: how deep?
// A: at most `maxDepth` intermediates that are not self-issued (self-issued key-rollover
//    certificates do not count, as for pathLenConstraint), and a fixed budget of issuer
//    candidates per validation, so that a hostile pool of cross-certificates cannot make path
//    building exponential.
import { InvalidCertificateError } from "../../errors.js";
import type { ParsedCertificate } from "../certificate.js";
import { sameBytes } from "../der.js";
import { certificateNames, findNameMatch, parseHostName } from "../dns-name.js";
import { type SignatureCheck, SignatureVerifier } from "../signature.js";
import {
  checkAnchorAuthorityKeyId,
  checkHasAuthorityKeyId,
  checkLeafCaConsistent,
  checkLeafEku,
  checkValidity,
  PROFILE_CHECKS,
  type ProfileChecks,
} from "./checks.js";
import { profileOf, serialKey } from "./extensions.js";
import { type PathFailure, type PathFailureCode, pathFailure } from "./failure.js";
import { checkNameConstraints } from "./name-constraints.js";
import { processPolicies } from "./policies.js";

export type { PathFailure, PathFailureCode } from "./failure.js";

/**
 * Which rules the per-certificate checks apply (A3). "rfc5280" (the default) is RFC 5280 §6 as
 * the Windows chain engine applies it to a TLS server certificate; "strict" adds the encoding
 * rules of OpenSSL's -x509_strict (critical basicConstraints, positive serial numbers, key
 * identifiers, DER throughout).
 */
export type ValidationProfile = "rfc5280" | "strict";

/** The four policy inputs of RFC 5280 §6.1.1 (c), (e), (f), (g) (A19). */
export interface PolicyInputs {
  /** user-initial-policy-set: policy OIDs (dotted). Default: anyPolicy (2.5.29.32.0) only. */
  readonly initialPolicySet?: readonly string[];
  /** initial-explicit-policy. Default false. */
  readonly initialExplicitPolicy?: boolean;
  /** initial-policy-mapping-inhibit. Default false. */
  readonly initialPolicyMappingInhibit?: boolean;
  /** initial-any-policy-inhibit. Default false. */
  readonly initialAnyPolicyInhibit?: boolean;
}

/** One certificate's revocation status on a validated path (A21). */
export interface CertificateRevocationStatus {
  /** Thumbprint of the certificate. */
  readonly certificate: string;
  readonly status: "good" | "revoked" | "unknown";
  /** Which CRL decided it, when one did: SHA-256 of its DER, 64 upper-case hex digits. */
  readonly crl?: string;
  /** Why no CRL decided it, or the CRL entry's reason code, in words. */
  readonly detail?: string;
  /** The deciding CRL's issuer (display form) and cRLNumber (decimal), when known. */
  readonly crlIssuer?: string;
  readonly crlNumber?: string;
  /** The delta CRL applied on top of `crl`, when one was (RFC 5280 §5.2.4). */
  readonly deltaCrl?: string;
  /** "revoked": the entry's reason code (RFC 5280 §5.3.1) and its name, when present. */
  readonly reasonCode?: number;
  readonly reason?: string;
  /** "revoked": the entry's revocationDate. */
  readonly revocationDate?: Date;
}

/** The revocation result of one complete path. `failure` makes the path invalid. */
export interface RevocationCheck {
  readonly failure?: PathFailure;
  readonly statuses: readonly CertificateRevocationStatus[];
}

/** Checks a complete path (leaf first, trust anchor last) against revocation data (A21). */
export type RevocationChecker = (
  path: readonly ParsedCertificate[],
  now: Date,
) => Promise<RevocationCheck>;

export interface PathValidatorOptions extends PolicyInputs {
  readonly trustAnchors: readonly ParsedCertificate[];
  readonly intermediates?: readonly ParsedCertificate[];
  /** Share one per selection: keys are imported and signatures checked once per instance. */
  readonly verifier?: SignatureVerifier;
  /** Most intermediates (not counting self-issued ones) a path may have. Default 8. */
  readonly maxDepth?: number;
  /** Default "rfc5280". */
  readonly profile?: ValidationProfile;
  /** Revocation from caller-supplied data (A21); runs on each complete path. */
  readonly revocationChecker?: RevocationChecker;
}

/** Which of the leaf's names `dnsName` is matched against. */
export type NameSources =
  /** A7 (default): the subject CNs and the SAN dNSNames, both, even when a SAN is present. */
  | "subject-and-san"
  /** RFC 9525 / CABF / webpki: SAN dNSNames only; the subject CN is never a host name. */
  | "san-only";

export interface PathCheckOptions {
  /** The leaf must carry this host name (A2/A5/A7, the selection's matcher). */
  readonly dnsName?: string;
  /** A5: allow a wildcard in the left-most label. Default false. */
  readonly wildcardNames?: boolean;
  /** Default "subject-and-san" (A7). */
  readonly nameSources?: NameSources;
  /** The leaf must carry this IP address (4 or 16 octets) as a SAN iPAddress. */
  readonly ipAddress?: Uint8Array;
  /**
   * Whether the leaf's own validity period counts (default true). A22: the STARTTLS ranking
   * judges the chain (signatures, the CA certificates' dates, constraints, revocation) and leaves
   * the candidate's own dates to its expiry step (S8), which reports them.
   */
  readonly leafValidity?: boolean;
  /** Called for each (certificate, issuer) pair of a path that passed every other check. */
  readonly revocation?: (
    certificate: ParsedCertificate,
    issuer: ParsedCertificate,
  ) => Promise<"good" | "revoked" | "unknown">;
}

export type PathResult =
  | {
      readonly status: "valid";
      readonly path: readonly ParsedCertificate[];
      /** A19: the user-constrained policy set (OIDs; "2.5.29.32.0" is anyPolicy). */
      readonly policies: readonly string[];
      /** A21: each certificate's revocation status, when a revocation checker ran. */
      readonly revocation?: readonly CertificateRevocationStatus[];
    }
  | { readonly status: "invalid"; readonly reason: PathFailure };

const DEFAULT_MAX_DEPTH = 8;
/** Self-issued intermediates allowed beyond maxDepth (key rollovers). */
const SELF_ISSUED_ALLOWANCE = 4;
/** Issuer candidates examined per validation (webpki uses a similar budget). */
const CANDIDATE_BUDGET = 256;

interface Candidate {
  readonly certificate: ParsedCertificate;
  readonly anchor: boolean;
}

/** How informative a failure is: higher class first, then deeper. */
interface Ranked {
  readonly failure: PathFailure;
  readonly rank: number;
  readonly depth: number;
}

const DEAD_ENDS: ReadonlySet<PathFailureCode> = new Set([
  "no-path",
  "untrusted-root",
  "path-loop",
  "depth-exceeded",
]);
const COMPLETE_PATH: ReadonlySet<PathFailureCode> = new Set([
  "revoked",
  "revocation-error",
  "revocation-unknown",
]);

function rankOf(failure: PathFailure, candidateSignature: boolean): number {
  if (COMPLETE_PATH.has(failure.code)) return 3;
  if (candidateSignature) return 0;
  if (DEAD_ENDS.has(failure.code)) return 1;
  return 2;
}

class Search {
  best: Ranked | undefined;
  budget = CANDIDATE_BUDGET;

  note(failure: PathFailure, depth: number, candidateSignature = false): void {
    const rank = rankOf(failure, candidateSignature);
    const best = this.best;
    if (best === undefined || rank > best.rank || (rank === best.rank && depth > best.depth)) {
      this.best = { failure, rank, depth };
    }
  }
}

function countsForDepth(certificate: ParsedCertificate): boolean {
  return !profileOf(certificate).selfIssued;
}

function sameLogicalCertificate(a: ParsedCertificate, b: ParsedCertificate): boolean {
  return (
    a.thumbprint === b.thumbprint || (a.subjectKey === b.subjectKey && sameBytes(a.spki, b.spki))
  );
}

export class PathValidator {
  readonly #anchors: readonly ParsedCertificate[];
  readonly #anchorThumbprints: ReadonlySet<string>;
  readonly #bySubject = new Map<string, Candidate[]>();
  readonly #verifier: SignatureVerifier;
  readonly #maxDepth: number;
  readonly #checks: ProfileChecks;
  readonly #policyInputs: PolicyInputs;
  readonly #revocationChecker: RevocationChecker | undefined;
  /** Results of the position-independent checks, by role, then thumbprint (null: passed). */
  readonly #checkResults = new Map<CheckRole, Map<string, PathFailure | null>>();

  constructor(options: PathValidatorOptions) {
    this.#anchors = dedupe(options.trustAnchors);
    this.#anchorThumbprints = new Set(this.#anchors.map((anchor) => anchor.thumbprint));
    this.#verifier = options.verifier ?? new SignatureVerifier();
    this.#maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    const profile = options.profile ?? "rfc5280";
    if (profile !== "rfc5280" && profile !== "strict") {
      throw new TypeError('profile must be "rfc5280" or "strict"');
    }
    this.#checks = PROFILE_CHECKS[profile];
    const policySet = options.initialPolicySet;
    if (
      policySet !== undefined &&
      !(
        Array.isArray(policySet) &&
        policySet.every((oid) => typeof oid === "string" && OID_TEXT.test(oid))
      )
    ) {
      // Misuse, not a verdict: a string here would be read character by character.
      throw new TypeError("initialPolicySet must be an array of dotted OIDs (e.g. 2.5.29.32.0)");
    }
    this.#policyInputs = {
      ...(options.initialPolicySet === undefined
        ? {}
        : { initialPolicySet: options.initialPolicySet }),
      initialExplicitPolicy: options.initialExplicitPolicy === true,
      initialPolicyMappingInhibit: options.initialPolicyMappingInhibit === true,
      initialAnyPolicyInhibit: options.initialAnyPolicyInhibit === true,
    };
    this.#revocationChecker = options.revocationChecker;
    const intermediates = dedupe(options.intermediates ?? []).filter(
      (certificate) => !this.#anchorThumbprints.has(certificate.thumbprint),
    );
    for (const certificate of this.#anchors) this.#index({ certificate, anchor: true });
    for (const certificate of intermediates) this.#index({ certificate, anchor: false });
  }

  #index(candidate: Candidate): void {
    const key = candidate.certificate.subjectKey;
    const list = this.#bySubject.get(key);
    if (list === undefined) this.#bySubject.set(key, [candidate]);
    else list.push(candidate);
  }

  async validate(
    leaf: ParsedCertificate,
    now: Date,
    options: PathCheckOptions = {},
  ): Promise<PathResult> {
    try {
      return await this.#validate(leaf, now, options);
    } catch (error) {
      // A readable certificate (A18) whose lazily decoded fields are beyond the decoder's limits
      // gets a verdict like any other, never an exception.
      if (!(error instanceof InvalidCertificateError)) throw error;
      return invalid(
        pathFailure("malformed", `a certificate cannot be decoded: ${error.message}`, leaf, {
          reason: error.reason,
        }),
      );
    }
  }

  async #validate(
    leaf: ParsedCertificate,
    now: Date,
    options: PathCheckOptions,
  ): Promise<PathResult> {
    // A3: without trust anchors no certificate is valid PKI.
    if (this.#anchors.length === 0) {
      return invalid(pathFailure("no-trust-anchors", "no trust anchors were supplied"));
    }
    // The leaf's own problems hold on every path: report them first.
    const directlyTrusted = this.#anchorThumbprints.has(leaf.thumbprint);
    const leafProblem = await this.#checkLeaf(leaf, now, options, directlyTrusted);
    if (leafProblem !== undefined) return invalid(leafProblem);
    const search = new Search();
    if (directlyTrusted) {
      const complete = await this.#complete([leaf], now, options);
      return "failure" in complete ? invalid(complete.failure) : complete;
    }
    const found = await this.#extend([leaf], now, options, search);
    if (found !== undefined) return found;
    return invalid(
      search.best?.failure ?? pathFailure("no-path", "no path to a trust anchor", leaf),
    );
  }

  /** Checks of the end-entity certificate that do not depend on the path. */
  async #checkLeaf(
    leaf: ParsedCertificate,
    now: Date,
    options: PathCheckOptions,
    directlyTrusted: boolean,
  ): Promise<PathFailure | undefined> {
    // The certificate's own checks (A17: a leaf that is itself a trust anchor is trusted as
    // given), then A4: the leaf's dates, both ends inclusive.
    const own =
      this.#run(directlyTrusted ? "anchor" : "certificate", leaf) ??
      (options.leafValidity === false ? undefined : checkValidity(leaf, now));
    if (own !== undefined) return own;
    // A self-signed leaf that is not itself an anchor has no path (A6 is the ranking's concern;
    // here it only must not be reported as something it is not).
    if (!directlyTrusted && (await this.#isSelfSigned(leaf))) {
      return pathFailure(
        "untrusted-root",
        "a self-signed certificate that is not a trust anchor",
        leaf,
      );
    }
    const checks = this.#checks;
    return (
      (checks.leafCaConsistency ? checkLeafCaConsistent(leaf) : undefined) ??
      // A13: the leaf's EKU allows TLS server authentication.
      checkLeafEku(leaf) ??
      (checks.keyIdentifiers
        ? checkHasAuthorityKeyId(leaf, directlyTrusted && profileOf(leaf).selfIssued)
        : undefined) ??
      checkLeafNames(leaf, options)
    );
  }

  /** Runs the profile's checks for `role` on `certificate`, once per certificate and role. */
  #run(role: CheckRole, certificate: ParsedCertificate): PathFailure | undefined {
    let results = this.#checkResults.get(role);
    if (results === undefined) {
      results = new Map();
      this.#checkResults.set(role, results);
    }
    return cached(results, certificate, () => {
      for (const check of this.#checks[role]) {
        const failure = check(certificate);
        if (failure !== undefined) return failure;
      }
      return undefined;
    });
  }

  /** Candidate issuers of `child`, in the deterministic order described at the top. */
  #candidates(child: ParsedCertificate, now: Date): Candidate[] {
    const authority = profileOf(child).authorityKeyIdentifier;
    const aki = authority?.keyIdentifier;
    // Strict profile: an AKI that names the issuer's serial number names one certificate, as
    // OpenSSL's X509_check_akid reads it. By default the key identifier alone decides (RFC 5280
    // §4.2.1.1 prefers it; A17: an anchor is a name and a key, whatever its serial).
    const akiSerial = this.#checks.keyIdentifiers ? authority?.serial : undefined;
    const all = (this.#bySubject.get(child.issuerKey) ?? []).filter((candidate) => {
      const ski = profileOf(candidate.certificate).subjectKeyIdentifier?.value;
      if (akiSerial !== undefined && serialKey(candidate.certificate.serialNumber) !== akiSerial) {
        return false;
      }
      return aki === undefined || ski === undefined || sameBytes(aki, ski);
    });
    const time = now.getTime();
    const current = (c: ParsedCertificate) =>
      c.notBefore.getTime() <= time && time <= c.notAfter.getTime() ? 0 : 1;
    return all.sort(
      (a, b) =>
        Number(b.anchor) - Number(a.anchor) ||
        current(a.certificate) - current(b.certificate) ||
        b.certificate.notAfter.getTime() - a.certificate.notAfter.getTime() ||
        (a.certificate.thumbprint < b.certificate.thumbprint ? -1 : 1),
    );
  }

  /** Depth-first search for a valid path extending `chain` (leaf first) to a trust anchor. */
  async #extend(
    chain: readonly ParsedCertificate[],
    now: Date,
    options: PathCheckOptions,
    search: Search,
  ): Promise<PathResult | undefined> {
    const child = chain[chain.length - 1]!;
    const depth = chain.length - 1;
    const candidates = this.#candidates(child, now);
    if (candidates.length === 0) {
      search.note(
        pathFailure("no-path", `no issuer found for ${child.issuer}`, child, {
          issuer: child.issuer,
        }),
        depth,
      );
      return undefined;
    }
    for (const candidate of candidates) {
      if (search.budget-- <= 0) {
        search.note(pathFailure("depth-exceeded", "path building budget exhausted", child), depth);
        return undefined;
      }
      const issuer = candidate.certificate;
      if (chain.some((certificate) => sameLogicalCertificate(certificate, issuer))) {
        search.note(
          pathFailure("path-loop", `${issuer.subject} is already in the path`, child),
          depth,
        );
        continue;
      }
      const signature = await this.#verify(child, issuer);
      if (!signature.ok) {
        search.note(
          pathFailure(
            "bad-signature",
            `signature does not verify with ${issuer.subject}'s key`,
            child,
            {
              issuer: issuer.thumbprint,
              detail: signature.detail,
              signatureFailure: signature.failure,
            },
          ),
          depth,
          true,
        );
        continue;
      }
      const next = [...chain, issuer];
      if (!candidate.anchor && (await this.#isSelfSigned(issuer))) {
        // A root that the caller does not trust: no path goes through it (its only issuer is
        // itself), and saying so is more useful than whatever else it lacks.
        search.note(
          pathFailure("untrusted-root", `${issuer.subject} is a root that is not trusted`, issuer),
          depth + 1,
        );
        continue;
      }
      const problem = this.#checkIssuer(next, candidate.anchor, now, options);
      if (problem !== undefined) {
        search.note(problem, depth + 1);
        continue;
      }
      if (candidate.anchor) {
        const complete = await this.#complete(next, now, options);
        if (!("failure" in complete)) return complete;
        search.note(complete.failure, depth);
        continue;
      }
      const found = await this.#extend(next, now, options, search);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /**
   * The checks that need the whole path, run once it reaches a trust anchor: certificate
   * policies (A19), then revocation (A21: the caller's hook, then the supplied CRLs).
   */
  async #complete(
    path: readonly ParsedCertificate[],
    now: Date,
    options: PathCheckOptions,
  ): Promise<Extract<PathResult, { status: "valid" }> | { readonly failure: PathFailure }> {
    const policy = processPolicies(path, this.#policyInputs);
    if (!policy.ok) return { failure: policy.failure };
    const hooked = await checkRevocation(path, options);
    if (hooked !== undefined) return { failure: hooked };
    if (this.#revocationChecker === undefined) {
      return { status: "valid", path, policies: policy.policies };
    }
    let revocation: RevocationCheck;
    try {
      revocation = await this.#revocationChecker(path, now);
    } catch (cause) {
      return {
        failure: pathFailure("revocation-error", "the revocation check failed", path[0], { cause }),
      };
    }
    if (revocation.failure !== undefined) return { failure: revocation.failure };
    return {
      status: "valid",
      path,
      policies: policy.policies,
      revocation: revocation.statuses,
    };
  }

  async #isSelfSigned(certificate: ParsedCertificate): Promise<boolean> {
    if (!profileOf(certificate).selfIssued) return false;
    return (await this.#verify(certificate, certificate)).ok;
  }

  /** A3: `certificate`'s signature under `issuer`'s key. A verifier that throws is a "no". */
  async #verify(
    certificate: ParsedCertificate,
    issuer: ParsedCertificate,
  ): Promise<SignatureCheck> {
    try {
      return await this.#verifier.verify(certificate, issuer.spki);
    } catch (error) {
      return {
        ok: false,
        failure: "malformed-signature",
        detail: `verification failed: ${(error as Error).message}`,
      };
    }
  }

  /** Checks of the issuer just appended to `chain`, and of the path below it. */
  #checkIssuer(
    chain: readonly ParsedCertificate[],
    anchor: boolean,
    now: Date,
    options: PathCheckOptions,
  ): PathFailure | undefined {
    const issuer = chain[chain.length - 1]!;
    const selfIssued = profileOf(issuer).selfIssued;
    const keyIdentifiers = this.#checks.keyIdentifiers;
    return (
      this.#run(anchor ? "anchor" : "certificate", issuer) ??
      // A13: issuers are CAs, with keyCertSign when keyUsage is present (A17: an anchor only
      // must not deny it).
      this.#run(anchor ? "anchorIssuer" : "issuer", issuer) ??
      // A4/A13: every certificate's dates count, the trust anchor's too.
      checkValidity(issuer, now) ??
      (keyIdentifiers && anchor ? checkAnchorAuthorityKeyId(issuer) : undefined) ??
      (keyIdentifiers ? checkHasAuthorityKeyId(issuer, anchor && selfIssued) : undefined) ??
      (anchor ? undefined : this.#checkDepth(chain)) ??
      checkPathLength(chain) ??
      checkPathNameConstraints(chain, options)
    );
  }

  #checkDepth(chain: readonly ParsedCertificate[]): PathFailure | undefined {
    const intermediates = chain.slice(1);
    const counted = intermediates.filter(countsForDepth).length;
    if (
      counted <= this.#maxDepth &&
      intermediates.length <= this.#maxDepth + SELF_ISSUED_ALLOWANCE
    ) {
      return undefined;
    }
    return pathFailure(
      "depth-exceeded",
      `more than ${this.#maxDepth} intermediates`,
      chain[chain.length - 1],
      { maxDepth: this.#maxDepth, intermediates: counted },
    );
  }
}

type CheckRole = "certificate" | "anchor" | "issuer" | "anchorIssuer";

const OID_TEXT = /^[0-2](\.(0|[1-9][0-9]*))+$/;

function invalid(reason: PathFailure): PathResult {
  return { status: "invalid", reason };
}

function cached(
  cache: Map<string, PathFailure | null>,
  certificate: ParsedCertificate,
  run: () => PathFailure | undefined,
): PathFailure | undefined {
  let result = cache.get(certificate.thumbprint);
  if (result === undefined) {
    result = run() ?? null;
    cache.set(certificate.thumbprint, result);
  }
  return result ?? undefined;
}

function dedupe(certificates: readonly ParsedCertificate[]): ParsedCertificate[] {
  const seen = new Set<string>();
  return certificates.filter((certificate) => {
    if (seen.has(certificate.thumbprint)) return false;
    seen.add(certificate.thumbprint);
    return true;
  });
}

/**
 * RFC 5280 §6.1.4 (l)(m): a CA's pathLenConstraint bounds the intermediates below it that are
 * not self-issued. The leaf's own basicConstraints never counts.
 */
function checkPathLength(chain: readonly ParsedCertificate[]): PathFailure | undefined {
  const issuer = chain[chain.length - 1]!;
  const pathLen = profileOf(issuer).basicConstraints?.pathLen;
  if (pathLen === undefined) return undefined;
  const below = chain.slice(1, -1).filter(countsForDepth).length;
  if (below <= pathLen) return undefined;
  return pathFailure(
    "path-length",
    `${below} intermediates below a CA with pathLenConstraint ${pathLen}`,
    issuer,
    { pathLen, intermediates: below },
  );
}

/**
 * RFC 5280 §6.1.3 (b)(c): the issuer's name constraints apply to every certificate below it,
 * except self-issued intermediates; the leaf is always checked.
 */
function checkPathNameConstraints(
  chain: readonly ParsedCertificate[],
  options: PathCheckOptions,
): PathFailure | undefined {
  const issuer = chain[chain.length - 1]!;
  if (profileOf(issuer).nameConstraints === undefined) return undefined;
  const commonNamesAreHostNames = (options.nameSources ?? "subject-and-san") === "subject-and-san";
  for (const [index, certificate] of chain.slice(0, -1).entries()) {
    const isLeaf = index === 0;
    if (!isLeaf && profileOf(certificate).selfIssued) continue;
    const failure = checkNameConstraints(issuer, certificate, isLeaf, { commonNamesAreHostNames });
    if (failure !== undefined) return failure;
  }
  return undefined;
}

/** The requested DNS name (A2/A5/A7, the selection's matcher) or IP address on the leaf. */
function checkLeafNames(
  leaf: ParsedCertificate,
  options: PathCheckOptions,
): PathFailure | undefined {
  if (options.dnsName !== undefined) {
    const reference = parseHostName(options.dnsName);
    if (!reference.ok) {
      return pathFailure(
        "name-mismatch",
        `${JSON.stringify(options.dnsName)} is not a host name`,
        leaf,
        {
          dnsName: options.dnsName,
          problem: reference.problem,
        },
      );
    }
    const sanOnly = options.nameSources === "san-only";
    const names = certificateNames(sanOnly ? { commonNames: [], dnsNames: leaf.dnsNames } : leaf);
    const match = findNameMatch(names, [reference.name], {
      wildcardNames: options.wildcardNames === true,
    });
    if (match === null) {
      return pathFailure(
        "name-mismatch",
        `the certificate does not carry ${reference.name}`,
        leaf,
        {
          dnsName: reference.name,
          names: names.map((name) => name.value),
        },
      );
    }
  }
  if (options.ipAddress !== undefined) {
    const wanted = options.ipAddress;
    const addresses = (profileOf(leaf).subjectAltNames ?? []).flatMap((name) =>
      name.kind === "ip" ? [name.bytes] : [],
    );
    if (!addresses.some((address) => sameBytes(address, wanted))) {
      return pathFailure("name-mismatch", "the certificate does not carry the IP address", leaf, {
        ipAddress: Buffer.from(wanted).toString("hex"),
      });
    }
  }
  return undefined;
}

/** The revocation hook, leaf first; it can only make a path invalid, never valid. */
async function checkRevocation(
  path: readonly ParsedCertificate[],
  options: PathCheckOptions,
): Promise<PathFailure | undefined> {
  const hook = options.revocation;
  if (hook === undefined) return undefined;
  for (let i = 0; i + 1 < path.length; i++) {
    const certificate = path[i]!;
    const issuer = path[i + 1]!;
    let status: "good" | "revoked" | "unknown";
    try {
      status = await hook(certificate, issuer);
    } catch (cause) {
      return pathFailure("revocation-error", "the revocation check failed", certificate, {
        issuer: issuer.thumbprint,
        cause,
      });
    }
    if (status === "revoked") {
      return pathFailure("revoked", `${certificate.subject} is revoked`, certificate, {
        issuer: issuer.thumbprint,
      });
    }
  }
  return undefined;
}
