// The one door to @peculiar/x509 and its ASN.1 schemas, and it opens on first use.
//
// Q: why lazily?
// A: loading reflect-metadata, @peculiar/asn1-schema, asn1-x509 and asn1-rsa (about a hundred
//    CommonJS files) is most of a cold process start: the command's `explain` took ~2.8× `node
//    -e 0`, and only ~1.2× without them (issue 14). The hot paths (the certificate walk, the
//    signature checks) no longer use them; only the decoders of a few extensions, names and CRLs
//    do, and those load them the first time they run. A module that imports `AsnConvert` or
//    `asn1x509` from here pays nothing until it calls them.
// Q: is the lazily loaded module the one an `import "@peculiar/asn1-x509"` gives?
// A: yes. These packages have no `exports` map and a CommonJS `main`; Node resolves both
//    `import` and `require` to that one file and one module instance, so the classes (and
//    their schema registrations) are shared with any direct import, e.g. by a test.
// Q: reflect-metadata?
// A: @peculiar/x509 (its tsyringe container) reads Reflect metadata when its classes are
//    defined, so the polyfill is loaded before any @peculiar module, here, by the one loader.
import type { webcrypto } from "node:crypto";
import { createRequire } from "node:module";
import type * as Asn1Rsa from "@peculiar/asn1-rsa";
import type * as Asn1Schema from "@peculiar/asn1-schema";
import type { IAsnParseOptions } from "@peculiar/asn1-schema";
import type * as Asn1X509 from "@peculiar/asn1-x509";

export type { X509Certificate } from "@peculiar/x509";

/** The WebCrypto interface (Node's typings; the DOM lib is not loaded). */
export type WebCrypto = webcrypto.Crypto;

const require = createRequire(import.meta.url);

function loadReflect(): void {
  require("reflect-metadata");
}

/** A module loaded by `load` on the first property read (the module is CommonJS: see above). */
function lazyModule<T extends object>(load: () => T): T {
  let loaded: T | undefined;
  const real = (): T => {
    if (loaded === undefined) {
      loadReflect();
      loaded = load();
    }
    return loaded;
  };
  // Only reads are forwarded: the modules' own exports are getters that a Proxy may not report
  // as its own properties (they are not configurable), and nobody enumerates them.
  return new Proxy({} as T, {
    get: (_target, property) => Reflect.get(real(), property),
    has: (_target, property) => Reflect.has(real(), property),
  });
}

/** @peculiar/asn1-x509, loaded on first use. */
export const asn1x509: typeof Asn1X509 = lazyModule(
  () => require("@peculiar/asn1-x509") as typeof Asn1X509,
);

/**
 * The types of asn1x509, for type positions (`name: asn1x509.Name`): a const is no namespace,
 * so the ones this code base names are listed here. Add a line when you need another.
 */
export declare namespace asn1x509 {
  type AlgorithmIdentifier = Asn1X509.AlgorithmIdentifier;
  type AttributeTypeAndValue = Asn1X509.AttributeTypeAndValue;
  type AttributeValue = Asn1X509.AttributeValue;
  type AuthorityInfoAccessSyntax = Asn1X509.AuthorityInfoAccessSyntax;
  type AuthorityKeyIdentifier = Asn1X509.AuthorityKeyIdentifier;
  type BasicConstraints = Asn1X509.BasicConstraints;
  type Certificate = Asn1X509.Certificate;
  type CertificateList = Asn1X509.CertificateList;
  type ExtendedKeyUsage = Asn1X509.ExtendedKeyUsage;
  type Extension = Asn1X509.Extension;
  type Extensions = Asn1X509.Extensions;
  type GeneralName = Asn1X509.GeneralName;
  type GeneralNames = Asn1X509.GeneralNames;
  type KeyIdentifier = Asn1X509.KeyIdentifier;
  type KeyUsage = Asn1X509.KeyUsage;
  type Name = Asn1X509.Name;
  type RelativeDistinguishedName = Asn1X509.RelativeDistinguishedName;
  type SubjectAlternativeName = Asn1X509.SubjectAlternativeName;
  type SubjectKeyIdentifier = Asn1X509.SubjectKeyIdentifier;
  type SubjectPublicKeyInfo = Asn1X509.SubjectPublicKeyInfo;
  type TBSCertList = Asn1X509.TBSCertList;
  type TBSCertificate = Asn1X509.TBSCertificate;
  type Time = Asn1X509.Time;
  type Validity = Asn1X509.Validity;
  type Version = Asn1X509.Version;
}

/** @peculiar/asn1-rsa (RSASSA-PSS parameters), loaded on first use. */
export const asn1rsa: typeof Asn1Rsa = lazyModule(
  () => require("@peculiar/asn1-rsa") as typeof Asn1Rsa,
);

export declare namespace asn1rsa {
  type RsaSaPssParams = Asn1Rsa.RsaSaPssParams;
}

const asn1schema: typeof Asn1Schema = lazyModule(
  () => require("@peculiar/asn1-schema") as typeof Asn1Schema,
);

/**
 * @peculiar/asn1-schema's AsnConvert, loaded on first use. Its methods are static and call the
 * class by name, never `this`, so forwarding them is the same as calling them on the class.
 */
export const AsnConvert: Pick<typeof Asn1Schema.AsnConvert, "parse" | "serialize" | "toString"> = {
  parse: (data, target, options) => asn1schema.AsnConvert.parse(data, target, options),
  serialize: (obj) => asn1schema.AsnConvert.serialize(obj),
  toString: (data: unknown, options?: IAsnParseOptions) =>
    asn1schema.AsnConvert.toString(data, options),
};

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
  if (x509Module === undefined) {
    loadReflect();
    x509Module = import("@peculiar/x509");
  }
  return x509Module;
}
let x509Module: Promise<typeof import("@peculiar/x509")> | undefined;
