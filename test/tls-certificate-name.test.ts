// E3: a connector's TlsCertificateName, `<I>issuer<S>subject` in Windows' X.500 string form,
// parsed into distinguished names and matched against certificates as names, never as strings.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";

import { InvalidSettingError } from "../src/errors.js";
import {
  type DistinguishedName,
  matchesTlsCertificateName,
  parseTlsCertificateName,
} from "../src/exchange/tls-certificate-name.js";
import * as api from "../src/index.js";
import { type ParsedCertificate, parseCertificate } from "../src/x509/certificate.js";
import { DAY, NOW } from "./support/fixtures.js";
import { forgeCertificate, KEY_DIR, type NameSpec, type StringEncoding } from "./support/forge.js";

const OID = {
  CN: "2.5.4.3",
  C: "2.5.4.6",
  L: "2.5.4.7",
  S: "2.5.4.8",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  E: "1.2.840.113549.1.9.1",
  DC: "0.9.2342.19200300.100.1.25",
} as const;

/** The RDNs of a parsed name as [name, value] pairs, in Windows' order. */
function pairs(name: DistinguishedName): string[][][] {
  return name.rdns.map((rdn) => rdn.map((a) => [a.name, a.value]));
}

/** A certificate with these names (NameSpec: DER order, most general first). */
async function certificate(subject: NameSpec, issuer: NameSpec): Promise<ParsedCertificate> {
  return parseCertificate(
    await forgeCertificate({
      subject,
      issuer,
      notBefore: new Date(NOW.getTime() - 10 * DAY),
      notAfter: new Date(NOW.getTime() + 80 * DAY),
      key: "p256-1",
      signer: "p256-2",
    }),
  );
}

function invalid(text: string): InvalidSettingError {
  try {
    parseTlsCertificateName(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSettingError);
    return error as InvalidSettingError;
  }
  throw new Error(`${JSON.stringify(text)} parsed`);
}

const LETS_ENCRYPT_R3 = "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com";
const AD_CS =
  "<I>CN=contoso-DC01-CA, DC=contoso, DC=com<S>CN=mail.contoso.com, OU=IT, O=Contoso, L=Redmond, S=Washington, C=US";

describe("E3: parseTlsCertificateName reads the strings PowerShell prints", () => {
  it("E3: a Let's Encrypt issuer (R3), RDNs kept most specific first", () => {
    const name = parseTlsCertificateName(LETS_ENCRYPT_R3);
    expect(name.text).toBe(LETS_ENCRYPT_R3);
    expect(pairs(name.issuer)).toEqual([[["CN", "R3"]], [["O", "Let's Encrypt"]], [["C", "US"]]]);
    expect(name.issuer.rdns.map((rdn) => rdn[0]!.oid)).toEqual([OID.CN, OID.O, OID.C]);
    expect(pairs(name.subject)).toEqual([[["CN", "mail.contoso.com"]]]);
  });

  it.each(["E5", "R11"])("E3: the Let's Encrypt issuer CN=%s", (cn) => {
    const name = parseTlsCertificateName(
      `<I>CN=${cn}, O=Let's Encrypt, C=US<S>CN=mail.contoso.com`,
    );
    expect(pairs(name.issuer)[0]).toEqual([["CN", cn]]);
  });

  it("E3: an AD CS issuer (DC components) and a full subject with S= for the state", () => {
    const name = parseTlsCertificateName(AD_CS);
    expect(pairs(name.issuer)).toEqual([
      [["CN", "contoso-DC01-CA"]],
      [["DC", "contoso"]],
      [["DC", "com"]],
    ]);
    expect(name.issuer.rdns[1]![0]!.oid).toBe(OID.DC);
    expect(pairs(name.subject)).toEqual([
      [["CN", "mail.contoso.com"]],
      [["OU", "IT"]],
      [["O", "Contoso"]],
      [["L", "Redmond"]],
      [["S", "Washington"]],
      [["C", "US"]],
    ]);
    expect(name.subject.rdns[4]![0]!.oid).toBe(OID.S);
  });

  it.each([
    ["a quoted comma", 'O="Contoso, Ltd"', [["O", "Contoso, Ltd"]]],
    ["doubled quotes", 'CN="say ""hi"""', [["CN", 'say "hi"']]],
    ["a quoted value that is only a quote", 'CN=""""', [["CN", '"']]],
    ["quoted + < > ; =", 'CN="a+b<c>d;e=f"', [["CN", "a+b<c>d;e=f"]]],
    ["quoted <S> inside a value", 'CN="x<S>y"', [["CN", "x<S>y"]]],
    ["leading and trailing spaces kept when quoted", 'CN="  padded "', [["CN", "  padded "]]],
    ["unquoted values trimmed", "CN=   spaced   ", [["CN", "spaced"]]],
    ["an e-mail address", "E=admin@contoso.com", [["E", "admin@contoso.com"]]],
    ["Email, the alias of E", "Email=admin@contoso.com", [["E", "admin@contoso.com"]]],
    ["ST, the alias of S", "ST=Washington", [["S", "Washington"]]],
    ["names read without regard to case", "cn=x", [["CN", "x"]]],
    ["a backslash is a character", "CN=a\\,b", null],
    ["an OID. type", "OID.2.5.4.65=pseudo", [["OID.2.5.4.65", "pseudo"]]],
    ["an OID. type with a short name", "OID.2.5.4.3=x", [["CN", "x"]]],
    ["a bare dotted OID", "2.5.4.3=x", [["CN", "x"]]],
    ["an empty unquoted value", "CN=", [["CN", ""]]],
    ["an empty quoted value", 'CN=""', [["CN", ""]]],
    ["an unquoted = inside a value", "CN=a=b", [["CN", "a=b"]]],
    [
      "a multi-valued RDN",
      "CN=mail + OU=IT",
      [
        ["CN", "mail"],
        ["OU", "IT"],
      ],
    ],
  ])("E3: %s", (_, subject, rdn) => {
    if (rdn === null) {
      // "CN=a\,b": no escapes in Windows' form, so this is CN "a\" and then "b" without "=".
      expect(invalid(`<I>CN=x<S>${subject}`).code).toBe("ERR_INVALID_TLS_CERTIFICATE_NAME");
      return;
    }
    const name = parseTlsCertificateName(`<I>CN=Issuer<S>${subject}`);
    expect(pairs(name.subject)).toEqual([rdn]);
  });

  it.each([
    ["CN", "2.5.4.3", "CN"],
    ["SN", "2.5.4.4", "SN"],
    ["SERIALNUMBER", "2.5.4.5", "SERIALNUMBER"],
    ["SerialNumber", "2.5.4.5", "SERIALNUMBER"],
    ["C", "2.5.4.6", "C"],
    ["L", "2.5.4.7", "L"],
    ["S", "2.5.4.8", "S"],
    ["STREET", "2.5.4.9", "STREET"],
    ["O", "2.5.4.10", "O"],
    ["OU", "2.5.4.11", "OU"],
    ["T", "2.5.4.12", "T"],
    ["Title", "2.5.4.12", "T"],
    ["G", "2.5.4.42", "G"],
    ["GivenName", "2.5.4.42", "G"],
    ["I", "2.5.4.43", "I"],
    ["E", "1.2.840.113549.1.9.1", "E"],
    ["DC", "0.9.2342.19200300.100.1.25", "DC"],
    ["OID.1.3.6.1.4.1.311.60.2.1.3", "1.3.6.1.4.1.311.60.2.1.3", "OID.1.3.6.1.4.1.311.60.2.1.3"],
  ])("E3: the attribute name %s is the type %s", (written, oid, reported) => {
    const [attribute] = parseTlsCertificateName(`<I>CN=CA<S>${written}=v`).subject.rdns[0]!;
    expect(attribute).toEqual({ oid, name: reported, value: "v" });
  });

  it("E3: a backslash is kept literally inside a value", () => {
    expect(pairs(parseTlsCertificateName("<I>CN=a\\b<S>CN=c").issuer)).toEqual([[["CN", "a\\b"]]]);
  });

  it("E3: ';' separates RDNs as ',' does (CertStrToName), and spacing does not matter", () => {
    const a = parseTlsCertificateName("<I>CN=R3;O=Let's Encrypt ;  C=US<S>CN=x");
    const b = parseTlsCertificateName("  <I> CN=R3 ,O=Let's Encrypt,C=US <S>  CN=x  ");
    expect(pairs(a.issuer)).toEqual(pairs(parseTlsCertificateName(LETS_ENCRYPT_R3).issuer));
    expect(pairs(b.issuer)).toEqual(pairs(a.issuer));
    expect(pairs(b.subject)).toEqual([[["CN", "x"]]]);
  });

  it("E3: the result is frozen", () => {
    const name = parseTlsCertificateName(AD_CS);
    expect(Object.isFrozen(name)).toBe(true);
    expect(Object.isFrozen(name.subject.rdns)).toBe(true);
    expect(Object.isFrozen(name.subject.rdns[0])).toBe(true);
    expect(Object.isFrozen(name.subject.rdns[0]![0])).toBe(true);
  });

  it("only parseTlsCertificateName makes a TlsCertificateName (branded type)", async () => {
    const cert = await certificate([["CN", "x"]], [["CN", "CA"]]);
    const parsed = parseTlsCertificateName("<I>CN=CA<S>CN=x");
    const lookalike = { text: parsed.text, issuer: parsed.issuer, subject: parsed.subject };
    // @ts-expect-error: a structural copy is not a parsed name
    expect(() => matchesTlsCertificateName(lookalike, cert)).not.toThrow();
    expect(matchesTlsCertificateName(parsed, cert)).toBe(true);
  });

  it("is exported from the package entry point", () => {
    expect(api.parseTlsCertificateName).toBe(parseTlsCertificateName);
  });
});

describe("E3: a malformed TlsCertificateName is misuse (ERR_INVALID_TLS_CERTIFICATE_NAME)", () => {
  it.each([
    ["empty", ""],
    ["no <I>", "CN=R3<S>CN=x"],
    ["text before <I>", "x<I>CN=R3<S>CN=x"],
    ["lower-case tags", "<i>CN=R3<s>CN=x"],
    ["no <S>", "<I>CN=R3, O=Let's Encrypt, C=US"],
    ["a bare Fqdn", "mail.contoso.com"],
    ["an empty issuer", "<I><S>CN=x"],
    ["an issuer of spaces", "<I>   <S>CN=x"],
    ["an empty subject", "<I>CN=R3<S>"],
    ["a subject of spaces", "<I>CN=R3<S>  "],
    ["subject before issuer", "<S>CN=x<I>CN=R3"],
    ["a trailing comma", "<I>CN=R3,<S>CN=x"],
    ["an empty RDN", "<I>CN=R3,,O=x<S>CN=x"],
    ["a trailing +", "<I>CN=R3<S>CN=x+"],
    ["a leading comma", "<I>, CN=R3<S>CN=x"],
    ["an unterminated quote", '<I>CN=R3<S>CN="mail.contoso.com'],
    ["an unterminated quote swallowing <S>", '<I>O="Contoso<S>CN=x'],
    ["text after a closing quote", '<I>CN=R3<S>CN="a"b'],
    ["a quote inside an unquoted value", '<I>CN=R3<S>CN=a"b'],
    ["an unquoted <", "<I>CN=R3<S>CN=a<b"],
    ["an unquoted >", "<I>CN=R3<S>CN=a>b"],
    ["a second <S>", "<I>CN=R3<S>CN=a<S>CN=b"],
    ["an unknown attribute name", "<I>CN=R3<S>XX=mail.contoso.com"],
    ["an RFC 4514 name Windows does not print", "<I>CN=R3<S>UID=jdoe"],
    ["an invalid OID", "<I>CN=R3<S>OID.3.4=x"],
    ["an OID with a leading zero", "<I>CN=R3<S>OID.2.05.4.3=x"],
    ["an OID of one arc", "<I>CN=R3<S>OID.2=x"],
    ["a missing =", "<I>CN=R3<S>CN mail.contoso.com"],
    ["a missing = in a later RDN", "<I>CN=R3, Let's Encrypt<S>CN=x"],
    ["a missing = in a multi-valued RDN", "<I>CN=R3<S>CN=x + IT"],
    ["an empty attribute type", "<I>=R3<S>CN=x"],
  ])("E3: %s", (_, text) => {
    const error = invalid(text);
    expect(error.code).toBe("ERR_INVALID_TLS_CERTIFICATE_NAME");
    expect(error.field).toBe("receiveConnector.tlsCertificateName");
    expect(error.value).toBe(text);
  });

  it("E3/S11: the error names the field it was read from", () => {
    try {
      parseTlsCertificateName("<I>CN=R3", { field: "sendConnector.tlsCertificateName" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidSettingError);
      expect((error as InvalidSettingError).field).toBe("sendConnector.tlsCertificateName");
      expect((error as InvalidSettingError).code).toBe("ERR_INVALID_TLS_CERTIFICATE_NAME");
    }
  });

  it.each([null, undefined, 42, {}, ["<I>CN=a<S>CN=b"]])(
    "a %s that is not a string is a TypeError",
    (value) => {
      expect(() => parseTlsCertificateName(value as unknown as string)).toThrow(TypeError);
    },
  );

  it("E3: parse throws nothing but InvalidSettingError or TypeError, on any input", () => {
    const alphabet = fc.constantFrom(
      "<I>",
      "<S>",
      "<",
      ">",
      '"',
      '""',
      ",",
      ";",
      "+",
      "=",
      " ",
      "CN",
      "OID.",
      "2.5.4.3",
      "E",
      "S",
      "x",
      "\\",
      "\u0000",
    );
    const text = fc.oneof(
      fc.string(),
      fc.array(alphabet, { maxLength: 30 }).map((a) => a.join("")),
    );
    const input = fc.oneof(text, fc.anything());
    fc.assert(
      fc.property(input, (value) => {
        try {
          parseTlsCertificateName(value as string);
        } catch (error) {
          return error instanceof InvalidSettingError || error instanceof TypeError;
        }
        return true;
      }),
      { numRuns: 3000 },
    );
  });

  it("E3: a long hostile text is refused in linear time", () => {
    const started = performance.now();
    for (const text of [
      `<I>${"CN=a+".repeat(100_000)}`,
      `<I>CN="${'""'.repeat(100_000)}`,
      `<I>${",".repeat(200_000)}`,
      `<I>CN=${"<".repeat(200_000)}`,
    ]) {
      expect(invalid(text).code).toBe("ERR_INVALID_TLS_CERTIFICATE_NAME");
    }
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe("E3: matching certificates by distinguished name", () => {
  const LE_ISSUER: NameSpec = [
    ["C", "US"],
    ["O", "Let's Encrypt"],
    ["CN", "R3"],
  ];
  const MAIL: NameSpec = [["CN", "mail.contoso.com"]];

  it("E3: the Let's Encrypt R3 certificate matches, its renewal under R11 does not (a classic 12014)", async () => {
    const name = parseTlsCertificateName(LETS_ENCRYPT_R3);
    const r3 = await certificate(MAIL, LE_ISSUER);
    const r11 = await certificate(MAIL, [
      ["C", "US"],
      ["O", "Let's Encrypt"],
      ["CN", "R11"],
    ]);
    expect(matchesTlsCertificateName(name, r3)).toBe(true);
    expect(matchesTlsCertificateName(name, r11)).toBe(false);
    expect(
      matchesTlsCertificateName(
        parseTlsCertificateName("<I>CN=R11, O=Let's Encrypt, C=US<S>CN=mail.contoso.com"),
        r11,
      ),
    ).toBe(true);
  });

  it("E3: the AD CS issuer and full subject match, with DC, S and E attributes", async () => {
    const cert = await certificate(
      [
        ["C", "US"],
        ["ST", "Washington"],
        ["L", "Redmond"],
        ["O", "Contoso"],
        ["OU", "IT"],
        ["CN", "mail.contoso.com"],
      ],
      [
        [OID.DC, "com", "ia5"],
        [OID.DC, "contoso", "ia5"],
        ["CN", "contoso-DC01-CA"],
      ],
    );
    expect(matchesTlsCertificateName(parseTlsCertificateName(AD_CS), cert)).toBe(true);
    // One attribute fewer, one more, or another value: not the same name.
    for (const other of [
      AD_CS.replace(", C=US", ""),
      `${AD_CS}, E=admin@contoso.com`,
      AD_CS.replace("S=Washington", "S=Oregon"),
      AD_CS.replace("DC=contoso, DC=com", "DC=com, DC=contoso"),
    ]) {
      expect(matchesTlsCertificateName(parseTlsCertificateName(other), cert), other).toBe(false);
    }
    const withEmail = await certificate(
      [
        [OID.E, "admin@contoso.com", "ia5"],
        ["CN", "mail.contoso.com"],
      ],
      [["CN", "contoso-DC01-CA"]],
    );
    expect(
      matchesTlsCertificateName(
        parseTlsCertificateName("<I>CN=contoso-DC01-CA<S>CN=mail.contoso.com, E=admin@contoso.com"),
        withEmail,
      ),
    ).toBe(true);
  });

  it("E3: Windows' order is the reverse of the order Node's X509Certificate lists (oracle)", async () => {
    const cert = await certificate(
      [
        ["C", "US"],
        ["ST", "Washington"],
        ["L", "Redmond"],
        ["O", "Contoso"],
        ["OU", "IT"],
        ["CN", "mail.contoso.com"],
      ],
      [
        [OID.DC, "com", "ia5"],
        [OID.DC, "contoso", "ia5"],
        ["CN", "contoso-DC01-CA"],
      ],
    );
    const node = new X509Certificate(cert.der);
    // Node lists one attribute per line, most general first, with OpenSSL's short names.
    const windows = (lines: string) =>
      lines
        .split("\n")
        .reverse()
        .map((line) => line.replace(/^ST=/, "S="))
        .join(", ");
    const text = `<I>${windows(node.issuer)}<S>${windows(node.subject)}`;
    expect(text).toBe(AD_CS);
    expect(matchesTlsCertificateName(parseTlsCertificateName(text), cert)).toBe(true);
  });

  it("E3: RDN order matters: Windows' order is the reverse of the certificate's", async () => {
    const cert = await certificate(MAIL, LE_ISSUER);
    const reversed = parseTlsCertificateName(
      "<I>C=US, O=Let's Encrypt, CN=R3<S>CN=mail.contoso.com",
    );
    expect(matchesTlsCertificateName(reversed, cert)).toBe(false);
    // A certificate whose issuer really is in that order matches the reversed string only.
    const upsideDown = await certificate(MAIL, [
      ["CN", "R3"],
      ["O", "Let's Encrypt"],
      ["C", "US"],
    ]);
    expect(matchesTlsCertificateName(reversed, upsideDown)).toBe(true);
    expect(matchesTlsCertificateName(parseTlsCertificateName(LETS_ENCRYPT_R3), upsideDown)).toBe(
      false,
    );
  });

  it("E3: issuer and subject are not interchangeable", async () => {
    const cert = await certificate(MAIL, LE_ISSUER);
    expect(
      matchesTlsCertificateName(
        parseTlsCertificateName("<I>CN=mail.contoso.com<S>CN=R3, O=Let's Encrypt, C=US"),
        cert,
      ),
    ).toBe(false);
  });

  it("E3: values compare without regard to case or runs of spaces, types by OID, never as strings", async () => {
    const cert = await certificate(MAIL, LE_ISSUER);
    for (const text of [
      "<I>cn=r3,o=LET'S   ENCRYPT,c=us<S>CN=Mail.Contoso.Com",
      '<I>CN="R3", O=" Let\'s Encrypt ", C=US<S>OID.2.5.4.3=mail.contoso.com',
      "<I>2.5.4.3=R3; 2.5.4.10=Let's Encrypt; 2.5.4.6=US<S>CN=mail.contoso.com",
    ]) {
      expect(matchesTlsCertificateName(parseTlsCertificateName(text), cert), text).toBe(true);
    }
    for (const text of [
      "<I>CN=R3, O=Lets Encrypt, C=US<S>CN=mail.contoso.com",
      "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com.",
      // OU is not O: the type counts, not just the value.
      "<I>CN=R3, OU=Let's Encrypt, C=US<S>CN=mail.contoso.com",
      // A multi-valued RDN is not two RDNs.
      "<I>CN=R3 + O=Let's Encrypt, C=US<S>CN=mail.contoso.com",
    ]) {
      expect(matchesTlsCertificateName(parseTlsCertificateName(text), cert), text).toBe(false);
    }
  });

  it("E3: S= is stateOrProvinceName whatever the certificate's string type", async () => {
    const encodings: StringEncoding[] = ["utf8", "printable", "bmp"];
    for (const encoding of encodings) {
      const cert = await certificate(
        [
          ["ST", "Washington", encoding],
          ["CN", "mail.contoso.com"],
        ],
        [["CN", "CA"]],
      );
      const name = parseTlsCertificateName("<I>CN=CA<S>CN=mail.contoso.com, S=Washington");
      expect(matchesTlsCertificateName(name, cert), encoding).toBe(true);
      // L is another attribute with the same value.
      const other = parseTlsCertificateName("<I>CN=CA<S>CN=mail.contoso.com, L=Washington");
      expect(matchesTlsCertificateName(other, cert), encoding).toBe(false);
    }
  });

  it("E3: values with commas, quotes, <, > and ; match once Windows' quoting is undone", async () => {
    const cert = await certificate(
      [
        ["O", "Contoso, Ltd"],
        ["OU", 'the "mail" team'],
        ["CN", "a<b>;c+d"],
      ],
      [["CN", "CA"]],
    );
    const name = parseTlsCertificateName(
      '<I>CN=CA<S>CN="a<b>;c+d", OU="the ""mail"" team", O="Contoso, Ltd"',
    );
    expect(matchesTlsCertificateName(name, cert)).toBe(true);
    // The same characters unquoted are other names, or no name at all.
    const quotedRest = '<I>CN=CA<S>CN="a<b>;c+d", OU="the ""mail"" team"';
    expect(invalid(`${quotedRest}, O=Contoso, Ltd`).code).toBe("ERR_INVALID_TLS_CERTIFICATE_NAME");
    const split = parseTlsCertificateName(`${quotedRest}, O=Contoso, L=Ltd`);
    expect(matchesTlsCertificateName(split, cert)).toBe(false);
    const plus = parseTlsCertificateName('<I>CN=CA<S>CN=a + OU=the, O="Contoso, Ltd"');
    expect(pairs(plus.subject)[0]).toEqual([
      ["CN", "a"],
      ["OU", "the"],
    ]);
  });

  describe("multi-valued RDNs (certificates made by openssl req -multivalue-rdn)", () => {
    const dir = mkdtempSync(join(tmpdir(), "tls-name-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    function openssl(subject: string): ParsedCertificate {
      const out = join(dir, "cert.der");
      execFileSync("openssl", [
        "req",
        "-new",
        "-x509",
        "-key",
        join(KEY_DIR, "p256-1.pem"),
        "-subj",
        subject,
        "-multivalue-rdn",
        "-days",
        "1",
        "-outform",
        "DER",
        "-out",
        out,
      ]);
      return parseCertificate(new Uint8Array(readFileSync(out)));
    }

    it("E3: `+` joins the attributes of one RDN, in any order", () => {
      // Self-signed: issuer = subject = O=Contoso / (OU=IT + CN=mail) in DER order.
      const cert = openssl("/O=Contoso/CN=mail+OU=IT");
      for (const rdn of ["CN=mail + OU=IT", "OU=IT+CN=mail", "ou=it +cn=MAIL"]) {
        const text = `<I>${rdn}, O=Contoso<S>${rdn}, O=Contoso`;
        expect(matchesTlsCertificateName(parseTlsCertificateName(text), cert), text).toBe(true);
      }
      for (const text of [
        "<I>CN=mail, OU=IT, O=Contoso<S>CN=mail, OU=IT, O=Contoso",
        "<I>CN=mail + OU=IT + O=Contoso<S>CN=mail + OU=IT + O=Contoso",
        "<I>CN=mail + OU=HR, O=Contoso<S>CN=mail + OU=HR, O=Contoso",
        "<I>CN=mail + OU=IT, O=Contoso<S>CN=mail, O=Contoso",
      ]) {
        expect(matchesTlsCertificateName(parseTlsCertificateName(text), cert), text).toBe(false);
      }
    });
  });

  describe("round trip: Windows' form of any name, parsed, matches the certificate", () => {
    const TYPES = [
      ["CN", "CN"],
      ["O", "O"],
      ["OU", "OU"],
      ["L", "L"],
      ["ST", "S"],
      ["C", "C"],
      [OID.E, "E"],
      [OID.DC, "DC"],
    ] as const;
    /** What CertNameToStr quotes (see the module's Q&A). */
    const NEEDS_QUOTES = /[,+="<>#;\n]|^\s|\s$/;
    function windowsValue(value: string): string {
      return value === "" || NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
    }
    function windowsName(spec: NameSpec): string {
      return spec
        .map(([type, value]) => `${TYPES.find(([t]) => t === type)![1]}=${windowsValue(value)}`)
        .reverse()
        .join(", ");
    }
    const value = fc
      .array(
        fc.constantFrom("a", "Z", " ", ",", "+", '"', "<", ">", ";", "=", "#", "\\", "é", "<S>"),
        {
          minLength: 1,
          maxLength: 12,
        },
      )
      .map((parts) => parts.join(""));
    const nameSpec = fc.array(
      // UTF8String throughout: a PrintableString or IA5String cannot hold all of these values.
      fc
        .tuple(fc.constantFrom(...TYPES.map(([t]) => t)), value)
        .map(([type, v]) => [type, v, "utf8"] as const),
      { minLength: 1, maxLength: 5 },
    );

    it("E3: parse undoes the quoting of any value exactly", () => {
      fc.assert(
        fc.property(nameSpec, nameSpec, (subject, issuer) => {
          const text = `<I>${windowsName(issuer)}<S>${windowsName(subject)}`;
          const parsed = parseTlsCertificateName(text);
          const expected = (spec: NameSpec) =>
            [...spec].reverse().map(([type, v]) => [[TYPES.find(([t]) => t === type)![1], v]]);
          expect(pairs(parsed.issuer)).toEqual(expected(issuer));
          expect(pairs(parsed.subject)).toEqual(expected(subject));
        }),
        { numRuns: 500 },
      );
    });

    it("E3: and the parsed name matches a certificate carrying those names", async () => {
      await fc.assert(
        fc.asyncProperty(nameSpec, nameSpec, async (subject, issuer) => {
          const cert = await certificate(subject, issuer);
          const text = `<I>${windowsName(issuer)}<S>${windowsName(subject)}`;
          expect(matchesTlsCertificateName(parseTlsCertificateName(text), cert)).toBe(true);
          // Issuer and subject swapped match only when they are the same name.
          const swapped = `<I>${windowsName(subject)}<S>${windowsName(issuer)}`;
          expect(matchesTlsCertificateName(parseTlsCertificateName(swapped), cert)).toBe(
            cert.subjectKey === cert.issuerKey,
          );
        }),
        { numRuns: 40 },
      );
    });
  });
});
