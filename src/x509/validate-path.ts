// The public certification-path validator (issue 3): is `certificate` "valid PKI" (A3, A13)
// against caller-supplied trust anchors, at `now`? The ranking (R12) uses the same validator
// internally (src/x509/path/validator.ts); this entry point parses the caller's input and
// returns @peculiar/x509 certificates instead of internal parsed ones.

import { InvalidCertificateError } from "../errors.js";
import type { CertificateInput } from "../types.js";
import { type ParsedCertificate, parseCertificate } from "./certificate.js";
import type { PathFailure, PathFailureCode } from "./path/failure.js";
import {
  type CertificateRevocationStatus,
  type NameSources,
  PathValidator,
  type ValidationProfile,
} from "./path/validator.js";
import {
  createCrlRevocationChecker,
  type IgnoredCrl,
  type RevocationMode,
} from "./revocation/checker.js";
import type { CertificateRevocationListInput } from "./revocation/crl.js";
import { checkRevocation } from "./revocation/input.js";
import { SignatureVerifier } from "./signature.js";
import { asnParseOptions, loadX509, type X509Certificate } from "./x509.js";

export type { PathFailureCode as PathValidationFailureCode } from "./path/failure.js";
export type { CertificateRevocationStatus, ValidationProfile } from "./path/validator.js";
export type { IgnoredCrl, RevocationMode } from "./revocation/checker.js";
export type { CertificateRevocationListInput, CrlParseFailure } from "./revocation/crl.js";

/** What a revocation hook answers. "unknown" does not make the path invalid (soft fail). */
export type RevocationStatus = "good" | "revoked" | "unknown";

/** Which leaf names `dnsName` is matched against: A7 (default) or SAN only (RFC 9525). */
export type PathNameSources = NameSources;

/** Options of {@link validateCertificatePath}. */
export interface ValidateCertificatePathOptions {
  /** The end-entity certificate, DER or PEM. */
  readonly certificate: CertificateInput;
  /** A3: the roots the caller trusts. Their validity period counts (A13). */
  readonly trustAnchors: readonly CertificateInput[];
  /** Extra CA certificates for path building, in any order. */
  readonly intermediates?: readonly CertificateInput[];
  /** A4: the evaluation time. Default: the wall clock, read once. */
  readonly now?: Date;
  /** The leaf must carry this host name (A2, A7; exact unless `wildcardNames`). */
  readonly dnsName?: string;
  /** A5: allow a wildcard in the left-most label. Default false. */
  readonly wildcardNames?: boolean;
  /** Default "subject-and-san" (A7). */
  readonly nameSources?: PathNameSources;
  /** Most intermediates (self-issued ones not counted). Default 8. */
  readonly maxDepth?: number;
  /**
   * A3: "rfc5280" (default) is RFC 5280 §6 as the Windows chain engine applies it; "strict" adds
   * OpenSSL -x509_strict's encoding rules. See the README's "valid PKI" section.
   */
  readonly profile?: ValidationProfile;
  /** A19, RFC 5280 §6.1.1 (c): acceptable policy OIDs. Default: anyPolicy (2.5.29.32.0). */
  readonly initialPolicySet?: readonly string[];
  /** A19, RFC 5280 §6.1.1 (f): the path must be valid for at least one policy. Default false. */
  readonly initialExplicitPolicy?: boolean;
  /** A19, RFC 5280 §6.1.1 (e): policy mapping is inhibited. Default false. */
  readonly initialPolicyMappingInhibit?: boolean;
  /** A19, RFC 5280 §6.1.1 (g): anyPolicy is not processed as a policy. Default false. */
  readonly initialAnyPolicyInhibit?: boolean;
  /**
   * Asked about each (certificate, issuer) pair of a path that passed every other check. It can
   * only make a path invalid: "revoked" rejects the path (another path may still be valid),
   * "unknown" does not, and a hook that throws rejects the path (`revocation-error`).
   */
  readonly revocation?: (
    certificate: X509Certificate,
    issuer: X509Certificate,
  ) => Promise<RevocationStatus>;
  /**
   * A21: CRLs the caller has (DER bytes, or PEM text with one or more `X509 CRL` blocks);
   * nothing is fetched. Every certificate of the path but the trust anchor is checked against
   * them; one listed on a usable CRL makes the path invalid ("revoked", with the reason code and
   * revocation date). A CRL that cannot be read is ignored (see `ignoredCrls`), never thrown.
   */
  readonly crls?: readonly CertificateRevocationListInput[];
  /**
   * A21: "soft" (default) keeps a path valid when no usable CRL decides a certificate (its
   * status is "unknown"); "hard" makes it invalid ("revocation-unknown"), as a server whose CRL
   * endpoints are unreachable does. Setting it without `crls` checks against no CRLs.
   */
  readonly revocationMode?: RevocationMode;
}

/** Why a path is invalid: a stable `code`, a message, the certificate at fault, and context. */
export interface PathValidationFailure {
  /** Stable identifier of the failure: match on this, never on the message. */
  readonly code: PathFailureCode;
  /** A sentence for people; not stable. */
  readonly message: string;
  /** Thumbprint (40 upper-case hex digits) of the certificate at fault. */
  readonly certificate?: string;
  readonly [key: string]: unknown;
}

/**
 * The answer of {@link validateCertificatePath}: `valid` with the path, or `invalid` with the most
 * informative failure.
 */
export type PathValidation =
  | {
      /** A path to a trust anchor passed every check. */
      readonly status: "valid";
      /** Leaf first, trust anchor last. */
      readonly path: readonly X509Certificate[];
      /** A19: the user-constrained policy set (OIDs; "2.5.29.32.0" is anyPolicy). */
      readonly policies: readonly string[];
      /**
       * A21, when `crls` or `revocationMode` was given: each certificate's status (leaf first,
       * the trust anchor not included) and the CRL that decided it.
       */
      readonly revocation?: readonly CertificateRevocationStatus[];
      /** A21: supplied CRLs that could not be read, and why (only when there are some). */
      readonly ignoredCrls?: readonly IgnoredCrl[];
    }
  | { readonly status: "invalid"; readonly reason: PathValidationFailure };

/**
 * Validates the certification path of `certificate` (RFC 5280 §6, the parts a TLS server
 * certificate needs; see README). Throws InvalidCertificateError when an input does not parse,
 * and TypeError when one is neither bytes nor text.
 */
export async function validateCertificatePath(
  options: ValidateCertificatePathOptions,
): Promise<PathValidation> {
  const now = options.now ?? new Date();
  const leaf = parseCertificate(options.certificate);
  const trustAnchors = options.trustAnchors.map((input) => parseCertificate(input));
  const intermediates = (options.intermediates ?? []).map((input) => parseCertificate(input));
  const verifier = new SignatureVerifier();
  // A21: the CRLs are checked and parsed once (as the selections do), before any path is built;
  // unreadable ones are listed.
  const crls = checkRevocation(options.crls, options.revocationMode);
  const revocation =
    crls === undefined
      ? undefined
      : {
          checker: createCrlRevocationChecker({
            crls: crls.crls,
            mode: crls.mode,
            certificates: [...trustAnchors, ...intermediates],
            verifier,
          }),
          ignored: crls.crls.ignored,
        };
  const validator = new PathValidator({
    trustAnchors,
    intermediates,
    verifier,
    ...(revocation === undefined ? {} : { revocationChecker: revocation.checker }),
    ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.initialPolicySet === undefined
      ? {}
      : { initialPolicySet: options.initialPolicySet }),
    ...(options.initialExplicitPolicy === undefined
      ? {}
      : { initialExplicitPolicy: options.initialExplicitPolicy }),
    ...(options.initialPolicyMappingInhibit === undefined
      ? {}
      : { initialPolicyMappingInhibit: options.initialPolicyMappingInhibit }),
    ...(options.initialAnyPolicyInhibit === undefined
      ? {}
      : { initialAnyPolicyInhibit: options.initialAnyPolicyInhibit }),
  });
  // @peculiar/x509 is loaded only when its certificates are handed out: to the revocation hook,
  // or in a valid result (one instance per certificate across both).
  const hook = options.revocation;
  const hooked =
    hook === undefined ? undefined : { hook, form: publicCertificates(await loadX509()) };
  const result = await validator.validate(leaf, now, {
    ...(options.dnsName === undefined ? {} : { dnsName: options.dnsName }),
    ...(options.wildcardNames === undefined ? {} : { wildcardNames: options.wildcardNames }),
    ...(options.nameSources === undefined ? {} : { nameSources: options.nameSources }),
    ...(hooked === undefined
      ? {}
      : {
          revocation: (certificate, issuer) =>
            hooked.hook(hooked.form(certificate), hooked.form(issuer)),
        }),
  });
  if (result.status === "invalid")
    return { status: "invalid", reason: publicFailure(result.reason) };
  const publicForm = hooked?.form ?? publicCertificates(await loadX509());
  const ignored = revocation?.ignored ?? [];
  return {
    status: "valid",
    path: result.path.map(publicForm),
    policies: result.policies,
    ...(result.revocation === undefined ? {} : { revocation: result.revocation }),
    ...(ignored.length === 0 ? {} : { ignoredCrls: ignored }),
  };
}

/** One X509Certificate per certificate, built on first use. */
function publicCertificates(
  X509: typeof import("@peculiar/x509"),
): (certificate: ParsedCertificate) => X509Certificate {
  const built = new Map<string, X509Certificate>();
  return (certificate) => {
    let x509 = built.get(certificate.thumbprint);
    if (x509 === undefined) {
      try {
        x509 = new X509.X509Certificate(certificate.der, asnParseOptions(certificate.der));
      } catch (cause) {
        // Beyond even asnParseOptions' limits (nesting deeper than 256): a typed refusal of
        // that input, never a bare decoder error.
        throw new InvalidCertificateError(
          "asn1-schema",
          `the certificate cannot be represented as an X509Certificate: ${(cause as Error).message}`,
          { cause },
        );
      }
      built.set(certificate.thumbprint, x509);
    }
    return x509;
  };
}

function publicFailure(failure: PathFailure): PathValidationFailure {
  return { ...failure };
}
