// Name constraints of every form (A20, RFC 5280 §4.2.1.10, §6.1.3 (b)(c)): rfc822Name (SAN
// entries and the subject's emailAddress attributes), uniformResourceIdentifier, dNSName,
// iPAddress, directoryName, and the forms we do not process. Three sources of truth:
// - NIST PKITS 4.13.21-4.13.38 (the vendored copy in test/conformance/pkits), each with its
//   documented verdict, and OpenSSL's;
// - forged chains (test/support/nc-chains.ts), each verdict compared with `openssl verify`
//   (OpenSSL 3.0 applies all five forms). Where we differ on purpose, the case says why and the
//   test asserts that OpenSSL still gives the other verdict, so the note cannot go stale;
// - the public validateCertificatePath.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

import type { ParsedCertificate } from "../../src/x509/certificate.js";
import { type PathResult, PathValidator } from "../../src/x509/path/validator.js";
import { validateCertificatePath } from "../../src/x509/validate-path.js";
import {
  NOW,
  type OpensslVerdict,
  opensslAvailable,
  opensslVerifyBatch,
  type VerifyInput,
} from "../support/chains.js";
import {
  buildNcChain,
  type NameConstraintSpec,
  type NamedCertificate,
  parsedChain,
} from "../support/nc-chains.js";

const here = dirname(fileURLToPath(import.meta.url));
const hasOpenssl = opensslAvailable();
if (!hasOpenssl) {
  console.warn("\n*** openssl not found on PATH: name-constraint oracle comparisons SKIPPED ***\n");
}

async function validate(
  leaf: ParsedCertificate,
  trustAnchors: readonly ParsedCertificate[],
  intermediates: readonly ParsedCertificate[],
): Promise<PathResult> {
  return new PathValidator({ trustAnchors, intermediates }).validate(leaf, NOW);
}

const verdict = (result: PathResult): string =>
  result.status === "valid" ? "valid" : result.reason.code;

// ---------------------------------------------------------------------------------------------
// NIST PKITS 4.13.21-4.13.38

const PKITS_DIR = join(here, "..", "conformance", "pkits", "certs");
const pkitsDer = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(join(PKITS_DIR, `${name}.crt`)));

const RFC822_1 = ["nameConstraintsRFC822CA1Cert"];
const RFC822_2 = ["nameConstraintsRFC822CA2Cert"];
const RFC822_3 = ["nameConstraintsRFC822CA3Cert"];
const DN1_SUB3 = ["nameConstraintsDN1CACert", "nameConstraintsDN1subCA3Cert"];
const DNS1 = ["nameConstraintsDNS1CACert"];
const DNS2 = ["nameConstraintsDNS2CACert"];
const URI1 = ["nameConstraintsURI1CACert"];
const URI2 = ["nameConstraintsURI2CACert"];

/** [section, end-entity file, intermediates, documented verdict] */
const PKITS: readonly (readonly [string, string, readonly string[], "valid" | "invalid"])[] = [
  ["4.13.21", "ValidRFC822nameConstraintsTest21EE", RFC822_1, "valid"],
  ["4.13.22", "InvalidRFC822nameConstraintsTest22EE", RFC822_1, "invalid"],
  ["4.13.23", "ValidRFC822nameConstraintsTest23EE", RFC822_2, "valid"],
  ["4.13.24", "InvalidRFC822nameConstraintsTest24EE", RFC822_2, "invalid"],
  ["4.13.25", "ValidRFC822nameConstraintsTest25EE", RFC822_3, "valid"],
  ["4.13.26", "InvalidRFC822nameConstraintsTest26EE", RFC822_3, "invalid"],
  ["4.13.27", "ValidDNandRFC822nameConstraintsTest27EE", DN1_SUB3, "valid"],
  ["4.13.28", "InvalidDNandRFC822nameConstraintsTest28EE", DN1_SUB3, "invalid"],
  ["4.13.29", "InvalidDNandRFC822nameConstraintsTest29EE", DN1_SUB3, "invalid"],
  ["4.13.30", "ValidDNSnameConstraintsTest30EE", DNS1, "valid"],
  ["4.13.31", "InvalidDNSnameConstraintsTest31EE", DNS1, "invalid"],
  ["4.13.32", "ValidDNSnameConstraintsTest32EE", DNS2, "valid"],
  ["4.13.33", "InvalidDNSnameConstraintsTest33EE", DNS2, "invalid"],
  ["4.13.34", "ValidURInameConstraintsTest34EE", URI1, "valid"],
  ["4.13.35", "InvalidURInameConstraintsTest35EE", URI1, "invalid"],
  ["4.13.36", "ValidURInameConstraintsTest36EE", URI2, "valid"],
  ["4.13.37", "InvalidURInameConstraintsTest37EE", URI2, "invalid"],
  ["4.13.38", "InvalidDNSnameConstraintsTest38EE", DNS1, "invalid"],
];

const pkitsInput = (section: string, ee: string, ints: readonly string[]): VerifyInput => ({
  id: `c${section.replace(/\./g, "")}`,
  leaf: pkitsDer(ee),
  intermediates: ints.map(pkitsDer),
  trustAnchors: [pkitsDer("TrustAnchorRootCertificate")],
});

describe("A20: NIST PKITS 4.13.21-4.13.38 (rfc822Name, DN, dNSName, URI constraints)", () => {
  it.each(PKITS)("%s %s (below %j) → %s", async (section, ee, ints, expected) => {
    const chain = parsedChain(pkitsInput(section, ee, ints));
    const result = await validate(chain.leaf, chain.trustAnchors, chain.intermediates);
    if (expected === "valid") expect(verdict(result)).toBe("valid");
    else expect(verdict(result)).toBe("name-constraints");
  });

  it("4.13.29: the subject emailAddress (no SAN at all) is what subCA3 rejects", async () => {
    const chain = parsedChain(
      pkitsInput("4.13.29", "InvalidDNandRFC822nameConstraintsTest29EE", DN1_SUB3),
    );
    const result = await validate(chain.leaf, chain.trustAnchors, chain.intermediates);
    expect(result).toMatchObject({
      status: "invalid",
      reason: {
        code: "name-constraints",
        source: "subject emailAddress",
        name: "email:Test29EE@invalidcertificates.gov",
        constrainedBy: chain.intermediates[1]!.thumbprint,
      },
    });
  });

  it.skipIf(!hasOpenssl)("openssl verify gives every documented verdict too", () => {
    // PKITS end entities carry no EKU, so the batch's -purpose sslserver does not get in the way.
    const verdicts = opensslVerifyBatch(
      PKITS.map(([section, ee, ints]) => pkitsInput(section, ee, ints)),
      NOW,
    );
    const got = PKITS.map(([section, , , expected]) => {
      const openssl = verdicts.get(`c${section.replace(/\./g, "")}`);
      return [section, openssl?.ok === true ? "valid" : "invalid", expected];
    });
    expect(got.filter(([, ours, expected]) => ours !== expected)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Forged chains, compared with openssl verify

const email = (value: string) => ({ email: value });
const uri = (value: string) => ({ uri: value });
const dns = (value: string) => ({ dns: value });
/** id-on-SmtpUTF8Mailbox, 1.3.6.1.5.5.7.8.9 (RFC 8398). */
const smtpUtf8 = (value: string) => ({
  otherName: [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x09],
  value,
});

interface Case {
  readonly name: string;
  readonly constraints: NameConstraintSpec;
  readonly leaf: NamedCertificate;
  readonly intermediate?: NamedCertificate;
  readonly expected: "valid" | "name-constraints";
  /** Set where OpenSSL gives the other verdict on purpose: why we differ. */
  readonly opensslDiffers?: string;
}

const permit = (...permitted: NameConstraintSpec["permitted"] & object) => ({ permitted });
const exclude = (...excluded: NameConstraintSpec["excluded"] & object) => ({ excluded });

const CASES: readonly Case[] = [
  // rfc822Name in the SAN
  {
    name: "A20 rfc822 host: bob@contoso.com under contoso.com",
    constraints: permit(email("contoso.com")),
    leaf: { san: [email("bob@contoso.com")] },
    expected: "valid",
  },
  {
    name: "A20 rfc822 host: the host form is that host only, not mail.contoso.com (PKITS 4.13.24)",
    constraints: permit(email("contoso.com")),
    leaf: { san: [email("bob@mail.contoso.com")] },
    expected: "name-constraints",
  },
  {
    name: "A20 rfc822 host: the host compares case-insensitively",
    constraints: permit(email("contoso.com")),
    leaf: { san: [email("bob@CONTOSO.Com")] },
    expected: "valid",
  },
  {
    name: "A20 rfc822 domain: .contoso.com covers bob@mail.contoso.com",
    constraints: permit(email(".contoso.com")),
    leaf: { san: [email("bob@mail.contoso.com")] },
    expected: "valid",
  },
  {
    name: "A20 rfc822 domain: .contoso.com does not cover contoso.com itself (PKITS 4.13.22)",
    constraints: permit(email(".contoso.com")),
    leaf: { san: [email("bob@contoso.com")] },
    expected: "name-constraints",
  },
  {
    name: "A20 rfc822 domain: .contoso.com does not cover evilcontoso.com",
    constraints: permit(email(".contoso.com")),
    leaf: { san: [email("bob@evilcontoso.com")] },
    expected: "name-constraints",
  },
  {
    name: "A20 rfc822 mailbox: exact mailbox, host case-insensitive",
    constraints: permit(email("bob@contoso.com")),
    leaf: { san: [email("bob@Contoso.COM")] },
    expected: "valid",
  },
  {
    name: "A20 rfc822 mailbox: the local part is case-sensitive",
    constraints: permit(email("bob@contoso.com")),
    leaf: { san: [email("Bob@contoso.com")] },
    expected: "name-constraints",
  },
  {
    name: "A20 rfc822 mailbox: another mailbox on the same host",
    constraints: permit(email("bob@contoso.com")),
    leaf: { san: [email("eve@contoso.com")] },
    expected: "name-constraints",
  },
  {
    name: "A20 rfc822 excluded host: bob@contoso.com",
    constraints: exclude(email("contoso.com")),
    leaf: { san: [email("bob@contoso.com")] },
    expected: "name-constraints",
  },
  {
    name: "A20 rfc822 excluded host: a mailbox elsewhere passes",
    constraints: exclude(email("contoso.com")),
    leaf: { san: [email("bob@fabrikam.com")] },
    expected: "valid",
  },
  {
    name: "A20 rfc822 excluded domain: bob@evil.contoso.com",
    constraints: exclude(email(".contoso.com")),
    leaf: { san: [email("bob@evil.contoso.com")] },
    expected: "name-constraints",
  },
  {
    name: "A20 rfc822: one permitted subtree of several is enough",
    constraints: permit(email("contoso.com"), email("fabrikam.com")),
    leaf: { san: [email("bob@fabrikam.com")] },
    expected: "valid",
  },
  {
    name: "A20 rfc822: every rfc822Name must be inside, not just one",
    constraints: permit(email("contoso.com")),
    leaf: { san: [email("bob@contoso.com"), email("eve@fabrikam.com")] },
    expected: "name-constraints",
  },
  {
    name: "A20: an rfc822 constraint does not touch dNSNames",
    constraints: permit(email("contoso.com")),
    leaf: { san: [dns("www.fabrikam.com")] },
    expected: "valid",
  },
  {
    name: "A20: a dNSName constraint does not touch rfc822Names",
    constraints: permit(dns("contoso.com")),
    leaf: { san: [dns("www.contoso.com"), email("eve@fabrikam.com")] },
    expected: "valid",
  },
  // malformed mailboxes: fail closed
  {
    name: "A20 rfc822 malformed: no '@' under an rfc822 constraint",
    constraints: permit(email("contoso.com")),
    leaf: { san: [email("contoso.com")] },
    expected: "name-constraints",
  },
  {
    name: "A20 rfc822 malformed: an address literal host",
    constraints: exclude(email("contoso.com")),
    leaf: { san: [email("bob@[192.0.2.1]")] },
    expected: "name-constraints",
    opensslDiffers:
      "OpenSSL compares '[192.0.2.1]' as text and finds it outside the excluded host; we cannot tell which host an address literal is, so we fail closed",
  },
  {
    name: "A20 rfc822 malformed: a second '@' in an unquoted local part",
    constraints: permit(email("contoso.com")),
    leaf: { san: [email("eve@fabrikam.com@contoso.com")] },
    expected: "name-constraints",
    opensslDiffers:
      "OpenSSL splits at the last '@' and accepts; 'eve@fabrikam.com' is no RFC 5321 local part, and a mail client may well route to fabrikam.com",
  },
  {
    name: 'A20 rfc822: a quoted local part is the same mailbox ("bob"@ = bob@, RFC 5321 §4.1.2)',
    constraints: exclude(email("bob@contoso.com")),
    leaf: { san: [email('"bob"@contoso.com')] },
    expected: "name-constraints",
    opensslDiffers:
      "OpenSSL compares local parts byte for byte; an excluded mailbox must not come back in quotes",
  },
  {
    name: "A20 rfc822 constraint '@contoso.com' (no local part) does not parse: fail closed",
    constraints: permit(email("@contoso.com")),
    leaf: { san: [email("bob@contoso.com")] },
    expected: "name-constraints",
    opensslDiffers:
      "OpenSSL reads '@contoso.com' as the host form; RFC 5280 defines no such form, so we reject rather than guess",
  },
  {
    name: "A20 rfc822 empty permitted constraint: nothing is inside",
    constraints: permit(email("")),
    leaf: { san: [email("bob@contoso.com")] },
    expected: "name-constraints",
  },
  {
    name: "A20 rfc822 empty excluded constraint: fail closed",
    constraints: exclude(email("")),
    leaf: { san: [email("bob@contoso.com")] },
    expected: "name-constraints",
    opensslDiffers:
      "OpenSSL's empty constraint matches no mailbox, so excluding it excludes nothing; RFC 5280 gives '' no meaning, and we fail closed",
  },
  // RFC 8398 SmtpUTF8Mailbox (otherName 1.3.6.1.5.5.7.8.9)
  {
    name: "A20/RFC 8398: an SmtpUTF8Mailbox outside the rfc822 subtree rejects",
    constraints: permit(email("contoso.com")),
    leaf: { san: [smtpUtf8("ceo@fabrikam.com")] },
    expected: "name-constraints",
  },
  {
    name: "A20/RFC 8398: an SmtpUTF8Mailbox under rfc822 constraints is not compared: fail closed",
    constraints: permit(email("contoso.com")),
    leaf: { san: [smtpUtf8("bob@contoso.com")] },
    expected: "name-constraints",
    opensslDiffers:
      "OpenSSL 3.0 compares SmtpUTF8Mailbox names (RFC 8398 §6); we do not, so under rfc822Name constraints we reject",
  },
  {
    name: "A20/RFC 8398: an SmtpUTF8Mailbox without rfc822 constraints is just an otherName",
    constraints: permit(dns("contoso.com")),
    leaf: { san: [dns("www.contoso.com"), smtpUtf8("ceo@fabrikam.com")] },
    expected: "valid",
  },
  // the subject's emailAddress attribute
  {
    name: "A20 emailAddress, no SAN: outside the permitted host (PKITS 4.13.29)",
    constraints: permit(email("contoso.com")),
    leaf: { emailAddress: ["eve@fabrikam.com"] },
    expected: "name-constraints",
  },
  {
    name: "A20 emailAddress, no SAN: inside the permitted host",
    constraints: permit(email("contoso.com")),
    leaf: { emailAddress: ["bob@contoso.com"] },
    expected: "valid",
  },
  {
    name: "A20 emailAddress with an inside rfc822 SAN is still checked",
    constraints: permit(email("contoso.com")),
    leaf: { san: [email("bob@contoso.com")], emailAddress: ["eve@fabrikam.com"] },
    expected: "name-constraints",
  },
  {
    name: "A20 emailAddress with only a dNSName SAN is still checked",
    constraints: permit(email("contoso.com")),
    leaf: { san: [dns("www.contoso.com")], emailAddress: ["eve@fabrikam.com"] },
    expected: "name-constraints",
  },
  {
    name: "A20 emailAddress in an excluded domain",
    constraints: exclude(email(".fabrikam.com")),
    leaf: { san: [dns("www.contoso.com")], emailAddress: ["eve@mail.fabrikam.com"] },
    expected: "name-constraints",
  },
  {
    name: "A20 emailAddress: every attribute counts",
    constraints: permit(email("contoso.com")),
    leaf: { emailAddress: ["bob@contoso.com", "eve@fabrikam.com"] },
    expected: "name-constraints",
  },
  {
    name: "A20 emailAddress on an intermediate is checked too (RFC 5280 §6.1.3 (b))",
    constraints: permit(email("contoso.com")),
    intermediate: { emailAddress: ["ca@fabrikam.com"] },
    leaf: { san: [email("bob@contoso.com")] },
    expected: "name-constraints",
  },
  {
    name: "A20 emailAddress not an IA5String under an rfc822 constraint: fail closed",
    constraints: permit(email("contoso.com")),
    leaf: { emailAddress: [{ value: "bob@contoso.com", encoding: "utf8" }] },
    expected: "name-constraints",
  },
  {
    name: "A20 emailAddress not an IA5String without an rfc822 constraint",
    constraints: permit(dns("contoso.com")),
    leaf: {
      san: [dns("www.contoso.com")],
      emailAddress: [{ value: "bob@contoso.com", encoding: "utf8" }],
    },
    expected: "valid",
    opensslDiffers:
      "OpenSSL rejects a non-IA5 emailAddress under any NameConstraints; A20 applies it only to rfc822Name constraints, and there are none here",
  },
  // uniformResourceIdentifier
  {
    name: "A20 URI host: the exact host",
    constraints: permit(uri("host.contoso.com")),
    leaf: { san: [uri("https://host.contoso.com/index.html")] },
    expected: "valid",
  },
  {
    name: "A20 URI host: case-insensitive scheme and host",
    constraints: permit(uri("host.contoso.com")),
    leaf: { san: [uri("HTTPS://HOST.Contoso.COM/")] },
    expected: "valid",
  },
  {
    name: "A20 URI host: that host only, not a.host.contoso.com",
    constraints: permit(uri("host.contoso.com")),
    leaf: { san: [uri("https://a.host.contoso.com/")] },
    expected: "name-constraints",
  },
  {
    name: "A20 URI domain: .contoso.com covers www.contoso.com with a port",
    constraints: permit(uri(".contoso.com")),
    leaf: { san: [uri("https://www.contoso.com:8443/path?q=1")] },
    expected: "valid",
  },
  {
    name: "A20 URI domain: .contoso.com does not cover contoso.com",
    constraints: permit(uri(".contoso.com")),
    leaf: { san: [uri("https://contoso.com/")] },
    expected: "name-constraints",
  },
  {
    name: "A20 URI excluded host with a port (PKITS 4.13.37)",
    constraints: exclude(uri("evil.com")),
    leaf: { san: [uri("ftp://evil.com:21/x")] },
    expected: "name-constraints",
  },
  {
    name: "A20 URI userinfo: the host is after the '@'",
    constraints: exclude(uri(".evil.com")),
    leaf: { san: [uri("https://good.com@www.evil.com/")] },
    expected: "name-constraints",
  },
  {
    name: "A20 URI userinfo: a host-looking userinfo is not the host",
    constraints: exclude(uri(".evil.com")),
    leaf: { san: [uri("https://www.evil.com@good.com/")] },
    expected: "valid",
  },
  {
    name: "A20 URI userinfo with a password",
    constraints: permit(uri(".contoso.com")),
    leaf: { san: [uri("https://user:secret@www.contoso.com/")] },
    expected: "valid",
    opensslDiffers:
      "OpenSSL ends the host at the first ':', so it compares 'user'; RFC 3986 §3.2 puts the host after the userinfo",
  },
  {
    name: "A20 URI: an IPv6 literal host is rejected under a permitted subtree",
    constraints: permit(uri(".contoso.com")),
    leaf: { san: [uri("https://[2001:db8::1]/")] },
    expected: "name-constraints",
  },
  {
    name: "A20 URI: an IPv6 literal host is rejected under an excluded subtree too",
    constraints: exclude(uri("evil.com")),
    leaf: { san: [uri("https://[2001:db8::1]:443/")] },
    expected: "name-constraints",
    opensslDiffers:
      "RFC 5280 §4.2.1.10: a URI whose host is an IP address MUST be rejected; OpenSSL compares '[2001' as a host and lets it pass",
  },
  {
    name: "A20 URI: an IPv4 host is rejected",
    constraints: exclude(uri("evil.com")),
    leaf: { san: [uri("http://192.0.2.1/")] },
    expected: "name-constraints",
    opensslDiffers:
      "RFC 5280 §4.2.1.10: a URI whose host is an IP address MUST be rejected (Go agrees); OpenSSL compares it as text",
  },
  {
    name: "A20 URI without an authority (urn:) is rejected",
    constraints: permit(uri(".contoso.com")),
    leaf: { san: [uri("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6")] },
    expected: "name-constraints",
  },
  {
    name: "A20 URI without an authority (mailto:) under an excluded subtree",
    constraints: exclude(uri("evil.com")),
    leaf: { san: [uri("mailto:bob@contoso.com")] },
    expected: "name-constraints",
  },
  {
    name: "A20 URI with an empty host (file:///) is rejected",
    constraints: exclude(uri("evil.com")),
    leaf: { san: [uri("file:///etc/hosts")] },
    expected: "name-constraints",
  },
  {
    name: "A20 URI with a backslash in the authority is rejected",
    constraints: exclude(uri("evil.com")),
    leaf: { san: [uri("https://evil.com\\@good.com/")] },
    expected: "name-constraints",
    opensslDiffers:
      "WHATWG URL parsers end the host at '\\' (evil.com), RFC 3986 ones read good.com; OpenSSL reads 'evil.com\\@good.com' and lets it pass",
  },
  {
    name: "A20 URI: a query or fragment right after the host ends it",
    constraints: permit(uri(".contoso.com")),
    leaf: { san: [uri("https://www.contoso.com?q=1"), uri("https://www.contoso.com#top")] },
    expected: "valid",
    opensslDiffers:
      "OpenSSL ends the host only at ':' or '/', so it compares 'www.contoso.com?q=1'; RFC 3986 §3.2 ends the authority at '?' and '#'",
  },
  {
    name: "A20 URI: a port that is not digits is rejected",
    constraints: permit(uri(".contoso.com")),
    leaf: { san: [uri("https://www.contoso.com:evil.com/")] },
    expected: "name-constraints",
    opensslDiffers:
      "OpenSSL stops at the ':' and accepts www.contoso.com; RFC 3986 §3.2.3 port = *DIGIT, so this authority does not parse",
  },
  {
    name: "A20 URI: a numeric host (WHATWG reads 3221225985 as 192.0.2.1) is rejected",
    constraints: exclude(uri("evil.com")),
    leaf: { san: [uri("http://3221225985/")] },
    expected: "name-constraints",
    opensslDiffers:
      "RFC 5280 §4.2.1.10: an IP-address host MUST be rejected; OpenSSL compares it as text",
  },
  {
    name: "A20 URI: a percent-encoded host (%65vil.com = evil.com) is rejected",
    constraints: exclude(uri("evil.com")),
    leaf: { san: [uri("https://%65vil.com/")] },
    expected: "name-constraints",
    opensslDiffers:
      "URL parsers decode %65 and contact evil.com; OpenSSL compares '%65vil.com' as text and lets it pass",
  },
  {
    name: "A20: a URI constraint does not touch a leaf without URIs",
    constraints: permit(uri(".contoso.com")),
    leaf: { san: [dns("www.fabrikam.com"), email("eve@fabrikam.com")] },
    expected: "valid",
  },
  // the forms we already processed, through the same oracle
  {
    name: "RFC 5280 dNSName: www.contoso.com under contoso.com",
    constraints: permit(dns("contoso.com")),
    leaf: { san: [dns("www.contoso.com")] },
    expected: "valid",
  },
  {
    name: "RFC 5280 dNSName: excluded",
    constraints: exclude(dns("contoso.com")),
    leaf: { san: [dns("www.contoso.com")] },
    expected: "name-constraints",
  },
  {
    name: "RFC 5280 iPAddress: 192.0.2.10 in 192.0.2.0/24",
    constraints: permit({ ip: [192, 0, 2, 0, 255, 255, 255, 0] }),
    leaf: { san: [{ ip: [192, 0, 2, 10] }] },
    expected: "valid",
  },
  {
    name: "RFC 5280 iPAddress: 198.51.100.1 outside 192.0.2.0/24",
    constraints: permit({ ip: [192, 0, 2, 0, 255, 255, 255, 0] }),
    leaf: { san: [{ ip: [198, 51, 100, 1] }] },
    expected: "name-constraints",
  },
  {
    name: "RFC 5280 §7.1 directoryName: case and white space folded",
    constraints: permit({ dn: [["O", "nc   TESTS"]] }),
    leaf: { san: [dns("www.contoso.com")] },
    expected: "valid",
  },
  {
    name: "RFC 5280 directoryName: the subject outside O=Other",
    constraints: permit({ dn: [["O", "Other"]] }),
    leaf: { san: [dns("www.contoso.com")] },
    expected: "name-constraints",
  },
  // forms we do not process (A20's last sentence)
  {
    name: "A20: a registeredID constraint is harmless without a registeredID name",
    constraints: permit({ registeredId: [0x2a, 0x03, 0x04] }),
    leaf: { san: [dns("www.contoso.com"), { otherName: [0x2a, 0x03, 0x05] }] },
    expected: "valid",
  },
  {
    name: "A20: a registeredID constraint with a registeredID name rejects",
    constraints: exclude({ registeredId: [0x2a, 0x03, 0x04] }),
    leaf: { san: [{ registeredId: [0x2a, 0x03, 0x09] }] },
    expected: "name-constraints",
  },
  {
    name: "A20: an otherName constraint with an otherName name rejects",
    constraints: permit({ otherName: [0x2a, 0x03, 0x05] }),
    leaf: { san: [dns("www.contoso.com"), { otherName: [0x2a, 0x03, 0x05] }] },
    expected: "name-constraints",
  },
];

const caseId = (index: number) => `c${index + 1}`;

describe("A20: forged chains, every form, compared with openssl verify", () => {
  const built = new Map<string, Promise<VerifyInput>>();
  const chainOf = (index: number): Promise<VerifyInput> => {
    let chain = built.get(caseId(index));
    if (chain === undefined) {
      const c = CASES[index]!;
      chain = buildNcChain({
        id: caseId(index),
        constraints: c.constraints,
        leaf: c.leaf,
        ...(c.intermediate ? { intermediate: c.intermediate } : {}),
      });
      built.set(caseId(index), chain);
    }
    return chain;
  };

  it.each(CASES.map((c, index) => [c.name, c.expected, index] as const))(
    "%s → %s",
    async (_name, expected, index) => {
      const chain = parsedChain(await chainOf(index));
      const result = await validate(chain.leaf, chain.trustAnchors, chain.intermediates);
      expect(verdict(result)).toBe(expected);
    },
  );

  it.skipIf(!hasOpenssl)(
    "openssl verify agrees, except where a case says why not",
    async () => {
      const chains = await Promise.all(CASES.map((_, index) => chainOf(index)));
      const openssl = opensslVerifyBatch(chains, NOW);
      const report: string[] = [];
      for (const [index, c] of CASES.entries()) {
        const got: OpensslVerdict | undefined = openssl.get(caseId(index));
        if (got === undefined) {
          report.push(`${c.name}: no OpenSSL verdict`);
          continue;
        }
        const opensslAccepts = got.ok;
        const weAccept = c.expected === "valid";
        const shouldAgree = c.opensslDiffers === undefined;
        if ((opensslAccepts === weAccept) !== shouldAgree) {
          report.push(
            `${c.name}: ours=${c.expected} openssl=${got.ok ? "OK" : got.errors.join(" / ")}` +
              (shouldAgree ? "" : " (expected OpenSSL to differ)"),
          );
        }
      }
      expect(report).toEqual([]);
    },
    60_000,
  );
});

// ---------------------------------------------------------------------------------------------
// The public entry point

describe("A20 through validateCertificatePath", () => {
  it("PKITS 4.13.29: rejected with the name and where it was found", async () => {
    const result = await validateCertificatePath({
      certificate: pkitsDer("InvalidDNandRFC822nameConstraintsTest29EE"),
      trustAnchors: [pkitsDer("TrustAnchorRootCertificate")],
      intermediates: DN1_SUB3.map(pkitsDer),
      now: NOW,
    });
    expect(result).toMatchObject({
      status: "invalid",
      reason: { code: "name-constraints", source: "subject emailAddress" },
    });
  });

  it("PKITS 4.13.27: the DN- and rfc822-constrained path is valid", async () => {
    const result = await validateCertificatePath({
      certificate: pkitsDer("ValidDNandRFC822nameConstraintsTest27EE"),
      trustAnchors: [pkitsDer("TrustAnchorRootCertificate")],
      intermediates: DN1_SUB3.map(pkitsDer),
      now: NOW,
    });
    expect(result.status).toBe("valid");
    if (result.status === "valid") expect(result.path).toHaveLength(4);
  });

  it("RFC 8398: the rejected SmtpUTF8Mailbox is named by its otherName type-id", async () => {
    const chain = await buildNcChain({
      id: "public",
      constraints: { excluded: [{ email: "fabrikam.com" }] },
      leaf: { san: [smtpUtf8("bob@contoso.com")] },
    });
    const result = await validateCertificatePath({
      certificate: chain.leaf,
      trustAnchors: chain.trustAnchors,
      now: NOW,
    });
    expect(result).toMatchObject({
      status: "invalid",
      reason: {
        code: "name-constraints",
        name: "other:0xa0:1.3.6.1.5.5.7.8.9",
        source: "subjectAltName",
      },
    });
  });

  it.each([
    ["https://www.contoso.com/", "valid"],
    ["https://www.fabrikam.com/", "name-constraints"],
    ["https://[2001:db8::1]/", "name-constraints"],
  ] as const)("URI %s under .contoso.com → %s", async (value, expected) => {
    const chain = await buildNcChain({
      id: "public",
      constraints: { permitted: [{ uri: ".contoso.com" }] },
      leaf: { san: [{ uri: value }] },
    });
    const result = await validateCertificatePath({
      certificate: chain.leaf,
      trustAnchors: chain.trustAnchors,
      now: NOW,
    });
    expect(result.status === "valid" ? "valid" : result.reason.code).toBe(expected);
  });
});
