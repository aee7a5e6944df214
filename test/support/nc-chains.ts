// Chains for name-constraint tests (A20, RFC 5280 §4.2.1.10): a root carrying NameConstraints of
// any GeneralName form, an optional intermediate, and a leaf whose subjectAltName and subject
// emailAddress attributes are written byte for byte (including malformed ones), so the same
// chain can be given to our validator and to `openssl verify`. Keys come from the committed pool.
import { parseCertificate } from "../../src/x509/certificate.js";
import { AsnConvert, asn1x509 } from "../../src/x509/x509.js";
import type { VerifyInput } from "./chains.js";
import { OID, WINDOW } from "./chains.js";
import { forgeCertificate, type NameSpec, type StringEncoding } from "./forge.js";

/** A GeneralName, by form. Strings are written as they are (IA5 octets = char codes). */
export type NameForm =
  | { readonly dns: string }
  | { readonly email: string }
  | { readonly uri: string }
  /** iPAddress octets: 4/16 in a SAN, 8/32 (address, mask) in a constraint. */
  | { readonly ip: readonly number[] }
  | { readonly dn: NameSpec }
  /** registeredID, as the OID's content octets (e.g. [0x2a, 0x03, 0x04] for 1.2.3.4). */
  | { readonly registeredId: readonly number[] }
  /** otherName: type-id as content octets, a UTF8String value (default "other"). */
  | { readonly otherName: readonly number[]; readonly value?: string };

export interface NameConstraintSpec {
  readonly permitted?: readonly NameForm[];
  readonly excluded?: readonly NameForm[];
}

/** One emailAddress attribute of a subject: its text and, by default, IA5String. */
export type EmailAttribute = string | { readonly value: string; readonly encoding: StringEncoding };

export interface NamedCertificate {
  /** subjectAltName entries (no extension when absent). */
  readonly san?: readonly NameForm[];
  /** emailAddress attributes appended to the subject. */
  readonly emailAddress?: readonly EmailAttribute[];
}

export interface NcChainSpec {
  /** A unique id; OpenSSL's batch needs /^c\d+$/. It is part of every subject name. */
  readonly id: string;
  /** NameConstraints of the root (the only constrained CA). */
  readonly constraints: NameConstraintSpec;
  readonly leaf: NamedCertificate;
  /** An intermediate between the root and the leaf, itself subject to the root's constraints. */
  readonly intermediate?: NamedCertificate;
}

function length(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return [0x80 | bytes.length, ...bytes];
}

export function tlv(tag: number, content: Uint8Array | readonly number[]): Uint8Array {
  return Uint8Array.from([tag, ...length(content.length), ...content]);
}

const concat = (parts: readonly Uint8Array[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((part) => [...part]));

const octets = (text: string): number[] => [...text].map((c) => c.charCodeAt(0) & 0xff);

const ATTRIBUTE_OIDS: Readonly<Record<string, string>> = {
  CN: "2.5.4.3",
  C: "2.5.4.6",
  O: "2.5.4.10",
  OU: "2.5.4.11",
};

function nameDer(spec: NameSpec): Uint8Array {
  const name = new asn1x509.Name(
    spec.map(([type, value, encoding]) => {
      const field = {
        utf8: "utf8String",
        printable: "printableString",
        ia5: "ia5String",
        teletex: "teletexString",
        bmp: "bmpString",
        universal: "universalString",
      }[encoding ?? (type === "C" ? "printable" : "utf8")];
      return new asn1x509.RelativeDistinguishedName([
        new asn1x509.AttributeTypeAndValue({
          type: ATTRIBUTE_OIDS[type] ?? type,
          value: new asn1x509.AttributeValue({ [field]: value }),
        }),
      ]);
    }),
  );
  return new Uint8Array(AsnConvert.serialize(name));
}

/** The DER of one GeneralName. */
export function generalName(form: NameForm): Uint8Array {
  if ("dns" in form) return tlv(0x82, octets(form.dns));
  if ("email" in form) return tlv(0x81, octets(form.email));
  if ("uri" in form) return tlv(0x86, octets(form.uri));
  if ("ip" in form) return tlv(0x87, form.ip);
  if ("dn" in form) return tlv(0xa4, nameDer(form.dn));
  if ("registeredId" in form) return tlv(0x88, form.registeredId);
  return tlv(
    0xa0,
    concat([
      tlv(0x06, form.otherName),
      tlv(0xa0, tlv(0x0c, [...new TextEncoder().encode(form.value ?? "other")])),
    ]),
  );
}

/** A NameConstraints extension (critical, as RFC 5280 §4.2.1.10 requires). */
export function nameConstraintsExtension(spec: NameConstraintSpec): {
  oid: string;
  critical: boolean;
  value: Uint8Array;
} {
  const subtrees = (tag: number, forms: readonly NameForm[]) =>
    tlv(tag, concat(forms.map((form) => tlv(0x30, generalName(form)))));
  const parts = [
    ...(spec.permitted ? [subtrees(0xa0, spec.permitted)] : []),
    ...(spec.excluded ? [subtrees(0xa1, spec.excluded)] : []),
  ];
  return { oid: "2.5.29.30", critical: true, value: tlv(0x30, concat(parts)) };
}

/** A subjectAltName extension with exactly these entries. */
export function subjectAltNameExtension(san: readonly NameForm[]): {
  oid: string;
  critical: boolean;
  value: Uint8Array;
} {
  return { oid: "2.5.29.17", critical: false, value: tlv(0x30, concat(san.map(generalName))) };
}

const EMAIL_ADDRESS = "1.2.840.113549.1.9.1";

function subjectOf(label: string, named: NamedCertificate): NameSpec {
  return [
    ["O", "NC Tests"],
    ["CN", label],
    ...(named.emailAddress ?? []).map((attribute) =>
      typeof attribute === "string"
        ? ([EMAIL_ADDRESS, attribute, "ia5"] as const)
        : ([EMAIL_ADDRESS, attribute.value, attribute.encoding] as const),
    ),
  ];
}

let serial = 0x5000;

/** Builds the chain of `spec`: DER of leaf, intermediates and trust anchor. */
export async function buildNcChain(spec: NcChainSpec): Promise<VerifyInput> {
  const rootName: NameSpec = [
    ["O", "NC Tests"],
    ["CN", `NC Root ${spec.id}`],
  ];
  const ca = { basicConstraints: { ca: true }, keyUsage: ["keyCertSign", "cRLSign"] } as const;
  const root = await forgeCertificate({
    serial: ++serial,
    subject: rootName,
    key: "rsa-1",
    ...WINDOW.valid,
    ...ca,
    extraExtensions: [nameConstraintsExtension(spec.constraints)],
  });
  let issuerName = rootName;
  let leafSigner: "rsa-1" | "p256-1" = "rsa-1";
  const intermediates: Uint8Array[] = [];
  if (spec.intermediate !== undefined) {
    const subject = subjectOf(`NC Intermediate ${spec.id}`, spec.intermediate);
    intermediates.push(
      await forgeCertificate({
        serial: ++serial,
        subject,
        issuer: issuerName,
        key: "p256-1",
        signer: "rsa-1",
        ...WINDOW.valid,
        ...ca,
        ...(spec.intermediate.san
          ? { extraExtensions: [subjectAltNameExtension(spec.intermediate.san)] }
          : {}),
      }),
    );
    issuerName = subject;
    leafSigner = "p256-1";
  }
  const leaf = await forgeCertificate({
    serial: ++serial,
    subject: subjectOf(`NC Leaf ${spec.id}`, spec.leaf),
    issuer: issuerName,
    key: "p256-2",
    signer: leafSigner,
    ...WINDOW.valid,
    keyUsage: ["digitalSignature"],
    eku: [OID.serverAuth],
    ...(spec.leaf.san ? { extraExtensions: [subjectAltNameExtension(spec.leaf.san)] } : {}),
  });
  return { id: spec.id, leaf, intermediates, trustAnchors: [root] };
}

/** The chain parsed for PathValidator. */
export function parsedChain(chain: VerifyInput) {
  return {
    leaf: parseCertificate(chain.leaf),
    intermediates: chain.intermediates.map((der) => parseCertificate(der)),
    trustAnchors: chain.trustAnchors.map((der) => parseCertificate(der)),
  };
}
