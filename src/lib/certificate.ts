// Parsing a CertificateInput (DER bytes or PEM text) once into the fields the steps read.
// Parse, don't validate: every later step takes a ParsedCertificate, never raw input, and a
// certificate that fails here is excluded with a typed reason (InvalidCertificateError.reason).
//
// Q: why a hand-written DER walk rather than @peculiar/asn1-schema?
// A: speed. A store is parsed on every cold selection, and the schema-driven parse costs about
//    twice Node's native X509Certificate; the walk below reads only what the steps need and
//    costs a small fraction of it. The full asn1-schema model (`asn`) is still available: it is
//    built on first access, which only the path validator makes, for the few certificates the
//    ranking reaches.
// Q: can the lazy model fail to build for a certificate the walk accepted?
// A: it must not, so the walk checks the whole Certificate and TBSCertificate structure (every
//    field's tag, order and count, every TLV strictly DER-encoded, OIDs, INTEGERs, BIT STRINGs,
//    times) and is stricter than asn1-schema everywhere; extension *contents* are not part of
//    the model. test/selector/certificate-parse.test.ts holds the two side by side.
// Q: which reason does a malformed certificate get?
// A: a TLV that is not strict DER (truncated, bad or non-minimal length, indefinite length, a
//    constructed string) is "der-malformed", as for the outer structure; a well-formed TLV in
//    the wrong place (wrong tag, missing or extra field) is "asn1-schema", as the schema parse
//    reported it; the field-specific reasons (version, validity, names, extensions) are kept.
import { type CertificateParseFailure, InvalidCertificateError } from "../errors.js";
import type { CertificateInput } from "../types.js";
import { DerError, readChildren, readTlv, sameBytes, type Tlv } from "./der.js";
import { type Thumbprint, thumbprintOf } from "./thumbprint.js";
import { AsnConvert, asn1x509 } from "./x509.js";

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
 */
export type EncodingFault =
  | "ber-encoding"
  | "string-alphabet"
  | "time-format"
  | "duplicate-extension"
  | "signature-algorithm-mismatch"
  | "signature-encoding"
  | "trailing-data";

export interface ParsedCertificate {
  readonly der: Uint8Array;
  readonly thumbprint: Thumbprint;
  /** 1, 2 or 3 (the DER field holds 0, 1 or 2). */
  readonly version: 1 | 2 | 3;
  readonly serialNumber: string;
  /** Display form of the subject and issuer, RFC 4514 order (most specific first). */
  readonly subject: string;
  readonly issuer: string;
  /** Canonical comparison keys for names (RFC 5280 §7.1, simplified: case-folded, spaces folded). */
  readonly subjectKey: string;
  readonly issuerKey: string;
  /** Subject common names, verbatim (they may hold anything, including NUL or non-ASCII). */
  readonly commonNames: readonly string[];
  /** Subject Alternative Name dNSName entries, verbatim. */
  readonly dnsNames: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DER SubjectPublicKeyInfo, and the DER TBSCertificate the signature covers. */
  readonly spki: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: asn1x509.AlgorithmIdentifier;
  readonly signature: Uint8Array;
  /** Extensions by OID (each OID at most once: RFC 5280 §4.2). */
  readonly extensions: ReadonlyMap<string, RawExtension>;
  /** The decoded ASN.1 model, for consumers that need more than the fields above. */
  readonly asn: asn1x509.Certificate;
  /** A18: what is wrong with the encoding, in a stable order; empty for a DER certificate. */
  readonly encodingFaults: readonly EncodingFault[];
}

const OID_CN = "2.5.4.3";
const OID_SAN = "2.5.29.17";

const SHORT_NAMES: Readonly<Record<string, string>> = {
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

const BEGIN = "-----BEGIN CERTIFICATE-----";
const END = "-----END CERTIFICATE-----";
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * DER from PEM text. Explanatory text around the block is allowed (RFC 7468 §2); anything but
 * base64 and white space inside it is not, and neither is more than one certificate: a store
 * entry is one certificate, and silently taking "the first" could pick the wrong one. The scan
 * is linear (indexOf, no backtracking regex): a text of many BEGIN lines and no END must not
 * stall a transport.
 */
export function pemToDer(pem: string): Uint8Array {
  const begin = pem.indexOf(BEGIN);
  const end = begin < 0 ? -1 : pem.indexOf(END, begin + BEGIN.length);
  if (begin < 0 || end < 0) fail("pem-no-certificate", "no BEGIN/END CERTIFICATE block");
  const body = pem.slice(begin + BEGIN.length, end);
  if (body.includes(BEGIN)) fail("pem-bad-base64", "a BEGIN line inside the certificate block");
  if (pem.indexOf(BEGIN, end + END.length) >= 0) {
    fail("pem-multiple-certificates", "more than one certificate block; expected one");
  }
  const compact = body.replace(/\s+/g, "");
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64_BODY.test(compact)) {
    fail("pem-bad-base64", "certificate block is not valid base64");
  }
  return new Uint8Array(Buffer.from(compact, "base64"));
}

/** The DER bytes of a CertificateInput, without parsing the certificate itself. */
export function certificateBytes(input: CertificateInput): Uint8Array {
  if (typeof input === "string") return pemToDer(input);
  if (input instanceof Uint8Array) return input;
  throw new TypeError("a certificate must be DER bytes (Uint8Array) or PEM text (string)");
}

/** Parses DER or PEM. Throws {@link InvalidCertificateError} (or TypeError for a wrong type). */
export function parseCertificate(input: CertificateInput): ParsedCertificate {
  return parseDer(certificateBytes(input));
}

/**
 * Parses DER bytes. `thumbprint`, when given, must be thumbprintOf(der): a caller that has
 * already hashed the bytes (the prepared selector keys its cache by that hash) saves hashing
 * them twice.
 */
export function parseDer(der: Uint8Array, thumbprint?: Thumbprint): ParsedCertificate {
  if (der.length === 0) fail("empty", "certificate is empty");

  // Structure first, strictly: Certificate ::= SEQUENCE { tbs, sigAlg, sig } filling the buffer.
  let parts: Tlv[];
  try {
    const outer = readTlv(der, 0);
    if (outer.tag !== 0x30) throw new DerError("certificate is not a SEQUENCE");
    if (outer.end !== der.length) {
      fail("der-trailing-data", `${der.length - outer.end} bytes after the certificate`);
    }
    parts = readChildren(der, outer);
    if (parts.length !== 3 || parts[0]!.tag !== 0x30) {
      throw new DerError("certificate must have exactly tbsCertificate, algorithm, signature");
    }
  } catch (error) {
    if (error instanceof InvalidCertificateError) throw error;
    fail("der-malformed", `malformed DER: ${(error as Error).message}`, error);
  }

  let fields: TbsFields;
  try {
    fields = readTbs(der, parts[0]!);
    // signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING.
    const outerAlgorithm = expect(parts[1]!, 0x30, "signatureAlgorithm");
    readAlgorithmIdentifier(der, outerAlgorithm);
    // RFC 5280 §4.1.1.2: the outer algorithm MUST equal the signed one. The outer copy and the
    // BIT STRING's unused-bits octet are not covered by the signature, so without these two
    // checks a bit flip there makes a "different" certificate (new thumbprint) that still
    // verifies: a malformed twin of a self-signed certificate could outrank it (A6, A11).
    if (
      !sameBytes(der.subarray(outerAlgorithm.start, outerAlgorithm.end), fields.signatureAlgorithm)
    ) {
      fail(
        "signature-algorithm-mismatch",
        "the outer signatureAlgorithm differs from the signed one",
      );
    }
    const signatureTlv = expect(parts[2]!, 0x03, "signatureValue");
    const signature = bitStringContent(der, signatureTlv);
    if (der[signatureTlv.contentStart] !== 0) {
      fail("der-malformed", "the signature BIT STRING has unused bits");
    }
    return checkFields(der, parts, fields, signature, thumbprint ?? thumbprintOf(der));
  } catch (error) {
    if (error instanceof InvalidCertificateError) throw error;
    if (error instanceof FieldError) fail(error.reason, error.message, error);
    if (error instanceof DerError) {
      fail("der-malformed", `malformed DER: ${error.message}`, error);
    }
    // SchemaError, and anything unforeseen: never let a foreign error type escape.
    fail("asn1-schema", `not an X.509 certificate: ${(error as Error).message}`, error);
  }
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
  readonly serial: Uint8Array;
  readonly issuer: Name;
  readonly subject: Name;
  readonly notBefore: Date | string;
  readonly notAfter: Date | string;
  readonly spki: Tlv;
  readonly extensions: readonly ExtensionField[];
  /** Where the [3] extensions field starts, or -1. */
  readonly extensionsAt: number;
}

interface ExtensionField {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

function expect(tlv: Tlv | undefined, tag: number, what: string): Tlv {
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
function readTbs(der: Uint8Array, tbs: Tlv): TbsFields {
  const children = readChildren(der, tbs);
  let i = 0;
  let versionField = 0;
  if (children[0]?.tag === 0xa0) {
    const inner = readChildren(der, children[0]);
    if (inner.length !== 1) throw new SchemaError("version must hold one INTEGER");
    versionField = smallInteger(der, expect(inner[0], 0x02, "version"));
    i = 1;
  }
  const serial = integerContent(der, expect(children[i++], 0x02, "serialNumber"));
  const signatureTlv = expect(children[i++], 0x30, "signature");
  readAlgorithmIdentifier(der, signatureTlv);
  const issuer = readName(der, expect(children[i++], 0x30, "issuer"));
  const validity = readChildren(der, expect(children[i++], 0x30, "validity"));
  if (validity.length !== 2) throw new SchemaError("validity must hold notBefore and notAfter");
  const notBefore = readTime(der, validity[0]!);
  const notAfter = readTime(der, validity[1]!);
  const subject = readName(der, expect(children[i++], 0x30, "subject"));
  const spkiTlv = expect(children[i++], 0x30, "subjectPublicKeyInfo");
  const spkiParts = readChildren(der, spkiTlv);
  if (spkiParts.length !== 2) throw new SchemaError("subjectPublicKeyInfo must hold two fields");
  readAlgorithmIdentifier(der, expect(spkiParts[0], 0x30, "subjectPublicKeyInfo.algorithm"));
  const key = expect(spkiParts[1], 0x03, "subjectPublicKey");
  bitStringContent(der, key);
  // Every key algorithm encodes whole octets; a schema round trip would silently zero the
  // count, handing the key checks bytes that are not the certificate's.
  if (der[key.contentStart] !== 0) throw new SchemaError("subjectPublicKey has unused bits");

  // Optional trailing fields, each at most once and in order.
  if (children[i]?.tag === 0x81) bitStringContent(der, children[i++]!);
  if (children[i]?.tag === 0x82) bitStringContent(der, children[i++]!);
  let extensions: TbsFields["extensions"] = [];
  const extensionsAt = children[i]?.tag === 0xa3 ? children[i]!.start : -1;
  if (extensionsAt >= 0) extensions = readExtensions(der, children[i++]!);
  if (i !== children.length) {
    throw new SchemaError(`unexpected field with tag 0x${children[i]!.tag.toString(16)}`);
  }
  return {
    versionField,
    signatureAlgorithm: der.subarray(signatureTlv.start, signatureTlv.end),
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
function readAlgorithmIdentifier(der: Uint8Array, tlv: Tlv): string {
  const parts = readChildren(der, tlv);
  if (parts.length < 1 || parts.length > 2) {
    throw new SchemaError("AlgorithmIdentifier must hold an OID and at most one parameter");
  }
  const oid = readOid(der, expect(parts[0], 0x06, "algorithm"));
  if (parts[1] !== undefined) checkAny(der, parts[1]);
  return oid;
}

/** INTEGER content bytes; DER lets no INTEGER be empty. */
function integerContent(der: Uint8Array, tlv: Tlv): Uint8Array {
  if (tlv.end === tlv.contentStart) throw new DerError("empty INTEGER");
  const content = der.subarray(tlv.contentStart, tlv.end);
  // X.690 §8.3.2: the first nine bits are never all zeros or all ones (minimal encoding).
  if (content.length > 1) {
    const [first, second] = [content[0]!, content[1]!];
    if ((first === 0x00 && second < 0x80) || (first === 0xff && second >= 0x80)) {
      throw new DerError("INTEGER is not minimally encoded");
    }
  }
  return content;
}

/** A small INTEGER's value; anything beyond 32 bits is simply "not 0, 1 or 2". */
function smallInteger(der: Uint8Array, tlv: Tlv): number {
  const content = integerContent(der, tlv);
  if (content.length > 4) return -1;
  let value = (content[0]! & 0x80) !== 0 ? -1 : 0;
  for (const byte of content) value = value * 256 + byte;
  return value;
}

/** BIT STRING content after the unused-bits octet (0–7; no unused bits in an empty string). */
function bitStringContent(der: Uint8Array, tlv: Tlv): Uint8Array {
  if (tlv.end === tlv.contentStart) throw new DerError("empty BIT STRING");
  const unused = der[tlv.contentStart]!;
  if (unused > 7 || (unused > 0 && tlv.end === tlv.contentStart + 1)) {
    throw new DerError("bad BIT STRING unused-bits count");
  }
  return der.subarray(tlv.contentStart + 1, tlv.end);
}

/**
 * An ANY value: one TLV, strictly DER all the way down, and every universal type whose content
 * a BER decoder interprets (times, OIDs, strings of fixed-width characters…) well-formed, so
 * that the lazily built schema model can always decode what this walk accepted.
 */
function checkAny(der: Uint8Array, tlv: Tlv): void {
  // An explicit stack, not recursion: nesting depth is attacker-controlled.
  const pending: Tlv[] = [tlv];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { tag } = next;
    const length = next.end - next.contentStart;
    // DER: of the universal types only SEQUENCE and SET are constructed (X.690 §10.2); a
    // constructed NULL, INTEGER, OID or string is BER, and the schema decoder would reject it
    // later, lazily, where nobody expects a parse error.
    if ((tag & 0xe0) === 0x20 && tag !== 0x30 && tag !== 0x31) {
      throw new DerError(`constructed encoding of primitive tag 0x${(tag & 0x1f).toString(16)}`);
    }
    if ((tag & 0x20) !== 0) {
      pending.push(...readChildren(der, next));
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
      case 0x05: // NULL
        ok = length === 0;
        break;
      case 0x06: // OBJECT IDENTIFIER
        readOid(der, next);
        break;
      case 0x0d: // RELATIVE-OID
        ok = length > 0 && (der[next.end - 1]! & 0x80) === 0;
        break;
      case 0x17:
      case 0x18:
        ok = readTime(der, next) instanceof Date;
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

/** OBJECT IDENTIFIER in dotted form; sub-identifiers minimally encoded, exact at any size. */
function readOid(der: Uint8Array, tlv: Tlv): string {
  if (tlv.end === tlv.contentStart) throw new DerError("empty OBJECT IDENTIFIER");
  if ((der[tlv.end - 1]! & 0x80) !== 0) throw new DerError("truncated OBJECT IDENTIFIER");
  let text = "";
  let value = 0;
  let big: bigint | undefined;
  let first = true;
  let start = true;
  for (let i = tlv.contentStart; i < tlv.end; i++) {
    const byte = der[i]!;
    if (start && byte === 0x80) throw new DerError("non-minimal OBJECT IDENTIFIER arc");
    start = false;
    if (big !== undefined) big = big * 128n + BigInt(byte & 0x7f);
    else {
      value = value * 128 + (byte & 0x7f);
      if (value > Number.MAX_SAFE_INTEGER / 256) big = BigInt(value);
    }
    if ((byte & 0x80) !== 0) continue;
    const arc = big ?? value;
    if (first) {
      // X.690 §8.19.4: the first sub-identifier packs two arcs.
      const top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
      const rest = typeof arc === "bigint" ? arc - BigInt(top * 40) : arc - top * 40;
      text = `${top}.${rest}`;
      first = false;
    } else text += `.${arc}`;
    value = 0;
    big = undefined;
    start = true;
  }
  return text;
}

/** Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue). */
function readName(der: Uint8Array, tlv: Tlv): Name {
  const rdns: Attribute[][] = [];
  for (const rdn of readChildren(der, tlv)) {
    expect(rdn, 0x31, "RelativeDistinguishedName");
    const attributes: Attribute[] = [];
    for (const pair of readChildren(der, rdn)) {
      expect(pair, 0x30, "AttributeTypeAndValue");
      const [type, value, extra] = readChildren(der, pair);
      if (value === undefined || extra !== undefined) {
        throw new SchemaError("AttributeTypeAndValue must hold a type and a value");
      }
      attributes.push({
        type: readOid(der, expect(type, 0x06, "attribute type")),
        text: attributeText(der, value),
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
 * An attribute value as text. The string choices of DirectoryString (and IA5String) keep their
 * decoded text verbatim; anything else (an ANY value) is shown as hex of the whole TLV, so
 * that it can never be mistaken for a host name.
 */
/**
 * The types a name's attribute value may have: the string types, BIT STRING and SEQUENCE, as
 * OpenSSL (and so Node's `tls`) accepts them; a value under any other tag, or a string whose
 * bytes break its type's alphabet, is not DER for a name and the certificate is refused
 * ("bad-name") rather than shown as something it is not.
 */
const ATTRIBUTE_VALUE_TAGS = new Set([
  0x03, 0x0c, 0x12, 0x13, 0x14, 0x15, 0x16, 0x19, 0x1a, 0x1b, 0x1c, 0x1e, 0x30,
]);
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const NUMERIC = /^[0-9 ]*$/;

function attributeText(der: Uint8Array, tlv: Tlv): string {
  checkAny(der, tlv);
  if (!ATTRIBUTE_VALUE_TAGS.has(tlv.tag)) {
    throw new FieldError("bad-name", `an attribute value with tag 0x${tlv.tag.toString(16)}`);
  }
  const content = der.subarray(tlv.contentStart, tlv.end);
  switch (tlv.tag) {
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
      if (!(tlv.tag === 0x13 ? PRINTABLE : NUMERIC).test(text)) {
        throw new FieldError("bad-name", "a character outside the string type's alphabet");
      }
      return text;
    }
    case 0x16: // IA5String
    case 0x1a: // VisibleString
      if (content.some((byte) => byte > 0x7f)) {
        throw new FieldError("bad-name", "a non-ASCII byte in an ASCII string type");
      }
      return latin1(content);
    case 0x14: // TeletexString
      return latin1(content);
    case 0x1e: {
      // BMPString: UCS-2 big-endian.
      if (content.length % 2 !== 0) throw new FieldError("bad-name", "BMPString of odd length");
      let text = "";
      for (let i = 0; i < content.length; i += 2) {
        text += String.fromCharCode((content[i]! << 8) | content[i + 1]!);
      }
      return text;
    }
    case 0x1c: {
      // UniversalString: UCS-4 big-endian. Every code point is kept whole: truncating one to
      // 16 bits (as a naive decoder does) could turn U+1002E into "." inside a host name.
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
    default:
      return `#${Buffer.from(der.buffer, der.byteOffset + tlv.start, tlv.end - tlv.start).toString("hex")}`;
  }
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/**
 * Time ::= CHOICE { utcTime, generalTime } in RFC 5280 §4.1.2.5's only allowed forms:
 * YYMMDDHHMMSSZ and YYYYMMDDHHMMSSZ, every field in range. A date that does not exist (month
 * 13, 31 April) is returned as the text it was, to be reported as "bad-validity".
 */
function readTime(der: Uint8Array, tlv: Tlv): Date | string {
  if (tlv.tag !== 0x17 && tlv.tag !== 0x18) {
    throw new SchemaError(`time has tag 0x${tlv.tag.toString(16)}`);
  }
  const text = latin1(der.subarray(tlv.contentStart, tlv.end));
  const match = (tlv.tag === 0x17 ? UTC_TIME : GENERALIZED_TIME).exec(text);
  if (match === null) return text;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, ...number[]];
  // RFC 5280 §4.1.2.5.1: a two-digit year of 50 or more is 19YY, otherwise 20YY.
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
  return valid ? date : text;
}

/** extensions [3] EXPLICIT SEQUENCE OF Extension { extnID, critical DEFAULT FALSE, extnValue }. */
function readExtensions(der: Uint8Array, tlv: Tlv): ExtensionField[] {
  const inner = readChildren(der, tlv);
  if (inner.length !== 1) throw new SchemaError("extensions must hold one SEQUENCE");
  const list: ExtensionField[] = [];
  for (const extension of readChildren(der, expect(inner[0], 0x30, "extensions"))) {
    const fields = readChildren(der, expect(extension, 0x30, "Extension"));
    const oid = readOid(der, expect(fields[0], 0x06, "extnID"));
    let critical = false;
    let index = 1;
    if (fields.length === 3) {
      const flag = expect(fields[1], 0x01, "critical");
      if (flag.end !== flag.contentStart + 1) throw new DerError("BOOLEAN is not one octet");
      critical = der[flag.contentStart] !== 0;
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
  der: Uint8Array,
  parts: readonly Tlv[],
  fields: TbsFields,
  signature: Uint8Array,
  thumbprint: Thumbprint,
): ParsedCertificate {
  const { versionField } = fields;
  if (versionField !== 0 && versionField !== 1 && versionField !== 2) {
    fail("unsupported-version", `version field ${versionField} is not v1, v2 or v3`);
  }
  const version = (versionField + 1) as 1 | 2 | 3;

  if (fields.extensions.length > 0 && version !== 3) {
    fail("bad-extension", `a version ${version} certificate cannot carry extensions`);
  }
  const seen = new Set<string>();
  let san: Uint8Array | undefined;
  for (const extension of fields.extensions) {
    if (seen.has(extension.oid)) {
      fail("duplicate-extension", `extension ${extension.oid} appears more than once`);
    }
    seen.add(extension.oid);
    if (extension.oid === OID_SAN) san = extension.value;
  }

  const { notBefore, notAfter } = fields;
  if (typeof notBefore === "string" || typeof notAfter === "string") {
    fail("bad-validity", "validity is not a valid time");
  }

  let dnsNames: string[] = [];
  if (san !== undefined) {
    try {
      dnsNames = readSanDnsNames(san);
    } catch (error) {
      fail("bad-extension", "subjectAltName cannot be decoded", error);
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
    ranges: [
      tbs.start,
      tbs.end,
      fields.spki.start,
      fields.spki.end,
      signature.byteOffset - der.byteOffset,
      signature.byteOffset - der.byteOffset + signature.length,
      algorithm.start,
      algorithm.end,
      fields.extensionsAt,
    ],
  });
}

type Eager = Omit<
  ParsedCertificate,
  "asn" | "signatureAlgorithm" | "spki" | "tbs" | "signature" | "extensions" | "encodingFaults"
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
  readonly version: 1 | 2 | 3;
  readonly serialNumber: string;
  readonly subject: string;
  readonly issuer: string;
  readonly subjectKey: string;
  readonly issuerKey: string;
  readonly commonNames: readonly string[];
  readonly dnsNames: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly encodingFaults: readonly EncodingFault[] = [];
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
      const list = at < 0 ? [] : readExtensions(this.der, readTlv(this.der, at));
      for (const { oid, critical, value } of list) map.set(oid, { critical, value });
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

  get asn(): asn1x509.Certificate {
    this.#asn ??= lazily(() => AsnConvert.parse(this.der, asn1x509.Certificate));
    return this.#asn;
  }
}

/**
 * The DER walk accepted the certificate, so the schema parse cannot fail on it; if it ever
 * did, the caller still gets this module's one error type.
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

/** The dNSName entries of a GeneralNames SEQUENCE (RFC 5280 §4.2.1.6), every entry checked. */
function readSanDnsNames(value: Uint8Array): string[] {
  const outer = readTlv(value, 0);
  if (outer.tag !== 0x30 || outer.end !== value.length) {
    throw new SchemaError("GeneralNames is not one SEQUENCE");
  }
  const names: string[] = [];
  for (const name of readChildren(value, outer)) {
    switch (name.tag) {
      case 0x82: // dNSName: IA5String, kept verbatim
        names.push(latin1(value.subarray(name.contentStart, name.end)));
        break;
      case 0x81: // rfc822Name
      case 0x86: // uniformResourceIdentifier
      case 0x87: // iPAddress
        break;
      case 0x88: // registeredID
        readOid(value, name);
        break;
      case 0xa4: {
        // directoryName [4] EXPLICIT Name
        const inner = readChildren(value, name);
        if (inner.length !== 1) throw new SchemaError("directoryName must hold one Name");
        readName(value, expect(inner[0], 0x30, "directoryName"));
        break;
      }
      case 0xa0: {
        // otherName [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
        const [typeId, otherValue, extra] = readChildren(value, name);
        readOid(value, expect(typeId, 0x06, "otherName type"));
        const inner = readChildren(value, expect(otherValue, 0xa0, "otherName value"));
        if (inner.length !== 1 || extra !== undefined) throw new SchemaError("bad otherName");
        checkAny(value, inner[0]!);
        break;
      }
      case 0xa3: // x400Address
      case 0xa5: // ediPartyName
        checkAny(value, name);
        break;
      default:
        throw new SchemaError(`unknown GeneralName tag 0x${name.tag.toString(16)}`);
    }
  }
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
function nameKey(name: Name): string {
  return name
    .map((rdn) =>
      rdn
        .map((a) => {
          const folded = a.text.startsWith("#")
            ? a.text
            : a.text.trim().replace(/ +/g, " ").toLowerCase();
          return `${a.type}=${JSON.stringify(folded)}`;
        })
        .sort()
        .join("+"),
    )
    .join("/");
}
