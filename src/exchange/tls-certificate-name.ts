// A connector's TlsCertificateName (2016 edition, E3): `<I>issuer<S>subject`, both names in the
// X.500 string form Windows prints (CertNameToStr with CERT_X500_NAME_STR, as PowerShell shows
// X500DistinguishedName.Name), and the test "does this certificate carry these names?".
//
// Q: what does the string look like?
// A: `<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com`: RDNs most specific first (the
//    reverse of their order in the certificate), separated by ", "; the attributes of a
//    multi-valued RDN separated by " + "; attribute types by Windows' short names (CN, O, OU, L,
//    S for stateOrProvinceName, C, E for emailAddress, DC, SERIALNUMBER, STREET, T, G, I, SN, …)
//    or as `OID.2.5.4.65=`.
// Q: how are special characters written?
// A: Windows has no backslash escapes (RFC 4514's `\,` is not its form: a backslash is a
//    character). A value holding `,` `+` `=` `"` `<` `>` `#` `;` a line break, or leading or
//    trailing spaces is enclosed in double quotes, a quote inside doubled: `O="Contoso, Ltd"`,
//    `CN="say ""hi"""`. An unquoted value is trimmed.
// Q: which separators are read?
// A: `,` and `;` between RDNs, `+` between the attributes of one RDN, with any spaces around
//    them: what CertStrToName reads by default. Names of attribute types are read without
//    regard to case (`cn=` is CN), and `ST`, `Email`, `Title`, `GivenName`, `Initials` are read
//    as the aliases CertStrToName knows; a bare dotted OID (`2.5.4.3=`) is read like `OID.2.5.4.3=`.
// Q: what is malformed (ERR_INVALID_TLS_CERTIFICATE_NAME)?
// A: a text that does not start with `<I>` or has no `<S>` after the issuer; an empty issuer or
//    subject; an empty RDN (a separator with nothing after it); an attribute without `=`; an
//    unknown attribute name or an OID that is not one; an unterminated quoted value, or text
//    after a closing quote; a `"`, `<` or `>` inside an unquoted value (Windows would have quoted
//    it). An empty value (`CN=` or `CN=""`) is not malformed: certificates may carry one.
// Q: when does a certificate match? (E3)
// A: when its issuer and its subject are each equal, as distinguished names, to the parsed
//    ones: the same number of RDNs in the reverse order, each RDN the same set of attributes,
//    attribute types compared by OID, values compared as RFC 5280 §7.1 asks in the simplified
//    form the rest of the library uses (certificate.ts `subjectKey`): leading and trailing
//    spaces removed, inner runs of spaces folded to one, case folded. Never as display strings:
//    `O=Let's Encrypt, CN=R3` is not `CN=R3, O=Let's Encrypt`, and `cn=r3,o=let's  encrypt`
//    is the same name as `CN=R3, O=Let's Encrypt`.
// Q: why compare against `subjectKey`/`issuerKey` rather than the ASN.1 model?
// A: the keys are built by the certificate walk from the same decoded values every other name
//    comparison of the library uses (chain building, name constraints), and they cost nothing
//    per certificate: matching a store of a thousand certificates is a thousand string
//    comparisons. The parsed name's keys are built here once, by the same rule.
import { InvalidSettingError, type SettingField } from "../errors.js";
import { nameKey, type ParsedCertificate, SHORT_NAMES } from "../x509/certificate.js";

/** One attribute of a distinguished name, its quoting undone. */
export interface DistinguishedNameAttribute {
  /** The attribute type's OID, e.g. `2.5.4.3` for CN. */
  readonly oid: string;
  /** Windows' short name for it (`CN`, `S`, `E`, …), or `OID.<oid>` for a type without one. */
  readonly name: string;
  /** The value, as the certificate holds it (quotes removed, `""` read as `"`). */
  readonly value: string;
}

/** A distinguished name as Windows writes it. */
export interface DistinguishedName {
  /**
   * Its RDNs in the order Windows writes them: most specific first, the reverse of their order
   * in the certificate. Each RDN holds one attribute, or several for a multi-valued RDN (`+`).
   */
  readonly rdns: readonly (readonly DistinguishedNameAttribute[])[];
}

declare const tlsCertificateNameBrand: unique symbol;

/** A connector's TlsCertificateName, parsed (E3). Only {@link parseTlsCertificateName} makes one. */
export interface TlsCertificateName {
  /** The text as given. */
  readonly text: string;
  /** The name after `<I>`: the issuer of the certificate looked for. */
  readonly issuer: DistinguishedName;
  /** The name after `<S>`: its subject. */
  readonly subject: DistinguishedName;
  readonly [tlsCertificateNameBrand]: true;
}

/** The connector fields that hold a TlsCertificateName. */
export type TlsCertificateNameField = Extract<
  SettingField,
  "receiveConnector.tlsCertificateName" | "sendConnector.tlsCertificateName"
>;

/** Options of {@link parseTlsCertificateName}. */
export interface ParseTlsCertificateNameOptions {
  /** The field named by the error. Default: `receiveConnector.tlsCertificateName`. */
  readonly field?: TlsCertificateNameField;
}

const ISSUER_TAG = "<I>";
const SUBJECT_TAG = "<S>";
const FORM = "<I>issuer<S>subject (Windows X.500 names)";

/**
 * Windows' attribute names (CertStrToName's X.500 keys), upper-cased, to their OIDs. The first
 * name of each OID in this list is the one {@link DistinguishedNameAttribute.name} reports.
 */
const ATTRIBUTE_NAMES: readonly (readonly [string, string])[] = [
  ["CN", "2.5.4.3"],
  ["SN", "2.5.4.4"],
  ["SERIALNUMBER", "2.5.4.5"],
  ["C", "2.5.4.6"],
  ["L", "2.5.4.7"],
  ["S", "2.5.4.8"],
  ["ST", "2.5.4.8"],
  ["STREET", "2.5.4.9"],
  ["O", "2.5.4.10"],
  ["OU", "2.5.4.11"],
  ["T", "2.5.4.12"],
  ["TITLE", "2.5.4.12"],
  ["DESCRIPTION", "2.5.4.13"],
  ["POSTALCODE", "2.5.4.17"],
  ["POBOX", "2.5.4.18"],
  ["PHONE", "2.5.4.20"],
  ["X21ADDRESS", "2.5.4.24"],
  ["G", "2.5.4.42"],
  ["GIVENNAME", "2.5.4.42"],
  ["I", "2.5.4.43"],
  ["INITIALS", "2.5.4.43"],
  ["DNQUALIFIER", "2.5.4.46"],
  ["E", "1.2.840.113549.1.9.1"],
  ["EMAIL", "1.2.840.113549.1.9.1"],
  ["DC", "0.9.2342.19200300.100.1.25"],
];
const OID_BY_NAME = new Map<string, string>(ATTRIBUTE_NAMES);
const NAME_BY_OID = new Map<string, string>();
// The first name listed for an OID is the one Windows prints (CN, S, T, G, I, E), not its alias.
for (const [name, oid] of ATTRIBUTE_NAMES) if (!NAME_BY_OID.has(oid)) NAME_BY_OID.set(oid, name);

/** A dotted OID: at least two arcs, the first 0-2, no leading zeros. */
const DOTTED_OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;

/** A syntax error at a position of the text; turned into the InvalidSettingError. */
class SyntaxProblem {
  constructor(
    readonly at: number,
    readonly what: string,
  ) {}
}

function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

/**
 * Parses a connector's TlsCertificateName as PowerShell prints it (E3):
 * `<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com`. Throws {@link InvalidSettingError}
 * with code `ERR_INVALID_TLS_CERTIFICATE_NAME` when it is malformed, TypeError when it is not
 * a string.
 */
export function parseTlsCertificateName(
  text: string,
  options: ParseTlsCertificateNameOptions = {},
): TlsCertificateName {
  if (typeof text !== "string") {
    throw new TypeError(`a TlsCertificateName must be a string, got ${typeof text}`);
  }
  const field = options.field ?? "receiveConnector.tlsCertificateName";
  try {
    return new Parser(text).parse();
  } catch (error) {
    if (!(error instanceof SyntaxProblem)) throw error;
    throw new InvalidSettingError(field, text, [FORM], {
      detail: `${error.what} at offset ${error.at}`,
    });
  }
}

/** One pass over the text, no backtracking: linear in its length whatever it holds. */
class Parser {
  private at = 0;
  constructor(private readonly text: string) {}

  parse(): TlsCertificateName {
    const { text } = this;
    this.skipSpaces();
    if (!text.startsWith(ISSUER_TAG, this.at)) {
      throw new SyntaxProblem(this.at, "the text does not start with <I>");
    }
    this.at += ISSUER_TAG.length;
    const issuer = this.name("issuer", true);
    if (!text.startsWith(SUBJECT_TAG, this.at)) {
      throw new SyntaxProblem(this.at, "no <S> after the issuer");
    }
    this.at += SUBJECT_TAG.length;
    const subject = this.name("subject", false);
    return Object.freeze({ text, issuer, subject }) as TlsCertificateName;
  }

  /** A distinguished name up to `<S>` (the issuer) or the end of the text (the subject). */
  private name(which: "issuer" | "subject", isIssuer: boolean): DistinguishedName {
    this.skipSpaces();
    if (this.atEnd(isIssuer)) throw new SyntaxProblem(this.at, `the ${which} is empty`);
    const rdns: (readonly DistinguishedNameAttribute[])[] = [];
    let rdn: DistinguishedNameAttribute[] = [];
    for (;;) {
      rdn.push(this.attribute(isIssuer));
      this.skipSpaces();
      if (this.atEnd(isIssuer)) break;
      const separator = this.text[this.at]!;
      this.at++;
      if (separator === "+") continue;
      // attribute() stops only at a separator or the end; anything else it has refused.
      rdns.push(Object.freeze(rdn));
      rdn = [];
    }
    rdns.push(Object.freeze(rdn));
    return Object.freeze({ rdns: Object.freeze(rdns) });
  }

  /** `type=value`; leaves `at` on the separator or terminator after it. */
  private attribute(isIssuer: boolean): DistinguishedNameAttribute {
    const { text } = this;
    this.skipSpaces();
    const start = this.at;
    while (this.at < text.length && text[this.at] !== "=") {
      const c = text[this.at]!;
      if (c === "," || c === ";" || c === "+" || this.atEnd(isIssuer)) break;
      this.at++;
    }
    const typeText = text.slice(start, this.at).trim();
    if (this.at >= text.length || text[this.at] !== "=") {
      throw new SyntaxProblem(
        start,
        typeText === "" ? "an empty RDN" : `no "=" after ${JSON.stringify(typeText)}`,
      );
    }
    const { oid, name } = attributeType(typeText, start);
    this.at++; // "="
    this.skipSpaces();
    const value = text[this.at] === '"' ? this.quoted(isIssuer) : this.unquoted(isIssuer);
    return Object.freeze({ oid, name, value });
  }

  /** `"…"` with `""` for a quote; only spaces may follow, then a separator or the end. */
  private quoted(isIssuer: boolean): string {
    const { text } = this;
    const open = this.at;
    this.at++;
    let value = "";
    for (;;) {
      const close = text.indexOf('"', this.at);
      if (close < 0) throw new SyntaxProblem(open, "an unterminated quoted value");
      value += text.slice(this.at, close);
      this.at = close + 1;
      if (text[this.at] !== '"') break;
      value += '"';
      this.at++;
    }
    this.skipSpaces();
    if (!this.atEnd(isIssuer) && !isSeparator(text[this.at])) {
      throw new SyntaxProblem(this.at, "text after a quoted value");
    }
    return value;
  }

  /** Up to the next separator or terminator, trimmed. */
  private unquoted(isIssuer: boolean): string {
    const { text } = this;
    const start = this.at;
    while (this.at < text.length && !isSeparator(text[this.at])) {
      if (this.atEnd(isIssuer)) break;
      const c = text[this.at]!;
      if (c === '"' || c === "<" || c === ">") {
        throw new SyntaxProblem(this.at, `an unquoted ${JSON.stringify(c)} in a value`);
      }
      this.at++;
    }
    return trimSpaces(text.slice(start, this.at));
  }

  /** The end of the current name: `<S>` for the issuer, the end of the text for the subject. */
  private atEnd(isIssuer: boolean): boolean {
    if (this.at >= this.text.length) return true;
    return isIssuer && this.text.startsWith(SUBJECT_TAG, this.at);
  }

  private skipSpaces(): void {
    while (isSpace(this.text[this.at])) this.at++;
  }
}

function isSeparator(c: string | undefined): boolean {
  return c === "," || c === ";" || c === "+";
}

function trimSpaces(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isSpace(value[start])) start++;
  while (end > start && isSpace(value[end - 1])) end--;
  return value.slice(start, end);
}

function attributeType(typeText: string, at: number): { oid: string; name: string } {
  const upper = typeText.toUpperCase();
  const known = OID_BY_NAME.get(upper);
  if (known !== undefined) return { oid: known, name: NAME_BY_OID.get(known)! };
  const dotted = upper.startsWith("OID.") ? typeText.slice(4) : typeText;
  if (DOTTED_OID.test(dotted)) {
    return { oid: dotted, name: NAME_BY_OID.get(dotted) ?? `OID.${dotted}` };
  }
  throw new SyntaxProblem(
    at,
    typeText === ""
      ? "an attribute without a type"
      : `unknown attribute ${JSON.stringify(typeText)}`,
  );
}

/**
 * The comparison key of a name, built by the rule of certificate.ts `nameKey` (RFC 5280 §7.1,
 * simplified): RDNs in certificate order (most general first, so Windows' order reversed), the
 * attributes of an RDN sorted, each `oid="folded value"`; a value written as `#hex` (how the
 * certificate walk shows a non-string value) is compared as it is.
 */
function dnKey(name: DistinguishedName): string {
  // The certificate's own key (certificate.ts nameKey), so the two can never fold differently.
  // A non-string value is `#` and hex: the walk writes its hex in lower case, Windows in upper.
  return nameKey(
    [...name.rdns].reverse().map((rdn) =>
      rdn.map((a) => ({
        type: a.oid,
        text: HEX_VALUE.test(a.value) ? a.value.toLowerCase() : a.value,
      })),
    ),
  );
}

const HEX_VALUE = /^#(?:[0-9A-Fa-f]{2})+$/;

/** The keys of a parsed name, built once per parsed value (the value is frozen). */
const KEYS = new WeakMap<
  TlsCertificateName,
  { readonly issuer: string; readonly subject: string }
>();

function keysOf(name: TlsCertificateName): { readonly issuer: string; readonly subject: string } {
  let keys = KEYS.get(name);
  if (keys === undefined) {
    keys = { issuer: dnKey(name.issuer), subject: dnKey(name.subject) };
    KEYS.set(name, keys);
  }
  return keys;
}

/**
 * E3: does the certificate's issuer and subject equal the TlsCertificateName's, compared as
 * distinguished names (see the Q&A at the top of this module)?
 */
export function matchesTlsCertificateName(
  name: TlsCertificateName,
  certificate: ParsedCertificate,
): boolean {
  const keys = keysOf(name);
  return certificate.issuerKey === keys.issuer && certificate.subjectKey === keys.subject;
}

/**
 * E3: which of the certificate's issuer and subject are not the TlsCertificateName's, compared
 * as the match compares them (empty: it matches). After a renewal usually one of the two: a new
 * issuing CA, or a changed subject.
 */
export function tlsCertificateNameDifferences(
  name: TlsCertificateName,
  certificate: ParsedCertificate,
): ("issuer" | "subject")[] {
  const keys = keysOf(name);
  const parts: ("issuer" | "subject")[] = [];
  if (certificate.issuerKey !== keys.issuer) parts.push("issuer");
  if (certificate.subjectKey !== keys.subject) parts.push("subject");
  return parts;
}

/** A certificate matched a TlsCertificateName (E3): its issuer and subject, as it carries them. */
export interface TlsCertificateNameMatch {
  /** How it matched: by issuer and subject, not by a host name. */
  readonly source: "tls-certificate-name";
  /** The certificate's issuer, as Windows prints it (most specific first, values quoted). */
  readonly issuer: string;
  /** The certificate's subject, as Windows prints it. */
  readonly subject: string;
}

/** certificate.ts's display names of attribute types, to their OIDs. */
const OID_BY_DISPLAY = new Map<string, string>(
  Object.entries(SHORT_NAMES).map(([oid, name]) => [name, oid]),
);

/** What makes Windows quote a value (CertNameToStr, CERT_X500_NAME_STR). */
const NEEDS_QUOTES = /[,+="<>#;\r\n]|^\s|\s$/;

/** A value as Windows writes it: quoted, a quote doubled, when it holds what needs quotes. */
function windowsValue(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A parsed name (E3) written back as Windows writes it: `CN=x, O="Contoso, Ltd"`. */
export function windowsFormOf(name: DistinguishedName): string {
  return name.rdns
    .map((rdn) => rdn.map((a) => `${a.name}=${windowsValue(a.value)}`).join(" + "))
    .join(", ");
}

/**
 * A certificate's subject or issuer as Windows prints it (X500DistinguishedName.Name, what
 * PowerShell shows and a TlsCertificateName holds): most specific RDN first, Windows' attribute
 * names (`S=` for stateOrProvinceName, `OID.x.y=` for a type without one), values quoted rather
 * than escaped. `display` is the certificate walk's own text (RFC 4514 escapes, same order).
 * Parsing `<I>…<S>…` of the two gives back names that match the certificate (E3): an
 * administrator can paste it into Set-ReceiveConnector.
 */
export function windowsName(display: string): string {
  const rdns: string[] = [];
  let attributes: string[] = [];
  let at = 0;
  while (at < display.length) {
    const equals = display.indexOf("=", at);
    if (equals < 0) break;
    const type = display.slice(at, equals);
    let value = "";
    at = equals + 1;
    for (; at < display.length; at++) {
      const c = display[at]!;
      if (c === "\\") {
        const next = display.slice(at + 1, at + 3);
        // `\xx` is a control character; `\c` the character itself.
        if (/^[0-9a-f]{2}$/.test(next)) {
          value += String.fromCharCode(Number.parseInt(next, 16));
          at += 2;
        } else {
          value += display[at + 1] ?? "";
          at += 1;
        }
        continue;
      }
      if (c === "+" || c === ",") break;
      value += c;
    }
    const oid = OID_BY_DISPLAY.get(type) ?? (DOTTED_OID.test(type) ? type : undefined);
    const name = oid === undefined ? type : (NAME_BY_OID.get(oid) ?? `OID.${oid}`);
    attributes.push(`${name}=${windowsValue(value)}`);
    const separator = display[at];
    at += 1;
    if (separator === ",") {
      rdns.push(attributes.join(" + "));
      attributes = [];
      if (display[at] === " ") at += 1;
    }
  }
  if (attributes.length > 0) rdns.push(attributes.join(" + "));
  return rdns.join(", ");
}
