// A18 (readable is not valid): a certificate OpenSSL and Node's X509Certificate both read is
// readable, with what is wrong with its encoding in `encodingFaults`. Each fault is built from a
// committed self-signed fixture (re-signed where the fault is inside the TBSCertificate, so that
// the certificate is realistic and its signature verifies) and compared with both oracles:
// readable exactly where both accept, the thumbprint OpenSSL prints, Node's validFrom/validTo,
// Node's subject CN, and Node's own signature check. The documented exceptions:
// - a time both "accept" but cannot read (they print "Bad time value") stays unreadable
//   ("bad-validity"): a certificate without a validity period cannot get a verdict;
// - BER in the unsigned envelope (the outer SEQUENCE header, the outer AlgorithmIdentifier, the
//   signature BIT STRING header): OpenSSL hashes (and verifies) its DER re-encoding of those
//   bytes, so its fingerprint is the original certificate's, and its signature check passes.
//   Here the thumbprint is the SHA-1 of the bytes as stored (what Windows hashes, and what A18
//   says), and such a "twin" never verifies (A6, A11);
// - PEM with bytes after the certificate that are not OpenSSL "aux" data: OpenSSL reads it,
//   Node does not; it is readable here ("trailing-data"), as A18 allows.
import { execFileSync } from "node:child_process";
import { createHash, createPrivateKey, sign, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidCertificateError } from "../../src/errors.js";
import type { StoreEntry } from "../../src/index.js";
import {
  type EncodingFault,
  type ParsedCertificate,
  parseCertificate,
} from "../../src/x509/certificate.js";
import { SignatureVerifier } from "../../src/x509/signature.js";
import { outbound } from "../hostile/support.js";
import { fixture, staticDirectory } from "../support/fixtures.js";
import { toPem } from "../support/forge.js";

// --- A small TLV tree, to build encodings no certificate generator makes -----------------------

interface Node {
  tag: number;
  children?: Node[];
  content?: Uint8Array;
  /** How to encode the length: DER (default), long form, with a leading zero octet, indefinite. */
  length?: "long" | "zero" | "indefinite";
  /** Encoded bytes to use as they are. */
  raw?: Uint8Array;
}

/** Decodes DER (the fixtures are DER). */
function decode(bytes: Uint8Array, offset = 0): [Node, number] {
  const tag = bytes[offset]!;
  let length = bytes[offset + 1]!;
  let at = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[at + i]!;
    at += count;
  }
  const end = at + length;
  if ((tag & 0x20) === 0) return [{ tag, content: bytes.slice(at, end) }, end];
  const children: Node[] = [];
  while (at < end) {
    const [child, next] = decode(bytes, at);
    children.push(child);
    at = next;
  }
  return [{ tag, children }, end];
}

function encode(node: Node): Uint8Array {
  if (node.raw !== undefined) return node.raw;
  const body = node.children
    ? Buffer.concat(node.children.map(encode))
    : Buffer.from(node.content ?? []);
  if (node.length === "indefinite") {
    return Buffer.concat([Buffer.from([node.tag, 0x80]), body, Buffer.from([0, 0])]);
  }
  const octets: number[] = [];
  for (let n = body.length; octets.length === 0 || n > 0; n = Math.floor(n / 256)) {
    octets.unshift(n & 0xff);
  }
  // "long": four length octets, never the minimal form below 2^24.
  while (node.length === "long" && octets.length < 4) octets.unshift(0);
  const length =
    node.length === "long"
      ? [0x80 | octets.length, ...octets]
      : node.length === "zero"
        ? [0x80 | (octets.length + 1), 0, ...octets]
        : body.length < 0x80
          ? [body.length]
          : [0x80 | octets.length, ...octets];
  return Buffer.concat([Buffer.from([node.tag, ...length]), body]);
}

const child = (node: Node, ...path: number[]): Node => path.reduce((n, i) => n.children![i]!, node);
const text = (value: string) => Buffer.from(value, "latin1");

/** TBSCertificate children of the v3 fixtures: 0 version, 1 serial, 2 signature, 3 issuer,
 * 4 validity, 5 subject, 6 subjectPublicKeyInfo, 7 extensions. */
const TBS = 0;
const tbs = (root: Node, ...path: number[]) => child(root, TBS, ...path);

/** The value node of the subject's CN. */
function subjectCn(root: Node): Node {
  for (const rdn of tbs(root, 5).children!) {
    for (const pair of rdn.children!) {
      if (Buffer.from(pair.children![0]!.content!).equals(Buffer.from([0x55, 0x04, 0x03]))) {
        return pair.children![1]!;
      }
    }
  }
  throw new Error("no CN");
}

/** The Extension nodes. */
const extensions = (root: Node) => tbs(root, 7, 0).children!;
const SAN_OID = Buffer.from([0x55, 0x1d, 0x11]);
const isSan = (extension: Node) => Buffer.from(extension.children![0]!.content!).equals(SAN_OID);

type Source = "self-signed" | "self-signed-newest";
const HASH: Record<Source, string> = { "self-signed": "sha256", "self-signed-newest": "sha256" };

/** A fixture's tree, changed by `edit`, re-signed with its own key when `resign`. */
function build(source: Source, edit: (root: Node) => void, resign: boolean): Uint8Array {
  const [root] = decode(fixture(source).der);
  edit(root);
  if (resign) {
    const signed = encode(root.children![0]!);
    const signature = sign(HASH[source], signed, createPrivateKey(fixture(source).keyPem));
    root.children![2] = { tag: 0x03, content: Buffer.concat([Buffer.from([0]), signature]) };
  }
  return encode(root);
}

// --- The oracles ---------------------------------------------------------------------------------

const scratch = mkdtempSync(join(tmpdir(), "readable-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface OracleView {
  readonly accepted: boolean;
  readonly fingerprint?: string;
}

function openssl(input: Uint8Array | string): OracleView {
  const file = join(scratch, "input");
  writeFileSync(file, input);
  const args = ["x509", "-in", file, "-noout", "-fingerprint", "-sha1"];
  if (typeof input !== "string") args.push("-inform", "DER");
  try {
    const out = execFileSync("openssl", args, { encoding: "utf8", stdio: "pipe" });
    return { accepted: true, fingerprint: out.trim().split("=")[1]!.replace(/:/g, "") };
  } catch {
    return { accepted: false };
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Node prints "Jan  1 00:00:00.5 2030 GMT" (fractional seconds kept), or "Bad time value". */
function nodeTime(value: string): number | null {
  const m = /^(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? (\d+) GMT$/.exec(value);
  if (m === null) return null;
  const [, month, day, hour, minute, second, fraction, year] = m;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: that reads the years 0 to 99 as 1900 to 1999.
  date.setUTCFullYear(Number(year), MONTHS.indexOf(month!), Number(day));
  date.setUTCHours(
    Number(hour),
    Number(minute),
    Number(second),
    Number((fraction ?? "").slice(0, 3).padEnd(3, "0")),
  );
  return date.getTime();
}

interface NodeView extends OracleView {
  readonly validFrom?: number | null;
  readonly validTo?: number | null;
  readonly cn?: string | undefined;
  readonly verifies?: boolean;
}

function node(input: Uint8Array | string): NodeView {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(typeof input === "string" ? input : Buffer.from(input));
  } catch {
    return { accepted: false };
  }
  return {
    accepted: true,
    fingerprint: x509.fingerprint.replace(/:/g, ""),
    validFrom: nodeTime(x509.validFrom),
    validTo: nodeTime(x509.validTo),
    cn: /^CN=(.*)$/m.exec(x509.subject)?.[1],
    verifies: x509.verify(x509.publicKey),
  };
}

type Ours = { ok: true; parsed: ParsedCertificate } | { ok: false; reason: string };

function ours(input: Uint8Array | string): Ours {
  try {
    return { ok: true, parsed: parseCertificate(input) };
  } catch (error) {
    if (error instanceof InvalidCertificateError) return { ok: false, reason: error.reason };
    throw error;
  }
}

const sha1 = (bytes: Uint8Array) => createHash("sha1").update(bytes).digest("hex").toUpperCase();

// --- The cases -------------------------------------------------------------------------------

interface Case {
  readonly name: string;
  readonly input: Uint8Array | string;
  /** The faults when readable, or the reason when not. */
  readonly expected: readonly EncodingFault[] | { readonly reason: string };
  /** The unsigned envelope is not DER: OpenSSL hashes its own re-encoding of it (above). */
  readonly envelope?: boolean;
  /** OpenSSL's signature check passes (it checks its re-encoding); ours fails by design. */
  readonly opensslVerifies?: boolean;
  /** Node refuses, OpenSSL reads: readable here (above). */
  readonly opensslOnly?: boolean;
  /** Both oracles accept the certificate but cannot read this time (above). */
  readonly badTime?: boolean;
}

const RSA: Source = "self-signed";
const EC: Source = "self-signed-newest";

function inTbs(
  name: string,
  edit: (root: Node) => void,
  expected: Case["expected"],
  source: Source = RSA,
  extra: Partial<Case> = {},
): Case {
  return { name, input: build(source, edit, true), expected, ...extra };
}

function outside(
  name: string,
  edit: (root: Node) => void,
  expected: Case["expected"],
  source: Source = RSA,
  extra: Partial<Case> = {},
): Case {
  return { name, input: build(source, edit, false), expected, ...extra };
}

const setCn = (tag: number, value: string) => (root: Node) => {
  const cn = subjectCn(root);
  cn.tag = tag;
  cn.content = text(value);
};
const setTime = (which: 0 | 1, tag: number, value: string) => (root: Node) => {
  const time = tbs(root, 4, which);
  time.tag = tag;
  time.content = text(value);
};

/** The ECDSA-Sig-Value's INTEGER `i` re-encoded: padded if it was minimal, negative if padded. */
function reencodeEcdsaInteger(i: 0 | 1) {
  return (root: Node) => {
    const bits = child(root, 2);
    const [value] = decode(bits.content!.subarray(1));
    const integer = value.children![i]!;
    const content = integer.content!;
    integer.content =
      content[0] === 0 ? content.subarray(1) : Buffer.concat([Buffer.from([0]), content]);
    bits.content = Buffer.concat([Buffer.from([0]), encode(value)]);
  };
}

function editEcdsaValue(edit: (value: Node) => Uint8Array) {
  return (root: Node) => {
    const bits = child(root, 2);
    const [value] = decode(bits.content!.subarray(1));
    bits.content = Buffer.concat([Buffer.from([0]), edit(value)]);
  };
}

const CASES: Case[] = [
  // string-alphabet: characters real CA names put in PrintableStrings.
  ...["*", "&", "@", "_"].map((c) =>
    inTbs(`a PrintableString CN holding '${c}'`, setCn(0x13, `${c}.contoso.com`), [
      "string-alphabet",
    ]),
  ),
  inTbs("a NumericString CN holding letters", setCn(0x12, "12ab"), ["string-alphabet"]),
  inTbs("an IA5String CN holding a non-ASCII byte", setCn(0x16, "mail\xe9.contoso.com"), [
    "string-alphabet",
  ]),
  inTbs(
    "a SAN dNSName holding a non-ASCII byte",
    (root) => {
      const san = extensions(root).find(isSan)!;
      const value = child(san, san.children!.length - 1);
      const [names] = decode(value.content!);
      names.children![0]!.content = text("mail\xe9.contoso.com");
      value.content = encode(names);
    },
    ["string-alphabet"],
  ),
  // ber-encoding: lengths, inside the signed TBSCertificate.
  inTbs("a long-form length for a small serial number", (r) => (tbs(r, 1).length = "long"), [
    "ber-encoding",
  ]),
  inTbs("a length with a leading zero octet (issuer)", (r) => (tbs(r, 3).length = "zero"), [
    "ber-encoding",
  ]),
  inTbs("an indefinite length (issuer)", (r) => (tbs(r, 3).length = "indefinite"), [
    "ber-encoding",
  ]),
  inTbs("an indefinite length (the TBSCertificate)", (r) => (tbs(r).length = "indefinite"), [
    "ber-encoding",
  ]),
  // The signed copy of the algorithm in BER, the outer one in DER: the same value, no mismatch
  // (OpenSSL compares values too), and the signature verifies.
  inTbs("a BER length in the signed AlgorithmIdentifier", (r) => (tbs(r, 2, 0).length = "zero"), [
    "ber-encoding",
  ]),
  inTbs(
    "nested indefinite lengths (extensions)",
    (r) => {
      tbs(r, 7).length = "indefinite";
      tbs(r, 7, 0).length = "indefinite";
    },
    ["ber-encoding"],
  ),
  inTbs(
    "a BER length inside the SAN extension's value",
    (root) => {
      const san = extensions(root).find(isSan)!;
      const value = child(san, san.children!.length - 1);
      const [names] = decode(value.content!);
      names.length = "long";
      value.content = encode(names);
    },
    ["ber-encoding"],
  ),
  inTbs(
    "a constructed PrintableString CN",
    (root) => {
      const cn = subjectCn(root);
      cn.tag = 0x33;
      delete cn.content;
      cn.children = [
        { tag: 0x13, content: text("mail.") },
        { tag: 0x13, content: text("contoso.com") },
      ];
    },
    ["ber-encoding"],
  ),
  inTbs(
    "critical TRUE encoded as 01",
    (root) => {
      const critical = extensions(root).find((e) => e.children!.length === 3)!;
      critical.children![1]!.content = Buffer.from([0x01]);
    },
    ["ber-encoding"],
  ),
  inTbs(
    "critical FALSE encoded (a DEFAULT value)",
    (root) => {
      const plain = extensions(root).find((e) => e.children!.length === 2)!;
      plain.children!.splice(1, 0, { tag: 0x01, content: Buffer.from([0]) });
    },
    ["ber-encoding"],
  ),
  // time-format: the forms OpenSSL reads that RFC 5280 forbids.
  inTbs("a UTCTime without seconds", setTime(0, 0x17, "2501010000Z"), ["time-format"]),
  inTbs("a UTCTime with an offset", setTime(0, 0x17, "250101000000+0130"), ["time-format"]),
  inTbs("a UTCTime without seconds, negative offset", setTime(0, 0x17, "2501010000-0130"), [
    "time-format",
  ]),
  inTbs("a GeneralizedTime with fractional seconds", setTime(1, 0x18, "20500101000000.5Z"), [
    "time-format",
  ]),
  inTbs("a GeneralizedTime with 3 fraction digits", setTime(1, 0x18, "20500101000000.123Z"), [
    "time-format",
  ]),
  inTbs("a GeneralizedTime without seconds", setTime(1, 0x18, "205001010000Z"), ["time-format"]),
  inTbs("a GeneralizedTime with an offset", setTime(1, 0x18, "20500101000000+0100"), [
    "time-format",
  ]),
  inTbs("a GeneralizedTime for a year before 2050", setTime(1, 0x18, "20300101000000Z"), [
    "time-format",
  ]),
  inTbs("a GeneralizedTime from 2050 (the RFC 5280 form)", setTime(1, 0x18, "20500101000000Z"), []),
  // Not an encoding fault: a version X.509 does not define (read as version 8).
  inTbs("a version field of 7", (r) => (tbs(r, 0, 0).content = Buffer.from([7])), []),
  // duplicate-extension
  inTbs(
    "the SAN extension twice",
    (root) => {
      const list = extensions(root);
      const san = list.find(isSan)!;
      const copy = structuredClone(san);
      const value = child(copy, copy.children!.length - 1);
      const [names] = decode(value.content!);
      names.children![0]!.content = text("other.fabrikam.com");
      value.content = encode(names);
      list.push(copy);
    },
    ["duplicate-extension"],
  ),
  // Several at once, in the union's order.
  inTbs(
    "BER, a '*' and a time without seconds at once",
    (root) => {
      setCn(0x13, "*.contoso.com")(root);
      setTime(0, 0x17, "2501010000Z")(root);
      tbs(root, 1).length = "long";
    },
    ["ber-encoding", "string-alphabet", "time-format"],
  ),
  // ECDSA certificates too.
  inTbs(
    "EC: a PrintableString CN holding '_'",
    setCn(0x13, "_.contoso.com"),
    ["string-alphabet"],
    EC,
  ),
  inTbs(
    "EC: an indefinite-length issuer",
    (r) => (tbs(r, 3).length = "indefinite"),
    ["ber-encoding"],
    EC,
  ),

  // The unsigned envelope: signature-algorithm-mismatch, signature-encoding.
  outside(
    "an outer algorithm other than the signed one (SHA-384)",
    (root) => {
      const oid = child(root, 1, 0).content!;
      oid[oid.length - 1] = 0x0c;
    },
    ["signature-algorithm-mismatch"],
  ),
  outside(
    "an outer algorithm without its NULL parameters",
    (root) => void child(root, 1).children!.pop(),
    ["signature-algorithm-mismatch"],
  ),
  // OpenSSL zeroes the unused bits when it reads the BIT STRING, so it hashes other bytes, and
  // refuses the signature.
  outside(
    "unused bits in the signature BIT STRING",
    (r) => (child(r, 2).content![0] = 3),
    ["signature-encoding"],
    RSA,
    { envelope: true },
  ),
  outside("a long-form outer length", (r) => (r.length = "zero"), ["signature-encoding"], RSA, {
    envelope: true,
    opensslVerifies: true,
  }),
  outside(
    "an indefinite outer length",
    (r) => (r.length = "indefinite"),
    ["signature-encoding"],
    RSA,
    { envelope: true, opensslVerifies: true },
  ),
  outside(
    "a BER outer AlgorithmIdentifier header",
    (r) => (child(r, 1).length = "long"),
    ["signature-encoding"],
    RSA,
    { envelope: true, opensslVerifies: true },
  ),
  outside(
    "a BER signature BIT STRING header",
    (r) => (child(r, 2).length = "zero"),
    ["signature-encoding"],
    RSA,
    { envelope: true, opensslVerifies: true },
  ),
  outside("EC: r re-encoded", reencodeEcdsaInteger(0), ["signature-encoding"], EC),
  outside("EC: s re-encoded", reencodeEcdsaInteger(1), ["signature-encoding"], EC),
  outside(
    "EC: a BER ECDSA-Sig-Value header",
    editEcdsaValue((value) => encode({ ...value, length: "long" })),
    ["signature-encoding"],
    EC,
  ),
  outside(
    "EC: a byte after the ECDSA-Sig-Value",
    editEcdsaValue((value) => Buffer.concat([encode(value), Buffer.from([0])])),
    ["signature-encoding"],
    EC,
  ),
  // trailing-data
  {
    name: "a zero byte after the certificate",
    input: Buffer.concat([fixture(RSA).der, Buffer.from([0])]),
    expected: ["trailing-data"],
  },
  {
    name: "a second certificate after the certificate",
    input: Buffer.concat([fixture(EC).der, fixture(RSA).der]),
    expected: ["trailing-data"],
  },
  {
    name: "a BER certificate with bytes after it",
    input: Buffer.concat([build(RSA, (r) => (tbs(r, 1).length = "long"), true), Buffer.from([5])]),
    expected: ["ber-encoding", "trailing-data"],
  },

  // Unreadable: what at least one oracle refuses, or cannot give a date for.
  inTbs(
    "a padded serial number",
    (root) => {
      const serial = tbs(root, 1);
      serial.content = Buffer.concat([Buffer.from([0]), serial.content!]);
    },
    { reason: "der-malformed" },
  ),
  inTbs("a UTF8String CN that is not UTF-8", setCn(0x0c, "mail\xff.contoso.com"), {
    reason: "bad-name",
  }),
  inTbs("a BMPString CN of odd length", setCn(0x1e, "\0m\0a\0"), { reason: "der-malformed" }),
  outside(
    "a NULL with a long-form length in the outer AlgorithmIdentifier",
    (r) => (child(r, 1, 1).length = "long"),
    { reason: "der-malformed" },
  ),
  inTbs(
    "a NULL with a leading zero length octet in the key's AlgorithmIdentifier",
    (r) => (tbs(r, 6, 0, 1).length = "zero"),
    { reason: "der-malformed" },
  ),
  inTbs(
    "a UTCTime without a zone",
    setTime(0, 0x17, "250101000000"),
    { reason: "bad-validity" },
    RSA,
    {
      badTime: true,
    },
  ),
  inTbs(
    "a UTCTime at second 60",
    setTime(0, 0x17, "250101000060Z"),
    { reason: "bad-validity" },
    RSA,
    {
      badTime: true,
    },
  ),
  inTbs(
    "a UTCTime offset of 13 hours",
    setTime(0, 0x17, "250101000000+1300"),
    { reason: "bad-validity" },
    RSA,
    { badTime: true },
  ),
  inTbs(
    "a GeneralizedTime fraction without seconds",
    setTime(1, 0x18, "205001010000.5Z"),
    { reason: "bad-validity" },
    RSA,
    { badTime: true },
  ),
  inTbs("31 April", setTime(1, 0x17, "250431000000Z"), { reason: "bad-validity" }, RSA, {
    badTime: true,
  }),
];

// --- PEM ----------------------------------------------------------------------------------------

function pem(label: string, body: Uint8Array): string {
  const base64 = Buffer.from(body).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

/** OpenSSL's own TRUSTED CERTIFICATE (with trust settings and an alias: its "aux" data). */
function trustedCertificate(): string {
  const file = join(scratch, "plain.pem");
  writeFileSync(file, fixture(EC).pem);
  return execFileSync(
    "openssl",
    ["x509", "-in", file, "-addtrust", "serverAuth", "-setalias", "Contoso mail", "-trustout"],
    { encoding: "utf8" },
  );
}

const AUX = Buffer.from("300c300a06082b06010505070301", "hex"); // trust: serverAuth

const PEM_CASES: Case[] = [
  { name: "PEM: CERTIFICATE", input: pem("CERTIFICATE", fixture(EC).der), expected: [] },
  { name: "PEM: X509 CERTIFICATE", input: pem("X509 CERTIFICATE", fixture(EC).der), expected: [] },
  {
    name: "PEM: TRUSTED CERTIFICATE (openssl -trustout)",
    input: trustedCertificate(),
    expected: [],
  },
  {
    name: "PEM: TRUSTED CERTIFICATE with junk aux",
    input: pem("TRUSTED CERTIFICATE", Buffer.concat([fixture(EC).der, Buffer.from([1, 2, 3])])),
    expected: [],
    opensslOnly: true,
  },
  {
    name: "PEM: CERTIFICATE with aux data after the certificate",
    input: pem("CERTIFICATE", Buffer.concat([fixture(EC).der, AUX])),
    expected: ["trailing-data"],
  },
  {
    name: "PEM: CERTIFICATE with a zero byte after the certificate",
    input: pem("CERTIFICATE", Buffer.concat([fixture(EC).der, Buffer.from([0])])),
    expected: ["trailing-data"],
    opensslOnly: true,
  },
  {
    name: "PEM: an END line for another label",
    input: pem("CERTIFICATE", fixture(EC).der).replace("END CERTIFICATE", "END X509 CERTIFICATE"),
    expected: { reason: "pem-no-certificate" },
  },
  {
    name: "PEM: a lower-case label",
    input: pem("certificate", fixture(EC).der),
    expected: { reason: "pem-no-certificate" },
  },
];

/** The DER a case's certificate has, as stored (PEM decoded; bytes after it excluded). */
function ownBytes(parsed: ParsedCertificate): Uint8Array {
  return parsed.der;
}

describe("A18: each fault against OpenSSL and Node", () => {
  it.each([...CASES, ...PEM_CASES].map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const result = ours(c.input);
    const o = openssl(c.input);
    const n = node(c.input);
    if ("reason" in c.expected) {
      expect(result).toEqual({ ok: false, reason: c.expected.reason });
      if (c.badTime) {
        // Both read the certificate, neither can read the time.
        expect([o.accepted, n.accepted]).toEqual([true, true]);
        expect(n.validFrom === null || n.validTo === null).toBe(true);
      } else {
        expect(o.accepted && n.accepted).toBe(false);
      }
      return;
    }
    if (!result.ok) throw new Error(`unreadable: ${result.reason}`);
    const { parsed } = result;
    expect(parsed.encodingFaults).toEqual(c.expected);
    expect(o.accepted).toBe(true);
    expect(n.accepted).toBe(!c.opensslOnly);

    // The thumbprint is the SHA-1 of the certificate's own TLV as stored, which is what OpenSSL
    // prints unless it re-encoded the unsigned envelope.
    expect(parsed.thumbprint).toBe(sha1(ownBytes(parsed)));
    if (c.envelope) expect(parsed.thumbprint).not.toBe(o.fingerprint);
    else expect(parsed.thumbprint).toBe(o.fingerprint);

    const verify = await new SignatureVerifier().verify(parsed, parsed.spki);
    const signatureFault =
      c.expected.includes("signature-encoding") ||
      c.expected.includes("signature-algorithm-mismatch");
    expect(verify.ok).toBe(!signatureFault);
    if (signatureFault) expect(verify).toMatchObject({ failure: "malformed-signature" });

    if (n.accepted) {
      if (!c.envelope) expect(n.fingerprint).toBe(o.fingerprint);
      expect(parsed.notBefore.getTime()).toBe(n.validFrom);
      expect(parsed.notAfter.getTime()).toBe(n.validTo);
      if (/^[\x20-\x7e]*$/.test(n.cn ?? "")) expect(parsed.commonNames).toEqual([n.cn]);
      // OpenSSL's own signature check agrees, except on the envelope (it checks its re-encoding).
      expect(n.verifies).toBe(c.opensslVerifies ?? !signatureFault);
    }

    // The lazy model builds, and agrees with the walk on what the path validator reads.
    const model = parsed.asn;
    expect(Buffer.from(model.tbsCertificate.serialNumber).toString("hex").toUpperCase()).toBe(
      parsed.serialNumber,
    );
    expect(model.tbsCertificate.validity.notBefore.getTime().getTime()).toBe(
      Math.floor(parsed.notBefore.getTime() / 1000) * 1000,
    );
    expect(model.tbsCertificate.subject.length).toBeGreaterThan(0);
    expect(model.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey.byteLength).toBeGreaterThan(
      0,
    );
    expect(parsed.signatureAlgorithm.algorithm).toMatch(/^1\.2\.840\./);
    expect(Buffer.from(parsed.spki)).toEqual(
      Buffer.from(parseCertificate(fixture(parsed.spki.length > 200 ? RSA : EC).der).spki),
    );
  });

  it("every committed fixture is free of faults", () => {
    for (const name of [
      "self-signed",
      "self-signed-newest",
      "leaf-rsa",
      "leaf-ec",
      "v1",
      "wildcard",
    ]) {
      expect(parseCertificate(fixture(name).der).encodingFaults).toEqual([]);
    }
  });
});

describe("A18: which values a fault's certificate has", () => {
  it("a version field X.509 does not define is read as the field + 1 (R10a: 3 or later)", () => {
    const parsed = parseCertificate(CASES.find((c) => c.name === "a version field of 7")!.input);
    expect(parsed.version).toBe(8);
  });

  it("times: an offset is applied, fractions kept to the millisecond", () => {
    const at = (which: 0 | 1, tag: number, value: string) => {
      const parsed = parseCertificate(build(RSA, setTime(which, tag, value), true));
      return (which === 0 ? parsed.notBefore : parsed.notAfter).toISOString();
    };
    expect(at(0, 0x17, "250101000000+0130")).toBe("2024-12-31T22:30:00.000Z");
    expect(at(0, 0x17, "2501010000-0130")).toBe("2025-01-01T01:30:00.000Z");
    expect(at(1, 0x18, "20500101000000.123456Z")).toBe("2050-01-01T00:00:00.123Z");
    expect(at(1, 0x18, "205001010000Z")).toBe("2050-01-01T00:00:00.000Z");
    expect(at(0, 0x17, "4912312359Z")).toBe("2049-12-31T23:59:00.000Z");
    expect(at(0, 0x17, "5001010000Z")).toBe("1950-01-01T00:00:00.000Z");
  });

  it("a duplicated extension: `extensions` and `dnsNames` read the first occurrence", () => {
    const parsed = parseCertificate(CASES.find((c) => c.name === "the SAN extension twice")!.input);
    expect(parsed.dnsNames).toEqual(parseCertificate(fixture(RSA).der).dnsNames);
    expect(parsed.dnsNames).not.toContain("other.fabrikam.com");
    const [first] = decode(parsed.extensions.get("2.5.29.17")!.value);
    expect(Buffer.from(first.children![0]!.content!).toString()).not.toBe("other.fabrikam.com");
    // The model keeps both, for the path validator to refuse.
    const sans = parsed.asn.tbsCertificate.extensions!.filter((e) => e.extnID === "2.5.29.17");
    expect(sans).toHaveLength(2);
  });

  it("a constructed string is read as its segments joined", () => {
    const parsed = parseCertificate(
      CASES.find((c) => c.name === "a constructed PrintableString CN")!.input,
    );
    expect(parsed.commonNames).toEqual(["mail.contoso.com"]);
  });

  it("trailing data: `der` is the certificate's own TLV", () => {
    const parsed = parseCertificate(Buffer.concat([fixture(EC).der, fixture(RSA).der]));
    expect(Buffer.from(parsed.der)).toEqual(Buffer.from(fixture(EC).der));
    expect(parsed.thumbprint).toBe(fixture(EC).thumbprint);
  });
});

// --- Twins: re-encoding the unsigned bytes never makes a certificate that verifies -------------

describe("A6/A11: twins made by re-encoding the unsigned bytes", () => {
  const twins = CASES.filter(
    (c) =>
      !("reason" in c.expected) &&
      (c.expected.includes("signature-encoding") ||
        c.expected.includes("signature-algorithm-mismatch")),
  );

  it("cover the envelope of both key types", () => {
    expect(twins.length).toBeGreaterThanOrEqual(11);
  });

  it.each(twins.map((c) => [c.name, c] as const))(
    "%s: a new thumbprint, never verifies",
    async (_n, c) => {
      const twin = parseCertificate(c.input);
      const source = twin.spki.length > 200 ? RSA : EC;
      const original = parseCertificate(fixture(source).der);
      expect(Buffer.from(twin.tbs)).toEqual(Buffer.from(original.tbs));
      expect(twin.thumbprint).not.toBe(original.thumbprint);
      const verifier = new SignatureVerifier();
      expect(await verifier.verify(original, original.spki)).toEqual({ ok: true });
      expect((await verifier.verify(twin, twin.spki)).ok).toBe(false);
    },
  );

  it("a re-encoded ECDSA value does not verify even when the parser's faults are not consulted", async () => {
    // The verifier's second line: a plain object with the twin's bytes and no faults.
    for (const name of ["EC: r re-encoded", "EC: s re-encoded"]) {
      const twin = parseCertificate(CASES.find((c) => c.name === name)!.input);
      const bare = {
        thumbprint: twin.thumbprint,
        tbs: twin.tbs,
        spki: twin.spki,
        signature: twin.signature,
        signatureAlgorithm: twin.signatureAlgorithm,
        encodingFaults: [],
      } as unknown as ParsedCertificate;
      expect(await new SignatureVerifier().verify(bare, bare.spki)).toMatchObject({
        ok: false,
        failure: "malformed-signature",
      });
    }
  });

  it("A11/A1: no twin is ever the best candidate nor the certificate used", async () => {
    const entries: StoreEntry[] = twins.map((c) => ({
      certificate: c.input as Uint8Array,
      hasPrivateKey: true,
      services: ["SMTP"],
      privateKey: fixture(parseCertificate(c.input).spki.length > 200 ? RSA : EC).keyPem,
    }));
    const original: StoreEntry = {
      certificate: fixture(RSA).der,
      hasPrivateKey: true,
      services: ["SMTP"],
      privateKey: fixture(RSA).keyPem,
    };
    // The original is older than self-signed-newest's twins, so without the faults a twin of
    // the newest would win the ranking.
    for (const store of [
      [original, ...entries],
      [...entries, original],
    ]) {
      const result = await outbound({
        directory: staticDirectory(fixture(RSA).thumbprint),
        store: { list: () => store },
        onThumbprintMismatch: "use-best-candidate",
      });
      expect(result).toMatchObject({
        outcome: "selected",
        thumbprint: fixture(RSA).thumbprint,
        bestCandidate: fixture(RSA).thumbprint,
      });
      for (const verdict of result.certificates) {
        if (verdict.status === "eligible" && verdict.thumbprint !== fixture(RSA).thumbprint) {
          expect(verdict.trust?.kind).not.toBe("self-signed");
        }
      }
    }
  });
});

// --- Hardening: lenient reading stays linear and never throws a foreign error -----------------

describe("A18 hardening", () => {
  it("100,000 nested indefinite lengths are refused in linear time", () => {
    const depth = 100_000;
    const nested = new Uint8Array(depth * 4 + 2);
    nested.fill(0x30, 0, depth * 2);
    for (let i = 1; i < depth * 2; i += 2) nested[i] = 0x80;
    nested.set([0x05, 0x00], depth * 2); // innermost NULL, then depth end-of-contents
    const started = performance.now();
    expect(ours(nested)).toEqual({ ok: false, reason: "der-malformed" });
    // Unterminated: every level open, no end-of-contents at all.
    expect(ours(nested.subarray(0, depth * 2 + 2))).toEqual({ ok: false, reason: "der-malformed" });
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it("algorithm parameters nested 100,000 deep in indefinite lengths are walked in linear time", () => {
    // The walk descends level by level (checkAny); without the reader remembering where each
    // indefinite TLV ends, every level would rescan everything below it.
    const depth = 100_000;
    const params = new Uint8Array(depth * 4 + 2);
    for (let i = 0; i < depth * 2; i += 2) params.set([0x30, 0x80], i);
    params.set([0x05, 0x00], depth * 2);
    const der = build(
      RSA,
      (root) => {
        const algorithm = tbs(root, 2);
        algorithm.children = [algorithm.children![0]!, { tag: 0, raw: params }];
      },
      false,
    );
    const started = performance.now();
    const result = ours(der);
    expect(result.ok && result.parsed.encodingFaults).toEqual([
      "ber-encoding",
      "signature-algorithm-mismatch",
    ]);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it("100 KB of BEGIN lines of every certificate label is refused in linear time", () => {
    for (const label of ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]) {
      const text = `-----BEGIN ${label}-----\n`.repeat(100_000 / (label.length + 17));
      const started = performance.now();
      expect(ours(text)).toEqual({ ok: false, reason: "pem-no-certificate" });
      expect(ours(`${text}-----END ${label}-----`)).toEqual({
        ok: false,
        reason: "pem-bad-base64",
      });
      expect(performance.now() - started).toBeLessThan(3_000);
    }
  });

  it("two blocks of different labels are still more than one certificate", () => {
    const text = pem("X509 CERTIFICATE", fixture(EC).der) + pem("CERTIFICATE", fixture(RSA).der);
    expect(ours(text)).toEqual({ ok: false, reason: "pem-multiple-certificates" });
    expect(ours(toPem(fixture(EC).der))).toMatchObject({ ok: true });
  });
});

// --- Properties: any BER header, any time, against the oracles ---------------------------------

/** Every node of the tree in depth-first order, with where it is. */
function flatten(root: Node): { node: Node; signed: boolean }[] {
  const out: { node: Node; signed: boolean }[] = [{ node: root, signed: false }];
  const pending: { node: Node; signed: boolean }[] = root.children!.map((n, i) => ({
    node: n,
    signed: i === 0,
  }));
  for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
    out.push(next);
    for (const c of next.node.children ?? []) pending.push({ node: c, signed: next.signed });
  }
  return out;
}

describe("A18 properties (fast-check, against OpenSSL and Node)", () => {
  const SOURCES = [RSA, EC, "leaf-rsa", "leaf-ec", "v1", "wildcard"] as const;
  const FORMS = ["long", "zero", "indefinite"] as const;

  it("a BER length on any TLV: readable exactly where both oracles read it, the same certificate", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SOURCES),
        fc.array(fc.record({ pick: fc.nat(), form: fc.constantFrom(...FORMS) }), {
          minLength: 1,
          maxLength: 3,
        }),
        (source, edits) => {
          const [root] = decode(fixture(source).der);
          const nodes = flatten(root);
          const faults = new Set<EncodingFault>();
          for (const { pick, form } of edits) {
            const { node: target, signed } = nodes[pick % nodes.length]!;
            // The indefinite form exists only for constructed values.
            target.length = form === "indefinite" && (target.tag & 0x20) === 0 ? "long" : form;
            faults.add(signed ? "ber-encoding" : "signature-encoding");
          }
          const der = encode(root);
          const result = ours(der);
          const both = openssl(der).accepted && node(der).accepted;
          expect(result.ok).toBe(both);
          if (!result.ok) {
            // What the oracles refuse here: a NULL whose length is not DER.
            expect(result.reason).toBe("der-malformed");
            return;
          }
          const { parsed } = result;
          expect(parsed.encodingFaults).toEqual(
            ["ber-encoding", "signature-encoding"].filter((f) => faults.has(f as EncodingFault)),
          );
          expect(parsed.thumbprint).toBe(sha1(der));
          const original = parseCertificate(fixture(source).der);
          for (const field of [
            "serialNumber",
            "subject",
            "issuer",
            "subjectKey",
            "commonNames",
            "dnsNames",
            "notBefore",
            "notAfter",
          ] as const) {
            expect(parsed[field]).toEqual(original[field]);
          }
          expect([...parsed.extensions.keys()]).toEqual([...original.extensions.keys()]);
          expect(parsed.asn.tbsCertificate.subject).toEqual(original.asn.tbsCertificate.subject);
        },
      ),
      { numRuns: 150, seed: 18 },
    );
  }, 120_000);

  it("any string in the subject CN: readable exactly where both oracles read it", () => {
    const TAGS = [0x0c, 0x12, 0x13, 0x14, 0x16, 0x1a, 0x1c, 0x1e] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...TAGS),
        fc.oneof(
          fc.uint8Array({ maxLength: 12 }),
          fc.string({ maxLength: 12 }).map((t) => new Uint8Array(Buffer.from(t, "latin1"))),
          fc
            .array(fc.integer({ min: 0, max: 0x11ffff }), { maxLength: 3 })
            .map((codes) =>
              Uint8Array.from(
                codes.flatMap((c) => [c >>> 24, (c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff]),
              ),
            ),
        ),
        fc.boolean(),
        (tag, content, constructed) => {
          const der = build(
            RSA,
            (root) => {
              const cn = subjectCn(root);
              cn.tag = constructed ? tag | 0x20 : tag;
              if (constructed) {
                delete cn.content;
                cn.children = [{ tag, content }];
              } else cn.content = content;
            },
            false,
          );
          const result = ours(der);
          expect(result.ok).toBe(openssl(der).accepted && node(der).accepted);
        },
      ),
      { numRuns: 150, seed: 18 },
    );
  }, 120_000);

  /** Times OpenSSL reads, and some it does not. */
  const timeText = fc
    .record({
      utc: fc.boolean(),
      year: fc.integer({ min: 0, max: 9999 }),
      month: fc.integer({ min: 0, max: 13 }),
      day: fc.integer({ min: 0, max: 32 }),
      hour: fc.integer({ min: 0, max: 24 }),
      minute: fc.integer({ min: 0, max: 60 }),
      second: fc.option(fc.integer({ min: 0, max: 60 })),
      fraction: fc.option(fc.stringMatching(/^[0-9]{1,5}$/)),
      zone: fc.oneof(
        fc.constant("Z"),
        fc.constant(""),
        fc
          .record({
            sign: fc.constantFrom("+", "-"),
            h: fc.integer({ min: 0, max: 14 }),
            m: fc.integer({ min: 0, max: 60 }),
          })
          .map(({ sign, h, m }) => `${sign}${pad(h)}${pad(m)}`),
      ),
    })
    .map((t) => {
      const year = t.utc ? pad(t.year % 100) : String(t.year).padStart(4, "0");
      const seconds = t.second === null ? "" : pad(t.second);
      const fraction = t.fraction === null || t.utc ? "" : `.${t.fraction}`;
      return {
        tag: t.utc ? 0x17 : 0x18,
        value: `${year}${pad(t.month)}${pad(t.day)}${pad(t.hour)}${pad(t.minute)}${seconds}${fraction}${t.zone}`,
      };
    });

  it("any validity time: read exactly where Node reads it, to the same millisecond", () => {
    fc.assert(
      fc.property(fc.constantFrom(0 as const, 1 as const), timeText, (which, time) => {
        const der = build(RSA, setTime(which, time.tag, time.value), false);
        const n = node(der);
        const result = ours(der);
        expect(n.accepted).toBe(true);
        const nodeTimeValue = which === 0 ? n.validFrom : n.validTo;
        if (nodeTimeValue === null || nodeTimeValue === undefined) {
          expect(result).toEqual({ ok: false, reason: "bad-validity" });
          return;
        }
        if (!result.ok) throw new Error(`${time.value}: ${result.reason}`);
        const ourTime = which === 0 ? result.parsed.notBefore : result.parsed.notAfter;
        expect(ourTime.getTime()).toBe(nodeTimeValue);
      }),
      { numRuns: 1000, seed: 18 },
    );
  });
});

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
