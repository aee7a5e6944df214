// Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)(c)) for DNS names, IP addresses and
// directory names.
//
// Q: which names of a certificate are constrained?
// A: its subject (as a directoryName), every subjectAltName entry, and, for the end-entity
//    certificate, its subject common names that are host names whenever the caller's matcher
//    counts CNs as names (A7). Otherwise a constrained CA could issue CN=outside.example with
//    an inside SAN, and A7 would match the outside name.
// Q: "example.com" vs ".example.com" as a constraint?
// A: "example.com" covers the name itself and every name under it; ".example.com" only names
//    under it (the reading of OpenSSL, Go and webpki). "" covers every name.
// Q: a constraint of a kind we do not evaluate (rfc822Name, URI, otherName…)?
// A: harmless while the certificate has no name of that kind; otherwise the certificate is
//    rejected, since we cannot show the name is allowed (fail closed).
// Q: a SAN or constraint that is malformed (a dNSName that is not a host name, an iPAddress
//    that is not 4/16 octets, a mask that is not a prefix)?
// A: under a CA with constraints it rejects the path: a name we cannot parse cannot be shown
//    to be inside or outside a subtree.
import type { ParsedCertificate } from "../certificate.js";
import { parseHostName } from "../dns-name.js";
import { profileOf } from "./extensions.js";
import { type PathFailure, pathFailure } from "./failure.js";
import { type GeneralName, rdnKeys } from "./general-names.js";

export interface ConstrainedNamesOptions {
  /** Count the subject CNs of the end-entity certificate as DNS names (A7). */
  readonly commonNamesAreHostNames: boolean;
}

/** The names of `certificate` that a CA's constraints apply to. */
function namesOf(
  certificate: ParsedCertificate,
  isLeaf: boolean,
  options: ConstrainedNamesOptions,
): GeneralName[] {
  const profile = profileOf(certificate);
  const names: GeneralName[] = [];
  if (!profile.subjectEmpty) {
    names.push({ kind: "directory", rdns: rdnKeys(certificate.asn.tbsCertificate.subject) });
  }
  names.push(...(profile.subjectAltNames ?? []));
  if (isLeaf && options.commonNamesAreHostNames) {
    for (const cn of certificate.commonNames) {
      if (parseHostName(cn, true).ok) names.push({ kind: "dns", value: cn });
    }
  }
  return names;
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
  for (const name of namesOf(subject, isLeaf, options)) {
    const fail = (message: string) =>
      pathFailure("name-constraints", message, subject, {
        constrainedBy: ca.thumbprint,
        name: describe(name),
      });
    const sameKind = (subtree: GeneralName) => subtree.kind === name.kind;
    const permittedOfKind = permitted.filter(sameKind);
    const excludedOfKind = excluded.filter(sameKind);
    if (permittedOfKind.length === 0 && excludedOfKind.length === 0) continue;
    if (!evaluable(name.kind)) return fail(`cannot evaluate ${name.kind} name constraints`);
    for (const subtree of excludedOfKind) {
      const verdict = within(name, subtree, "excluded");
      if (verdict === "malformed") return fail(`malformed ${name.kind} name or constraint`);
      if (verdict)
        return fail(`${describe(name)} is in an excluded subtree (${describe(subtree)})`);
    }
    if (permittedOfKind.length === 0) continue;
    let allowed = false;
    for (const subtree of permittedOfKind) {
      const verdict = within(name, subtree, "permitted");
      if (verdict === "malformed") return fail(`malformed ${name.kind} name or constraint`);
      allowed ||= verdict;
    }
    if (!allowed) return fail(`${describe(name)} is outside the permitted subtrees`);
  }
  return undefined;
}

function evaluable(kind: GeneralName["kind"]): boolean {
  return kind === "dns" || kind === "ip" || kind === "directory";
}

function describe(name: GeneralName): string {
  switch (name.kind) {
    case "dns":
    case "email":
    case "uri":
      return `${name.kind}:${name.value}`;
    case "ip":
      return `ip:${Buffer.from(name.bytes).toString("hex")}`;
    case "directory":
      return `dn:${name.rdns.join("/")}`;
    case "other":
      return `other:0x${name.tag.toString(16)}`;
  }
}

type Verdict = boolean | "malformed";

function within(name: GeneralName, subtree: GeneralName, mode: "permitted" | "excluded"): Verdict {
  if (name.kind === "dns" && subtree.kind === "dns")
    return dnsWithin(name.value, subtree.value, mode);
  if (name.kind === "ip" && subtree.kind === "ip") return ipWithin(name.bytes, subtree.bytes);
  if (name.kind === "directory" && subtree.kind === "directory") {
    return (
      subtree.rdns.length <= name.rdns.length &&
      subtree.rdns.every((rdn, i) => rdn === name.rdns[i])
    );
  }
  return false;
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
  if (!name.ok) return "malformed";
  if (constraint.length === 0) return true;
  const subdomainsOnly = constraint.startsWith(".");
  const parsed = parseHostName(subdomainsOnly ? constraint.slice(1) : constraint);
  if (!parsed.ok) return "malformed";
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
  if (address.length !== 4 && address.length !== 16) return "malformed";
  if (constraint.length !== 8 && constraint.length !== 32) return "malformed";
  const size = constraint.length / 2;
  const network = constraint.subarray(0, size);
  const mask = constraint.subarray(size);
  if (!isPrefixMask(mask)) return "malformed";
  if (address.length !== size) return false;
  return address.every((byte, i) => (byte & mask[i]!) === (network[i]! & mask[i]!));
}
