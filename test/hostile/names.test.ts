// Host names under hostile input (A2, A5, A7): one table, each case named by the reading it
// protects, run through the whole selection on a forged certificate, and cross-checked against
// Node's X509Certificate.checkHost() (OpenSSL's X509_check_host) where the two agree on what a
// match is. Where they differ by design, the case says why, and the test pins Node's answer too,
// so that a change on either side is noticed.
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";

import { parseHostName } from "../../src/index.js";
import { staticDirectory } from "../support/fixtures.js";
import type { OtherSanEntry, StringEncoding } from "../support/forge.js";
import { forgeEntry, longName, outbound } from "./support.js";

interface NameCase {
  readonly reading: string;
  /** Subject CN values (one attribute each), optionally with a string type. */
  readonly cn?: readonly (string | readonly [string, StringEncoding])[];
  readonly san?: readonly string[];
  readonly otherSan?: readonly OtherSanEntry[];
  /** The domain-list entry (the server's FQDN). */
  readonly host: string;
  readonly wildcards?: boolean;
  readonly matches: boolean;
  /** Set when Node's checkHost answers the other way by design: why. */
  readonly nodeDiffers?: string;
}

const l63 = "a".repeat(63);
const l64 = "a".repeat(64);

const CASES: readonly NameCase[] = [
  // --- A2: ASCII case folding only ------------------------------------------------------------
  {
    reading: "A2: an upper-case CN matches",
    cn: ["MAIL.CONTOSO.COM"],
    host: "mail.contoso.com",
    matches: true,
  },
  {
    reading: "A2: a mixed-case SAN matches",
    san: ["Mail.Contoso.Com"],
    host: "mail.contoso.com",
    matches: true,
  },
  {
    reading: "A2: an upper-case domain-list entry matches",
    san: ["mail.contoso.com"],
    host: "MAIL.CONTOSO.COM",
    matches: true,
  },
  {
    reading: "A2: the host name EDGE01 matches a CN edge01",
    cn: ["edge01"],
    host: "EDGE01",
    matches: true,
  },
  {
    reading: "A2: U+0130 (İ) is not folded to i",
    san: ["MAİL.contoso.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: U+212A (Kelvin sign) is not folded to k",
    cn: ["\u212A.contoso.com"],
    host: "k.contoso.com",
    matches: false,
  },
  {
    reading: "A2: U+017F (long s) is not folded to s",
    cn: ["mail.conto\u017Fo.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: U+0131 (dotless ı) is not folded to i",
    cn: ["maıl.contoso.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: full-width letters are not folded (no NFKC)",
    cn: ["ｍａｉｌ.contoso.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: a CN written as a BMPString still matches",
    cn: [["mail.contoso.com", "bmp"]],
    host: "mail.contoso.com",
    matches: true,
  },
  {
    reading: "A2: a CN written as a PrintableString still matches",
    cn: [["mail.contoso.com", "printable"]],
    host: "mail.contoso.com",
    matches: true,
  },
  // --- A2: one trailing dot ------------------------------------------------------------------
  {
    reading: "A2: one trailing dot on the certificate name is ignored",
    san: ["mail.contoso.com."],
    host: "mail.contoso.com",
    matches: true,
    nodeDiffers:
      "OpenSSL compares names literally: a trailing dot on either side makes them differ",
  },
  {
    reading: "A2: one trailing dot on the domain-list entry is ignored",
    san: ["mail.contoso.com"],
    host: "mail.contoso.com.",
    matches: true,
    nodeDiffers:
      "OpenSSL compares names literally: a trailing dot on either side makes them differ",
  },
  {
    reading: "A2: a trailing dot on both sides matches",
    san: ["mail.contoso.com."],
    host: "mail.contoso.com.",
    matches: true,
  },
  {
    reading: "A2: two trailing dots on the certificate name never match",
    san: ["mail.contoso.com.."],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: two trailing dots on the domain-list entry never match",
    san: ["mail.contoso.com"],
    host: "mail.contoso.com..",
    matches: false,
  },
  {
    reading: "A2: a leading dot never matches",
    san: [".mail.contoso.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: a lone dot is not a name",
    san: ["."],
    host: ".",
    matches: false,
    nodeDiffers: "OpenSSL does not check name syntax and compares literally",
  },
  // --- A2: punycode ---------------------------------------------------------------------------
  {
    reading: "A2: an xn-- label matches itself",
    san: ["xn--mil-ula.contoso.com"],
    host: "xn--mil-ula.contoso.com",
    matches: true,
  },
  {
    reading: "A2: an upper-case XN-- label is folded like any ASCII",
    san: ["XN--MIL-ULA.contoso.com"],
    host: "xn--mil-ula.contoso.com",
    matches: true,
  },
  {
    reading: "A2: a U-label is not converted to its A-label (non-ASCII never matches)",
    cn: ["mäil.contoso.com"],
    host: "xn--mil-ula.contoso.com",
    matches: false,
  },
  {
    reading: "A2: a non-ASCII name never matches, not even itself",
    cn: ["mäil.contoso.com"],
    host: "mäil.contoso.com",
    matches: false,
    nodeDiffers: "OpenSSL compares the UTF-8 bytes, so identical non-ASCII names match",
  },
  {
    reading: "A2: an xn-- label is not its U-label",
    san: ["xn--mil-ula.contoso.com"],
    host: "mäil.contoso.com",
    matches: false,
  },
  // --- A2: NUL and other control characters ---------------------------------------------------
  {
    reading: "A2: a CN with an embedded NUL never matches its prefix",
    cn: ["mail.contoso.com\u0000.evil.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: a SAN with an embedded NUL never matches its prefix",
    san: ["mail.contoso.com\u0000.evil.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: a CN with an embedded NUL never matches its suffix",
    cn: ["mail.contoso.com\u0000.evil.com"],
    host: "evil.com",
    matches: false,
  },
  {
    reading: "A2: a trailing NUL never matches",
    cn: ["mail.contoso.com\u0000"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: a trailing newline never matches",
    cn: ["mail.contoso.com\n"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: a tab inside a name never matches",
    cn: ["mail\t.contoso.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: DEL (0x7F) inside a name never matches",
    cn: ["mail\u007f.contoso.com"],
    host: "mail\u007f.contoso.com",
    matches: false,
    nodeDiffers: "OpenSSL compares the bytes literally",
  },
  // --- A2: empty labels and white space -------------------------------------------------------
  {
    reading: "A2: an empty label is not a name, even when both sides have it",
    san: ["mail..contoso.com"],
    host: "mail..contoso.com",
    matches: false,
    nodeDiffers: "OpenSSL does not check label syntax and compares literally",
  },
  {
    reading: "A2: an empty label does not collapse",
    san: ["mail..contoso.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: an empty CN matches nothing",
    cn: [""],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: a leading space is not trimmed",
    san: [" mail.contoso.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: a trailing space is not trimmed",
    cn: ["mail.contoso.com "],
    host: "mail.contoso.com",
    matches: false,
  },
  // --- A2: label and name lengths -------------------------------------------------------------
  {
    reading: "A2: a 63-octet label is a name",
    san: [`${l63}.contoso.com`],
    host: `${l63}.contoso.com`,
    matches: true,
  },
  {
    reading: "A2: a 64-octet label is not a name, even when both sides have it",
    san: [`${l64}.contoso.com`],
    host: `${l64}.contoso.com`,
    matches: false,
    nodeDiffers: "OpenSSL does not limit label length",
  },
  {
    reading: "A2: a 253-character name is a name",
    san: [longName(253)],
    host: longName(253),
    matches: true,
  },
  {
    reading: "A2: a 253-character name with its trailing dot (254) is a name",
    san: [`${longName(253)}.`],
    host: longName(253),
    matches: true,
    nodeDiffers: "OpenSSL compares presented names literally; the trailing dot makes them differ",
  },
  {
    reading: "A2: a 254-character name is not a name, even when both sides have it",
    san: [longName(254)],
    host: longName(254),
    matches: false,
    nodeDiffers: "OpenSSL does not limit name length",
  },
  {
    reading: "A2: a 10,000-character name is not a name",
    cn: [longName(10_000)],
    host: longName(10_000),
    matches: false,
    nodeDiffers: "OpenSSL does not limit name length",
  },
  {
    reading: "A2: labels may start with a digit",
    san: ["123.contoso.com"],
    host: "123.contoso.com",
    matches: true,
  },
  {
    reading: "A2: a label may not start with a hyphen",
    san: ["-mail.contoso.com"],
    host: "-mail.contoso.com",
    matches: false,
    nodeDiffers: "OpenSSL does not check label syntax",
  },
  {
    reading: "A2: an underscore is not LDH",
    san: ["_mail.contoso.com"],
    host: "_mail.contoso.com",
    matches: false,
    nodeDiffers: "OpenSSL does not check label syntax",
  },
  // --- A2: IP addresses written as DNS names --------------------------------------------------
  {
    reading: "A2: an IPv4 address in a dNSName is not a host name",
    san: ["10.0.0.1"],
    host: "10.0.0.1",
    matches: false,
    nodeDiffers: "checkHost compares a dNSName literally; IP identities are checkIP's business",
  },
  {
    reading: "A2: an IPv4 address in the CN is not a host name",
    cn: ["192.168.1.10"],
    host: "192.168.1.10",
    matches: false,
    nodeDiffers: "checkHost compares the CN literally",
  },
  {
    reading: "A2: an IPv4 address with a trailing dot is not a host name",
    san: ["10.0.0.1."],
    host: "10.0.0.1",
    matches: false,
  },
  {
    reading: "A7: an iPAddress SAN entry is not a host name",
    otherSan: [{ ip: "10.0.0.1" }],
    host: "10.0.0.1",
    matches: false,
  },
  {
    reading: "A2: an IPv6 address is not a host name",
    san: ["::1"],
    host: "::1",
    matches: false,
    nodeDiffers: "checkHost compares a dNSName literally",
  },
  // --- A2: substring and suffix traps ----------------------------------------------------------
  {
    reading: "A2: contoso.com does not match evilcontoso.com",
    san: ["evilcontoso.com"],
    host: "contoso.com",
    matches: false,
  },
  {
    reading: "A2: mail.contoso.com does not match mail.contoso.com.evil.net",
    san: ["mail.contoso.com.evil.net"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: a parent domain does not match a child",
    san: ["contoso.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: a child does not match its parent domain",
    san: ["mail.contoso.com"],
    host: "contoso.com",
    matches: false,
  },
  {
    reading: "A2: a truncated name does not match",
    san: ["mail.contoso.co"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: a longer first label does not match",
    san: ["amail.contoso.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: the host name is not completed to an FQDN",
    cn: ["edge01.contoso.com"],
    host: "EDGE01",
    matches: false,
  },
  {
    reading: "A2: a CN holding a list is not a name",
    cn: ["mail.contoso.com, evil.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A2: a CN holding 'CN=' is not a name",
    cn: ["CN=mail.contoso.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  // --- A7: which names a certificate has -------------------------------------------------------
  {
    reading: "A7: the CN counts even when a SAN names another host",
    cn: ["mail.contoso.com"],
    san: ["other.contoso.com"],
    host: "mail.contoso.com",
    matches: true,
  },
  {
    reading: "A7: a SAN name counts when the CN names another host",
    cn: ["other.contoso.com"],
    san: ["mail.contoso.com"],
    host: "mail.contoso.com",
    matches: true,
  },
  {
    reading: "A7: any of several CN attributes counts",
    cn: ["other.contoso.com", "mail.contoso.com"],
    host: "mail.contoso.com",
    matches: true,
  },
  {
    reading: "A7: any of many SAN names counts",
    san: ["a.contoso.com", "b.contoso.com", "mail.contoso.com"],
    host: "mail.contoso.com",
    matches: true,
  },
  {
    reading: "A7: an rfc822Name SAN entry is not a host name",
    otherSan: [{ email: "mail.contoso.com" }],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A7: a URI SAN entry is not a host name",
    otherSan: [{ uri: "mail.contoso.com" }],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A7: a certificate with no names matches nothing",
    host: "mail.contoso.com",
    matches: false,
  },
  // --- A5: wildcards only with the option ------------------------------------------------------
  {
    reading: "A5: *.contoso.com does not match mail.contoso.com by default",
    san: ["*.contoso.com"],
    host: "mail.contoso.com",
    matches: false,
  },
  {
    reading: "A5: *.contoso.com matches mail.contoso.com with the option",
    san: ["*.contoso.com"],
    host: "mail.contoso.com",
    wildcards: true,
    matches: true,
  },
  {
    reading: "A5: a wildcard in the CN counts too (A7)",
    cn: ["*.contoso.com"],
    host: "mail.contoso.com",
    wildcards: true,
    matches: true,
  },
  {
    reading: "A5: a wildcard never matches the bare parent",
    san: ["*.contoso.com"],
    host: "contoso.com",
    wildcards: true,
    matches: false,
  },
  {
    reading: "A5: a wildcard is one label deep",
    san: ["*.contoso.com"],
    host: "a.b.contoso.com",
    wildcards: true,
    matches: false,
  },
  {
    reading: "A5: a partial label m*.contoso.com never matches",
    san: ["m*.contoso.com"],
    host: "mail.contoso.com",
    wildcards: true,
    matches: false,
  },
  {
    reading: "A5: a partial label *l.contoso.com never matches",
    san: ["*l.contoso.com"],
    host: "mail.contoso.com",
    wildcards: true,
    matches: false,
  },
  {
    reading: "A5: a partial label ma*l.contoso.com never matches",
    san: ["ma*l.contoso.com"],
    host: "mail.contoso.com",
    wildcards: true,
    matches: false,
  },
  {
    reading: "A5: a partial A-label xn--*.contoso.com never matches",
    san: ["xn--*.contoso.com"],
    host: "xn--mil-ula.contoso.com",
    wildcards: true,
    matches: false,
  },
  {
    reading: "A5: a bare * never matches",
    san: ["*"],
    host: "EDGE01",
    wildcards: true,
    matches: false,
  },
  {
    reading: "A5: *.com never matches",
    san: ["*.com"],
    host: "contoso.com",
    wildcards: true,
    matches: false,
  },
  {
    reading: "A5: a wildcard that is not left-most never matches",
    san: ["mail.*.com"],
    host: "mail.contoso.com",
    wildcards: true,
    matches: false,
  },
  {
    reading: "A5: two wildcard labels never match",
    san: ["*.*.contoso.com"],
    host: "a.b.contoso.com",
    wildcards: true,
    matches: false,
  },
  {
    reading: "A5: a wildcard is case-folded like the rest",
    san: ["*.CONTOSO.com"],
    host: "mail.contoso.com",
    wildcards: true,
    matches: true,
  },
  {
    reading: "A5: a wildcard covers an xn-- label whole",
    san: ["*.contoso.com"],
    host: "xn--mil-ula.contoso.com",
    wildcards: true,
    matches: true,
  },
  {
    reading: "A5: a wildcard with one trailing dot",
    san: ["*.contoso.com."],
    host: "mail.contoso.com",
    wildcards: true,
    matches: true,
    nodeDiffers: "OpenSSL compares presented names literally; the dot makes the suffix differ",
  },
  {
    reading: "A5: a wildcard never matches a single-label host name",
    san: ["*.contoso.com"],
    host: "EDGE01",
    wildcards: true,
    matches: false,
  },
  {
    reading: "A5: a domain-list entry is never a pattern",
    san: ["mail.contoso.com"],
    host: "*.contoso.com",
    wildcards: true,
    matches: false,
  },
  {
    reading: "A5: a wildcard does not match a wildcard entry",
    san: ["*.contoso.com"],
    host: "*.contoso.com",
    wildcards: true,
    matches: false,
    nodeDiffers: "OpenSSL finds the two strings equal before it looks for a wildcard",
  },
  {
    reading: "A5: a wildcard does not hide an embedded NUL",
    san: ["*.contoso.com\u0000.evil.com"],
    host: "mail.contoso.com",
    wildcards: true,
    matches: false,
  },
];

const UNRELATED = "unrelated-host";

/** Node's (OpenSSL's) answer, or "throws" when it refuses the name. */
function nodeCheckHost(
  der: Uint8Array,
  host: string,
  wildcards: boolean,
  subject: "always" | "default",
): boolean | "throws" {
  try {
    const x509 = new X509Certificate(der);
    return x509.checkHost(host, { wildcards, partialWildcards: false, subject }) !== undefined;
  } catch {
    return "throws";
  }
}

async function forgeCase(c: NameCase) {
  return forgeEntry({
    subject: (c.cn ?? []).map((value) =>
      typeof value === "string" ? (["CN", value] as const) : (["CN", value[0], value[1]] as const),
    ),
    ...(c.san ? { san: c.san } : {}),
    ...(c.otherSan ? { otherSan: c.otherSan } : {}),
  });
}

describe("names under hostile input (A2, A5, A7)", () => {
  it("has at least 60 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c.reading)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.reading, c] as const))("%s", async (_reading, c) => {
    const forged = await forgeCase(c);
    const result = await outbound({
      directory: staticDirectory(forged.thumbprint),
      store: { list: () => [forged.entry] },
      server: {
        fqdn: c.host,
        hostName: UNRELATED,
        physicalFqdn: `${UNRELATED}.example`,
        physicalHostName: UNRELATED,
      },
      wildcardNames: c.wildcards === true,
    });
    // The directory names the certificate and the store has it with a key: it is always used.
    expect(result.outcome).toBe("selected");
    if (result.outcome !== "selected") return;
    const [verdict] = result.certificates;
    if (c.matches) {
      expect(verdict).toMatchObject({ status: "eligible", best: true });
      const parsed = parseHostName(c.host);
      const match = verdict?.status === "eligible" ? verdict.match : null;
      expect(
        parsed.ok && match !== null && "domainListEntry" in match && match.domainListEntry,
      ).toBe(parsed.ok ? parsed.name : "unreachable");
      expect(result.thumbprintMatches).toBe(true);
    } else {
      expect(verdict).toMatchObject({ status: "excluded", exclusion: { rule: "R10c" } });
      expect(result.thumbprintMatches).toBe(false);
      expect(result.bestCandidate).toBeNull();
    }
  });
});

describe("cross-check with Node's X509Certificate.checkHost (partialWildcards: false)", () => {
  // subject: "always" is A7 (the CN counts even when a SAN is present); the default would not.
  it("agrees on most cases and documents every difference", () => {
    const differing = CASES.filter((c) => c.nodeDiffers !== undefined);
    expect(CASES.length - differing.length).toBeGreaterThanOrEqual(60);
  });

  it.each(CASES.map((c) => [c.reading, c] as const))("%s", async (_reading, c) => {
    const forged = await forgeCase(c);
    const node = nodeCheckHost(forged.der, c.host, c.wildcards === true, "always");
    if (c.nodeDiffers === undefined) {
      expect(node === true).toBe(c.matches);
    } else {
      // A documented difference: Node answers the other way (or refuses the name).
      expect(node === true).toBe(!c.matches);
    }
  });

  it("A7 vs Node's default: with a SAN dNSName present, Node ignores the CN", async () => {
    const forged = await forgeEntry({
      subject: [["CN", "mail.contoso.com"]],
      san: ["other.contoso.com"],
    });
    expect(nodeCheckHost(forged.der, "mail.contoso.com", false, "default")).toBe(false);
    expect(nodeCheckHost(forged.der, "mail.contoso.com", false, "always")).toBe(true);
  });
});
