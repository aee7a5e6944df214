// Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)(c)) of every form A20 names: dNSName,
// iPAddress, directoryName, rfc822Name and uniformResourceIdentifier.
//
// Q: which names of a certificate are constrained?
// A: its subject (as a directoryName), every subjectAltName entry, every emailAddress attribute
//    of its subject (as an rfc822Name, A20), and, for the end-entity certificate, its subject
//    common names that are host names whenever the caller's matcher counts CNs as names (A7).
//    Otherwise a constrained CA could issue CN=outside.example with an inside SAN, and A7 would
//    match the outside name.
// Q: RFC 5280 applies rfc822Name constraints to the subject's emailAddress when the certificate
//    "does not include a subject alternative name". No SAN extension at all, or no rfc822Name
//    in it?
// A: neither: we check every emailAddress attribute whatever the SAN holds. NIST PKITS 4.13.29
//    only covers the case without any SAN (and must be rejected); A20 states the rule without a
//    condition; OpenSSL and NSS check the attribute unconditionally. Checking it only without a
//    SAN would let a CA limited to contoso.com mail issue a certificate with an inside (or DNS)
//    SAN and emailAddress=ceo@fabrikam.com, which S/MIME clients still show as its address.
// Q: "example.com" vs ".example.com" as a constraint?
// A: dNSName: "example.com" covers the name itself and every name under it; ".example.com" only
//    names under it (the reading of OpenSSL, Go and webpki); "" covers every name.
//    rfc822Name (RFC 5280 §4.2.1.10): "user@example.com" is that one mailbox (local part
//    case-sensitive, host not); "example.com" is every mailbox on exactly that host;
//    ".example.com" every mailbox on a host under it, not on example.com itself (PKITS 4.13.21
//    to 4.13.26; OpenSSL agrees, Go reads "example.com" like a dNSName and would also cover
//    sub.example.com).
//    URI: the same host / ".domain" forms, applied to the host of the URI's authority.
// Q: a URI under a URI constraint without an authority (urn:, mailto:), with an empty host
//    (file:///), or with an IP address as host?
// A: rejected: RFC 5280 §4.2.1.10 says the application MUST reject it, since a host-name
//    constraint can show nothing about it. Go rejects the same URIs ("cannot be matched against
//    constraints"). OpenSSL 3.0 rejects the ones without "//" or with an empty host, but takes
//    everything up to the first ':' or '/' as the host, so "[2001:db8::1]" and "user@host" are
//    compared as text; we parse the authority (RFC 3986 §3.2): userinfo is dropped, a port must
//    be digits, an IP-literal or IPv4 host rejects.
// Q: an address or URI that does not parse?
// A: under a constraint of its form it rejects the path (fail closed): a mailbox without '@', a
//    local part that is neither a dot-atom nor a quoted string (RFC 5321 §4.1.2), a host that is
//    not a host name ("[192.0.2.1]" address literals included), a URI authority with a second
//    '@' or a backslash (parsers disagree on where such a host starts: WHATWG URL treats '\' as
//    '/'), an emailAddress attribute that is not an IA5String. A constraint that does not parse,
//    or an empty rfc822Name/URI constraint (RFC 5280 gives it no meaning), rejects too.
// Q: a constraint of a form we do not evaluate (otherName, x400Address, ediPartyName,
//    registeredID)?
// A: A20: harmless while the certificate has no name of that very form (same tag); otherwise
//    the certificate is rejected, since we cannot show the name is allowed (fail closed).
// Q: an SmtpUTF8Mailbox otherName (RFC 8398) under rfc822Name constraints?
// A: RFC 8398 §6 makes rfc822Name constraints apply to it. We do not compare internationalized
//    mailboxes (OpenSSL 3.0 does), so it rejects the path; without rfc822Name constraints it is
//    just an otherName.
// Q: a SAN or constraint that is malformed (a dNSName that is not a host name, an iPAddress
//    that is not 4/16 octets, a mask that is not a prefix)?
// A: under a CA with constraints it rejects the path: a name we cannot parse cannot be shown
//    to be inside or outside a subtree.
// Q: cost?
// A: each name is compared with the subtrees of its own form only, once: names x subtrees.
import type { ParsedCertificate } from "../certificate.js";
import { type HostName, parseHostName } from "../dns-name.js";
import { profileOf } from "./extensions.js";
import { type PathFailure, pathFailure } from "./failure.js";
import {
  emailAddressAttributes,
  type GeneralName,
  rdnKeys,
  SMTP_UTF8_MAILBOX_OID,
} from "./general-names.js";

export interface ConstrainedNamesOptions {
  /** Count the subject CNs of the end-entity certificate as DNS names (A7). */
  readonly commonNamesAreHostNames: boolean;
}

/** A name to check, and where in the certificate it was found (for the failure message). */
interface ConstrainedName {
  readonly name: GeneralName;
  readonly source: "subject" | "subject emailAddress" | "subjectAltName" | "subject CN";
}

/**
 * A subject emailAddress that is not an IA5String: never a valid mailbox, so a constraint of
 * the rfc822Name form rejects it (see the Q&A above).
 */
const NOT_IA5 = "\u0000not-an-IA5String";

/** The names of `certificate` that a CA's constraints apply to. */
function namesOf(
  certificate: ParsedCertificate,
  isLeaf: boolean,
  options: ConstrainedNamesOptions,
): ConstrainedName[] {
  const profile = profileOf(certificate);
  const subject = certificate.asn.tbsCertificate.subject;
  const names: ConstrainedName[] = [];
  if (!profile.subjectEmpty) {
    names.push({ name: { kind: "directory", rdns: rdnKeys(subject) }, source: "subject" });
  }
  // A20, RFC 5280 §4.2.1.10: rfc822Name constraints apply to the subject's emailAddress.
  for (const value of emailAddressAttributes(subject)) {
    names.push({
      name: { kind: "email", value: value ?? NOT_IA5 },
      source: "subject emailAddress",
    });
  }
  for (const name of profile.subjectAltNames ?? []) names.push({ name, source: "subjectAltName" });
  if (isLeaf && options.commonNamesAreHostNames) {
    for (const cn of certificate.commonNames) {
      if (parseHostName(cn, true).ok)
        names.push({ name: { kind: "dns", value: cn }, source: "subject CN" });
    }
  }
  return names;
}

/** Same GeneralName form: the unprocessed forms are told apart by their tag (A20). */
function sameForm(a: GeneralName, b: GeneralName): boolean {
  if (a.kind === "other" && b.kind === "other") return a.tag === b.tag;
  return a.kind === b.kind;
}

/**
 * Checks the names of `subject` against the constraints of `ca`. `subject` is the end-entity
 * certificate or a certificate that is not self-issued (RFC 5280 §6.1.3 (b)).
 */
export function checkNameConstraints(
  ca: ParsedCertificate,
  subject: ParsedCertificate,
  isLeaf: boolean,
  options: ConstrainedNamesOptions,
): PathFailure | undefined {
  const constraints = profileOf(ca).nameConstraints;
  if (constraints === undefined) return undefined;
  const permitted = constraints.permitted ?? [];
  const excluded = constraints.excluded ?? [];
  const constrainsMail = [...permitted, ...excluded].some((subtree) => subtree.kind === "email");
  for (const { name, source } of namesOf(subject, isLeaf, options)) {
    const fail = (message: string) =>
      pathFailure("name-constraints", message, subject, {
        constrainedBy: ca.thumbprint,
        name: describe(name),
        source,
      });
    // RFC 8398 §6: rfc822Name constraints apply to an SmtpUTF8Mailbox too. We do not compare
    // internationalized mailboxes, so under such constraints one rejects (fail closed, A20).
    if (constrainsMail && name.kind === "other" && name.typeId === SMTP_UTF8_MAILBOX_OID)
      return fail("cannot evaluate an SmtpUTF8Mailbox under rfc822Name constraints");
    const permittedOfForm = permitted.filter((subtree) => sameForm(subtree, name));
    const excludedOfForm = excluded.filter((subtree) => sameForm(subtree, name));
    if (permittedOfForm.length === 0 && excludedOfForm.length === 0) continue;
    if (name.kind === "other") return fail(`cannot evaluate ${describe(name)} name constraints`);
    for (const subtree of excludedOfForm) {
      const verdict = within(name, subtree, "excluded");
      if (typeof verdict === "object")
        return fail(
          `${describe(name)} (${source}) under ${describe(subtree)}: ${verdict.malformed}`,
        );
      if (verdict)
        return fail(
          `${describe(name)} (${source}) is in an excluded subtree (${describe(subtree)})`,
        );
    }
    if (permittedOfForm.length === 0) continue;
    let allowed = false;
    for (const subtree of permittedOfForm) {
      const verdict = within(name, subtree, "permitted");
      if (typeof verdict === "object")
        return fail(
          `${describe(name)} (${source}) under ${describe(subtree)}: ${verdict.malformed}`,
        );
      allowed ||= verdict;
    }
    if (!allowed) return fail(`${describe(name)} (${source}) is outside the permitted subtrees`);
  }
  return undefined;
}

function describe(name: GeneralName): string {
  switch (name.kind) {
    case "dns":
    case "email":
    case "uri":
      return `${name.kind}:${name.value === NOT_IA5 ? "(not an IA5String)" : name.value}`;
    case "ip":
      return `ip:${Buffer.from(name.bytes).toString("hex")}`;
    case "directory":
      return `dn:${name.rdns.join("/")}`;
    case "other":
      return `other:0x${name.tag.toString(16)}${name.typeId === undefined ? "" : `:${name.typeId}`}`;
  }
}

/** Inside the subtree or not; `malformed`: the name or constraint does not parse (fail closed). */
type Verdict = boolean | { readonly malformed: string };

const malformed = (problem: string): Verdict => ({ malformed: problem });

function within(name: GeneralName, subtree: GeneralName, mode: "permitted" | "excluded"): Verdict {
  if (name.kind === "dns" && subtree.kind === "dns")
    return dnsWithin(name.value, subtree.value, mode);
  if (name.kind === "ip" && subtree.kind === "ip") return ipWithin(name.bytes, subtree.bytes);
  if (name.kind === "directory" && subtree.kind === "directory") {
    // RFC 5280 §7.1: rdnKeys already folded case and white space.
    return (
      subtree.rdns.length <= name.rdns.length &&
      subtree.rdns.every((rdn, i) => rdn === name.rdns[i])
    );
  }
  if (name.kind === "email" && subtree.kind === "email")
    return emailWithin(name.value, subtree.value);
  if (name.kind === "uri" && subtree.kind === "uri") return uriWithin(name.value, subtree.value);
  return false;
}

// ---------------------------------------------------------------------------------------------
// rfc822Name (A20, RFC 5280 §4.2.1.10)

interface Mailbox {
  /** The local part, unquoted (RFC 5321 §4.1.2: "a"@x and a@x are one mailbox). */
  readonly local: string;
  readonly host: HostName;
}

/** RFC 5322 atext: the characters of a dot-atom other than ".". */
const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;

/** The local part as a string, or undefined when it is neither a dot-atom nor a quoted string. */
function parseLocalPart(text: string): string | undefined {
  if (text.startsWith('"')) {
    if (text.length < 2 || !text.endsWith('"')) return undefined;
    let local = "";
    for (let i = 1; i < text.length - 1; i++) {
      let c = text.charCodeAt(i);
      if (c === 0x5c) {
        // quoted-pairSMTP: a backslash and one printable ASCII character (space included).
        i++;
        if (i >= text.length - 1) return undefined;
        c = text.charCodeAt(i);
        if (c < 0x20 || c > 0x7e) return undefined;
      } else if (c < 0x20 || c > 0x7e || c === 0x22) {
        // qtextSMTP: printable ASCII and space, without '"' and '\'.
        return undefined;
      }
      local += String.fromCharCode(c);
    }
    return local.length > 0 ? local : undefined;
  }
  return text.split(".").every((atom) => ATEXT.test(atom)) ? text : undefined;
}

/** `local@host`, or why not; the last '@' separates them (a quoted local part may hold one). */
function parseMailbox(value: string): Mailbox | { readonly problem: string } {
  const at = value.lastIndexOf("@");
  if (at < 0) return { problem: "no '@'" };
  const local = parseLocalPart(value.slice(0, at));
  if (local === undefined)
    return { problem: "local part is neither a dot-atom nor a quoted string" };
  const host = parseHostName(value.slice(at + 1));
  if (!host.ok) return { problem: `mail host is not a host name (${host.problem})` };
  return { local, host: host.name };
}

type HostConstraint =
  /** ".example.com": hosts strictly under example.com. */
  | { readonly form: "domain"; readonly domain: HostName }
  /** "example.com": exactly that host. */
  | { readonly form: "host"; readonly host: HostName };

/** The host forms shared by rfc822Name and URI constraints; undefined when malformed. */
function parseHostConstraint(value: string): HostConstraint | undefined {
  const subdomainsOnly = value.startsWith(".");
  const parsed = parseHostName(subdomainsOnly ? value.slice(1) : value);
  if (!parsed.ok) return undefined;
  return subdomainsOnly
    ? { form: "domain", domain: parsed.name }
    : { form: "host", host: parsed.name };
}

function hostWithin(host: HostName, constraint: HostConstraint): boolean {
  return constraint.form === "host"
    ? host === constraint.host
    : host.endsWith(`.${constraint.domain}`);
}

function emailWithin(value: string, constraint: string): Verdict {
  const mailbox = parseMailbox(value);
  if ("problem" in mailbox) return malformed(mailbox.problem);
  if (constraint.includes("@")) {
    // A mailbox: exact, local part case-sensitive (RFC 5280 §4.2.1.10), host case-insensitive.
    const wanted = parseMailbox(constraint);
    if ("problem" in wanted) return malformed(`the constraint is not a mailbox: ${wanted.problem}`);
    return mailbox.local === wanted.local && mailbox.host === wanted.host;
  }
  const hosts = parseHostConstraint(constraint);
  if (hosts === undefined) return malformed("the constraint is not a host or .domain");
  return hostWithin(mailbox.host, hosts);
}

// ---------------------------------------------------------------------------------------------
// uniformResourceIdentifier (A20, RFC 5280 §4.2.1.10)

/** RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ":". */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
/**
 * A host whose last label is a number ("192.0.2.1", "3221225985", "0xc0000201"): WHATWG URL
 * parsers read all of these as IPv4 addresses, so none of them is a host name.
 */
const NUMERIC_LAST_LABEL = /(^|\.)(0x[0-9a-f]*|[0-9]+)\.?$/i;

/**
 * The host of a URI's authority (RFC 3986 §3.2), or why the URI has none that is a host name:
 * no "//" authority, an empty host, an IP address, or text we cannot split safely.
 */
function uriHost(value: string): HostName | { readonly problem: string } {
  const scheme = SCHEME.exec(value);
  if (scheme === null) return { problem: "no scheme" };
  const rest = value.slice(scheme[0].length);
  if (!rest.startsWith("//")) return { problem: "no authority, so no host (RFC 5280: reject)" };
  const authorityEnd = rest.slice(2).search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest.slice(2) : rest.slice(2, 2 + authorityEnd);
  // A backslash ends the authority for WHATWG URL parsers but not for RFC 3986 ones, and a
  // second '@' is read differently by different parsers: either way we cannot tell which host
  // the relying application would contact.
  if (authority.includes("\\")) return { problem: "a backslash in the authority" };
  const at = authority.indexOf("@");
  if (at !== authority.lastIndexOf("@")) return { problem: "more than one '@' in the authority" };
  let hostPort = authority.slice(at + 1);
  // An IP-literal ("[2001:db8::1]", "[v1.x]") is an address, never a host name.
  if (hostPort.startsWith("[")) return { problem: "an IP-literal host (RFC 5280: reject)" };
  const colon = hostPort.indexOf(":");
  if (colon >= 0) {
    if (!/^[0-9]*$/.test(hostPort.slice(colon + 1)))
      return { problem: "a port that is not digits" };
    hostPort = hostPort.slice(0, colon);
  }
  if (hostPort.length === 0) return { problem: "an empty host (RFC 5280: reject)" };
  if (NUMERIC_LAST_LABEL.test(hostPort))
    return { problem: "an IP address host (RFC 5280: reject)" };
  const host = parseHostName(hostPort);
  return host.ok ? host.name : { problem: `the host is not a host name (${host.problem})` };
}

function uriWithin(value: string, constraint: string): Verdict {
  const host = uriHost(value);
  if (typeof host === "object") return malformed(host.problem);
  const hosts = parseHostConstraint(constraint);
  if (hosts === undefined) return malformed("the constraint is not a host or .domain");
  return hostWithin(host, hosts);
}

/** Label count of a parsed host name. */
function labels(name: string): number {
  return name.split(".").length;
}

function isUnder(name: string, domain: string): boolean {
  return name === domain || name.endsWith(`.${domain}`);
}

function dnsWithin(value: string, constraint: string, mode: "permitted" | "excluded"): Verdict {
  const name = parseHostName(value, true);
  if (!name.ok) return malformed(`not a host name (${name.problem})`);
  if (constraint.length === 0) return true;
  const subdomainsOnly = constraint.startsWith(".");
  const parsed = parseHostName(subdomainsOnly ? constraint.slice(1) : constraint);
  if (!parsed.ok) return malformed("the constraint is not a host name");
  const domain = parsed.name;
  const covers = (candidate: string) =>
    subdomainsOnly ? candidate.endsWith(`.${domain}`) : isUnder(candidate, domain);
  if (!name.name.startsWith("*.")) return covers(name.name);
  // A wildcard stands for every name one label above its base. Permitted: all of them must be
  // inside. Excluded: any of them being inside is enough.
  const base = name.name.slice(2);
  if (mode === "permitted") return isUnder(base, domain) || (subdomainsOnly && base === domain);
  return isUnder(base, domain) || (isUnder(domain, base) && labels(domain) === labels(base) + 1);
}

function isPrefixMask(mask: Uint8Array): boolean {
  let seenZero = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >> bit) & 1;
      if (set && seenZero) return false;
      if (!set) seenZero = true;
    }
  }
  return true;
}

function ipWithin(address: Uint8Array, constraint: Uint8Array): Verdict {
  if (address.length !== 4 && address.length !== 16) return malformed("not 4 or 16 octets");
  if (constraint.length !== 8 && constraint.length !== 32)
    return malformed("the constraint is not 8 or 32 octets");
  const size = constraint.length / 2;
  const network = constraint.subarray(0, size);
  const mask = constraint.subarray(size);
  if (!isPrefixMask(mask)) return malformed("the constraint's mask is not a prefix");
  if (address.length !== size) return false;
  return address.every((byte, i) => (byte & mask[i]!) === (network[i]! & mask[i]!));
}
