// Why a certification path is not valid (A3, A13; RFC 5280 §6). Every rejection is a value with a
// stable kebab-case code, the thumbprint of the certificate at fault, and the values compared
// (webpki's `CertExpired { time, not_after }` style), never a bare `false`.

/** Stable reasons a path is invalid. Codes never change meaning; new ones may be added. */
export type PathFailureCode =
  /** No trust anchors were given: nothing can be valid PKI (A3). */
  | "no-trust-anchors"
  /** No issuer for some certificate among the anchors and intermediates. */
  | "no-path"
  /** The path ends at a self-signed certificate that is not among the trust anchors. */
  | "untrusted-root"
  /** Every candidate issuer was already in the path (RFC 5280 §6: a path never repeats a CA). */
  | "path-loop"
  /** The path would need more intermediates than `maxDepth` allows. */
  | "depth-exceeded"
  /** now > notAfter (A4: inclusive bounds). */
  | "expired"
  /** now < notBefore. */
  | "not-yet-valid"
  /** The issuer's key does not verify the signature (or the algorithm is unsupported). */
  | "bad-signature"
  /** The certificate's public key is of a kind this validator cannot use. */
  | "unsupported-key"
  /** An issuer without basicConstraints cA=true (A13; RFC 5280 §4.2.1.9). */
  | "issuer-not-ca"
  /** A CA's basicConstraints is not marked critical (RFC 5280 §4.2.1.9 MUST). */
  | "basic-constraints-not-critical"
  /** An issuer whose keyUsage lacks keyCertSign (A13; RFC 5280 §4.2.1.3). */
  | "issuer-key-usage"
  /** keyCertSign asserted without cA=true (RFC 5280 §4.2.1.3). */
  | "key-usage-without-ca"
  /** cA=true with a keyUsage that lacks keyCertSign, on the leaf (RFC 5280 §4.2.1.9). */
  | "inconsistent-ca-extensions"
  /** More intermediates below a CA than its pathLenConstraint allows (RFC 5280 §6.1.4 (l)). */
  | "path-length"
  /** The leaf's extended key usage does not allow TLS server authentication (A13). */
  | "leaf-eku"
  /** A CA's extended key usage excludes TLS server authentication (EKU chaining). */
  | "issuer-eku"
  /** A name outside a permitted subtree or inside an excluded one (RFC 5280 §4.2.1.10). */
  | "name-constraints"
  /** A critical extension this validator does not process (RFC 5280 §4.2). */
  | "unknown-critical-extension"
  /** An extension that cannot be decoded, or is present in a form RFC 5280 forbids. */
  | "bad-extension"
  /** A missing authority/subject key identifier where RFC 5280 §4.2.1.1/§4.2.1.2 requires one. */
  | "missing-key-identifier"
  /** An empty issuer, or an empty subject where it must not be (RFC 5280 §4.1.2.4, §4.1.2.6). */
  | "bad-name"
  /** A version 1 or 2 certificate (RFC 5280 §6.1.4 (k): v1/v2 are not CA certificates). */
  | "bad-version"
  /** The serial number is not a positive integer of at most 20 octets (RFC 5280 §4.1.2.2). */
  | "bad-serial"
  /** The leaf does not carry the requested DNS name (A2/A5/A7). */
  | "name-mismatch"
  /** The revocation hook said "revoked". */
  | "revoked"
  /** The revocation hook threw: fail closed (it can only make a path invalid, never valid). */
  | "revocation-error"
  /** Hard revocation mode (A21): no usable CRL covers a certificate of the path. */
  | "revocation-unknown"
  /** An extension appears twice in one certificate (A18: readable, but not on a valid path). */
  | "duplicate-extension"
  /**
   * An encoding fault that the strict profile refuses (BER lengths, a PrintableString outside
   * its alphabet, a time in a form RFC 5280 forbids…); the default profile reads past them (A18).
   */
  | "encoding"
  /** A19: policy processing left no valid policy where one is required (RFC 5280 §6.1.3–6.1.5). */
  | "no-valid-policy"
  /** A19: a policyMappings entry maps to or from anyPolicy (RFC 5280 §6.1.4 (a)). */
  | "bad-policy-mapping"
  /**
   * A field the validator needed could not be decoded within the decoder's limits (a hostile
   * certificate: nesting deeper than 256 levels). Fail closed, with a verdict, never a throw.
   */
  | "malformed"
  /** A19: the valid policy tree would exceed the work bound (a chain built to make it explode). */
  | "policy-tree-too-large";

export interface PathFailure {
  readonly code: PathFailureCode;
  readonly message: string;
  /** Thumbprint of the certificate at fault. */
  readonly certificate?: string;
  /** Context: the values compared (notAfter, now, pathLen, …). */
  readonly [key: string]: unknown;
}

export function pathFailure(
  code: PathFailureCode,
  message: string,
  certificate?: { readonly thumbprint: string },
  context: Readonly<Record<string, unknown>> = {},
): PathFailure {
  return {
    ...context,
    code,
    message,
    ...(certificate === undefined ? {} : { certificate: certificate.thumbprint }),
  };
}
