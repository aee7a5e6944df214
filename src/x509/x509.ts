// The one door to @peculiar/x509 and its ASN.1 schemas. reflect-metadata must be loaded before
// either (their decorators read Reflect metadata at class-definition time), so it is imported
// first, here, and every other module imports X.509 machinery from this file only.
import "reflect-metadata";

import type { webcrypto } from "node:crypto";
import { createRequire } from "node:module";
import type { IAsnParseOptions } from "@peculiar/asn1-schema";

export { AsnConvert, AsnParser } from "@peculiar/asn1-schema";
export * as asn1x509 from "@peculiar/asn1-x509";
export type { X509Certificate } from "@peculiar/x509";

/** The WebCrypto interface (Node's typings; the DOM lib is not loaded). */
export type WebCrypto = webcrypto.Crypto;

/**
 * The WebCrypto implementation used for signature checks. Node's own `globalThis.crypto` is
 * native and fast; the @peculiar/webcrypto polyfill is the fallback for runtimes without it, and
 * is loaded only then: importing it costs about a third of a second, which every command and
 * every process start would otherwise pay (issue 14). We never set @peculiar/x509's global
 * `cryptoProvider` (no global mutable state): callers of its APIs pass this explicitly.
 */
export const defaultCrypto: WebCrypto =
  typeof globalThis.crypto?.subtle?.verify === "function"
    ? (globalThis.crypto as WebCrypto)
    : polyfillCrypto();

function polyfillCrypto(): WebCrypto {
  const { Crypto } = createRequire(import.meta.url)(
    "@peculiar/webcrypto",
  ) as typeof import("@peculiar/webcrypto");
  return new Crypto() as unknown as WebCrypto;
}

/**
 * Decoder limits for a certificate the parser's walk already read (A18: readable). asn1js stops at
 * 100 levels and 10,000 nodes by default, below what a readable certificate may hold (10,000 SAN
 * names; a subject attribute nested 98 deep): a node takes at least two bytes, so the input's
 * length bounds the node count, and 256 levels bound asn1js's recursion.
 */
export function asnParseOptions(bytes: Uint8Array): IAsnParseOptions {
  return { berOptions: { maxDepth: 256, maxNodes: Math.max(10_000, bytes.length) } };
}

/**
 * @peculiar/x509, loaded on first use: only validateCertificatePath's results need it, and its
 * module graph (CMS, PKCS#12, …) is a large share of every process start. A dynamic import, not
 * a require: the same module instance (and class) a caller gets from `import "@peculiar/x509"`.
 */
export function loadX509(): Promise<typeof import("@peculiar/x509")> {
  x509Module ??= import("@peculiar/x509");
  return x509Module;
}
let x509Module: Promise<typeof import("@peculiar/x509")> | undefined;
