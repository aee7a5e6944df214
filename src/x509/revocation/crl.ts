// Parsing a certificate revocation list (RFC 5280 §5) once, into what revocation checking reads
// (A21): issuer, dates, CRL number, delta indicator, issuing distribution point, and an index of
// the revoked serial numbers for O(1) look-ups.
//
// Q: what happens to a CRL that cannot be read?
// A: it is *ignored with a reason* (a stable code), never thrown: a CRL comes from the caller's
//    files, and one bad file must not stop validation. Without a usable CRL a certificate's
//    status is "unknown" (soft mode: still valid; hard mode: "revocation-unknown").
// Q: how strict is the encoding check?
// A: the structure is read with the strict DER reader (src/x509/der.ts: definite, minimal
//    lengths, nothing read past its container) and every field's tag and order are checked. The
//    signature covers the TBSCertList, so a CRL whose bytes are not exactly the signed ones
//    cannot be used anyway; OpenSSL reads the same CRLs (the PKITS CRLs, `openssl ca -gencrl`
//    output).
// Q: how long does a hostile CRL take?
// A: linear in its size. Each entry is visited once: its serial number's place goes into a
//    hash table over the CRL's own bytes (serial-index.ts), and its extensions' OIDs and
//    criticality are checked. Dates and reason codes of an entry are decoded only when a
//    certificate is found on the list. Nothing recurses on attacker-controlled nesting.
// Q: a CRL with two entries for the same serial number?
// A: the first one counts (OpenSSL's lookup also stops at the first match after its sort).
import { createHash } from "node:crypto";

import { DerError, readChildren, readOid, readTlv, sameBytes, type Tlv } from "../der.js";
import { readGeneralNames } from "../path/general-names.js";
import { AsnConvert, asn1x509 } from "../x509.js";
import { directoryKeys, nameKeyOfDer, type ScopeNames } from "./names.js";
import { SerialIndex } from "./serial-index.js";

/** DER bytes, or PEM text with one or more `X509 CRL` blocks. */
export type CertificateRevocationListInput = Uint8Array | string;

/** Why a supplied CRL is never used (stable codes). */
export type CrlParseFailure =
  /** The input holds no CRL (empty, or PEM without an `X509 CRL` block). */
  | "empty"
  /** PEM whose base64 is not valid. */
  | "pem-bad-base64"
  /** Not DER, truncated, or a length that runs past its container. */
  | "der-malformed"
  /** Well-formed DER that is not a CertificateList (wrong tag, missing or extra field). */
  | "asn1-schema"
  /** Version other than v1 (absent) or v2, or v1 with extensions. */
  | "unsupported-version"
  /** thisUpdate or nextUpdate is not a valid time. */
  | "bad-time"
  /** The outer signatureAlgorithm differs from the signed one (RFC 5280 §5.1.1.2). */
  | "signature-algorithm-mismatch"
  /** A CRL extension or entry extension appears twice. */
  | "duplicate-extension"
  /** A CRL extension this module reads cannot be decoded. */
  | "bad-extension";

/** The CRL entry reason codes (RFC 5280 §5.3.1); 7 is not used. */
export const CRL_REASONS: Readonly<Record<number, string>> = {
  0: "unspecified",
  1: "keyCompromise",
  2: "cACompromise",
  3: "affiliationChanged",
  4: "superseded",
  5: "cessationOfOperation",
  6: "certificateHold",
  8: "removeFromCRL",
  9: "privilegeWithdrawn",
  10: "aACompromise",
};
export const REMOVE_FROM_CRL = 8;

/** ReasonFlags (RFC 5280 §4.2.1.13) as a bit mask: bit n is the BIT STRING's bit n. */
export const ALL_REASONS = 0x1fe; // keyCompromise(1) … aACompromise(8); unused(0) excluded

export const CRL_OID = {
  authorityKeyIdentifier: "2.5.29.35",
  issuerAltName: "2.5.29.18",
  cRLNumber: "2.5.29.20",
  deltaCRLIndicator: "2.5.29.27",
  issuingDistributionPoint: "2.5.29.28",
  freshestCRL: "2.5.29.46",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  reasonCode: "2.5.29.21",
  holdInstructionCode: "2.5.29.23",
  invalidityDate: "2.5.29.24",
  certificateIssuer: "2.5.29.29",
  cRLDistributionPoints: "2.5.29.31",
} as const;

/** CRL extensions this module processes (RFC 5280 §5.2); any other critical one: unusable. */
const KNOWN_CRL_EXTENSIONS: ReadonlySet<string> = new Set([
  CRL_OID.authorityKeyIdentifier,
  CRL_OID.issuerAltName,
  CRL_OID.cRLNumber,
  CRL_OID.deltaCRLIndicator,
  CRL_OID.issuingDistributionPoint,
  CRL_OID.freshestCRL,
  CRL_OID.authorityInfoAccess,
]);
/** Entry extensions this module processes (RFC 5280 §5.3). */
const KNOWN_ENTRY_EXTENSIONS: ReadonlySet<string> = new Set([
  CRL_OID.reasonCode,
  CRL_OID.holdInstructionCode,
  CRL_OID.invalidityDate,
  CRL_OID.certificateIssuer,
]);

/** issuingDistributionPoint (RFC 5280 §5.2.5), decoded. */
export interface IssuingDistributionPoint {
  /** The distribution point names (fullName, or nameRelativeToCRLIssuer made full). */
  readonly names: ScopeNames | undefined;
  readonly onlyContainsUserCerts: boolean;
  readonly onlyContainsCACerts: boolean;
  /** ReasonFlags mask, or undefined (all reasons). */
  readonly onlySomeReasons: number | undefined;
  readonly indirectCRL: boolean;
  readonly onlyContainsAttributeCerts: boolean;
  /** The extension's bytes: a delta CRL applies to a base of exactly the same scope. */
  readonly der: Uint8Array;
}

/** One revoked certificate, decoded on look-up. */
export interface CrlEntry {
  readonly serialNumber: string;
  readonly revocationDate: Date | undefined;
  /** RFC 5280 §5.3.1 reason code, when present. */
  readonly reasonCode: number | undefined;
  readonly invalidityDate: Date | undefined;
}

export interface ParsedCrl {
  /** SHA-256 of the DER, 64 upper-case hex digits: the identifier results cite. */
  readonly id: string;
  readonly der: Uint8Array;
  readonly version: 1 | 2;
  /** Display form of the issuer name (RFC 4514 order is not attempted: most general first). */
  readonly issuer: string;
  /** Canonical issuer name key (see names.ts). */
  readonly issuerKey: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** cRLNumber as a non-negative bigint, when present. */
  readonly crlNumber: bigint | undefined;
  /** deltaCRLIndicator's BaseCRLNumber: present only on a delta CRL (RFC 5280 §5.2.4). */
  readonly baseCrlNumber: bigint | undefined;
  readonly issuingDistributionPoint: IssuingDistributionPoint | undefined;
  /** authorityKeyIdentifier's keyIdentifier, when present. */
  readonly authorityKeyId: Uint8Array | undefined;
  /** An unknown critical CRL or entry extension (RFC 5280 §5.2, §5.3): never usable. */
  readonly unknownCritical: string | undefined;
  /** The signed TBSCertList, the signature algorithm and value. */
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: asn1x509.AlgorithmIdentifier;
  readonly signature: Uint8Array;
  /** The signature BIT STRING has unused bits: it cannot verify (RFC 5280 §5.1.1.3). */
  readonly signatureMalformed: boolean;
  readonly entryCount: number;
  /**
   * The entry for a serial number (upper-case hex of the INTEGER's content octets, as
   * ParsedCertificate.serialNumber) issued by `certificateIssuerKey` (the CRL issuer's own
   * entries when it equals issuerKey; RFC 5280 §5.3.3 for indirect CRLs).
   */
  lookup(serialNumber: string, certificateIssuerKey: string): CrlEntry | undefined;
}

export type CrlParse =
  | { readonly ok: true; readonly crl: ParsedCrl }
  | { readonly ok: false; readonly failure: CrlParseFailure; readonly detail: string };

class CrlError extends Error {
  constructor(
    readonly failure: CrlParseFailure,
    message: string,
  ) {
    super(message);
  }
}

const BEGIN = "-----BEGIN X509 CRL-----";

/** The first byte that is not ASCII white space is "-", as in "-----BEGIN". */
function looksLikePem(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x2d;
  }
  return false;
}
const END = "-----END X509 CRL-----";
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Every CRL in one input: DER bytes are one CRL, PEM text may hold several blocks (a bundle
 * file). Linear scan with indexOf. A wrong input type is misuse: TypeError.
 */
export function parseCrlInput(input: CertificateRevocationListInput): CrlParse[] {
  // Our own copy: entries are decoded lazily, at look-up time, from these bytes (after the
  // signature was checked), so a caller who reuses its buffer must not change a parsed CRL.
  // Bytes that hold PEM (a .crl file read with readFileSync, no encoding) are read as PEM: DER
  // never starts with "-", and ignoring such a CRL would leave a revoked certificate "unknown".
  if (input instanceof Uint8Array) {
    if (!looksLikePem(input)) return [parseCrl(new Uint8Array(input))];
    return parseCrlInput(Buffer.from(input).toString("latin1"));
  }
  if (typeof input !== "string") {
    throw new TypeError("a CRL must be DER bytes (Uint8Array) or PEM text (string)");
  }
  const results: CrlParse[] = [];
  let from = 0;
  for (;;) {
    const begin = input.indexOf(BEGIN, from);
    if (begin < 0) break;
    const end = input.indexOf(END, begin + BEGIN.length);
    if (end < 0) {
      results.push(failed("pem-bad-base64", "a BEGIN X509 CRL line without its END line"));
      break;
    }
    const compact = input.slice(begin + BEGIN.length, end).replace(/\s+/g, "");
    if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64_BODY.test(compact)) {
      results.push(failed("pem-bad-base64", "the CRL block is not valid base64"));
    } else {
      results.push(parseCrl(new Uint8Array(Buffer.from(compact, "base64"))));
    }
    from = end + END.length;
  }
  if (results.length === 0) results.push(failed("empty", "no BEGIN/END X509 CRL block"));
  return results;
}

function failed(failure: CrlParseFailure, detail: string): CrlParse {
  return { ok: false, failure, detail };
}

/** Parses one DER CRL. Never throws. */
export function parseCrl(der: Uint8Array): CrlParse {
  if (!(der instanceof Uint8Array) || der.length === 0) return failed("empty", "the CRL is empty");
  try {
    return { ok: true, crl: readCrl(der) };
  } catch (error) {
    if (error instanceof CrlError) return failed(error.failure, error.message);
    if (error instanceof DerError)
      return failed("der-malformed", `malformed DER: ${error.message}`);
    // Anything unforeseen (a schema decoder's own error): still a reason, never an exception.
    return failed("asn1-schema", `not a CRL: ${(error as Error).message}`);
  }
}

function expect(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (tlv === undefined) throw new CrlError("asn1-schema", `${what} is missing`);
  if (tlv.tag !== tag) {
    throw new CrlError(
      "asn1-schema",
      `${what} has tag 0x${tlv.tag.toString(16)}, not 0x${tag.toString(16)}`,
    );
  }
  return tlv;
}

interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Tlv;
}

function readCrl(der: Uint8Array): ParsedCrl {
  const outer = expect(readTlv(der, 0), 0x30, "CertificateList");
  if (outer.end !== der.length) {
    throw new CrlError("der-malformed", `${der.length - outer.end} bytes after the CRL`);
  }
  const parts = readChildren(der, outer);
  if (parts.length !== 3) {
    throw new CrlError("asn1-schema", "a CRL holds tbsCertList, signatureAlgorithm, signature");
  }
  const tbsTlv = expect(parts[0], 0x30, "tbsCertList");
  const outerAlgorithm = expect(parts[1], 0x30, "signatureAlgorithm");
  const signatureTlv = expect(parts[2], 0x03, "signatureValue");
  if (signatureTlv.end === signatureTlv.contentStart) {
    throw new CrlError("der-malformed", "the signature BIT STRING is empty");
  }
  // A18: OpenSSL reads a CRL whose signature BIT STRING claims unused bits (PKITS 4.4.4 flips
  // that octet); it is readable, and its signature simply never verifies.
  const signatureMalformed = der[signatureTlv.contentStart] !== 0;

  const fields = readChildren(der, tbsTlv);
  let i = 0;
  let version: 1 | 2 = 1;
  if (fields[0]?.tag === 0x02) {
    const content = der.subarray(fields[0].contentStart, fields[0].end);
    if (content.length !== 1 || content[0] !== 1) {
      throw new CrlError("unsupported-version", "version is not v2 (1)");
    }
    version = 2;
    i = 1;
  }
  const innerAlgorithm = expect(fields[i++], 0x30, "signature");
  // RFC 5280 §5.1.1.2: the outer algorithm MUST equal the signed one; the outer copy is not
  // covered by the signature.
  if (
    !sameBytes(
      der.subarray(innerAlgorithm.start, innerAlgorithm.end),
      der.subarray(outerAlgorithm.start, outerAlgorithm.end),
    )
  ) {
    throw new CrlError(
      "signature-algorithm-mismatch",
      "the outer signatureAlgorithm differs from the signed one",
    );
  }
  const issuerTlv = expect(fields[i++], 0x30, "issuer");
  const issuerBytes = der.subarray(issuerTlv.start, issuerTlv.end);
  const issuer = nameKeyOfDer(issuerBytes);
  const thisUpdate = readTime(der, fields[i++], "thisUpdate");
  let nextUpdate: Date | undefined;
  if (fields[i]?.tag === 0x17 || fields[i]?.tag === 0x18) {
    nextUpdate = readTime(der, fields[i++], "nextUpdate");
  }
  let revoked: Tlv | undefined;
  if (fields[i]?.tag === 0x30) revoked = fields[i++];
  let extensions: Extension[] = [];
  if (fields[i]?.tag === 0xa0) {
    const wrapper = readChildren(der, fields[i++]!);
    if (wrapper.length !== 1) throw new CrlError("asn1-schema", "crlExtensions holds one SEQUENCE");
    extensions = readExtensions(der, expect(wrapper[0], 0x30, "crlExtensions"));
    if (version !== 2) throw new CrlError("unsupported-version", "a v1 CRL with extensions");
  }
  if (i !== fields.length) {
    throw new CrlError("asn1-schema", `unexpected field with tag 0x${fields[i]!.tag.toString(16)}`);
  }

  let unknownCritical: string | undefined;
  let crlNumber: bigint | undefined;
  let baseCrlNumber: bigint | undefined;
  let idp: IssuingDistributionPoint | undefined;
  let authorityKeyId: Uint8Array | undefined;
  const seen = new Set<string>();
  for (const extension of extensions) {
    if (seen.has(extension.oid)) {
      throw new CrlError("duplicate-extension", `CRL extension ${extension.oid} appears twice`);
    }
    seen.add(extension.oid);
    if (!KNOWN_CRL_EXTENSIONS.has(extension.oid)) {
      if (extension.critical) unknownCritical ??= extension.oid;
      continue;
    }
    const value = der.subarray(extension.value.contentStart, extension.value.end);
    switch (extension.oid) {
      case CRL_OID.cRLNumber:
        crlNumber = decodeExtension(extension.oid, () => nonNegativeInteger(value));
        break;
      case CRL_OID.deltaCRLIndicator:
        baseCrlNumber = decodeExtension(extension.oid, () => nonNegativeInteger(value));
        break;
      case CRL_OID.issuingDistributionPoint:
        idp = decodeExtension(extension.oid, () => readIssuingDistributionPoint(value, issuer));
        break;
      case CRL_OID.authorityKeyIdentifier:
        authorityKeyId = decodeExtension(extension.oid, () => readAuthorityKeyId(value));
        break;
      default:
        break;
    }
  }

  const index =
    revoked === undefined
      ? new SerialIndex(der).seal()
      : indexEntries(der, revoked, issuer.key, (oid) => {
          unknownCritical ??= oid;
        });

  let signatureAlgorithm: asn1x509.AlgorithmIdentifier;
  try {
    signatureAlgorithm = AsnConvert.parse(
      der.subarray(innerAlgorithm.start, innerAlgorithm.end),
      asn1x509.AlgorithmIdentifier,
    );
  } catch (error) {
    throw new CrlError("asn1-schema", `signature algorithm: ${(error as Error).message}`);
  }

  const lookup = (serialNumber: string, certificateIssuerKey: string): CrlEntry | undefined => {
    const at = index.find(serialNumber, certificateIssuerKey);
    return at === undefined ? undefined : readEntry(der, at);
  };
  return {
    id: createHash("sha256").update(der).digest("hex").toUpperCase(),
    der,
    version,
    issuer: issuer.display,
    issuerKey: issuer.key,
    thisUpdate,
    nextUpdate,
    crlNumber,
    baseCrlNumber,
    issuingDistributionPoint: idp,
    authorityKeyId,
    unknownCritical,
    tbs: der.subarray(tbsTlv.start, tbsTlv.end),
    signatureAlgorithm,
    signature: der.subarray(signatureTlv.contentStart + 1, signatureTlv.end),
    signatureMalformed,
    entryCount: index.size,
    lookup,
  };
}

function decodeExtension<T>(oid: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof CrlError) throw error;
    throw new CrlError("bad-extension", `CRL extension ${oid}: ${(error as Error).message}`);
  }
}

/**
 * revokedCertificates: one pass, serial number → offset of the entry. The certificateIssuer
 * entry extension (RFC 5280 §5.3.3) names the issuer of this entry *and every following one*
 * until the next certificateIssuer; entries before the first belong to the CRL issuer.
 */
function indexEntries(
  der: Uint8Array,
  list: Tlv,
  crlIssuerKey: string,
  onUnknownCritical: (oid: string) => void,
): SerialIndex {
  const index = new SerialIndex(der);
  let group = index.addGroup([crlIssuerKey]);
  const groupCache = new Map<string, number>();
  let offset = list.contentStart;
  while (offset < list.end) {
    const entry = readTlv(der, offset, list.end);
    offset = entry.end;
    if (entry.tag !== 0x30) throw new CrlError("asn1-schema", "a CRL entry is not a SEQUENCE");
    const serial = expect(readTlv(der, entry.contentStart, entry.end), 0x02, "userCertificate");
    if (serial.end === serial.contentStart) throw new DerError("empty INTEGER");
    // X.690 §8.3.2: a minimal INTEGER (as OpenSSL requires, and as a certificate's serial is
    // written): otherwise the same number could be listed under a key no certificate has.
    if (serial.end - serial.contentStart > 1) {
      const first = der[serial.contentStart]!;
      const second = der[serial.contentStart + 1]!;
      if ((first === 0 && second < 0x80) || (first === 0xff && second >= 0x80)) {
        throw new DerError("a serial number INTEGER is not minimally encoded");
      }
    }
    const date = readTlv(der, serial.end, entry.end);
    if (date.tag !== 0x17 && date.tag !== 0x18) {
      throw new CrlError("asn1-schema", "revocationDate is not a Time");
    }
    if (date.end < entry.end) {
      const extensionsTlv = expect(readTlv(der, date.end, entry.end), 0x30, "crlEntryExtensions");
      if (extensionsTlv.end !== entry.end) {
        throw new CrlError("asn1-schema", "data after crlEntryExtensions");
      }
      const seen = new Set<string>();
      for (const extension of readExtensions(der, extensionsTlv)) {
        if (seen.has(extension.oid)) {
          throw new CrlError("duplicate-extension", `entry extension ${extension.oid} twice`);
        }
        seen.add(extension.oid);
        if (!KNOWN_ENTRY_EXTENSIONS.has(extension.oid)) {
          if (extension.critical) onUnknownCritical(extension.oid);
        } else if (extension.oid === CRL_OID.certificateIssuer) {
          const bytes = der.subarray(extension.value.contentStart, extension.value.end);
          const cacheKey = Buffer.from(bytes).toString("base64");
          let known = groupCache.get(cacheKey);
          if (known === undefined) {
            const keys = decodeExtension(extension.oid, () => directoryNameKeys(bytes));
            known = index.addGroup(keys);
            groupCache.set(cacheKey, known);
          }
          group = known;
        }
      }
    }
    index.add(entry.start, serial.contentStart, serial.end, group);
  }
  return index.seal();
}

/** The directoryName keys of a GeneralNames value (certificateIssuer). */
function directoryNameKeys(bytes: Uint8Array): string[] {
  const outer = readTlv(bytes, 0);
  if (outer.tag !== 0x30 || outer.end !== bytes.length) {
    throw new DerError("GeneralNames is not one SEQUENCE");
  }
  return directoryKeys(readGeneralNames(bytes.subarray(outer.contentStart, outer.end), true));
}

/** Decodes the entry at `offset` (the index found it; its structure was checked then). */
function readEntry(der: Uint8Array, offset: number): CrlEntry {
  const entry = readTlv(der, offset);
  const serial = readTlv(der, entry.contentStart, entry.end);
  const date = readTlv(der, serial.end, entry.end);
  let reasonCode: number | undefined;
  let invalidityDate: Date | undefined;
  if (date.end < entry.end) {
    for (const extension of readExtensions(der, readTlv(der, date.end, entry.end))) {
      const value = der.subarray(extension.value.contentStart, extension.value.end);
      try {
        if (extension.oid === CRL_OID.reasonCode) {
          const tlv = readTlv(value, 0);
          if (tlv.tag === 0x0a && tlv.end === tlv.contentStart + 1) {
            reasonCode = value[tlv.contentStart];
          }
        } else if (extension.oid === CRL_OID.invalidityDate) {
          invalidityDate = parseTime(value, readTlv(value, 0));
        }
      } catch {
        // A malformed reason or invalidity date does not unrevoke the entry: it is left out.
      }
    }
  }
  return {
    serialNumber: Buffer.from(der.subarray(serial.contentStart, serial.end))
      .toString("hex")
      .toUpperCase(),
    revocationDate: parseTime(der, date),
    reasonCode,
    invalidityDate,
  };
}

/** Extensions ::= SEQUENCE OF Extension { extnID, critical BOOLEAN DEFAULT FALSE, extnValue }. */
function readExtensions(der: Uint8Array, list: Tlv): Extension[] {
  const extensions: Extension[] = [];
  for (const extension of readChildren(der, list)) {
    const parts = readChildren(der, expect(extension, 0x30, "Extension"));
    const oid = readOid(der, expect(parts[0], 0x06, "extnID"));
    let critical = false;
    let index = 1;
    if (parts.length === 3) {
      const flag = expect(parts[1], 0x01, "critical");
      if (flag.end !== flag.contentStart + 1) throw new DerError("BOOLEAN is not one octet");
      critical = der[flag.contentStart] !== 0;
      index = 2;
    } else if (parts.length !== 2) {
      throw new CrlError("asn1-schema", "Extension must hold extnID, [critical,] extnValue");
    }
    extensions.push({ oid, critical, value: expect(parts[index], 0x04, "extnValue") });
  }
  return extensions;
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

function readTime(der: Uint8Array, tlv: Tlv | undefined, what: string): Date {
  if (tlv === undefined || (tlv.tag !== 0x17 && tlv.tag !== 0x18)) {
    throw new CrlError("asn1-schema", `${what} is not a Time`);
  }
  const date = parseTime(der, tlv);
  if (date === undefined) throw new CrlError("bad-time", `${what} is not a valid time`);
  return date;
}

/** RFC 5280 §5.1.2.4–5: YYMMDDHHMMSSZ (50–99: 19YY) or YYYYMMDDHHMMSSZ, every field in range. */
function parseTime(der: Uint8Array, tlv: Tlv): Date | undefined {
  if (tlv.end - tlv.contentStart > 32) return undefined;
  const text = Buffer.from(der.subarray(tlv.contentStart, tlv.end)).toString("latin1");
  const match = (tlv.tag === 0x17 ? UTC_TIME : tlv.tag === 0x18 ? GENERALIZED_TIME : null)?.exec(
    text,
  );
  if (match === null || match === undefined) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, ...number[]];
  const year = tlv.tag === 0x17 ? (y! >= 50 ? 1900 + y! : 2000 + y!) : y!;
  const date = new Date(Date.UTC(year, mo! - 1, d!, h!, mi!, s!));
  if (year < 100) date.setUTCFullYear(year);
  const valid =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === mo! - 1 &&
    date.getUTCDate() === d! &&
    date.getUTCHours() === h! &&
    date.getUTCMinutes() === mi! &&
    date.getUTCSeconds() === s!;
  return valid ? date : undefined;
}

/** CRLNumber / BaseCRLNumber ::= INTEGER (0..MAX), at most 20 octets (RFC 5280 §5.2.3). */
function nonNegativeInteger(value: Uint8Array): bigint {
  const tlv = readTlv(value, 0);
  if (tlv.tag !== 0x02 || tlv.end !== value.length || tlv.end === tlv.contentStart) {
    throw new DerError("not one INTEGER");
  }
  const content = value.subarray(tlv.contentStart, tlv.end);
  if ((content[0]! & 0x80) !== 0) throw new DerError("negative CRL number");
  if (content.length > 21) throw new DerError("CRL number longer than 20 octets");
  let result = 0n;
  for (const byte of content) result = result * 256n + BigInt(byte);
  return result;
}

/** AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] OCTET STRING OPTIONAL, … }. */
function readAuthorityKeyId(value: Uint8Array): Uint8Array | undefined {
  const outer = readTlv(value, 0);
  if (outer.tag !== 0x30 || outer.end !== value.length) throw new DerError("not a SEQUENCE");
  const first = readChildren(value, outer)[0];
  return first?.tag === 0x80 ? value.subarray(first.contentStart, first.end) : undefined;
}

/**
 * IssuingDistributionPoint ::= SEQUENCE {
 *   distributionPoint [0] DistributionPointName OPTIONAL, onlyContainsUserCerts [1] BOOLEAN,
 *   onlyContainsCACerts [2] BOOLEAN, onlySomeReasons [3] ReasonFlags OPTIONAL,
 *   indirectCRL [4] BOOLEAN, onlyContainsAttributeCerts [5] BOOLEAN } (RFC 5280 §5.2.5).
 */
function readIssuingDistributionPoint(
  value: Uint8Array,
  issuer: { readonly key: string },
): IssuingDistributionPoint {
  const outer = readTlv(value, 0);
  if (outer.tag !== 0x30 || outer.end !== value.length) throw new DerError("not a SEQUENCE");
  let names: ScopeNames | undefined;
  const flags = [false, false, false, false, false, false];
  let onlySomeReasons: number | undefined;
  let last = -1;
  for (const field of readChildren(value, outer)) {
    const number = field.tag & 0x1f;
    if ((field.tag & 0xc0) !== 0x80 || number > 5 || number <= last) {
      throw new DerError(`unexpected field tag 0x${field.tag.toString(16)}`);
    }
    last = number;
    if (number === 0) {
      names = readDistributionPointName(value, field, issuer.key);
    } else if (number === 3) {
      onlySomeReasons = readReasonFlags(value, field);
    } else {
      if (field.end !== field.contentStart + 1) throw new DerError("BOOLEAN is not one octet");
      flags[number] = value[field.contentStart] !== 0;
    }
  }
  // RFC 5280 §5.2.5: at most one of the three "only" flags may be set.
  if (Number(flags[1]) + Number(flags[2]) + Number(flags[5]) > 1) {
    throw new DerError("more than one onlyContains… flag");
  }
  return {
    names,
    onlyContainsUserCerts: flags[1]!,
    onlyContainsCACerts: flags[2]!,
    onlySomeReasons,
    indirectCRL: flags[4]!,
    onlyContainsAttributeCerts: flags[5]!,
    der: value,
  };
}

/**
 * DistributionPointName ::= CHOICE { fullName [0] GeneralNames,
 *   nameRelativeToCRLIssuer [1] RelativeDistinguishedName }, inside an EXPLICIT-like [0]
 * (the field is a constructed context tag holding the CHOICE). The relative form is made full
 * by appending the RDN to `relativeTo` (RFC 5280 §4.2.1.13).
 */
export function readDistributionPointName(
  bytes: Uint8Array,
  field: Tlv,
  relativeTo: string | undefined,
): ScopeNames {
  const children = readChildren(bytes, field);
  if (children.length !== 1) throw new DerError("DistributionPointName holds one choice");
  const choice = children[0]!;
  if (choice.tag === 0xa0) {
    const names = readGeneralNames(bytes.subarray(choice.contentStart, choice.end), true);
    if (names.length === 0) throw new DerError("empty fullName");
    return { names };
  }
  if (choice.tag === 0xa1) {
    // Re-tag the RDN as a SET inside a Name SEQUENCE so the common name code can read it.
    const set = bytes.subarray(choice.contentStart, choice.end);
    const rdn = nameKeyOfDer(wrapAsName(set)).key;
    if (relativeTo === undefined) return { names: [], relative: rdn };
    const full = relativeTo === "" ? rdn : `${relativeTo}/${rdn}`;
    return { names: [{ kind: "directory", rdns: full.split("/") }], relative: rdn };
  }
  throw new DerError(`unexpected DistributionPointName tag 0x${choice.tag.toString(16)}`);
}

/** SEQUENCE { SET { content } } in DER, for an RDN's content octets. */
function wrapAsName(content: Uint8Array): Uint8Array {
  const set = withHeader(0x31, content);
  return withHeader(0x30, set);
}

function withHeader(tag: number, content: Uint8Array): Uint8Array {
  const length = content.length;
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else {
    const octets: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
    header = [tag, 0x80 | octets.length, ...octets];
  }
  const out = new Uint8Array(header.length + length);
  out.set(header, 0);
  out.set(content, header.length);
  return out;
}

/** ReasonFlags BIT STRING (implicitly tagged) as a mask: bit n of the string is 1 << n. */
export function readReasonFlags(bytes: Uint8Array, field: Tlv): number {
  if (field.end === field.contentStart) throw new DerError("empty BIT STRING");
  const unused = bytes[field.contentStart]!;
  if (unused > 7) throw new DerError("bad BIT STRING unused-bits count");
  let mask = 0;
  const octets = bytes.subarray(field.contentStart + 1, field.end);
  for (let i = 0; i < octets.length && i < 2; i++) {
    for (let bit = 0; bit < 8; bit++) {
      if ((octets[i]! & (0x80 >> bit)) !== 0) mask |= 1 << (i * 8 + bit);
    }
  }
  return mask;
}
