// The per-certificate checks of path validation, one rule each (model: rustls-webpki
// verify_cert.rs). Each returns a PathFailure or undefined; the orchestrator in validator.ts
// runs them in order. Path-wide rules live beside it: pathLen in validator.ts, name constraints in
// name-constraints.ts.
//
// Q: which extensions does the validator "process" (RFC 5280 §4.2: a critical extension that is
//    not recognised MUST reject the certificate)?
// A: basicConstraints, keyUsage, extKeyUsage, subjectAltName, nameConstraints, and the key
//    identifiers. Certificate policies are not processed, so a *critical* certificatePolicies
//    rejects the certificate too (fail closed); non-critical extensions are ignored.
// Q: must a trust anchor be a CA?
// A: yes (A13: "trust anchors are certificates too"): basicConstraints cA=true, keyCertSign when
//    keyUsage is present, its pathLenConstraint and name constraints apply, its dates count.
// Q: v1 certificates?
// A: rejected at every position. A v1 certificate cannot say cA=true (A13), and R10a already
//    excludes a v1 leaf from selection.
// Q: how strict about RFC 5280's rules for *issuing* CAs (key identifiers, serial numbers,
//    critical basicConstraints, empty names)?
// A: strict, as OpenSSL's -x509_strict and x509-limbo's rfc5280/webpki namespaces are: a CA
//    that gets these wrong is rejected (fail closed). Each check below cites its section.
import type { ParsedCertificate } from "../certificate.js";
import { sameBytes } from "../der.js";
import { KEY_USAGE, OID, profileOf } from "./extensions.js";
import { type PathFailure, pathFailure } from "./failure.js";

const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set([
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
  const problem = profileOf(certificate).problem;
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

const KEY_RSA = "1.2.840.113549.1.1.1";
const KEY_EC = "1.2.840.10045.2.1";
const KEY_ED25519 = "1.3.101.112";
const SUPPORTED_CURVES: ReadonlySet<string> = new Set([
  "06082a8648ce3d030107", // P-256
  "06052b81040022", // P-384
  "06052b81040023", // P-521
]);

/**
 * The subject key must be one SignatureVerifier can use (RSA, ECDSA P-256/384/521, Ed25519):
 * an issuer key we cannot use verifies nothing, and a leaf key we cannot use (DSA, P-192) is
 * not one a TLS peer of ours could use either.
 */
export function checkKeySupported(certificate: ParsedCertificate): PathFailure | undefined {
  const info = certificate.asn.tbsCertificate.subjectPublicKeyInfo.algorithm;
  const algorithm = info.algorithm;
  if (algorithm === KEY_RSA || algorithm === KEY_ED25519) return undefined;
  if (algorithm === KEY_EC && info.parameters != null) {
    const curve = Buffer.from(info.parameters).toString("hex");
    if (SUPPORTED_CURVES.has(curve)) return undefined;
    return pathFailure(
      "unsupported-key",
      "elliptic curve is not P-256, P-384 or P-521",
      certificate,
      {
        algorithm,
        curve,
      },
    );
  }
  return pathFailure(
    "unsupported-key",
    `public key algorithm ${algorithm} is not supported`,
    certificate,
    {
      algorithm,
    },
  );
}

/**
 * The checks that depend on the certificate alone, whatever its place in a path. (RFC 5280
 * §4.1.1.2, the outer signature algorithm equal to the signed one, is enforced byte for byte by
 * parseCertificate, so no certificate that reaches a path can fail it.)
 */
export const CERTIFICATE_CHECKS: readonly ((c: ParsedCertificate) => PathFailure | undefined)[] = [
  checkVersion,
  checkSerial,
  checkExtensionsDecode,
  checkCriticalExtensions,
  checkKeyIdentifiersNotCritical,
  checkKeyCertSignNeedsCa,
  checkNameConstraintsOnlyInCa,
  checkNames,
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

/** A13, RFC 5280 §6.1.4 (k): an issuer is a CA, and says so in a critical basicConstraints. */
export function checkIssuerIsCa(issuer: ParsedCertificate): PathFailure | undefined {
  const constraints = profileOf(issuer).basicConstraints;
  if (constraints === undefined) {
    return pathFailure("issuer-not-ca", "issuer has no basicConstraints", issuer);
  }
  if (!constraints.ca) return pathFailure("issuer-not-ca", "issuer has cA=false", issuer);
  if (!constraints.critical) {
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

export const ISSUER_CHECKS: readonly ((c: ParsedCertificate) => PathFailure | undefined)[] = [
  checkIssuerIsCa,
  checkIssuerKeyUsage,
  checkIssuerEku,
  checkIssuerHasSubjectKeyId,
];
