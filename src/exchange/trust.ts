// "Valid PKI" (A3, A13) and "self-signed" (A6) for the ranking. A certificate is self-signed when
// its subject equals its issuer *and* its signature verifies with its own key; a self-signed
// certificate is never valid PKI (A3 says "not self-signed"), even when it is also a trust anchor.
// Anything else is valid PKI only when the path validator builds a path to a caller-supplied
// trust anchor; otherwise it is neither, and the verdict says why (A3: skipped).
import type { CertificateInput, TrustVerdict } from "../types.js";
import { type ParsedCertificate, parseCertificate } from "../x509/certificate.js";
import type {
  CertificateRevocationStatus,
  PathValidator,
  ValidationProfile,
} from "../x509/path/validator.js";
import { readonlyDate } from "../x509/readonly-date.js";
import { SignatureVerifier } from "../x509/signature.js";
import type { RevocationInput } from "./options.js";
import { describeCause } from "./run.js";

export interface TrustEvaluation {
  readonly verdict: TrustVerdict;
  /** The validated path (leaf … anchor) for valid PKI; just the certificate otherwise. */
  readonly path: readonly ParsedCertificate[];
}

/** How a certificate is judged. */
export interface EvaluateOptions {
  /**
   * Whether its own validity period counts (default true). A22: the STARTTLS ranking judges the
   * chain only; the expiry step (S8) reports the certificate's own dates.
   */
  readonly leafValidity?: boolean;
}

export interface TrustEvaluator {
  evaluate(
    certificate: ParsedCertificate,
    now: Date,
    options?: EvaluateOptions,
  ): Promise<TrustEvaluation>;
}

/** A6: subject equals issuer and the signature verifies with the certificate's own key. */
export async function isSelfSigned(
  certificate: ParsedCertificate,
  verifier: SignatureVerifier,
): Promise<boolean> {
  if (certificate.subjectKey !== certificate.issuerKey) return false;
  return (await verifier.verify(certificate, certificate.spki)).ok;
}

export function createTrustEvaluator(options: {
  readonly trustAnchors: readonly ParsedCertificate[];
  readonly intermediates: readonly ParsedCertificate[];
  readonly verifier?: SignatureVerifier;
  /** A3: which path-validation profile makes a chain valid PKI. Default "rfc5280". */
  readonly profile?: ValidationProfile;
  /** A21: check every CA-issued chain against these CRLs, in this mode. */
  readonly revocation?: RevocationInput;
}): TrustEvaluator {
  const verifier = options.verifier ?? new SignatureVerifier();
  const { revocation } = options;
  // The path validator (and the CRL checker) are loaded when a path is first built: a decision
  // that never needs one (no trust anchors, or self-signed candidates only, as on a typical Edge
  // server) does without their modules: the command's start-up time (issue 14).
  let validator: Promise<PathValidator> | undefined;
  const pathValidator = (): Promise<PathValidator> => {
    validator ??= Promise.all([
      import("../x509/path/validator.js"),
      revocation === undefined ? undefined : import("../x509/revocation/checker.js"),
    ]).then(
      ([{ PathValidator }, checker]) =>
        new PathValidator({
          trustAnchors: options.trustAnchors,
          intermediates: options.intermediates,
          verifier,
          profile: options.profile ?? "rfc5280",
          // A21: a revoked certificate (or, in hard mode, one no CRL decides) makes its chain
          // invalid, so R12 skips it. The anchors and intermediates may have signed a CRL off
          // the path.
          ...(revocation === undefined || checker === undefined
            ? {}
            : {
                revocationChecker: checker.createCrlRevocationChecker({
                  crls: revocation.crls,
                  mode: revocation.mode,
                  certificates: [...options.trustAnchors, ...options.intermediates],
                  verifier,
                }),
              }),
        }),
    );
    return validator;
  };
  // A21: the CRLs that could not be read, on every verdict that consulted the CRLs.
  const ignored =
    revocation === undefined || revocation.crls.ignored.length === 0
      ? {}
      : { ignoredCrls: revocation.crls.ignored };
  async function evaluate(
    certificate: ParsedCertificate,
    now: Date,
    evaluateOptions: EvaluateOptions | undefined,
  ): Promise<TrustEvaluation> {
    if (await isSelfSigned(certificate, verifier)) {
      return { verdict: { kind: "self-signed" }, path: [certificate] };
    }
    if (options.trustAnchors.length === 0) {
      return {
        verdict: {
          kind: "untrusted",
          code: "no-trust-anchors",
          message:
            "issued by a CA, but no trust anchors were supplied, so no chain can be valid PKI",
        },
        path: [certificate],
      };
    }
    const result = await (await pathValidator()).validate(
      certificate,
      now,
      evaluateOptions?.leafValidity === false ? { leafValidity: false } : {},
    );
    if (result.status === "valid") {
      return {
        verdict: {
          kind: "pki",
          path: result.path.map((c) => c.thumbprint),
          ...(result.revocation === undefined
            ? {}
            : { revocation: publicStatuses(result.revocation), ...ignored }),
        },
        path: result.path,
      };
    }
    // A21: a revocation failure carries every status of the rejected path in its context.
    const statuses = result.reason.revocation;
    return {
      verdict: {
        kind: "untrusted",
        code: result.reason.code,
        message: result.reason.message,
        ...(Array.isArray(statuses)
          ? {
              revocation: publicStatuses(statuses as readonly CertificateRevocationStatus[]),
              ...ignored,
            }
          : {}),
      },
      path: [certificate],
    };
  }
  return {
    // A store certificate is hostile input: whatever goes wrong while judging it makes it
    // "neither valid PKI nor self-signed" (A3), never a rejected selection.
    evaluate: (certificate, now, evaluateOptions) =>
      evaluate(certificate, now, evaluateOptions).catch((error: unknown) => ({
        verdict: {
          kind: "untrusted",
          code: "malformed",
          message: `cannot be evaluated: ${describeCause(error)}`,
        },
        path: [certificate],
      })),
  };
}

/**
 * The statuses as a verdict holds them: a prepared selector shares one verdict between sessions,
 * so a revocation date must be a date no caller can change (issue 18), like notBefore/notAfter.
 */
function publicStatuses(
  statuses: readonly CertificateRevocationStatus[],
): readonly CertificateRevocationStatus[] {
  return statuses.map((status) =>
    status.revocationDate === undefined
      ? { ...status }
      : { ...status, revocationDate: readonlyDate(status.revocationDate) },
  );
}

/** Parses caller-supplied CA certificates; one that does not parse is misuse (it throws). */
export function parseCertificates(
  name: string,
  inputs: readonly CertificateInput[] | undefined,
): ParsedCertificate[] {
  if (inputs === undefined) return [];
  if (!Array.isArray(inputs)) throw new TypeError(`${name} must be an array of certificates`);
  // Our own copy of the bytes: a parsed certificate reads them lazily (and a prepared selector
  // keeps it), so a caller who reuses its buffer afterwards must not change a trust anchor.
  return inputs.map((input: unknown) =>
    parseCertificate(
      input instanceof Uint8Array ? new Uint8Array(input) : (input as CertificateInput),
    ),
  );
}

/**
 * The trust evaluator for the `trustAnchors`/`intermediates` options of either direction, under
 * the checked `profile` and revocation input (A21; options.ts).
 */
export function trustEvaluatorFor(
  options: {
    readonly trustAnchors?: readonly CertificateInput[];
    readonly intermediates?: readonly CertificateInput[];
  },
  profile: ValidationProfile,
  revocation?: RevocationInput,
): TrustEvaluator {
  return createTrustEvaluator({
    trustAnchors: parseCertificates("trustAnchors", options.trustAnchors),
    intermediates: parseCertificates("intermediates", options.intermediates),
    profile,
    ...(revocation === undefined ? {} : { revocation }),
  });
}
