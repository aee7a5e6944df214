// Host-name matching for R8/R10c, with the readings A2, A5 and A7 in one place.
//
// Q: does "MAIL.Contoso.COM." match "mail.contoso.com"?
// A: yes. ASCII case is folded and one trailing dot is ignored (A2). Only ASCII: "İ" and other
//    non-ASCII letters are not folded, and a name holding them never matches anything.
// Q: does contoso.com match evilcontoso.com, or mail.contoso.com.evil.net?
// A: no. "Contains the FQDN" (R10c) means one of the certificate's names *is* a domain-list
//    entry, compared whole; never a substring or suffix (A2).
// Q: which names does a certificate have?
// A: its Subject common names and its SAN dNSName entries, both, even when a SAN is present
//    (A7: the text says "Subject or SAN"). IP, e-mail and other SAN types are not host names.
// Q: what about "mail.contoso.com\0.evil.com" in a CN, empty labels ("a..b"), labels over 63
//    octets, names over 253, "10.0.0.1"?
// A: none of these is a host name, so none ever matches. A name whose last label is all digits
//    is an IPv4 address written as text, not a DNS name. Punycode labels ("xn--…") are plain
//    LDH labels and match exactly, like any other.
// Q: wildcards?
// A: off by default (A5: nothing says Exchange 2007 transport matched them). With the option,
//    "*.contoso.com" matches exactly one left-most label: mail.contoso.com, never contoso.com
//    or a.b.contoso.com; a partial label ("m*.contoso.com"), a bare "*" or a wildcard over a
//    single remaining label ("*.com") never matches (RFC 6125 §6.4.3).

declare const hostNameBrand: unique symbol;
/** A syntactically valid, lower-cased DNS host name without a trailing dot. */
export type HostName = string & { readonly [hostNameBrand]: true };

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ALL_DIGITS = /^[0-9]+$/;

/** Why a string is not a host name; stable values that traces and tests use. */
export type HostNameProblem =
  | "empty"
  | "not-ascii"
  | "control-character"
  | "too-long"
  | "empty-label"
  | "bad-label"
  | "ip-address"
  | "wildcard";

export type HostNameParse =
  | { readonly ok: true; readonly name: HostName }
  | { readonly ok: false; readonly problem: HostNameProblem };

function asciiLower(value: string): string {
  return value.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** Parses a host name: ASCII only, case-folded, one trailing dot removed, LDH labels. */
export function parseHostName(value: string, allowWildcard = false): HostNameParse {
  if (value.length === 0) return { ok: false, problem: "empty" };
  if (/[\u0000-\u001f\u007f]/.test(value)) return { ok: false, problem: "control-character" };
  if (/[^\u0000-\u007f]/.test(value)) return { ok: false, problem: "not-ascii" };
  let name = asciiLower(value);
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name.length === 0) return { ok: false, problem: "empty" };
  if (name.length > 253) return { ok: false, problem: "too-long" };
  const labels = name.split(".");
  for (const [index, label] of labels.entries()) {
    if (label.length === 0) return { ok: false, problem: "empty-label" };
    if (label === "*" && index === 0 && allowWildcard) continue;
    if (label.includes("*")) return { ok: false, problem: "wildcard" };
    if (!LABEL.test(label)) return { ok: false, problem: "bad-label" };
  }
  if (labels.length > 1 && ALL_DIGITS.test(labels[labels.length - 1]!)) {
    return { ok: false, problem: "ip-address" };
  }
  return { ok: true, name: name as HostName };
}

/** Where a certificate name came from (A7). */
export type NameSource = "subject-cn" | "san-dns";

export interface CertificateName {
  readonly value: string;
  readonly source: NameSource;
}

/**
 * Which of a certificate's names matched which domain-list entry (A7), as the trace reports it.
 */
export interface NameMatch {
  /** The certificate's name as written in the certificate. */
  readonly certificateName: string;
  /** Where the certificate carries the name: a Subject CN or a SAN DNS name (A7). */
  readonly source: NameSource;
  /** The domain-list entry it matched (normalized). */
  readonly domainListEntry: HostName;
  /** It matched through a wildcard (A5, only with `wildcardNames`). */
  readonly wildcard: boolean;
}

/** The names A7 says a certificate has: CNs first, then SAN dNSNames, as written. */
export function certificateNames(certificate: {
  readonly commonNames: readonly string[];
  readonly dnsNames: readonly string[];
}): CertificateName[] {
  return [
    ...certificate.commonNames.map((value) => ({ value, source: "subject-cn" as const })),
    ...certificate.dnsNames.map((value) => ({ value, source: "san-dns" as const })),
  ];
}

/** Does one presented (certificate) name match one reference (domain-list) name? */
export function matchesHostName(
  presented: string,
  reference: HostName,
  options: { readonly wildcardNames?: boolean } = {},
): { readonly wildcard: boolean } | null {
  const parsed = parseHostName(presented, options.wildcardNames === true);
  if (!parsed.ok) return null;
  const name = parsed.name;
  if (!name.startsWith("*.")) return name === reference ? { wildcard: false } : null;
  // A5: "*" stands for exactly one whole left-most label over at least two remaining labels.
  const base = name.slice(2);
  if (!base.includes(".")) return null;
  const dot = reference.indexOf(".");
  if (dot <= 0) return null;
  return reference.slice(dot + 1) === base ? { wildcard: true } : null;
}

/**
 * The first (certificate name, domain-list entry) pair that matches, in the order the
 * certificate lists its names and then the domain list's order (R8/A10), or null.
 */
export function findNameMatch(
  names: readonly CertificateName[],
  domainList: readonly HostName[],
  options: { readonly wildcardNames?: boolean } = {},
): NameMatch | null {
  for (const name of names) {
    for (const entry of domainList) {
      const match = matchesHostName(name.value, entry, options);
      if (match !== null) {
        return {
          certificateName: name.value,
          source: name.source,
          domainListEntry: entry,
          wildcard: match.wildcard,
        };
      }
    }
  }
  return null;
}
