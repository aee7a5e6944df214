// The per-certificate checks of path validation, one rule each (model: rustls-webpki
// verify_cert.rs). Each returns a PathFailure or undefined; the orchestrator in validator.ts
// runs them in order. Path-wide rules live beside it: pathLen in validator.ts, name constraints in
// name-constraints.ts, policies in policies.ts.
//
// Q: which extensions does the validator "process" (RFC 5280 §4.2: a critical extension that is
//    not recognised MUST reject the certificate)?
// A: basicConstraints, keyUsage, extKeyUsage, subjectAltName, nameConstraints, the key
//    identifiers, and the four policy extensions (A19). Non-critical extensions we do not read
//    are ignored.
// Q: two profiles (A3)?
// A: "rfc5280", the default, is RFC 5280 §6 path processing as the Windows chain engine applies it
//    to a TLS server certificate: what a relying party must check. "strict" adds RFC 5280's rules
//    for how a CA must *encode* what it issues (OpenSSL's -x509_strict, x509-limbo's rfc5280 and
//    webpki namespaces): critical basicConstraints, positive serial numbers of at most 20 octets,
//    key identifiers present and non-critical, keyCertSign only with cA, non-empty names, DER
//    throughout. A certificate that breaks only those rules is valid PKI by default.
// Q: a trust anchor?
// A: A17: a name and a key (RFC 5280 §6.1.1 (d)). In the default profile none of the encoding
//    rules apply to it (Go Daddy Class 2 has serial 0, QuoVadis an issuer+serial key identifier,
//    v1 roots have no extensions at all); it still must not *say* it is not a CA (cA=false, or a
//    keyUsage without keyCertSign), its key must be usable, its EKU must allow serverAuth, and its
//    validity period counts (A13). The strict profile checks it like any other certificate.
// Q: v1 certificates?
// A: a v1 trust anchor is fine by default (A17); a v1 or v2 intermediate cannot carry
//    basicConstraints, so RFC 5280 §6.1.4 (k) rejects it (issuer-not-ca); a v1 leaf is left to
//    R10a (the selection's eligibility), the path does not mind it by default.
import type { ParsedCertificate } from "../certificate.js";
import { readChildren, readOid, readTlv, sameBytes, type Tlv } from "../der.js";
import { type ExtensionProblem, KEY_USAGE, OID, profileOf } from "./extensions.js";
import { type PathFailure, pathFailure } from "./failure.js";
import type { ValidationProfile } from "./validator.js";

const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.certificatePolicies,
  OID.policyMappings,
  OID.policyConstraints,
  OID.inhibitAnyPolicy,
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.nameConstraints,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
]);

/** A4/A13: now within [notBefore, notAfter], both ends inclusive (RFC 5280 §4.1.2.5). */
export function checkValidity(certificate: ParsedCertificate, now: Date): PathFailure | undefined {
  const context = { notBefore: certificate.notBefore, notAfter: certificate.notAfter, now };
  if (now.getTime() > certificate.notAfter.getTime()) {
    return pathFailure(
      "expired",
      `expired at ${certificate.notAfter.toISOString()}`,
      certificate,
      context,
    );
  }
  if (now.getTime() < certificate.notBefore.getTime()) {
    return pathFailure(
      "not-yet-valid",
      `not valid before ${certificate.notBefore.toISOString()}`,
      certificate,
      context,
    );
  }
  return undefined;
}

/** RFC 5280 §6.1.4 (k): only v3 certificates carry the extensions a path needs. */
export function checkVersion(certificate: ParsedCertificate): PathFailure | undefined {
  if (certificate.version === 3) return undefined;
  return pathFailure("bad-version", `version ${certificate.version} certificate`, certificate, {
    version: certificate.version,
  });
}

/**
 * RFC 5280 §4.1.2.2: a positive integer of at most 20 octets. Users "SHOULD gracefully handle"
 * zero or negative ones; like Go (since 1.23) we reject them: a CA that cannot encode a serial
 * number cannot be trusted to have checked anything else.
 */
export function checkSerial(certificate: ParsedCertificate): PathFailure | undefined {
  const serial = new Uint8Array(certificate.asn.tbsCertificate.serialNumber);
  const first = serial[0] ?? 0;
  const content = first === 0 ? serial.subarray(1) : serial;
  const negative = (first & 0x80) !== 0;
  const zero = content.every((byte) => byte === 0);
  if (serial.length > 20 && !(serial.length === 21 && first === 0)) {
    return pathFailure(
      "bad-serial",
      `serial number has ${serial.length} octets (max 20)`,
      certificate,
    );
  }
  if (negative || zero) {
    return pathFailure(
      "bad-serial",
      `serial number is ${negative ? "negative" : "zero"}`,
      certificate,
    );
  }
  return undefined;
}

/** RFC 5280 §4.2: reject a critical extension we do not process. */
export function checkCriticalExtensions(certificate: ParsedCertificate): PathFailure | undefined {
  for (const [oid, extension] of certificate.extensions) {
    if (extension.critical && !PROCESSED_EXTENSIONS.has(oid)) {
      return pathFailure(
        "unknown-critical-extension",
        `critical extension ${oid} is not processed`,
        certificate,
        {
          oid,
        },
      );
    }
  }
  return undefined;
}

/** Every extension the validator reads must decode, in the form RFC 5280 allows. */
export function checkExtensionsDecode(certificate: ParsedCertificate): PathFailure | undefined {
  return extensionProblem(certificate, profileOf(certificate).problem);
}

/** A17: a trust anchor's undecodable extension counts only when its checks read it. */
export function checkAnchorExtensionsDecode(
  certificate: ParsedCertificate,
): PathFailure | undefined {
  return extensionProblem(certificate, profileOf(certificate).anchorProblem);
}

/** Strict profile: every extension decodes, authorityInfoAccess included (RFC 5280 §4.2.2.1). */
export function checkStrictExtensionsDecode(
  certificate: ParsedCertificate,
): PathFailure | undefined {
  return extensionProblem(certificate, profileOf(certificate).strictProblem);
}

function extensionProblem(
  certificate: ParsedCertificate,
  problem: ExtensionProblem | undefined,
): PathFailure | undefined {
  if (problem === undefined) return undefined;
  return pathFailure("bad-extension", problem.message, certificate, { oid: problem.oid });
}

/** RFC 5280 §4.2.1.1 / §4.2.1.2: the key identifiers MUST be non-critical. */
export function checkKeyIdentifiersNotCritical(
  certificate: ParsedCertificate,
): PathFailure | undefined {
  const profile = profileOf(certificate);
  if (profile.authorityKeyIdentifier?.critical === true) {
    return pathFailure("bad-extension", "authorityKeyIdentifier is critical", certificate, {
      oid: OID.authorityKeyIdentifier,
    });
  }
  if (profile.subjectKeyIdentifier?.critical === true) {
    return pathFailure("bad-extension", "subjectKeyIdentifier is critical", certificate, {
      oid: OID.subjectKeyIdentifier,
    });
  }
  return undefined;
}

/** RFC 5280 §4.2.1.3: keyCertSign only with cA=true. */
export function checkKeyCertSignNeedsCa(certificate: ParsedCertificate): PathFailure | undefined {
  const profile = profileOf(certificate);
  const keyUsage = profile.keyUsage;
  if (keyUsage === undefined || (keyUsage & KEY_USAGE.keyCertSign) === 0) return undefined;
  if (profile.basicConstraints?.ca === true) return undefined;
  return pathFailure(
    "key-usage-without-ca",
    "keyCertSign is asserted without cA=true",
    certificate,
  );
}

/** RFC 5280 §4.2.1.10: name constraints "MUST be used only in a CA certificate". */
export function checkNameConstraintsOnlyInCa(
  certificate: ParsedCertificate,
): PathFailure | undefined {
  const profile = profileOf(certificate);
  if (profile.nameConstraints === undefined || profile.basicConstraints?.ca === true)
    return undefined;
  return pathFailure(
    "bad-extension",
    "nameConstraints in a certificate that is not a CA",
    certificate,
    {
      oid: OID.nameConstraints,
    },
  );
}

/**
 * RFC 5280 §4.1.2.4 (issuer MUST be non-empty), §4.1.2.6 (a CA's subject MUST be non-empty; an
 * empty subject needs a critical subjectAltName) and §4.2.1.6 (with a non-empty subject the SAN
 * "SHOULD" be non-critical: we make it a MUST, as CABF 7.1.2.7.12 and x509-limbo's
 * webpki::san::san-critical-with-nonempty-subject do).
 */
export function checkNames(certificate: ParsedCertificate): PathFailure | undefined {
  const profile = profileOf(certificate);
  if (profile.issuerEmpty) return pathFailure("bad-name", "issuer name is empty", certificate);
  if (profile.subjectEmpty) {
    if (profile.basicConstraints?.ca === true) {
      return pathFailure("bad-name", "a CA certificate with an empty subject", certificate);
    }
    if (profile.subjectAltNames === undefined || !profile.subjectAltNameCritical) {
      return pathFailure(
        "bad-name",
        "empty subject without a critical subjectAltName",
        certificate,
      );
    }
  } else if (profile.subjectAltNameCritical) {
    return pathFailure(
      "bad-extension",
      "subjectAltName is critical with a non-empty subject",
      certificate,
      {
        oid: OID.subjectAltName,
      },
    );
  }
  return undefined;
}

/** Key algorithm OIDs; named curves as their DER TLVs in hex. */
const KEY_RSA = "1.2.840.113549.1.1.1";
const KEY_EC = "1.2.840.10045.2.1";
const KEY_ED25519 = "1.3.101.112";
const SUPPORTED_CURVES: ReadonlySet<string> = new Set([
  "06082a8648ce3d030107", // P-256
  "06052b81040022", // P-384
  "06052b81040023", // P-521
]);

/**
 * The subject key's algorithm (and EC curve) as DER hex, read from the raw SubjectPublicKeyInfo:
 * building the whole asn1-schema model of a certificate costs more than the rest of its checks.
 */
function keyAlgorithm(spki: Uint8Array): { algorithm: string; parameters: string | undefined } {
  const hex = (tlv: Tlv) => Buffer.from(spki.subarray(tlv.start, tlv.end)).toString("hex");
  const [algorithmIdentifier] = readChildren(spki, readTlv(spki, 0));
  if (algorithmIdentifier === undefined) return { algorithm: "", parameters: undefined };
  const [oid, parameters] = readChildren(spki, algorithmIdentifier);
  return {
    algorithm: oid === undefined || oid.tag !== 0x06 ? "" : readOid(spki, oid),
    parameters: parameters === undefined ? undefined : hex(parameters),
  };
}

/**
 * The subject key must be one SignatureVerifier can use (RSA, ECDSA P-256/384/521, Ed25519):
 * an issuer key we cannot use verifies nothing, and a leaf key we cannot use (DSA, P-192) is
 * not one a TLS peer of ours could use either.
 */
export function checkKeySupported(certificate: ParsedCertificate): PathFailure | undefined {
  let key: ReturnType<typeof keyAlgorithm>;
  try {
    key = keyAlgorithm(certificate.spki);
  } catch {
    return pathFailure("unsupported-key", "the public key cannot be read", certificate);
  }
  const { algorithm, parameters } = key;
  if (algorithm === KEY_RSA || algorithm === KEY_ED25519) return undefined;
  if (algorithm === KEY_EC && parameters !== undefined) {
    if (SUPPORTED_CURVES.has(parameters)) return undefined;
    return pathFailure(
      "unsupported-key",
      "elliptic curve is not P-256, P-384 or P-521",
      certificate,
      { algorithm, curve: parameters },
    );
  }
  return pathFailure(
    "unsupported-key",
    `public key algorithm ${algorithm} is not supported`,
    certificate,
    { algorithm },
  );
}

/** A18: a certificate with a duplicated extension cannot be on a valid path (RFC 5280 §4.2). */
export function checkDuplicateExtensions(certificate: ParsedCertificate): PathFailure | undefined {
  if (!certificate.encodingFaults.includes("duplicate-extension")) return undefined;
  return pathFailure(
    "duplicate-extension",
    "an extension appears more than once (RFC 5280 §4.2)",
    certificate,
  );
}

/**
 * A18, strict profile only: BER where DER is required, a string outside its type's alphabet, a
 * time in a form RFC 5280 §4.1.2.5 forbids, bytes after the certificate. The default profile reads
 * past them, as OpenSSL and the Windows chain engine do. (Faults in the unsigned bytes already
 * make the signature fail, whichever the profile: src/x509/signature.ts.)
 */
export function checkStrictEncoding(certificate: ParsedCertificate): PathFailure | undefined {
  const faults = certificate.encodingFaults.filter((fault) => fault !== "duplicate-extension");
  if (faults.length === 0) return undefined;
  return pathFailure(
    "encoding",
    `not DER as RFC 5280 requires: ${faults.join(", ")}`,
    certificate,
    { faults },
  );
}

type Check = (certificate: ParsedCertificate) => PathFailure | undefined;

/**
 * The checks that depend on the certificate alone, for every certificate of a path but a trust
 * anchor, in both profiles: what RFC 5280 §6 itself asks of a relying party.
 */
export const CERTIFICATE_CHECKS: readonly Check[] = [
  checkExtensionsDecode,
  checkDuplicateExtensions,
  checkCriticalExtensions,
  checkKeySupported,
];

/**
 * A17, default profile: what still counts on a trust anchor. Its key must be usable, and an
 * extension marked critical that we do not understand still stops it: that is the issuer telling
 * every relying party "do not use me unless you process this" (OpenSSL and CryptoAPI refuse such
 * a root too), not an encoding detail.
 */
export const ANCHOR_CERTIFICATE_CHECKS: readonly Check[] = [
  checkAnchorExtensionsDecode,
  // Two copies of an extension make what the anchor asserts ambiguous (two nameConstraints:
  // which one binds?), not merely oddly encoded: refused, as OpenSSL refuses it.
  checkDuplicateExtensions,
  checkCriticalExtensions,
  checkKeySupported,
];

// ---------------------------------------------------------------------------------------------
// The leaf

/**
 * RFC 5280 §4.2.1.9 allows the last certificate of a path to be a CA certificate, but one that
 * asserts cA=true while its keyUsage forbids certificate signing is self-contradictory (CABF
 * 7.1.2.7.8: a subscriber certificate's cA MUST be false): reject it.
 */
export function checkLeafCaConsistent(leaf: ParsedCertificate): PathFailure | undefined {
  const profile = profileOf(leaf);
  const keyUsage = profile.keyUsage;
  if (profile.basicConstraints?.ca !== true || keyUsage === undefined) return undefined;
  if ((keyUsage & KEY_USAGE.keyCertSign) !== 0) return undefined;
  return pathFailure(
    "inconsistent-ca-extensions",
    "the end-entity certificate asserts cA=true but its keyUsage lacks keyCertSign",
    leaf,
    { keyUsage },
  );
}

/** A13: an extended key usage, when present, must allow serverAuth or anyExtendedKeyUsage. */
export function checkLeafEku(leaf: ParsedCertificate): PathFailure | undefined {
  const eku = profileOf(leaf).extKeyUsage;
  if (eku === undefined || eku.includes(OID.serverAuth) || eku.includes(OID.anyExtendedKeyUsage)) {
    return undefined;
  }
  return pathFailure(
    "leaf-eku",
    "extended key usage does not allow TLS server authentication",
    leaf,
    {
      extKeyUsage: eku,
    },
  );
}

/**
 * RFC 5280 §4.2.1.1: the authority key identifier MUST be present in every certificate except
 * a self-signed one; only a self-issued trust anchor may lack it.
 */
export function checkHasAuthorityKeyId(
  certificate: ParsedCertificate,
  isSelfIssuedAnchor: boolean,
): PathFailure | undefined {
  if (isSelfIssuedAnchor) return undefined;
  if (profileOf(certificate).authorityKeyIdentifier?.keyIdentifier !== undefined) return undefined;
  return pathFailure(
    "missing-key-identifier",
    "no authorityKeyIdentifier keyIdentifier",
    certificate,
    {
      oid: OID.authorityKeyIdentifier,
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Issuers (intermediates and the trust anchor)

/** A13, RFC 5280 §6.1.4 (k): an issuer is a CA (basicConstraints present, cA=true). */
export function checkIssuerIsCa(issuer: ParsedCertificate): PathFailure | undefined {
  const constraints = profileOf(issuer).basicConstraints;
  if (constraints === undefined) {
    return pathFailure("issuer-not-ca", "issuer has no basicConstraints", issuer);
  }
  if (!constraints.ca) return pathFailure("issuer-not-ca", "issuer has cA=false", issuer);
  return undefined;
}

/** A17: a trust anchor may lack basicConstraints (v1 roots), but must not say cA=false. */
export function checkAnchorNotDeniedCa(anchor: ParsedCertificate): PathFailure | undefined {
  if (profileOf(anchor).basicConstraints?.ca === false) {
    return pathFailure("issuer-not-ca", "trust anchor has cA=false", anchor);
  }
  return undefined;
}

/** Strict profile: a CA's basicConstraints MUST be critical (RFC 5280 §4.2.1.9). */
export function checkBasicConstraintsCritical(issuer: ParsedCertificate): PathFailure | undefined {
  const constraints = profileOf(issuer).basicConstraints;
  if (constraints !== undefined && !constraints.critical) {
    return pathFailure(
      "basic-constraints-not-critical",
      "issuer's basicConstraints is not critical",
      issuer,
    );
  }
  return undefined;
}

/** A13, RFC 5280 §6.1.4 (n): keyCertSign when keyUsage is present. */
export function checkIssuerKeyUsage(issuer: ParsedCertificate): PathFailure | undefined {
  const keyUsage = profileOf(issuer).keyUsage;
  if (keyUsage === undefined || (keyUsage & KEY_USAGE.keyCertSign) !== 0) return undefined;
  return pathFailure("issuer-key-usage", "issuer's keyUsage lacks keyCertSign", issuer, {
    keyUsage,
  });
}

/**
 * An issuer's extended key usage, when present, must allow serverAuth: a CA restricted to other
 * purposes cannot vouch for a TLS server (Windows' chain engine and OpenSSL both chain EKUs).
 */
export function checkIssuerEku(issuer: ParsedCertificate): PathFailure | undefined {
  const eku = profileOf(issuer).extKeyUsage;
  if (eku === undefined || eku.includes(OID.serverAuth) || eku.includes(OID.anyExtendedKeyUsage)) {
    return undefined;
  }
  return pathFailure(
    "issuer-eku",
    "issuer's extended key usage excludes TLS server authentication",
    issuer,
    {
      extKeyUsage: eku,
    },
  );
}

/** RFC 5280 §4.2.1.2: conforming CA certificates MUST carry a subject key identifier. */
export function checkIssuerHasSubjectKeyId(issuer: ParsedCertificate): PathFailure | undefined {
  if (profileOf(issuer).subjectKeyIdentifier !== undefined) return undefined;
  return pathFailure(
    "missing-key-identifier",
    "CA certificate has no subjectKeyIdentifier",
    issuer,
    {
      oid: OID.subjectKeyIdentifier,
    },
  );
}

/**
 * A self-issued trust anchor's authorityKeyIdentifier, when present, must name the anchor's own
 * key and nothing else (CABF BR 7.1.2.1.3): an anchor that points at another key or another
 * issuer contradicts itself.
 */
export function checkAnchorAuthorityKeyId(anchor: ParsedCertificate): PathFailure | undefined {
  const profile = profileOf(anchor);
  const aki = profile.authorityKeyIdentifier;
  if (aki === undefined || !profile.selfIssued) return undefined;
  if (aki.hasIssuer || aki.hasSerial) {
    return pathFailure(
      "bad-extension",
      "trust anchor's authorityKeyIdentifier names an issuer or serial",
      anchor,
      {
        oid: OID.authorityKeyIdentifier,
      },
    );
  }
  const ski = profile.subjectKeyIdentifier?.value;
  if (aki.keyIdentifier === undefined || ski === undefined || !sameBytes(aki.keyIdentifier, ski)) {
    return pathFailure(
      "bad-extension",
      "trust anchor's authorityKeyIdentifier is not its own key",
      anchor,
      {
        oid: OID.authorityKeyIdentifier,
      },
    );
  }
  return undefined;
}

/** Issuers that are not trust anchors, both profiles (A13; RFC 5280 §6.1.4 (k)(n)). */
export const ISSUER_CHECKS: readonly Check[] = [
  // RFC 5280 §6.1.4 (k): an intermediate is a v3 certificate in every profile. A v1 or v2 one
  // cannot say it is a CA, one that carries extensions anyway (A18 reads it) does not make them
  // count, and a version X.509 does not define is no CA either.
  checkVersion,
  checkIssuerIsCa,
  checkIssuerKeyUsage,
  checkIssuerEku,
];

/** Trust anchors in the default profile (A17): only what the anchor itself asserts counts. */
export const ANCHOR_ISSUER_CHECKS: readonly Check[] = [
  checkAnchorNotDeniedCa,
  checkIssuerKeyUsage,
  checkIssuerEku,
];

/** The per-certificate checks of one profile, by the role the certificate plays in a path. */
export interface ProfileChecks {
  /** Every certificate but a trust anchor: the leaf and the intermediates. */
  readonly certificate: readonly Check[];
  /** A trust anchor (and a leaf that is itself one). */
  readonly anchor: readonly Check[];
  /** An intermediate, as an issuer. */
  readonly issuer: readonly Check[];
  /** A trust anchor, as an issuer. */
  readonly anchorIssuer: readonly Check[];
  /** The strict profile's key-identifier rules (RFC 5280 §4.2.1.1, CABF 7.1.2.1.3). */
  readonly keyIdentifiers: boolean;
  /** The strict profile's CABF rule for a leaf that asserts cA=true (see checkLeafCaConsistent). */
  readonly leafCaConsistency: boolean;
}

const STRICT_CERTIFICATE: readonly Check[] = [
  checkVersion,
  checkSerial,
  checkStrictEncoding,
  checkStrictExtensionsDecode,
  checkDuplicateExtensions,
  checkCriticalExtensions,
  checkKeyIdentifiersNotCritical,
  checkKeyCertSignNeedsCa,
  checkNameConstraintsOnlyInCa,
  checkNames,
  checkKeySupported,
];
const STRICT_ISSUER: readonly Check[] = [
  checkIssuerIsCa,
  checkBasicConstraintsCritical,
  checkIssuerKeyUsage,
  checkIssuerEku,
  checkIssuerHasSubjectKeyId,
];

export const PROFILE_CHECKS: Readonly<Record<ValidationProfile, ProfileChecks>> = {
  rfc5280: {
    certificate: CERTIFICATE_CHECKS,
    anchor: ANCHOR_CERTIFICATE_CHECKS,
    issuer: ISSUER_CHECKS,
    anchorIssuer: ANCHOR_ISSUER_CHECKS,
    keyIdentifiers: false,
    leafCaConsistency: false,
  },
  strict: {
    certificate: STRICT_CERTIFICATE,
    anchor: STRICT_CERTIFICATE,
    issuer: STRICT_ISSUER,
    anchorIssuer: STRICT_ISSUER,
    keyIdentifiers: true,
    leafCaConsistency: true,
  },
};
