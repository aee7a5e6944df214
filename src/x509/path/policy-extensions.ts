// Decoding the four certificate-policy extensions that policy processing reads (A19; RFC 5280
// §4.2.1.4, §4.2.1.5, §4.2.1.11, §4.2.1.14), strictly, from the certificate's raw DER. Each
// certificate is decoded once (WeakMap), as for the rest of its profile (extensions.ts).
//
// Q: what counts as malformed (the certificate then cannot be on a valid path, "bad-extension")?
// A: anything that is not strict DER of the ASN.1 below, trailing bytes, and the shapes RFC 5280
//    forbids: an empty certificatePolicies or policyMappings (SIZE (1..MAX)), an empty
//    policyQualifiers list, a policy OID listed twice in one certificatePolicies (§4.2.1.4
//    "MUST NOT appear more than once"), a policyConstraints with neither field (§4.2.1.11
//    "MUST NOT issue ... an empty sequence"), and a negative SkipCerts.
// Q: policy qualifiers?
// A: only their outer shape is checked (a SEQUENCE of { OID, value }); their content is never
//    read: A19 reports policies, not qualifiers, and RFC 5280 §6.1.2 keeps a node's
//    qualifier_set only for validators that return qualifiers to the application.
// Q: policyConstraints and inhibitAnyPolicy MUST be critical (§4.2.1.11, §4.2.1.14): is a
//    non-critical one rejected?
// A: no. That rule binds the issuing CA; the relying party processes the extension either way
//    (as OpenSSL does: the tests build these extensions non-critical and compare), which can
//    only make validation stricter.
// Q: a policyMappings that maps to or from anyPolicy?
// A: decoded as written: policies.ts rejects it with its own code ("bad-policy-mapping").
import type { ParsedCertificate } from "../certificate.js";
import { DerError, readChildren, readOid, readTlv, type Tlv } from "../der.js";
import { OID } from "./extensions.js";

/** The four extensions (the validator's OID table, where checks.ts marks them processed). */
export const POLICY_OID = {
  certificatePolicies: OID.certificatePolicies,
  policyMappings: OID.policyMappings,
  policyConstraints: OID.policyConstraints,
  inhibitAnyPolicy: OID.inhibitAnyPolicy,
  /** The special policy anyPolicy (RFC 5280 §4.2.1.4). */
  anyPolicy: "2.5.29.32.0",
} as const;

/** One policyMappings entry: the issuer's policy is considered equivalent to the subject's. */
export interface PolicyMapping {
  readonly issuerDomainPolicy: string;
  readonly subjectDomainPolicy: string;
}

/** What one certificate says about policies; `undefined` where the extension is absent. */
export interface PolicyExtensions {
  /** certificatePolicies: the policy OIDs, in certificate order (each at most once). */
  readonly policies: readonly string[] | undefined;
  readonly mappings: readonly PolicyMapping[] | undefined;
  /** policyConstraints' SkipCerts fields (either may be absent, not both). */
  readonly requireExplicitPolicy: number | undefined;
  readonly inhibitPolicyMapping: number | undefined;
  /** inhibitAnyPolicy's SkipCerts. */
  readonly inhibitAnyPolicy: number | undefined;
}

export type PolicyExtensionsResult =
  | { readonly ok: true; readonly value: PolicyExtensions }
  | { readonly ok: false; readonly oid: string; readonly message: string };

/**
 * SkipCerts values are certificate counts; a path never has this many certificates, so larger
 * values are equivalent and are read as this one (no precision games with huge INTEGERs).
 */
export const SKIP_CERTS_CAP = 0x7fff_ffff;

const decoded = new WeakMap<ParsedCertificate, PolicyExtensionsResult>();

/** The certificate's policy extensions, decoded once. Never throws. */
export function policyExtensionsOf(certificate: ParsedCertificate): PolicyExtensionsResult {
  let result = decoded.get(certificate);
  if (result === undefined) {
    result = decodePolicyExtensions(certificate);
    decoded.set(certificate, result);
  }
  return result;
}

/** A value that is DER but not what RFC 5280 allows (empty list, duplicate, wrong field...). */
class PolicyExtensionError extends Error {}

function decodePolicyExtensions(certificate: ParsedCertificate): PolicyExtensionsResult {
  const read = <T>(oid: string, decode: (bytes: Uint8Array) => T): T | undefined => {
    const raw = certificate.extensions.get(oid);
    if (raw === undefined) return undefined;
    try {
      return decode(raw.value);
    } catch (error) {
      if (error instanceof DerError || error instanceof PolicyExtensionError) {
        throw new DecodeFailure(oid, error.message);
      }
      throw new DecodeFailure(oid, `cannot be decoded: ${String(error)}`);
    }
  };
  try {
    const policies = read(POLICY_OID.certificatePolicies, decodeCertificatePolicies);
    const mappings = read(POLICY_OID.policyMappings, decodePolicyMappings);
    const constraints = read(POLICY_OID.policyConstraints, decodePolicyConstraints);
    return {
      ok: true,
      value: {
        policies,
        mappings,
        requireExplicitPolicy: constraints?.requireExplicitPolicy,
        inhibitPolicyMapping: constraints?.inhibitPolicyMapping,
        inhibitAnyPolicy: read(POLICY_OID.inhibitAnyPolicy, decodeInhibitAnyPolicy),
      },
    };
  } catch (error) {
    if (error instanceof DecodeFailure) {
      return { ok: false, oid: error.oid, message: error.message };
    }
    return { ok: false, oid: "", message: `cannot be decoded: ${String(error)}` };
  }
}

/** Either kind of problem, with the extension it was found in. */
class DecodeFailure extends Error {
  constructor(
    readonly oid: string,
    message: string,
  ) {
    super(message);
  }
}

/** The single TLV that makes up `bytes` (no trailing data), with the expected tag. */
function whole(bytes: Uint8Array, tag: number, what: string): Tlv {
  const tlv = readTlv(bytes, 0);
  if (tlv.tag !== tag) throw new PolicyExtensionError(`${what} has the wrong tag`);
  if (tlv.end !== bytes.length) throw new PolicyExtensionError(`trailing data after ${what}`);
  return tlv;
}

/**
 * certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation
 * PolicyInformation ::= SEQUENCE { policyIdentifier OID, policyQualifiers SEQUENCE SIZE (1..MAX)
 *   OF PolicyQualifierInfo OPTIONAL }
 */
export function decodeCertificatePolicies(bytes: Uint8Array): string[] {
  const outer = whole(bytes, 0x30, "certificatePolicies");
  const entries = readChildren(bytes, outer);
  if (entries.length === 0) throw new PolicyExtensionError("certificatePolicies is empty");
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry.tag !== 0x30) throw new PolicyExtensionError("PolicyInformation is not a SEQUENCE");
    const [identifier, qualifiers, ...rest] = readChildren(bytes, entry);
    if (identifier === undefined || identifier.tag !== 0x06) {
      throw new PolicyExtensionError("PolicyInformation does not start with an OID");
    }
    if (rest.length > 0) throw new PolicyExtensionError("PolicyInformation has extra fields");
    if (qualifiers !== undefined) checkQualifiers(bytes, qualifiers);
    const policy = readOid(bytes, identifier);
    // RFC 5280 §4.2.1.4: "A certificate policy OID MUST NOT appear more than once".
    if (seen.has(policy)) {
      throw new PolicyExtensionError(`policy ${policy} appears more than once`);
    }
    seen.add(policy);
  }
  return [...seen];
}

/** policyQualifiers: SEQUENCE SIZE (1..MAX) OF SEQUENCE { policyQualifierId OID, qualifier ANY }. */
function checkQualifiers(bytes: Uint8Array, qualifiers: Tlv): void {
  if (qualifiers.tag !== 0x30) throw new PolicyExtensionError("policyQualifiers is not a SEQUENCE");
  const list = readChildren(bytes, qualifiers);
  if (list.length === 0) throw new PolicyExtensionError("policyQualifiers is empty");
  for (const qualifier of list) {
    if (qualifier.tag !== 0x30) {
      throw new PolicyExtensionError("PolicyQualifierInfo is not a SEQUENCE");
    }
    const [id, value, ...rest] = readChildren(bytes, qualifier);
    if (id === undefined || id.tag !== 0x06 || value === undefined || rest.length > 0) {
      throw new PolicyExtensionError("PolicyQualifierInfo is not { OID, qualifier }");
    }
    readOid(bytes, id);
  }
}

/**
 * PolicyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE { issuerDomainPolicy OID,
 *   subjectDomainPolicy OID }
 */
export function decodePolicyMappings(bytes: Uint8Array): PolicyMapping[] {
  const outer = whole(bytes, 0x30, "policyMappings");
  const entries = readChildren(bytes, outer);
  if (entries.length === 0) throw new PolicyExtensionError("policyMappings is empty");
  return entries.map((entry) => {
    if (entry.tag !== 0x30) throw new PolicyExtensionError("a policy mapping is not a SEQUENCE");
    const fields = readChildren(bytes, entry);
    const [issuer, subject] = fields;
    if (fields.length !== 2 || issuer?.tag !== 0x06 || subject?.tag !== 0x06) {
      throw new PolicyExtensionError("a policy mapping is not two OIDs");
    }
    return {
      issuerDomainPolicy: readOid(bytes, issuer),
      subjectDomainPolicy: readOid(bytes, subject),
    };
  });
}

/**
 * PolicyConstraints ::= SEQUENCE { requireExplicitPolicy [0] IMPLICIT SkipCerts OPTIONAL,
 *   inhibitPolicyMapping [1] IMPLICIT SkipCerts OPTIONAL }
 */
export function decodePolicyConstraints(bytes: Uint8Array): {
  readonly requireExplicitPolicy: number | undefined;
  readonly inhibitPolicyMapping: number | undefined;
} {
  const outer = whole(bytes, 0x30, "policyConstraints");
  const fields = readChildren(bytes, outer);
  let requireExplicitPolicy: number | undefined;
  let inhibitPolicyMapping: number | undefined;
  for (const field of fields) {
    // Context tags [0] then [1], each at most once, in that order (DER SEQUENCE order).
    if (
      field.tag === 0x80 &&
      requireExplicitPolicy === undefined &&
      inhibitPolicyMapping === undefined
    ) {
      requireExplicitPolicy = readSkipCerts(bytes, field);
    } else if (field.tag === 0x81 && inhibitPolicyMapping === undefined) {
      inhibitPolicyMapping = readSkipCerts(bytes, field);
    } else {
      throw new PolicyExtensionError(
        `unexpected field tag 0x${field.tag.toString(16)} in policyConstraints`,
      );
    }
  }
  // RFC 5280 §4.2.1.11: an empty policyConstraints MUST NOT be issued.
  if (requireExplicitPolicy === undefined && inhibitPolicyMapping === undefined) {
    throw new PolicyExtensionError("policyConstraints has neither field");
  }
  return { requireExplicitPolicy, inhibitPolicyMapping };
}

/** InhibitAnyPolicy ::= SkipCerts (INTEGER (0..MAX)). */
export function decodeInhibitAnyPolicy(bytes: Uint8Array): number {
  return readSkipCerts(bytes, whole(bytes, 0x02, "inhibitAnyPolicy"));
}

/** A non-negative, minimally encoded INTEGER; values past SKIP_CERTS_CAP read as the cap. */
function readSkipCerts(bytes: Uint8Array, tlv: Tlv): number {
  const length = tlv.end - tlv.contentStart;
  if (length === 0) throw new PolicyExtensionError("empty SkipCerts INTEGER");
  const first = bytes[tlv.contentStart]!;
  if (first & 0x80) throw new PolicyExtensionError("negative SkipCerts");
  if (length > 1 && first === 0 && (bytes[tlv.contentStart + 1]! & 0x80) === 0) {
    throw new PolicyExtensionError("non-minimal SkipCerts INTEGER");
  }
  let value = 0;
  for (let i = tlv.contentStart; i < tlv.end; i++) {
    value = value * 256 + bytes[i]!;
    if (value >= SKIP_CERTS_CAP) return SKIP_CERTS_CAP;
  }
  return value;
}
