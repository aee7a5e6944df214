// GeneralName (RFC 5280 §4.2.1.6) read from raw DER, for subjectAltName and NameConstraints.
// We read the bytes ourselves rather than through @peculiar/asn1-x509's model because that
// model turns an iPAddress into text (losing a NameConstraints mask) and accepts lengths that
// RFC 5280 forbids; here an iPAddress keeps its exact octets and its length is checked by the
// consumer.
import { DerError, readOid, readTlv } from "../der.js";
import { AsnConvert, asn1x509 } from "../x509.js";

export type GeneralName =
  /** dNSName, the IA5String octets as text (not yet checked for host-name syntax). */
  | { readonly kind: "dns"; readonly value: string }
  /** iPAddress: 4 or 16 octets in a SAN, 8 or 32 (address and mask) in a constraint. */
  | { readonly kind: "ip"; readonly bytes: Uint8Array }
  /** directoryName, as its RDNs in canonical form (see {@link rdnKeys}). */
  | { readonly kind: "directory"; readonly rdns: readonly string[] }
  | { readonly kind: "email"; readonly value: string }
  | { readonly kind: "uri"; readonly value: string }
  /**
   * otherName, x400Address, ediPartyName, registeredID: kept by tag only, and an otherName's
   * type-id when it reads (so that an SmtpUTF8Mailbox can be recognised, RFC 8398).
   */
  | { readonly kind: "other"; readonly tag: number; readonly typeId?: string };

function ia5(bytes: Uint8Array): string {
  // IA5 is 7-bit; a byte above 0x7f stays visible as a non-ASCII character, which no host-name
  // parser accepts.
  return Buffer.from(bytes).toString("latin1");
}

/** Reads consecutive GeneralName TLVs filling `bytes`. `many` false: exactly one. */
export function readGeneralNames(bytes: Uint8Array, many: boolean): GeneralName[] {
  const names: GeneralName[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const tlv = readTlv(bytes, offset);
    const content = bytes.subarray(tlv.contentStart, tlv.end);
    names.push(generalName(tlv.tag, content));
    offset = tlv.end;
    if (!many && offset !== bytes.length) throw new DerError("trailing data after GeneralName");
  }
  return names;
}

function generalName(tag: number, content: Uint8Array): GeneralName {
  switch (tag) {
    case 0x81:
      return { kind: "email", value: ia5(content) };
    case 0x82:
      return { kind: "dns", value: ia5(content) };
    case 0x86:
      return { kind: "uri", value: ia5(content) };
    case 0x87:
      return { kind: "ip", bytes: content };
    case 0xa4: {
      // directoryName is EXPLICIT: the content is one Name SEQUENCE.
      const inner = readTlv(content, 0);
      if (inner.tag !== 0x30 || inner.end !== content.length) {
        throw new DerError("directoryName is not one Name");
      }
      return { kind: "directory", rdns: rdnKeys(AsnConvert.parse(content, asn1x509.Name)) };
    }
    case 0xa0: {
      const typeId = otherNameTypeId(content);
      return typeId === undefined ? { kind: "other", tag } : { kind: "other", tag, typeId };
    }
    case 0xa3:
    case 0xa5:
    case 0x88:
      return { kind: "other", tag };
    default:
      throw new DerError(`unknown GeneralName tag 0x${tag.toString(16)}`);
  }
}

/** id-on-SmtpUTF8Mailbox (RFC 8398 §3): an internationalized mailbox, as an otherName. */
export const SMTP_UTF8_MAILBOX_OID = "1.3.6.1.5.5.7.8.9";

/**
 * The type-id of an otherName's content, dotted; undefined when it does not read (the value is
 * then just an otherName of unknown type, as it was before type-ids were read).
 */
function otherNameTypeId(content: Uint8Array): string | undefined {
  try {
    const oid = readTlv(content, 0);
    if (oid.tag !== 0x06) return undefined;
    return readOid(content, oid);
  } catch (error) {
    if (error instanceof DerError) return undefined;
    throw error;
  }
}

function attributeText(value: asn1x509.AttributeValue): string {
  const text =
    value.utf8String ??
    value.printableString ??
    value.ia5String ??
    value.teletexString ??
    value.bmpString ??
    value.universalString;
  return text === undefined
    ? `#${Buffer.from(value.anyValue ?? new ArrayBuffer(0)).toString("hex")}`
    : text.trim().replace(/ +/g, " ").toLowerCase();
}

/**
 * Each RDN of a Name as a canonical string (RFC 5280 §7.1, simplified as certificate.ts does:
 * case and runs of spaces folded, multi-valued RDNs sorted), most general RDN first.
 */
export function rdnKeys(name: asn1x509.Name): string[] {
  return [...name].map((rdn) =>
    [...rdn]
      .map((attribute) => `${attribute.type}=${JSON.stringify(attributeText(attribute.value))}`)
      .sort()
      .join("+"),
  );
}

/** PKCS #9 emailAddress (RFC 5280 §4.1.2.6 legacy e-mail in a subject name). */
export const EMAIL_ADDRESS_OID = "1.2.840.113549.1.9.1";

/**
 * The value of every emailAddress attribute of a Name, in order, as written (no case or space
 * folding: the local part of a mailbox is case-sensitive). PKCS #9 defines the value as an
 * IA5String; a value of any other type is `undefined`, so that a caller applying rfc822Name
 * constraints can reject it instead of guessing (fail closed, A20).
 */
export function emailAddressAttributes(name: asn1x509.Name): (string | undefined)[] {
  const values: (string | undefined)[] = [];
  for (const rdn of name) {
    for (const attribute of rdn) {
      if (attribute.type === EMAIL_ADDRESS_OID) values.push(attribute.value.ia5String);
    }
  }
  return values;
}
