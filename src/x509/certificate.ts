// Parsing a CertificateInput (DER bytes or PEM text) once into the fields the steps read.
// Parse, don't validate: every later step takes a ParsedCertificate, never raw input, and a
// certificate that fails here is excluded with a typed reason (InvalidCertificateError.reason).
//
// Q: why a hand-written walk rather than @peculiar/asn1-schema?
// A: speed. A store is parsed on every cold selection, and the schema-driven parse costs about
//    twice Node's native X509Certificate; the walk below reads only what the steps need and
//    costs a small fraction of it. The full asn1-schema model (`asn`) is still available: it is
//    built on first access, which only the path validator makes, for the few certificates the
//    ranking reaches.
// Q: what is readable? (A18)
// A: whatever OpenSSL and Node's X509Certificate both read. Readable is not valid: what they
//    read past but DER or RFC 5280 forbids is recorded in `encodingFaults` (each fault counts
//    where it matters, see EncodingFault), not refused. What either of them refuses (a
//    non-minimal INTEGER, a UTF8String that is not UTF-8, a time they cannot read, a truncated
//    or high-tag TLV) is still refused, with the reasons below.
// Q: can the lazy model fail to build for a certificate the walk accepted?
// A: it must not: the walk checks the whole Certificate and TBSCertificate structure (every
//    field's tag, order and count, OIDs, INTEGERs, BIT STRINGs, times), and asn1js reads every
//    BER form the walk lets through (test/selector/readable-faults.test.ts builds the model for
//    each fault); the one thing asn1js misreads, a time in a non-RFC 5280 form, is replaced in
//    the model by the walk's reading. Extension *contents* are not part of the model.
// Q: which reason does a malformed certificate get?
// A: a TLV that cannot be read (truncated, a length past its container, a missing
//    end-of-contents, a constructed value where only a primitive one can be) is "der-malformed",
//    as for the outer structure; a well-formed TLV in the wrong place (wrong tag, missing or
//    extra field) is "asn1-schema", as the schema parse reported it; the field-specific reasons
//    (version, validity, names) are kept.
import { type CertificateParseFailure, InvalidCertificateError } from "../errors.js";
import type { CertificateInput } from "../types.js";
import {
  type AlgorithmIdentifier,
  BerReader,
  type BerTlv,
  DerError,
  derEcdsaIntegers,
  readAlgorithmIdentifier as readAlgorithm,
  readOid,
  sameBytes,
} from "./der.js";
import { type Thumbprint, thumbprintOf } from "./thumbprint.js";
import { AsnConvert, asn1x509, asnParseOptions } from "./x509.js";

/** One extension as it appears in the certificate, decoded on demand by its consumer. */
export interface RawExtension {
  readonly critical: boolean;
  readonly value: Uint8Array;
}

/**
 * An encoding fault that OpenSSL and Node's X509Certificate read past (A18). The certificate is
 * readable; each fault counts where it matters (see the README's "valid PKI" section):
 * - "signature-algorithm-mismatch", "signature-encoding": the signature does not verify (the
 *   bytes outside the signed TBSCertificate are not the ones that were signed, or the signature
 *   value is badly encoded), so the certificate is neither self-signed nor valid PKI;
 * - "duplicate-extension": the certificate cannot be on a valid path;
 * - the others (BER where DER is required, a string outside its type's alphabet, a time in a
 *   form RFC 5280 forbids): only the "strict" profile refuses them.
 *
 * Precisely:
 * - "ber-encoding": inside the signed TBSCertificate (extension values included), a length in
 *   the long form where the short one fits, with leading zero octets, or indefinite; a
 *   constructed string; a BOOLEAN other than 00/FF; a DEFAULT value encoded (version v1,
 *   critical FALSE);
 * - "string-alphabet": a PrintableString, NumericString or IA5String in a name
 *   (or an IA5String dNSName) holding a character outside its type's alphabet, e.g. the `*`,
 *   `&`, `@` or `_` that real CA names put in PrintableStrings;
 * - "time-format": a validity time other than YYMMDDHHMMSSZ (UTCTime) or YYYYMMDDHHMMSSZ
 *   (GeneralizedTime, for years from 2050: RFC 5280 §4.1.2.5): no seconds, an offset,
 *   fractional seconds;
 * - "duplicate-extension": an extension OID more than once (RFC 5280 §4.2);
 * - "signature-algorithm-mismatch": the outer signatureAlgorithm (DER) is not, byte for byte,
 *   the signed one (RFC 5280 §4.1.1.2);
 * - "signature-encoding": any byte outside the signed TBSCertificate that is not DER (the outer
 *   SEQUENCE header, the outer AlgorithmIdentifier, the signature BIT STRING's header), unused
 *   bits in the signature BIT STRING, or an ECDSA signature value that is not a DER
 *   SEQUENCE of two minimal positive INTEGERs. DER is one encoding per value, so a "twin" made
 *   by re-encoding the unsigned bytes of a certificate (a new thumbprint, the same TBS) always
 *   has this fault or the one above, and never verifies (A6, A11). (A new *signature* is another
 *   matter: ECDSA's s may become n - s without the key, and that twin verifies, as it does for
 *   OpenSSL; it has the same signed bytes and key, so it is the same certificate to a peer.)
 * - "trailing-data": bytes after the certificate (a DER file with something appended, a PEM
 *   block with bytes after the certificate). They are not part of it: neither `der` nor the
 *   thumbprint covers them;
 * - "extensions-before-v3": a version 1 or 2 certificate that carries extensions (RFC 5280
 *   §4.1.2.9: v3 only). They are read; an intermediate must be v3 in every profile (§6.1.4 (k)).
 * - "undecodable-subject-alt-name": a subjectAltName that cannot be decoded. The certificate has
 *   no DNS names then (it matches no domain-list entry, R10c) and is on no valid path.
 */
export type EncodingFault =
  | "ber-encoding"
  | "string-alphabet"
  | "time-format"
  | "duplicate-extension"
  | "signature-algorithm-mismatch"
  | "signature-encoding"
  | "trailing-data"
  | "extensions-before-v3"
  | "undecodable-subject-alt-name";

/** The faults in their stable order; bit i of a fault mask is FAULT_ORDER[i]. */
const FAULT_ORDER: readonly EncodingFault[] = [
  "ber-encoding",
  "string-alphabet",
  "time-format",
  "duplicate-extension",
  "signature-algorithm-mismatch",
  "signature-encoding",
  "trailing-data",
  "extensions-before-v3",
  "undecodable-subject-alt-name",
];
const BER = 1;
const ALPHABET = 2;
const TIME = 4;
const DUPLICATE = 8;
const MISMATCH = 16;
const SIGNATURE = 32;
const TRAILING = 64;
const EARLY_EXTENSIONS = 128;
const BAD_SAN = 256;

/** The fault list of a mask; one shared frozen array per mask (most certificates have none). */
const FAULT_LISTS = new Map<number, readonly EncodingFault[]>();
function faultList(mask: number): readonly EncodingFault[] {
  let list = FAULT_LISTS.get(mask);
  if (list === undefined) {
    list = Object.freeze(FAULT_ORDER.filter((_, i) => (mask & (1 << i)) !== 0));
    FAULT_LISTS.set(mask, list);
  }
  return list;
}

export interface ParsedCertificate {
  /** The certificate's own TLV as stored (BER included, bytes after it excluded). */
  readonly der: Uint8Array;
  /** SHA-1 of `der` (A18: the certificate's own encoding, as stored). */
  readonly thumbprint: Thumbprint;
  /**
   * 1, 2 or 3 (the field holds 0, 1 or 2). A18: a version field X.509 does not define, which
   * OpenSSL and Node read, is readable too, as the field + 1 (a field of 7 is version 8): R10a
   * asks for "version 3 or later"; the path validator takes intermediates of version 3 only (and, in
   * the strict profile, every certificate). A negative field, or
   * one beyond 32 bits, is still refused ("unsupported-version").
   */
  readonly version: number;
  readonly serialNumber: string;
  /** Display form of the subject and issuer, RFC 4514 order (most specific first). */
  readonly subject: string;
  readonly issuer: string;
  /** Canonical comparison keys for names (RFC 5280 §7.1, simplified: case-folded, spaces folded). */
  readonly subjectKey: string;
  readonly issuerKey: string;
  /** Subject common names, verbatim (they may hold anything, including NUL or non-ASCII). */
  readonly commonNames: readonly string[];
  /**
   * Subject Alternative Name dNSName entries, verbatim. With the extension duplicated (a
   * "duplicate-extension" fault), those of its first occurrence.
   */
  readonly dnsNames: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo, and the TBSCertificate the signature covers, as encoded. */
  readonly spki: Uint8Array;
  readonly tbs: Uint8Array;
  /** The outer signatureAlgorithm. */
  readonly signatureAlgorithm: asn1x509.AlgorithmIdentifier;
  readonly signature: Uint8Array;
  /**
   * Extensions by OID. RFC 5280 §4.2 allows each OID once; with an OID duplicated (a
   * "duplicate-extension" fault) this holds its first occurrence, as Windows' CertFindExtension
   * answers (OpenSSL answers "absent"); the path validator refuses such a certificate anyway.
   */
  readonly extensions: ReadonlyMap<string, RawExtension>;
  /** The decoded ASN.1 model, for consumers that need more than the fields above. */
  readonly asn: asn1x509.Certificate;
  /** A18: what is wrong with the encoding, in a stable order; empty for a DER certificate. */
  readonly encodingFaults: readonly EncodingFault[];
}

const OID_CN = "2.5.4.3";
const OID_SAN = "2.5.29.17";
/** ecdsa-with-SHA1 (1.2.840.10045.4.1) and ecdsa-with-SHA2 (1.2.840.10045.4.3.*). */
const ECDSA_SIGNATURE = /^1\.2\.840\.10045\.4\.(1|3\.\d+)$/;

/** Attribute short names for display (RFC 4514 and Windows: E for emailAddress). */
export const SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.5": "serialNumber",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "E",
};

function fail(reason: CertificateParseFailure, message: string, cause?: unknown): never {
  throw new InvalidCertificateError(reason, message, cause === undefined ? undefined : { cause });
}

/** A well-formed TLV where the X.509 schema does not allow it ("asn1-schema"). */
class SchemaError extends Error {}
/** A field-specific problem, with its reason. */
class FieldError extends Error {
  constructor(
    readonly reason: CertificateParseFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The PEM labels OpenSSL and Node read as a certificate: RFC 7468's, the older "X509
 * CERTIFICATE", and OpenSSL's "TRUSTED CERTIFICATE" (the certificate followed by trust
 * settings, "aux", that are not part of it).
 */
const LABELS = ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"] as const;
const BEGINS = LABELS.map((label) => `-----BEGIN ${label}-----`);
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/** The first BEGIN line of any certificate label at or after `from`, or null. */
function findBegin(pem: string, from: number): { at: number; label: number } | null {
  let found: { at: number; label: number } | null = null;
  for (const [label, begin] of BEGINS.entries()) {
    const at = pem.indexOf(begin, from);
    if (at >= 0 && (found === null || at < found.at)) found = { at, label };
  }
  return found;
}

/**
 * DER from PEM text. Explanatory text around the block is allowed (RFC 7468 §2); anything but
 * base64 and white space inside it is not, and neither is more than one certificate: a store
 * entry is one certificate, and silently taking "the first" could pick the wrong one. The END
 * line must name the BEGIN line's label (OpenSSL and Node refuse a mismatch). The scan is
 * linear (indexOf, no backtracking regex): a text of many BEGIN lines and no END must not stall
 * a transport. Of a TRUSTED CERTIFICATE, only the certificate is returned: its aux data is
 * ignored, as OpenSSL does when it reads the block as a certificate.
 */
export function pemToDer(pem: string): Uint8Array {
  const begin = findBegin(pem, 0);
  const label = begin === null ? -1 : begin.label;
  const bodyStart = begin === null ? -1 : begin.at + BEGINS[label]!.length;
  const endLine = `-----END ${LABELS[label] ?? ""}-----`;
  const end = begin === null ? -1 : pem.indexOf(endLine, bodyStart);
  if (begin === null || end < 0) fail("pem-no-certificate", "no BEGIN/END CERTIFICATE block");
  const body = pem.slice(bodyStart, end);
  if (findBegin(body, 0) !== null) {
    fail("pem-bad-base64", "a BEGIN line inside the certificate block");
  }
  if (findBegin(pem, end + endLine.length) !== null) {
    fail("pem-multiple-certificates", "more than one certificate block; expected one");
  }
  const compact = body.replace(/\s+/g, "");
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64_BODY.test(compact)) {
    fail("pem-bad-base64", "certificate block is not valid base64");
  }
  const der = new Uint8Array(Buffer.from(compact, "base64"));
  return LABELS[label] === "TRUSTED CERTIFICATE" ? ownTlv(der) : der;
}

/** The certificate's own TLV at the start of `bytes`, or `bytes` when it cannot be read. */
function ownTlv(bytes: Uint8Array): Uint8Array {
  try {
    return bytes.subarray(0, new BerReader(bytes).read(0).after);
  } catch {
    return bytes;
  }
}

/** The bytes of a CertificateInput: DER as given, or PEM decoded. TypeError for anything else. */
function inputBytes(input: CertificateInput): Uint8Array {
  if (typeof input === "string") return pemToDer(input);
  if (input instanceof Uint8Array) return input;
  throw new TypeError("a certificate must be DER bytes (Uint8Array) or PEM text (string)");
}

/**
 * The certificate's bytes from a CertificateInput, without parsing the certificate itself:
 * its own TLV, without anything stored after it (for a DER file with bytes appended, A18).
 */
export function certificateBytes(input: CertificateInput): Uint8Array {
  return ownTlv(inputBytes(input));
}

/** Parses DER or PEM. Throws {@link InvalidCertificateError} (or TypeError for a wrong type). */
export function parseCertificate(input: CertificateInput): ParsedCertificate {
  return parseDer(inputBytes(input));
}

/** The state of one walk: the reader, the faults found, and which fault a BER header is. */
interface Walk {
  readonly der: Uint8Array;
  readonly reader: BerReader;
  faults: number;
  /** BER inside the signed TBSCertificate, or SIGNATURE outside it. */
  berFault: number;
}

/** The children of a constructed TLV; a non-DER header among them is the walk's BER fault. */
function children(w: Walk, parent: BerTlv): BerTlv[] {
  const list = w.reader.children(parent);
  for (const child of list) if (child.ber) w.faults |= w.berFault;
  return list;
}

/**
 * Parses DER (or BER) bytes. `thumbprint`, when given, must be thumbprintOf(der): a caller that
 * has already hashed the bytes (the prepared selector keys its cache by that hash) saves
 * hashing them twice. It is used only when the certificate fills `der`: with bytes after it,
 * the thumbprint is that of the certificate's own TLV (A18).
 */
export function parseDer(der: Uint8Array, thumbprint?: Thumbprint): ParsedCertificate {
  if (der.length === 0) fail("empty", "certificate is empty");
  const w: Walk = { der, reader: new BerReader(der), faults: 0, berFault: SIGNATURE };

  // Structure first: Certificate ::= SEQUENCE { tbs, sigAlg, sig }.
  let outer: BerTlv;
  let parts: BerTlv[];
  try {
    outer = w.reader.read(0);
    if (outer.tag !== 0x30) throw new DerError("certificate is not a SEQUENCE");
    parts = w.reader.children(outer);
    if (parts.length !== 3 || parts[0]!.tag !== 0x30) {
      throw new DerError("certificate must have exactly tbsCertificate, algorithm, signature");
    }
  } catch (error) {
    fail("der-malformed", `malformed DER: ${(error as Error).message}`, error);
  }
  // The outer header, the outer algorithm's and the signature's headers are not signed; the
  // TBSCertificate's header is.
  if (outer.ber || parts[1]!.ber || parts[2]!.ber) w.faults |= SIGNATURE;
  if (parts[0]!.ber) w.faults |= BER;
  if (outer.after < der.length) w.faults |= TRAILING;

  let fields: TbsFields;
  try {
    w.berFault = BER;
    fields = readTbs(w, parts[0]!);
    // signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING.
    w.berFault = SIGNATURE;
    const outerAlgorithm = expect(parts[1]!, 0x30, "signatureAlgorithm");
    const algorithm = readAlgorithmIdentifier(w, outerAlgorithm);
    // RFC 5280 §4.1.1.2: the outer algorithm MUST equal the signed one. The outer copy and the
    // BIT STRING's unused-bits octet are not covered by the signature, so a certificate whose
    // bytes there differ from the signed ones must not verify (A6, A11): a twin made by
    // changing them has a new thumbprint and must never outrank the original. Two encodings of
    // the same value are no mismatch: a BER outer copy is a signature-encoding fault already
    // (and a BER inner one a ber-encoding fault), and OpenSSL compares values too.
    if (
      !sameBytes(
        der.subarray(outerAlgorithm.start, outerAlgorithm.after),
        fields.signatureAlgorithm,
      ) &&
      !sameValue(w.reader, outerAlgorithm, fields.signatureAlgorithmTlv)
    ) {
      w.faults |= MISMATCH;
    }
    const signatureTlv = expect(parts[2]!, 0x03, "signatureValue");
    const signature = bitStringContent(der, signatureTlv);
    if (der[signatureTlv.contentStart] !== 0) w.faults |= SIGNATURE;
    if (ECDSA_SIGNATURE.test(algorithm) && !isDerEcdsaSignature(signature)) w.faults |= SIGNATURE;
    const own = outer.after === der.length ? der : der.subarray(0, outer.after);
    const hash = own === der && thumbprint !== undefined ? thumbprint : thumbprintOf(own);
    return checkFields(w, own, parts, fields, signatureTlv, hash);
  } catch (error) {
    if (error instanceof InvalidCertificateError) throw error;
    if (error instanceof FieldError) fail(error.reason, error.message, error);
    if (error instanceof DerError) {
      fail("der-malformed", `malformed DER: ${(error as Error).message}`, error);
    }
    // SchemaError, and anything unforeseen: never let a foreign error type escape.
    fail("asn1-schema", `not an X.509 certificate: ${(error as Error).message}`, error);
  }
}

/**
 * Do two TLVs (already walked) hold the same value, however their lengths are encoded? The same
 * tags in the same tree, the same primitive contents. Both are walked side by side with an
 * explicit stack (nesting depth is attacker-controlled), each node once.
 */
function sameValue(reader: BerReader, a: BerTlv, b: BerTlv): boolean {
  const left: (BerTlv | null)[] = [a];
  const right: (BerTlv | null)[] = [b];
  while (left.length > 0) {
    // null marks the end of a constructed value's children.
    const x = left.pop()!;
    const y = right.pop();
    if (x === null || y === null || y === undefined) {
      if (x !== y) return false;
      continue;
    }
    if (x.tag !== y.tag) return false;
    if ((x.tag & 0x20) !== 0) {
      const xs = reader.children(x);
      const ys = reader.children(y);
      if (xs.length !== ys.length) return false;
      left.push(null);
      right.push(null);
      for (let i = xs.length - 1; i >= 0; i--) {
        left.push(xs[i]!);
        right.push(ys[i]!);
      }
    } else if (
      !sameBytes(
        reader.bytes.subarray(x.contentStart, x.end),
        reader.bytes.subarray(y.contentStart, y.end),
      )
    ) {
      return false;
    }
  }
  return right.length === 0;
}

/**
 * ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } in DER, filling the BIT STRING, both
 * INTEGERs minimal and positive. Anything else (BER lengths, a padded or negative INTEGER,
 * bytes after the SEQUENCE) is a re-encoding of the signature that a lenient decoder would
 * still verify: a twin (A6).
 */
function isDerEcdsaSignature(signature: Uint8Array): boolean {
  return derEcdsaIntegers(signature) !== null;
}

// --- The TBSCertificate walk -------------------------------------------------------------------

interface Attribute {
  readonly type: string;
  readonly text: string;
}
type Name = readonly (readonly Attribute[])[];

interface TbsFields {
  readonly versionField: number;
  /** The TBSCertificate's own copy of the signature algorithm, as encoded. */
  readonly signatureAlgorithm: Uint8Array;
  readonly signatureAlgorithmTlv: BerTlv;
  readonly serial: Uint8Array;
  readonly issuer: Name;
  readonly subject: Name;
  readonly notBefore: Date | null;
  readonly notAfter: Date | null;
  readonly spki: BerTlv;
  readonly extensions: readonly ExtensionField[];
  /** Where the [3] extensions field starts, or -1. */
  readonly extensionsAt: number;
}

interface ExtensionField {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

function expect<T extends BerTlv>(tlv: T | undefined, tag: number, what: string): T {
  if (tlv === undefined) throw new SchemaError(`${what} is missing`);
  if (tlv.tag !== tag) {
    throw new SchemaError(`${what} has tag 0x${tlv.tag.toString(16)}, not 0x${tag.toString(16)}`);
  }
  return tlv;
}

/**
 * TBSCertificate ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, serialNumber, signature, issuer,
 * validity, subject, subjectPublicKeyInfo, issuerUniqueID [1] IMPLICIT OPTIONAL,
 * subjectUniqueID [2] IMPLICIT OPTIONAL, extensions [3] EXPLICIT OPTIONAL } (RFC 5280 §4.1).
 */
function readTbs(w: Walk, tbs: BerTlv): TbsFields {
  const { der } = w;
  const fields = children(w, tbs);
  let i = 0;
  let versionField = 0;
  if (fields[0]?.tag === 0xa0) {
    const inner = children(w, fields[0]);
    if (inner.length !== 1) throw new SchemaError("version must hold one INTEGER");
    versionField = smallInteger(der, expect(inner[0], 0x02, "version"));
    // DER leaves a DEFAULT value out (X.690 §11.5): an explicit v1 is BER.
    if (versionField === 0) w.faults |= BER;
    i = 1;
  }
  const serial = integerContent(der, expect(fields[i++], 0x02, "serialNumber"));
  const signatureTlv = expect(fields[i++], 0x30, "signature");
  readAlgorithmIdentifier(w, signatureTlv);
  const issuer = readName(w, expect(fields[i++], 0x30, "issuer"));
  const validity = children(w, expect(fields[i++], 0x30, "validity"));
  if (validity.length !== 2) throw new SchemaError("validity must hold notBefore and notAfter");
  const notBefore = validityTime(w, validity[0]!);
  const notAfter = validityTime(w, validity[1]!);
  const subject = readName(w, expect(fields[i++], 0x30, "subject"));
  const spkiTlv = expect(fields[i++], 0x30, "subjectPublicKeyInfo");
  const spkiParts = children(w, spkiTlv);
  if (spkiParts.length !== 2) throw new SchemaError("subjectPublicKeyInfo must hold two fields");
  readAlgorithmIdentifier(w, expect(spkiParts[0], 0x30, "subjectPublicKeyInfo.algorithm"));
  const key = expect(spkiParts[1], 0x03, "subjectPublicKey");
  bitStringContent(der, key);
  // Every key algorithm encodes whole octets; a schema round trip would silently zero the
  // count, handing the key checks bytes that are not the certificate's.
  if (der[key.contentStart] !== 0) throw new SchemaError("subjectPublicKey has unused bits");

  // Optional trailing fields, each at most once and in order.
  if (fields[i]?.tag === 0x81) bitStringContent(der, fields[i++]!);
  if (fields[i]?.tag === 0x82) bitStringContent(der, fields[i++]!);
  let extensions: TbsFields["extensions"] = [];
  const extensionsAt = fields[i]?.tag === 0xa3 ? fields[i]!.start : -1;
  if (extensionsAt >= 0) extensions = readExtensions(w, fields[i++]!);
  if (i !== fields.length) {
    throw new SchemaError(`unexpected field with tag 0x${fields[i]!.tag.toString(16)}`);
  }
  return {
    versionField,
    signatureAlgorithm: der.subarray(signatureTlv.start, signatureTlv.after),
    signatureAlgorithmTlv: signatureTlv,
    serial,
    issuer,
    subject,
    notBefore,
    notAfter,
    spki: spkiTlv,
    extensions,
    extensionsAt,
  };
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }. */
function readAlgorithmIdentifier(w: Walk, tlv: BerTlv): string {
  const parts = children(w, tlv);
  if (parts.length < 1 || parts.length > 2) {
    throw new SchemaError("AlgorithmIdentifier must hold an OID and at most one parameter");
  }
  const oid = readOid(w.der, expect(parts[0], 0x06, "algorithm"));
  if (parts[1] !== undefined) checkAny(w, parts[1]);
  return oid;
}

/**
 * INTEGER content bytes; no INTEGER may be empty, and none padded: X.690 §8.3.2 (the first
 * nine bits never all zeros or all ones) is a BER rule too, and OpenSSL refuses a padded one.
 */
function integerContent(der: Uint8Array, tlv: { contentStart: number; end: number }): Uint8Array {
  if (tlv.end === tlv.contentStart) throw new DerError("empty INTEGER");
  const content = der.subarray(tlv.contentStart, tlv.end);
  if (content.length > 1) {
    const [first, second] = [content[0]!, content[1]!];
    if ((first === 0x00 && second < 0x80) || (first === 0xff && second >= 0x80)) {
      throw new DerError("INTEGER is not minimally encoded");
    }
  }
  return content;
}

/** A small INTEGER's value; anything beyond 32 bits is -1, as a negative value is. */
function smallInteger(der: Uint8Array, tlv: BerTlv): number {
  const content = integerContent(der, tlv);
  if (content.length > 4) return -1;
  let value = (content[0]! & 0x80) !== 0 ? -1 : 0;
  for (const byte of content) value = value * 256 + byte;
  return value;
}

/** BIT STRING content after the unused-bits octet (0–7; no unused bits in an empty string). */
function bitStringContent(der: Uint8Array, tlv: BerTlv): Uint8Array {
  if (tlv.end === tlv.contentStart) throw new DerError("empty BIT STRING");
  const unused = der[tlv.contentStart]!;
  if (unused > 7 || (unused > 0 && tlv.end === tlv.contentStart + 1)) {
    throw new DerError("bad BIT STRING unused-bits count");
  }
  return der.subarray(tlv.contentStart + 1, tlv.end);
}

/**
 * An ANY value: one TLV, well-formed all the way down (BER lengths are a fault, not an error),
 * and every universal type whose content a BER decoder interprets (times, OIDs, strings of
 * fixed-width characters…) well-formed, so that the lazily built schema model can always decode
 * what this walk accepted.
 */
function checkAny(w: Walk, tlv: BerTlv): void {
  const { der } = w;
  // An explicit stack, not recursion: nesting depth is attacker-controlled.
  const pending: BerTlv[] = [tlv];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { tag } = next;
    const length = next.end - next.contentStart;
    // Of the universal types only SEQUENCE and SET are constructed in DER (X.690 §10.2); a
    // constructed NULL, INTEGER or OID is not even BER, and the schema decoder would reject it
    // later, lazily, where nobody expects a parse error.
    if ((tag & 0xe0) === 0x20 && tag !== 0x30 && tag !== 0x31) {
      throw new DerError(`constructed encoding of primitive tag 0x${(tag & 0x1f).toString(16)}`);
    }
    if ((tag & 0x20) !== 0) {
      // A loop, not push(...list): a value may have more children than a call has arguments.
      for (const c of children(w, next)) pending.push(c);
      continue;
    }
    let ok = true;
    switch (tag) {
      case 0x00: // end-of-contents: only meaningful in BER's indefinite form
      case 0x09: // REAL: never in a certificate
        ok = false;
        break;
      case 0x01: // BOOLEAN
        ok = length === 1;
        break;
      case 0x02: // INTEGER
      case 0x0a: // ENUMERATED
        integerContent(der, next);
        break;
      case 0x03: // BIT STRING
        bitStringContent(der, next);
        break;
      case 0x05: // NULL; OpenSSL and Node refuse one with a BER length
        ok = length === 0 && !next.ber;
        break;
      case 0x06: // OBJECT IDENTIFIER
        readOid(der, next);
        break;
      case 0x0d: // RELATIVE-OID
        ok = length > 0 && (der[next.end - 1]! & 0x80) === 0;
        break;
      case 0x17:
      case 0x18:
        ok = readTime(der, next) !== null;
        break;
      case 0x1c: // UniversalString: 4-octet characters
        ok = length % 4 === 0;
        break;
      case 0x1e: // BMPString: 2-octet characters
        ok = length % 2 === 0;
        break;
    }
    if (!ok) throw new DerError(`malformed value with tag 0x${tag.toString(16)}`);
  }
}

/** Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue). */
function readName(w: Walk, tlv: BerTlv): Name {
  const rdns: Attribute[][] = [];
  for (const rdn of children(w, tlv)) {
    expect(rdn, 0x31, "RelativeDistinguishedName");
    const attributes: Attribute[] = [];
    for (const pair of children(w, rdn)) {
      expect(pair, 0x30, "AttributeTypeAndValue");
      const [type, value, extra] = children(w, pair);
      if (value === undefined || extra !== undefined) {
        throw new SchemaError("AttributeTypeAndValue must hold a type and a value");
      }
      attributes.push({
        type: readOid(w.der, expect(type, 0x06, "attribute type")),
        text: attributeText(w, value),
      });
    }
    rdns.push(attributes);
  }
  return rdns;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/**
 * The types a name's attribute value may have: those of OpenSSL's ASN1_PRINTABLE (the string
 * types below, BIT STRING and SEQUENCE), as OpenSSL and Node read them; a value under any other
 * tag (VisibleString, VideotexString, GraphicString and GeneralString included: both oracles
 * refuse them in a name), or a string OpenSSL cannot read (a UTF8String that is not UTF-8, a
 * BMPString of odd length or holding a surrogate, a UniversalString value that is not a
 * character), is refused ("bad-name") rather than shown as something it is not.
 */
const ATTRIBUTE_VALUE_TAGS = new Set([0x03, 0x0c, 0x12, 0x13, 0x14, 0x16, 0x1c, 0x1e, 0x30]);
/** The string types decoded to text (the others are shown as hex). */
const TEXT_TAGS = new Set([0x0c, 0x12, 0x13, 0x14, 0x16, 0x1c, 0x1e]);
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const NUMERIC = /^[0-9 ]*$/;

/**
 * The content of a string value; BER lets a string be constructed from primitive segments of
 * its type (X.690 §8.21.6), which OpenSSL reads: their concatenation, and a BER fault.
 */
function stringContent(w: Walk, tlv: BerTlv): Uint8Array {
  if ((tlv.tag & 0x20) === 0) return w.der.subarray(tlv.contentStart, tlv.end);
  w.faults |= BER;
  const primitive = tlv.tag & ~0x20;
  const segments: Uint8Array[] = [];
  // Depth first, in order, with an explicit stack (nesting depth is attacker-controlled).
  const pending: BerTlv[] = [tlv];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.tag === primitive) segments.push(w.der.subarray(next.contentStart, next.end));
    else if (next.tag === tlv.tag) {
      const parts = children(w, next);
      for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]!);
    } else throw new DerError(`a segment with tag 0x${next.tag.toString(16)} in a string`);
  }
  return Buffer.concat(segments);
}

/**
 * An attribute value as text. The string choices of DirectoryString (and IA5String) keep their
 * decoded text verbatim; anything else (an ANY value) is shown as hex of the whole TLV, so
 * that it can never be mistaken for a host name. A string outside its type's alphabet is read
 * as OpenSSL reads it (byte by byte) and is a "string-alphabet" fault (A18).
 */
function attributeText(w: Walk, tlv: BerTlv): string {
  const { der } = w;
  const constructedString = (tlv.tag & 0x20) !== 0 && TEXT_TAGS.has(tlv.tag & ~0x20);
  if (!constructedString) checkAny(w, tlv);
  const tag = constructedString ? tlv.tag & ~0x20 : tlv.tag;
  if (!ATTRIBUTE_VALUE_TAGS.has(tag)) {
    throw new FieldError("bad-name", `an attribute value with tag 0x${tlv.tag.toString(16)}`);
  }
  if (!TEXT_TAGS.has(tag)) {
    return `#${Buffer.from(der.buffer, der.byteOffset + tlv.start, tlv.after - tlv.start).toString("hex")}`;
  }
  const content = stringContent(w, tlv);
  switch (tag) {
    case 0x0c: // UTF8String
      try {
        return UTF8.decode(content);
      } catch {
        throw new FieldError("bad-name", "a UTF8String that is not UTF-8");
      }
    case 0x12: // NumericString
    case 0x13: {
      // PrintableString
      const text = latin1(content);
      if (!(tag === 0x13 ? PRINTABLE : NUMERIC).test(text)) w.faults |= ALPHABET;
      return text;
    }
    case 0x16: // IA5String
      if (content.some((byte) => byte > 0x7f)) w.faults |= ALPHABET;
      return latin1(content);
    case 0x14: // TeletexString
      return latin1(content);
    case 0x1e: {
      // BMPString: UCS-2 big-endian.
      if (content.length % 2 !== 0) throw new FieldError("bad-name", "BMPString of odd length");
      let text = "";
      for (let i = 0; i < content.length; i += 2) {
        const unit = (content[i]! << 8) | content[i + 1]!;
        // UCS-2 has no surrogates; OpenSSL refuses them, even in pairs.
        if (unit >= 0xd800 && unit <= 0xdfff)
          throw new FieldError("bad-name", "BMPString surrogate");
        text += String.fromCharCode(unit);
      }
      return text;
    }
    default: {
      // 0x1c UniversalString: UCS-4 big-endian. Every code point is kept whole: truncating one
      // to 16 bits (as a naive decoder does) could turn U+1002E into "." inside a host name.
      if (content.length % 4 !== 0) throw new FieldError("bad-name", "UniversalString length");
      let text = "";
      for (let i = 0; i < content.length; i += 4) {
        const code =
          content[i]! * 0x1000000 +
          ((content[i + 1]! << 16) | (content[i + 2]! << 8)) +
          content[i + 3]!;
        if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
          throw new FieldError("bad-name", "UniversalString holds a value that is not a character");
        }
        text += String.fromCodePoint(code);
      }
      return text;
    }
  }
}

// UTCTime YYMMDDHHMM[SS](Z|±hhmm); GeneralizedTime YYYYMMDDHHMM[SS[.f+]](Z|±hhmm): the forms
// OpenSSL's time reader accepts (ASN1_TIME_to_tm in its non-strict mode, which X509 uses).
const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:(Z)|([+-])(\d{2})(\d{2}))$/;
const GENERALIZED_TIME =
  /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(?:(\d{2})(?:\.(\d+))?)?(?:(Z)|([+-])(\d{2})(\d{2}))$/;

/** A time and whether it is in the one form RFC 5280 §4.1.2.5 allows for it. */
interface Time {
  readonly date: Date;
  readonly rfc5280: boolean;
}

/**
 * Time ::= CHOICE { utcTime, generalTime }, read as OpenSSL reads it: seconds may be left out,
 * GeneralizedTime may have fractional seconds (kept to the millisecond), and either may end in
 * an offset from UTC (of at most 12:59, as OpenSSL allows) instead of Z. A time OpenSSL cannot
 * read (no zone, a field out of range, a day the month does not have) is null.
 */
function readTime(der: Uint8Array, tlv: BerTlv): Time | null {
  const utc = tlv.tag === 0x17;
  const text = latin1(der.subarray(tlv.contentStart, tlv.end));
  const m = (utc ? UTC_TIME : GENERALIZED_TIME).exec(text);
  if (m === null) return null;
  // UTC_TIME has no fraction group: the zone groups come one earlier.
  const z = utc ? 7 : 8;
  const [seconds, fraction, zulu] = [m[6], utc ? undefined : m[7], m[z]];
  const two = Number(m[1]);
  // RFC 5280 §4.1.2.5.1: a two-digit year of 50 or more is 19YY, otherwise 20YY.
  const year = utc ? (two >= 50 ? 1900 + two : 2000 + two) : two;
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = seconds === undefined ? 0 : Number(seconds);
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"));
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  if (year < 100) date.setUTCFullYear(year);
  const exists =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  if (!exists) return null;
  if (zulu === undefined) {
    const hours = Number(m[z + 2]);
    const minutes = Number(m[z + 3]);
    if (hours > 12 || minutes > 59) return null;
    // ±hhmm is the local time's offset from UTC: UTC = local - offset.
    const offset = (hours * 60 + minutes) * 60_000;
    if (offset !== 0) {
      date.setTime(date.getTime() + (m[z + 1] === "+" ? -offset : offset));
      // OpenSSL applies an offset with OPENSSL_gmtime_adj, which refuses a result outside
      // the years 1900 to 9999.
      const adjusted = date.getUTCFullYear();
      if (adjusted < 1900 || adjusted > 9999) return null;
    }
  }
  const rfc5280 =
    seconds !== undefined && zulu !== undefined && fraction === undefined && (utc || year >= 2050);
  return { date, rfc5280 };
}

/** A validity time; one in a form RFC 5280 does not allow is a "time-format" fault. */
function validityTime(w: Walk, tlv: BerTlv): Date | null {
  if (tlv.tag !== 0x17 && tlv.tag !== 0x18) {
    throw new SchemaError(`time has tag 0x${tlv.tag.toString(16)}`);
  }
  const time = readTime(w.der, tlv);
  if (time !== null && !time.rfc5280) w.faults |= TIME;
  return time?.date ?? null;
}

/** extensions [3] EXPLICIT SEQUENCE OF Extension { extnID, critical DEFAULT FALSE, extnValue }. */
function readExtensions(w: Walk, tlv: BerTlv): ExtensionField[] {
  const { der } = w;
  const inner = children(w, tlv);
  if (inner.length !== 1) throw new SchemaError("extensions must hold one SEQUENCE");
  const list: ExtensionField[] = [];
  for (const extension of children(w, expect(inner[0], 0x30, "extensions"))) {
    const fields = children(w, expect(extension, 0x30, "Extension"));
    const oid = readOid(der, expect(fields[0], 0x06, "extnID"));
    let critical = false;
    let index = 1;
    if (fields.length === 3) {
      const flag = expect(fields[1], 0x01, "critical");
      if (flag.end !== flag.contentStart + 1) throw new DerError("BOOLEAN is not one octet");
      const value = der[flag.contentStart]!;
      critical = value !== 0;
      // DER: TRUE is FF (X.690 §11.1), and the DEFAULT FALSE is left out (§11.5).
      if (value !== 0xff) w.faults |= BER;
      index = 2;
    } else if (fields.length !== 2) {
      throw new SchemaError("Extension must hold extnID, [critical,] extnValue");
    }
    const value = expect(fields[index], 0x04, "extnValue");
    list.push({ oid, critical, value: der.subarray(value.contentStart, value.end) });
  }
  return list;
}

// --- From fields to the ParsedCertificate ------------------------------------------------------

function checkFields(
  w: Walk,
  der: Uint8Array,
  parts: readonly BerTlv[],
  fields: TbsFields,
  signatureTlv: BerTlv,
  thumbprint: Thumbprint,
): ParsedCertificate {
  const { versionField } = fields;
  if (versionField < 0) {
    fail("unsupported-version", "the version field is negative or beyond 32 bits");
  }
  const version = versionField + 1;

  // A18: OpenSSL and Node read a v1/v2 certificate with extensions; so do we, and say so.
  if (fields.extensions.length > 0 && version < 3) w.faults |= EARLY_EXTENSIONS;
  const seen = new Set<string>();
  let san: Uint8Array | undefined;
  for (const extension of fields.extensions) {
    if (seen.has(extension.oid)) {
      // A18: readable; the first occurrence is the one read (see `extensions`), and the path
      // validator refuses the certificate.
      w.faults |= DUPLICATE;
      continue;
    }
    seen.add(extension.oid);
    if (extension.oid === OID_SAN) san = extension.value;
  }

  const { notBefore, notAfter } = fields;
  if (notBefore === null || notAfter === null) {
    fail("bad-validity", "validity is not a valid time");
  }

  let dnsNames: string[] = [];
  if (san !== undefined) {
    try {
      dnsNames = readSanDnsNames(w, san);
    } catch {
      // A18: readable (both oracles read it); no names from it, and no valid path either
      // (the path validator decodes the SAN itself and fails closed).
      w.faults |= BAD_SAN;
      dnsNames = [];
    }
  }

  const tbs = parts[0]!;
  const algorithm = parts[1]!;
  return new Certificate({
    der,
    thumbprint,
    version,
    serialNumber: hex(fields.serial).toUpperCase(),
    subject: displayName(fields.subject),
    issuer: displayName(fields.issuer),
    subjectKey: nameKey(fields.subject),
    issuerKey: nameKey(fields.issuer),
    commonNames: attributeValues(fields.subject, OID_CN),
    dnsNames,
    notBefore,
    notAfter,
    encodingFaults: faultList(w.faults),
    ranges: [
      tbs.start,
      tbs.after,
      fields.spki.start,
      fields.spki.after,
      signatureTlv.contentStart + 1,
      signatureTlv.end,
      algorithm.start,
      algorithm.after,
      fields.extensionsAt,
    ],
  });
}

type Eager = Omit<
  ParsedCertificate,
  "asn" | "signatureAlgorithm" | "spki" | "tbs" | "signature" | "extensions"
> & {
  /** tbs, spki, signature (start, end each), signatureAlgorithm, then the extensions' start. */
  readonly ranges: readonly [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
};

/**
 * The parsed certificate. What only signature checks and the path validator read (the byte
 * ranges, the extensions map, the asn1-schema views) is built on first access and kept: most
 * store certificates never reach path validation, and holding ~10 views and a map for each
 * would more than double the memory a cached certificate takes.
 */
class Certificate implements ParsedCertificate {
  readonly der: Uint8Array;
  readonly thumbprint: Thumbprint;
  readonly version: number;
  readonly serialNumber: string;
  readonly subject: string;
  readonly issuer: string;
  readonly subjectKey: string;
  readonly issuerKey: string;
  readonly commonNames: readonly string[];
  readonly dnsNames: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly encodingFaults: readonly EncodingFault[];
  readonly #ranges: Eager["ranges"];
  #spki: Uint8Array | undefined;
  #tbs: Uint8Array | undefined;
  #signature: Uint8Array | undefined;
  #extensions: ReadonlyMap<string, RawExtension> | undefined;
  #signatureAlgorithm: asn1x509.AlgorithmIdentifier | undefined;
  #asn: asn1x509.Certificate | undefined;

  constructor(fields: Eager) {
    this.der = fields.der;
    this.thumbprint = fields.thumbprint;
    this.version = fields.version;
    this.serialNumber = fields.serialNumber;
    this.subject = fields.subject;
    this.issuer = fields.issuer;
    this.subjectKey = fields.subjectKey;
    this.issuerKey = fields.issuerKey;
    this.commonNames = fields.commonNames;
    this.dnsNames = fields.dnsNames;
    this.notBefore = fields.notBefore;
    this.notAfter = fields.notAfter;
    this.encodingFaults = fields.encodingFaults;
    this.#ranges = fields.ranges;
  }

  get tbs(): Uint8Array {
    this.#tbs ??= this.der.subarray(this.#ranges[0], this.#ranges[1]);
    return this.#tbs;
  }

  get spki(): Uint8Array {
    this.#spki ??= this.der.subarray(this.#ranges[2], this.#ranges[3]);
    return this.#spki;
  }

  get signature(): Uint8Array {
    this.#signature ??= this.der.subarray(this.#ranges[4], this.#ranges[5]);
    return this.#signature;
  }

  get extensions(): ReadonlyMap<string, RawExtension> {
    this.#extensions ??= lazily(() => {
      const map = new Map<string, RawExtension>();
      const at = this.#ranges[8];
      // The walk read (and checked) this field when parsing; reading it again cannot fail.
      const w: Walk = { der: this.der, reader: new BerReader(this.der), faults: 0, berFault: BER };
      const list = at < 0 ? [] : readExtensions(w, w.reader.read(at));
      // The first occurrence of a duplicated OID (see ParsedCertificate.extensions).
      for (const { oid, critical, value } of list) {
        if (!map.has(oid)) map.set(oid, { critical, value });
      }
      return map;
    });
    return this.#extensions;
  }

  get signatureAlgorithm(): asn1x509.AlgorithmIdentifier {
    this.#signatureAlgorithm ??=
      this.#asn?.signatureAlgorithm ??
      lazily(() =>
        AsnConvert.parse(
          this.der.subarray(this.#ranges[6], this.#ranges[7]),
          asn1x509.AlgorithmIdentifier,
        ),
      );
    return this.#signatureAlgorithm;
  }

  /** The outer signatureAlgorithm read from the bytes, without the ASN.1 schema library. */
  signatureAlgorithmFields(): AlgorithmIdentifier {
    if (this.#asn !== undefined || this.#signatureAlgorithm !== undefined) {
      return this.signatureAlgorithm;
    }
    // The walk read (and checked) this field when parsing; reading it again cannot fail.
    return lazily(() => {
      const reader = new BerReader(this.der);
      return readAlgorithm(reader, reader.read(this.#ranges[6], this.#ranges[7]));
    });
  }

  get asn(): asn1x509.Certificate {
    this.#asn ??= lazily(() => {
      const model = AsnConvert.parse(this.der, asn1x509.Certificate, asnParseOptions(this.der));
      // asn1js reads only YYMMDDHHMMSSZ-like times correctly (UTCTime without seconds comes
      // out in 1899); the model gets the walk's reading of a time in another form.
      if (this.encodingFaults.includes("time-format")) {
        model.tbsCertificate.validity = new asn1x509.Validity({
          notBefore: this.notBefore,
          notAfter: this.notAfter,
        });
      }
      return model;
    });
    return this.#asn;
  }
}

/**
 * A certificate's outer signatureAlgorithm (OID and parameters) for a signature check. For a
 * certificate parsed here it is read from the bytes, so that checking a signature does not load
 * the ASN.1 schema library (issue 14: most of a cold start); for any other object (a test's
 * stand-in) it is the `signatureAlgorithm` model.
 */
export function signatureAlgorithmOf(certificate: ParsedCertificate): AlgorithmIdentifier {
  return certificate instanceof Certificate
    ? certificate.signatureAlgorithmFields()
    : certificate.signatureAlgorithm;
}

/**
 * The walk accepted the certificate, so the schema parse cannot fail on it; if it ever did, the
 * caller still gets this module's one error type.
 */
function lazily<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    return fail("asn1-schema", `not an X.509 certificate: ${(error as Error).message}`, error);
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * The dNSName entries of a GeneralNames SEQUENCE (RFC 5280 §4.2.1.6), every entry checked. The
 * extension's content is signed too: BER there is a "ber-encoding" fault, a non-ASCII dNSName a
 * "string-alphabet" one.
 */
function readSanDnsNames(outerWalk: Walk, value: Uint8Array): string[] {
  const w: Walk = { der: value, reader: new BerReader(value), faults: 0, berFault: BER };
  const outer = w.reader.read(0);
  if (outer.ber) w.faults |= BER;
  if (outer.tag !== 0x30 || outer.after !== value.length) {
    throw new SchemaError("GeneralNames is not one SEQUENCE");
  }
  const names: string[] = [];
  for (const name of children(w, outer)) {
    switch (name.tag) {
      case 0x82: {
        // dNSName: IA5String, kept verbatim
        const content = value.subarray(name.contentStart, name.end);
        if (content.some((byte) => byte > 0x7f)) w.faults |= ALPHABET;
        names.push(latin1(content));
        break;
      }
      case 0x81: // rfc822Name
      case 0x86: // uniformResourceIdentifier
      case 0x87: // iPAddress
        break;
      case 0x88: // registeredID
        readOid(value, name);
        break;
      case 0xa4: {
        // directoryName [4] EXPLICIT Name
        const inner = children(w, name);
        if (inner.length !== 1) throw new SchemaError("directoryName must hold one Name");
        readName(w, expect(inner[0], 0x30, "directoryName"));
        break;
      }
      case 0xa0: {
        // otherName [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
        const [typeId, otherValue, extra] = children(w, name);
        readOid(value, expect(typeId, 0x06, "otherName type"));
        const inner = children(w, expect(otherValue, 0xa0, "otherName value"));
        if (inner.length !== 1 || extra !== undefined) throw new SchemaError("bad otherName");
        checkAny(w, inner[0]!);
        break;
      }
      case 0xa3: // x400Address
      case 0xa5: // ediPartyName
        checkAny(w, name);
        break;
      default:
        throw new SchemaError(`unknown GeneralName tag 0x${name.tag.toString(16)}`);
    }
  }
  outerWalk.faults |= w.faults;
  return names;
}

function attributeValues(name: Name, oid: string): string[] {
  const values: string[] = [];
  for (const rdn of name) {
    for (const attribute of rdn) if (attribute.type === oid) values.push(attribute.text);
  }
  return values;
}

function escapeRdnValue(value: string): string {
  return value
    .replace(/[,+"\\<>;=]/g, (c) => `\\${c}`)
    .replace(/[\u0000-\u001f]/g, (c) => {
      return `\\${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
    });
}

function displayName(name: Name): string {
  const rdns = name.map((rdn) =>
    rdn.map((a) => `${SHORT_NAMES[a.type] ?? a.type}=${escapeRdnValue(a.text)}`).join("+"),
  );
  return rdns.reverse().join(", ");
}

/**
 * A comparison key for distinguished names. RFC 5280 §7.1 asks for case-insensitive comparison
 * with insignificant white space removed (RFC 4518); we fold ASCII case and runs of spaces in
 * string values, keep attribute order, and compare everything else exactly.
 */
const NON_STRING_VALUE = /^#(?:[0-9a-f]{2})+$/;

export function nameKey(name: Name): string {
  return name
    .map((rdn) =>
      rdn
        .map((a) => {
          // A non-string value is shown as `#` and lower-case hex of its TLV (attributeText):
          // compared exactly. A string value that merely starts with "#" is folded like any other.
          const folded = NON_STRING_VALUE.test(a.text)
            ? a.text
            : a.text.trim().replace(/ +/g, " ").toLowerCase();
          return `${a.type}=${JSON.stringify(folded)}`;
        })
        .sort()
        .join("+"),
    )
    .join("/");
}
