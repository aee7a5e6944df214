// Decoding, once per certificate, the extensions that path validation reads (RFC 5280 §4.2).
// A certificate is decoded lazily the first time a path touches it and the result is kept in a
// WeakMap, so a certificate shared by many candidate paths is decoded once.
//
// Q: what if an extension the validator reads cannot be decoded?
// A: the certificate cannot be part of a valid path (fail closed): the profile carries a
//    `bad-extension` problem and every check that touches the certificate reports it.
import type { ParsedCertificate } from "../certificate.js";
import { DerError, readChildren, readTlv } from "../der.js";
import { AsnConvert, asn1x509 } from "../x509.js";
import { type GeneralName, readGeneralNames } from "./general-names.js";

export const OID = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  nameConstraints: "2.5.29.30",
  certificatePolicies: "2.5.29.32",
  policyMappings: "2.5.29.33",
  policyConstraints: "2.5.29.36",
  inhibitAnyPolicy: "2.5.29.54",
  authorityKeyIdentifier: "2.5.29.35",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  anyExtendedKeyUsage: "2.5.29.37.0",
} as const;

/** KeyUsage bits as @peculiar/asn1-x509 numbers them (bit 0 = 1). */
export const KEY_USAGE = {
  digitalSignature: 1,
  keyEncipherment: 4,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
} as const;

export interface BasicConstraintsInfo {
  readonly ca: boolean;
  readonly pathLen: number | undefined;
  readonly critical: boolean;
}

export interface AuthorityKeyInfo {
  readonly keyIdentifier: Uint8Array | undefined;
  readonly hasIssuer: boolean;
  readonly hasSerial: boolean;
  /** authorityCertSerialNumber, upper-case hex without leading zero octets, when present. */
  readonly serial: string | undefined;
  readonly critical: boolean;
}

export interface NameSubtrees {
  readonly permitted: readonly GeneralName[] | undefined;
  readonly excluded: readonly GeneralName[] | undefined;
}

export interface ExtensionProblem {
  readonly oid: string;
  readonly message: string;
}

/** What the validator reads from one certificate's extensions. */
export interface CertificateProfile {
  readonly basicConstraints: BasicConstraintsInfo | undefined;
  /** KeyUsage bits, or undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  readonly extKeyUsage: readonly string[] | undefined;
  readonly subjectKeyIdentifier:
    | { readonly value: Uint8Array; readonly critical: boolean }
    | undefined;
  readonly authorityKeyIdentifier: AuthorityKeyInfo | undefined;
  readonly nameConstraints: (NameSubtrees & { readonly critical: boolean }) | undefined;
  /** Every SAN entry, of every type, or undefined when there is no SAN extension. */
  readonly subjectAltNames: readonly GeneralName[] | undefined;
  readonly subjectAltNameCritical: boolean;
  /** Subject and issuer names are equal (RFC 5280 §3.2 "self-issued"). */
  readonly selfIssued: boolean;
  readonly subjectEmpty: boolean;
  readonly issuerEmpty: boolean;
  /** A decoding problem: the certificate cannot be on a valid path (but as a trust anchor). */
  readonly problem: ExtensionProblem | undefined;
  /** A17: a problem in an extension a trust anchor's checks read. */
  readonly anchorProblem: ExtensionProblem | undefined;
  /** The strict profile's: any problem, authorityInfoAccess included. */
  readonly strictProblem: ExtensionProblem | undefined;
}

const profiles = new WeakMap<ParsedCertificate, CertificateProfile>();

/** The certificate's profile, decoded once. */
export function profileOf(certificate: ParsedCertificate): CertificateProfile {
  let profile = profiles.get(certificate);
  if (profile === undefined) {
    profile = decodeProfile(certificate);
    profiles.set(certificate, profile);
  }
  return profile;
}

class ExtensionError extends Error {
  constructor(
    readonly oid: string,
    message: string,
  ) {
    super(message);
  }
}

function decode<T>(oid: string, what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ExtensionError) throw error;
    throw new ExtensionError(oid, `${what} cannot be decoded: ${(error as Error).message}`);
  }
}

function decodeProfile(certificate: ParsedCertificate): CertificateProfile {
  // Each extension is decoded on its own, so that one that cannot be decoded costs only what
  // reads it: every certificate of a path but a trust anchor fails on any problem; an anchor
  // (A17) only on one in an extension its checks read (ANCHOR_READS).
  const problems: ExtensionProblem[] = [];
  const read = <T>(decoder: (c: ParsedCertificate) => T): T | undefined => {
    try {
      return decoder(certificate);
    } catch (error) {
      if (!(error instanceof ExtensionError)) throw error;
      problems.push({ oid: error.oid, message: error.message });
      return undefined;
    }
  };
  // An empty Name has the empty comparison key (a non-empty one names at least one attribute);
  // reading it there avoids building the certificate's whole asn1-schema model.
  const profile = {
    selfIssued: certificate.subjectKey === certificate.issuerKey,
    subjectEmpty: certificate.subjectKey === "",
    issuerEmpty: certificate.issuerKey === "",
    basicConstraints: read(basicConstraints),
    keyUsage: read(keyUsage),
    extKeyUsage: read(extKeyUsage),
    subjectKeyIdentifier: read(subjectKeyIdentifier),
    authorityKeyIdentifier: read(authorityKeyIdentifier),
    nameConstraints: read(nameConstraints),
    subjectAltNames: read(subjectAltNames),
    subjectAltNameCritical: certificate.extensions.get(OID.subjectAltName)?.critical === true,
  };
  // authorityInfoAccess is never used: a malformed one is an encoding fault the strict profile
  // refuses, nothing the default profile needs to read.
  const accessProblem = authorityInfoAccessProblem(certificate);
  return {
    ...profile,
    problem: problems[0],
    anchorProblem: problems.find((problem) => ANCHOR_READS.has(problem.oid)),
    strictProblem: problems[0] ?? accessProblem,
  };
}

/** The extensions a trust anchor's checks read in the default profile (A17). */
const ANCHOR_READS: ReadonlySet<string> = new Set([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.nameConstraints,
]);

function basicConstraints(certificate: ParsedCertificate): BasicConstraintsInfo | undefined {
  const raw = certificate.extensions.get(OID.basicConstraints);
  if (raw === undefined) return undefined;
  const value = decode(OID.basicConstraints, "basicConstraints", () =>
    AsnConvert.parse(raw.value, asn1x509.BasicConstraints),
  );
  return { ca: value.cA === true, pathLen: value.pathLenConstraint, critical: raw.critical };
}

function keyUsage(certificate: ParsedCertificate): number | undefined {
  const raw = certificate.extensions.get(OID.keyUsage);
  if (raw === undefined) return undefined;
  return decode(OID.keyUsage, "keyUsage", () =>
    AsnConvert.parse(raw.value, asn1x509.KeyUsage).toNumber(),
  );
}

function extKeyUsage(certificate: ParsedCertificate): readonly string[] | undefined {
  const raw = certificate.extensions.get(OID.extKeyUsage);
  if (raw === undefined) return undefined;
  const list = decode(OID.extKeyUsage, "extKeyUsage", () => [
    ...AsnConvert.parse(raw.value, asn1x509.ExtendedKeyUsage),
  ]);
  // RFC 5280 §4.2.1.12: KeyPurposeId SEQUENCE SIZE (1..MAX).
  if (list.length === 0) throw new ExtensionError(OID.extKeyUsage, "extKeyUsage is empty");
  return list;
}

function subjectKeyIdentifier(
  certificate: ParsedCertificate,
): CertificateProfile["subjectKeyIdentifier"] {
  const raw = certificate.extensions.get(OID.subjectKeyIdentifier);
  if (raw === undefined) return undefined;
  const value = decode(OID.subjectKeyIdentifier, "subjectKeyIdentifier", () =>
    AsnConvert.parse(raw.value, asn1x509.SubjectKeyIdentifier),
  );
  return { value: new Uint8Array(value.buffer), critical: raw.critical };
}

function authorityKeyIdentifier(certificate: ParsedCertificate): AuthorityKeyInfo | undefined {
  const raw = certificate.extensions.get(OID.authorityKeyIdentifier);
  if (raw === undefined) return undefined;
  const value = decode(OID.authorityKeyIdentifier, "authorityKeyIdentifier", () =>
    AsnConvert.parse(raw.value, asn1x509.AuthorityKeyIdentifier),
  );
  return {
    keyIdentifier:
      value.keyIdentifier === undefined ? undefined : new Uint8Array(value.keyIdentifier.buffer),
    hasIssuer: value.authorityCertIssuer !== undefined,
    hasSerial: value.authorityCertSerialNumber !== undefined,
    serial:
      value.authorityCertSerialNumber === undefined
        ? undefined
        : serialKey(Buffer.from(value.authorityCertSerialNumber).toString("hex")),
    critical: raw.critical,
  };
}

/**
 * NameConstraints, read from the raw DER: GeneralSubtree bases are decoded by our own reader so
 * that an iPAddress keeps its exact bytes (address and mask) and a malformed base is an error,
 * not a silently normalised value.
 */
function nameConstraints(certificate: ParsedCertificate): CertificateProfile["nameConstraints"] {
  const raw = certificate.extensions.get(OID.nameConstraints);
  if (raw === undefined) return undefined;
  return decode(OID.nameConstraints, "nameConstraints", () => {
    const bytes = raw.value;
    const outer = readTlv(bytes, 0);
    if (outer.tag !== 0x30 || outer.end !== bytes.length) {
      throw new DerError("NameConstraints is not one SEQUENCE");
    }
    let permitted: GeneralName[] | undefined;
    let excluded: GeneralName[] | undefined;
    for (const part of readChildren(bytes, outer)) {
      const subtrees = readSubtrees(bytes, part);
      if (part.tag === 0xa0 && permitted === undefined && excluded === undefined)
        permitted = subtrees;
      else if (part.tag === 0xa1 && excluded === undefined) excluded = subtrees;
      else throw new DerError(`unexpected field tag 0x${part.tag.toString(16)}`);
    }
    // RFC 5280 §4.2.1.10: "either the permittedSubtrees field or the excludedSubtrees MUST be
    // present", and GeneralSubtrees is SIZE (1..MAX).
    if (permitted === undefined && excluded === undefined) {
      throw new ExtensionError(OID.nameConstraints, "nameConstraints has no subtrees");
    }
    return { permitted, excluded, critical: raw.critical };
  });
}

function readSubtrees(
  bytes: Uint8Array,
  field: { start: number; contentStart: number; end: number; tag: number },
): GeneralName[] {
  const subtrees = readChildren(bytes, field);
  if (subtrees.length === 0) {
    throw new ExtensionError(OID.nameConstraints, "nameConstraints has an empty subtree list");
  }
  return subtrees.map((subtree) => {
    if (subtree.tag !== 0x30) throw new DerError("GeneralSubtree is not a SEQUENCE");
    const fields = readChildren(bytes, subtree);
    const baseTlv = fields[0];
    if (baseTlv === undefined) throw new DerError("GeneralSubtree has no base");
    // RFC 5280 §4.2.1.10: minimum MUST be zero and maximum MUST be absent.
    if (fields.length > 1) {
      throw new ExtensionError(OID.nameConstraints, "GeneralSubtree has minimum or maximum");
    }
    const [base] = readGeneralNames(bytes.subarray(baseTlv.start, baseTlv.end), false);
    if (base === undefined) throw new DerError("GeneralSubtree base is empty");
    return base;
  });
}

function subjectAltNames(certificate: ParsedCertificate): readonly GeneralName[] | undefined {
  const raw = certificate.extensions.get(OID.subjectAltName);
  if (raw === undefined) return undefined;
  const names = decode(OID.subjectAltName, "subjectAltName", () => {
    const outer = readTlv(raw.value, 0);
    if (outer.tag !== 0x30 || outer.end !== raw.value.length) {
      throw new DerError("GeneralNames is not one SEQUENCE");
    }
    return readGeneralNames(raw.value.subarray(outer.contentStart, outer.end), true);
  });
  // RFC 5280 §4.2.1.6: GeneralNames is SIZE (1..MAX).
  if (names.length === 0) throw new ExtensionError(OID.subjectAltName, "subjectAltName is empty");
  return names;
}

/**
 * authorityInfoAccess is not used (we never fetch issuers), but a malformed one is still a
 * malformed certificate: RFC 5280 §4.2.2.1 AuthorityInfoAccessSyntax is SIZE (1..MAX).
 */
function authorityInfoAccessProblem(certificate: ParsedCertificate): ExtensionProblem | undefined {
  const raw = certificate.extensions.get(OID.authorityInfoAccess);
  if (raw === undefined) return undefined;
  try {
    const access = decode(OID.authorityInfoAccess, "authorityInfoAccess", () =>
      AsnConvert.parse(raw.value, asn1x509.AuthorityInfoAccessSyntax),
    );
    if (access.length > 0) return undefined;
    return { oid: OID.authorityInfoAccess, message: "authorityInfoAccess is empty" };
  } catch (error) {
    if (!(error instanceof ExtensionError)) throw error;
    return { oid: error.oid, message: error.message };
  }
}

/** A serial number's comparison form: upper-case hex without leading zero octets. */
export function serialKey(hex: string): string {
  return hex.toUpperCase().replace(/^(00)+(?=..)/, "");
}
