// A CRL forge for revocation tests (A21): builds DER certificate revocation lists by hand
// (RFC 5280 §5), signed with the committed key pool (test/fixtures/keys; never generated keys),
// including shapes a CA tool refuses to make (unknown critical extensions, a wrong signer, a
// bad signature, no nextUpdate, a million entries).
import "reflect-metadata";

import { createPrivateKey, type KeyObject, sign } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as x from "@peculiar/asn1-x509";

import { type KeyName, type NameSpec, poolKey } from "../support/forge.js";

const ATTRIBUTE_OIDS: Readonly<Record<string, string>> = {
  CN: "2.5.4.3",
  C: "2.5.4.6",
  O: "2.5.4.10",
  OU: "2.5.4.11",
};

/** DER TLV with a definite, minimal length. */
export function tlv(tag: number, ...parts: readonly Uint8Array[]): Uint8Array {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const header: number[] = [tag];
  if (length < 0x80) header.push(length);
  else {
    const octets: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
    header.push(0x80 | octets.length, ...octets);
  }
  const out = new Uint8Array(header.length + length);
  out.set(header, 0);
  let at = header.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export const seq = (...parts: readonly Uint8Array[]) => tlv(0x30, ...parts);

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(BigInt);
  const bytes: number[] = [];
  const encode = (value: bigint) => {
    const chunk: number[] = [Number(value & 0x7fn)];
    for (let v = value >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    bytes.push(...chunk);
  };
  encode(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) encode(arc);
  return tlv(0x06, Uint8Array.from(bytes));
}

/** INTEGER from hex content octets as written (so tests can write negative or long serials). */
export function integerHex(hex: string): Uint8Array {
  return tlv(0x02, Uint8Array.from(Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex")));
}

export function integer(value: number | bigint): Uint8Array {
  let hex = BigInt(value).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return integerHex(hex);
}

/** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 §5.1.2.4). */
export function time(date: Date): Uint8Array {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const year = date.getUTCFullYear();
  return year < 2050 && year >= 1950
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, "latin1"))
    : tlv(0x18, Buffer.from(`${iso}Z`, "latin1"));
}

export function name(spec: NameSpec): Uint8Array {
  const value = new x.Name(
    spec.map(([type, text]) => {
      const attributeValue = new x.AttributeValue(
        type === "C" ? { printableString: text } : { utf8String: text },
      );
      return new x.RelativeDistinguishedName([
        new x.AttributeTypeAndValue({ type: ATTRIBUTE_OIDS[type] ?? type, value: attributeValue }),
      ]);
    }),
  );
  return new Uint8Array(AsnConvert.serialize(value));
}

export interface ExtensionSpec {
  readonly oid: string;
  readonly critical?: boolean;
  /** The extnValue's content (the DER of the extension's own value). */
  readonly value: Uint8Array;
}

export function extension(spec: ExtensionSpec): Uint8Array {
  return seq(
    oid(spec.oid),
    ...(spec.critical ? [tlv(0x01, Uint8Array.of(0xff))] : []),
    tlv(0x04, spec.value),
  );
}

export interface EntrySpec {
  /** Upper- or lower-case hex of the serial number's content octets (as ParsedCertificate). */
  readonly serial: string;
  readonly date?: Date;
  /** RFC 5280 §5.3.1 reason code. */
  readonly reason?: number;
  /** certificateIssuer (indirect CRLs, RFC 5280 §5.3.3). */
  readonly certificateIssuer?: NameSpec;
  readonly extensions?: readonly ExtensionSpec[];
}

export interface CrlSpec {
  readonly issuer: NameSpec;
  /** The key that signs. */
  readonly signer: KeyName;
  readonly thisUpdate: Date;
  /** null: no nextUpdate. */
  readonly nextUpdate: Date | null;
  readonly entries?: readonly EntrySpec[];
  /** Prebuilt revokedCertificates content (a fast path for huge lists). */
  readonly rawEntries?: Uint8Array;
  readonly crlNumber?: number;
  /** Makes it a delta CRL (RFC 5280 §5.2.4). */
  readonly baseCrlNumber?: number;
  /** issuingDistributionPoint value (DER SEQUENCE). */
  readonly idp?: Uint8Array;
  readonly extensions?: readonly ExtensionSpec[];
  /** Flip a bit of the signature. */
  readonly corruptSignature?: boolean;
  /** Omit the version (v1) and every extension. */
  readonly v1?: boolean;
}

export const REASON = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  superseded: 4,
  certificateHold: 6,
  removeFromCRL: 8,
} as const;

function algorithm(key: KeyName): { der: Uint8Array; hash: string | null } {
  const pool = poolKey(key);
  if (pool.type === "ed25519") return { der: seq(oid("1.3.101.112")), hash: null };
  if (pool.type === "ec") return { der: seq(oid("1.2.840.10045.4.3.2")), hash: "sha256" };
  return { der: seq(oid("1.2.840.113549.1.1.11"), tlv(0x05)), hash: "sha256" };
}

export function entry(spec: EntrySpec, thisUpdate: Date): Uint8Array {
  const extensions: ExtensionSpec[] = [];
  if (spec.reason !== undefined) {
    extensions.push({ oid: "2.5.29.21", value: tlv(0x0a, Uint8Array.of(spec.reason)) });
  }
  if (spec.certificateIssuer !== undefined) {
    extensions.push({
      oid: "2.5.29.29",
      critical: true,
      value: seq(tlv(0xa4, name(spec.certificateIssuer))),
    });
  }
  extensions.push(...(spec.extensions ?? []));
  return seq(
    integerHex(spec.serial),
    time(spec.date ?? thisUpdate),
    ...(extensions.length === 0 ? [] : [seq(...extensions.map(extension))]),
  );
}

const privateKeys = new Map<KeyName, KeyObject>();

function privateKey(name: KeyName): KeyObject {
  let key = privateKeys.get(name);
  if (key === undefined) {
    key = createPrivateKey(poolKey(name).privateKeyPem);
    privateKeys.set(name, key);
  }
  return key;
}

/** Builds and signs a CRL; returns its DER. */
export function forgeCrl(spec: CrlSpec): Uint8Array {
  const { der: algorithmDer, hash } = algorithm(spec.signer);
  const extensions: ExtensionSpec[] = [];
  if (spec.crlNumber !== undefined)
    extensions.push({ oid: "2.5.29.20", value: integer(spec.crlNumber) });
  if (spec.baseCrlNumber !== undefined) {
    extensions.push({ oid: "2.5.29.27", critical: true, value: integer(spec.baseCrlNumber) });
  }
  if (spec.idp !== undefined)
    extensions.push({ oid: "2.5.29.28", critical: true, value: spec.idp });
  extensions.push(...(spec.extensions ?? []));
  const entries =
    spec.rawEntries ??
    (spec.entries === undefined || spec.entries.length === 0
      ? undefined
      : Uint8Array.from(Buffer.concat(spec.entries.map((e) => entry(e, spec.thisUpdate)))));
  const tbs = seq(
    ...(spec.v1 ? [] : [integer(1)]),
    algorithmDer,
    name(spec.issuer),
    time(spec.thisUpdate),
    ...(spec.nextUpdate === null ? [] : [time(spec.nextUpdate)]),
    ...(entries === undefined ? [] : [tlv(0x30, entries)]),
    ...(spec.v1 || extensions.length === 0 ? [] : [tlv(0xa0, seq(...extensions.map(extension)))]),
  );
  const key = privateKey(spec.signer);
  const signature = new Uint8Array(
    sign(hash, tbs, poolKey(spec.signer).type === "ec" ? { key, dsaEncoding: "der" } : key),
  );
  if (spec.corruptSignature) signature[signature.length - 1]! ^= 0x01;
  return seq(tbs, algorithmDer, tlv(0x03, Uint8Array.of(0), signature));
}

/** A distribution point name (fullName) as a GeneralNames of one URI. */
export function uriNames(uri: string): Uint8Array {
  return tlv(0x86, Buffer.from(uri, "latin1"));
}

/** issuingDistributionPoint value. */
export function idp(options: {
  readonly uri?: string;
  readonly onlyUser?: boolean;
  readonly onlyCA?: boolean;
  readonly indirect?: boolean;
}): Uint8Array {
  return seq(
    ...(options.uri === undefined ? [] : [tlv(0xa0, tlv(0xa0, uriNames(options.uri)))]),
    ...(options.onlyUser ? [tlv(0x81, Uint8Array.of(0xff))] : []),
    ...(options.onlyCA ? [tlv(0x82, Uint8Array.of(0xff))] : []),
    ...(options.indirect ? [tlv(0x84, Uint8Array.of(0xff))] : []),
  );
}

/** cRLDistributionPoints value with one point: a URI and/or a cRLIssuer directoryName. */
export function crlDistributionPoints(options: {
  readonly uri?: string;
  readonly crlIssuer?: NameSpec;
}): Uint8Array {
  return seq(
    seq(
      ...(options.uri === undefined ? [] : [tlv(0xa0, tlv(0xa0, uriNames(options.uri)))]),
      ...(options.crlIssuer === undefined ? [] : [tlv(0xa2, tlv(0xa4, name(options.crlIssuer)))]),
    ),
  );
}

export function toCrlPem(der: Uint8Array): string {
  const body = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .trimEnd();
  return `-----BEGIN X509 CRL-----\n${body}\n-----END X509 CRL-----\n`;
}
