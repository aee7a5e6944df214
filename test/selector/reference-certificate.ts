// The schema-driven parser that src/x509/certificate.ts replaced (issue 9), kept verbatim as a
// differential oracle: the DER walk must accept nothing this rejects, and read the same fields
// from everything both accept. Test-only; not shipped.
import { type CertificateParseFailure, InvalidCertificateError } from "../../src/errors.js";
import type { CertificateInput } from "../../src/types.js";
import { DerError, readChildren, readTlv } from "../../src/x509/der.js";
import { type Thumbprint, thumbprintOf } from "../../src/x509/thumbprint.js";
import { AsnConvert, asn1x509 } from "../../src/x509/x509.js";

/** One extension as it appears in the certificate, decoded on demand by its consumer. */
export interface RawExtension {
  readonly critical: boolean;
  readonly value: Uint8Array;
}

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
  /** The reference parser is strict DER: it never reports a fault, it refuses. */
  readonly encodingFaults: readonly never[];
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

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * DER from PEM text. Explanatory text around the block is allowed (RFC 7468 §2); anything but
 * base64 and white space inside it is not, and neither is more than one certificate: a store
 * entry is one certificate, and silently taking "the first" could pick the wrong one.
 */
export function pemToDer(pem: string): Uint8Array {
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) fail("pem-no-certificate", "no BEGIN/END CERTIFICATE block");
  if (blocks.length > 1) {
    fail("pem-multiple-certificates", `${blocks.length} certificate blocks; expected one`);
  }
  const body = (blocks[0]![1] ?? "").replace(/\s+/g, "");
  if (body.length === 0 || body.length % 4 !== 0 || !BASE64_BODY.test(body)) {
    fail("pem-bad-base64", "certificate block is not valid base64");
  }
  return new Uint8Array(Buffer.from(body, "base64"));
}

/** The DER bytes of a CertificateInput, without parsing the certificate itself. */
export function certificateBytes(input: CertificateInput): Uint8Array {
  if (typeof input === "string") return pemToDer(input);
  if (input instanceof Uint8Array) return input;
  throw new TypeError("a certificate must be DER bytes (Uint8Array) or PEM text (string)");
}

/** Parses DER or PEM. Throws {@link InvalidCertificateError} (or TypeError for a wrong type). */
export function referenceParseCertificate(input: CertificateInput): ParsedCertificate {
  const der = certificateBytes(input);
  if (der.length === 0) fail("empty", "certificate is empty");

  // Structure first, strictly: Certificate ::= SEQUENCE { tbs, sigAlg, sig } filling the buffer.
  let tbs: Uint8Array;
  try {
    const outer = readTlv(der, 0);
    if (outer.tag !== 0x30) throw new DerError("certificate is not a SEQUENCE");
    if (outer.end !== der.length) {
      fail("der-trailing-data", `${der.length - outer.end} bytes after the certificate`);
    }
    const parts = readChildren(der, outer);
    if (parts.length !== 3 || parts[0]!.tag !== 0x30) {
      throw new DerError("certificate must have exactly tbsCertificate, algorithm, signature");
    }
    tbs = der.subarray(parts[0]!.start, parts[0]!.end);
  } catch (error) {
    if (error instanceof InvalidCertificateError) throw error;
    fail("der-malformed", `malformed DER: ${(error as Error).message}`, error);
  }

  let asn: asn1x509.Certificate;
  try {
    asn = AsnConvert.parse(der, asn1x509.Certificate);
  } catch (error) {
    fail("asn1-schema", `not an X.509 certificate: ${(error as Error).message}`, error);
  }
  const tbsModel = asn.tbsCertificate;
  const versionField = tbsModel.version ?? 0;
  if (versionField !== 0 && versionField !== 1 && versionField !== 2) {
    fail("unsupported-version", `version field ${versionField} is not v1, v2 or v3`);
  }
  const version = (versionField + 1) as 1 | 2 | 3;

  const extensions = new Map<string, RawExtension>();
  const extensionList = tbsModel.extensions ?? [];
  if (extensionList.length > 0 && version !== 3) {
    fail("bad-extension", `a version ${version} certificate cannot carry extensions`);
  }
  for (const extension of extensionList) {
    if (extensions.has(extension.extnID)) {
      fail("duplicate-extension", `extension ${extension.extnID} appears more than once`);
    }
    extensions.set(extension.extnID, {
      critical: extension.critical === true,
      value: new Uint8Array(extension.extnValue.buffer),
    });
  }

  let notBefore: Date;
  let notAfter: Date;
  try {
    notBefore = tbsModel.validity.notBefore.getTime();
    notAfter = tbsModel.validity.notAfter.getTime();
  } catch (error) {
    fail("bad-validity", "validity is not a valid time", error);
  }
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) {
    fail("bad-validity", "validity is not a valid time");
  }

  let commonNames: string[];
  let subject: string;
  let issuer: string;
  try {
    commonNames = attributeValues(tbsModel.subject, OID_CN);
    subject = displayName(tbsModel.subject);
    issuer = displayName(tbsModel.issuer);
  } catch (error) {
    fail("bad-name", "subject or issuer name cannot be read", error);
  }

  let dnsNames: string[] = [];
  const san = extensions.get(OID_SAN);
  if (san !== undefined) {
    try {
      const names = AsnConvert.parse(san.value, asn1x509.SubjectAlternativeName);
      dnsNames = [...names].flatMap((name) => (name.dNSName === undefined ? [] : [name.dNSName]));
    } catch (error) {
      fail("bad-extension", "subjectAltName cannot be decoded", error);
    }
  }

  return {
    encodingFaults: [],
    der,
    thumbprint: thumbprintOf(der),
    version,
    serialNumber: Buffer.from(tbsModel.serialNumber).toString("hex").toUpperCase(),
    subject,
    issuer,
    subjectKey: nameKey(tbsModel.subject),
    issuerKey: nameKey(tbsModel.issuer),
    commonNames,
    dnsNames,
    notBefore,
    notAfter,
    spki: new Uint8Array(AsnConvert.serialize(tbsModel.subjectPublicKeyInfo)),
    tbs,
    signatureAlgorithm: asn.signatureAlgorithm,
    signature: new Uint8Array(asn.signatureValue),
    extensions,
    asn,
  };
}

function valueText(value: asn1x509.AttributeValue): string {
  // The string choices keep their decoded text verbatim; anything else (an ANY value) is shown
  // as hex so that it can never be mistaken for a host name.
  const text =
    value.utf8String ??
    value.printableString ??
    value.ia5String ??
    value.teletexString ??
    value.bmpString ??
    value.universalString;
  if (text !== undefined) return text;
  return `#${Buffer.from(value.anyValue ?? new ArrayBuffer(0)).toString("hex")}`;
}

function attributeValues(name: asn1x509.Name, oid: string): string[] {
  const values: string[] = [];
  for (const rdn of name) {
    for (const attribute of rdn)
      if (attribute.type === oid) values.push(valueText(attribute.value));
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

function displayName(name: asn1x509.Name): string {
  const rdns = [...name].map((rdn) =>
    [...rdn]
      .map((a) => `${SHORT_NAMES[a.type] ?? a.type}=${escapeRdnValue(valueText(a.value))}`)
      .join("+"),
  );
  return rdns.reverse().join(", ");
}

/**
 * A comparison key for distinguished names. RFC 5280 §7.1 asks for case-insensitive comparison
 * with insignificant white space removed (RFC 4518); we fold ASCII case and runs of spaces in
 * string values, keep attribute order, and compare everything else exactly.
 */
function nameKey(name: asn1x509.Name): string {
  return [...name]
    .map((rdn) =>
      [...rdn]
        .map((a) => {
          const text = valueText(a.value);
          const folded = text.startsWith("#")
            ? text
            : text.trim().replace(/ +/g, " ").toLowerCase();
          return `${a.type}=${JSON.stringify(folded)}`;
        })
        .sort()
        .join("+"),
    )
    .join("/");
}
