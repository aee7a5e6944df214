// Names in revocation checking (A21): the CRL issuer against the certificate's issuer, the
// distribution point names of a certificate against a CRL's issuingDistributionPoint, and the
// cRLIssuer names that authorise an indirect CRL (RFC 5280 §6.3.3 (b)).
//
// Q: how are two distinguished names compared?
// A: as the name constraints code compares a directoryName (general-names.ts `rdnKeys`): RFC
//    5280 §7.1 simplified, case and runs of spaces folded in string values, RDNs in order. Every
//    name here (CRL issuer, certificate issuer, cRLIssuer, distribution point directoryName) goes
//    through that one function, so equal names always get equal keys.
// Q: and URIs, DNS names, e-mail addresses in a distribution point?
// A: exact string equality (a distribution point URI is an identifier here, never fetched).
import { type ParsedCertificate, SHORT_NAMES } from "../certificate.js";
import { sameBytes } from "../der.js";
import type { GeneralName } from "../path/general-names.js";
import { rdnKeys } from "../path/general-names.js";
import { AsnConvert, asn1x509 } from "../x509.js";

/** Distribution point names; `relative` keeps a nameRelativeToCRLIssuer RDN not yet made full. */
export interface ScopeNames {
  readonly names: readonly GeneralName[];
  readonly relative?: string;
}

/** Key and display form of a DER Name. Throws on a malformed Name (callers catch). */
export function nameKeyOfDer(der: Uint8Array): { key: string; display: string } {
  const name = AsnConvert.parse(der, asn1x509.Name);
  return { key: rdnKeys(name).join("/"), display: displayOf(name) };
}

function displayOf(name: asn1x509.Name): string {
  return [...name]
    .map((rdn) =>
      [...rdn]
        .map((attribute) => {
          const value = attribute.value;
          const text =
            value.utf8String ??
            value.printableString ??
            value.ia5String ??
            value.teletexString ??
            value.bmpString ??
            value.universalString ??
            "#";
          return `${SHORT_NAMES[attribute.type] ?? attribute.type}=${text}`;
        })
        .join("+"),
    )
    .reverse()
    .join(", ");
}

const issuerKeys = new WeakMap<ParsedCertificate, string>();
const subjectKeys = new WeakMap<ParsedCertificate, string>();

/** The certificate's issuer name key, in the same form as a CRL issuer's. */
export function issuerKeyOf(certificate: ParsedCertificate): string {
  let key = issuerKeys.get(certificate);
  if (key === undefined) {
    key = rdnKeys(certificate.asn.tbsCertificate.issuer).join("/");
    issuerKeys.set(certificate, key);
  }
  return key;
}

/** The certificate's subject name key, in the same form as a CRL issuer's. */
export function subjectKeyOf(certificate: ParsedCertificate): string {
  let key = subjectKeys.get(certificate);
  if (key === undefined) {
    key = rdnKeys(certificate.asn.tbsCertificate.subject).join("/");
    subjectKeys.set(certificate, key);
  }
  return key;
}

/** The directoryName keys among `names`. */
export function directoryKeys(names: readonly GeneralName[]): string[] {
  return names.flatMap((name) => (name.kind === "directory" ? [name.rdns.join("/")] : []));
}

function sameName(a: GeneralName, b: GeneralName): boolean {
  switch (a.kind) {
    case "directory":
      return b.kind === "directory" && a.rdns.join("/") === b.rdns.join("/");
    case "dns":
    case "email":
    case "uri":
      return b.kind === a.kind && a.value === b.value;
    case "ip":
      return b.kind === "ip" && sameBytes(a.bytes, b.bytes);
    case "other":
      return false;
  }
}

/** Does some name of `a` equal some name of `b` (RFC 5280 §6.3.3 (b)(2)(i))? */
export function anyNameMatches(a: readonly GeneralName[], b: readonly GeneralName[]): boolean {
  return a.some((x) => b.some((y) => sameName(x, y)));
}
