// A certificate forge for fixtures and tests: builds real, signed X.509 certificates from a spec,
// including shapes that certificate generators refuse to make (v1, NUL in a CN, unknown critical
// extensions, a corrupted signature). Keys come from the committed pool in test/fixtures/keys:
// tests never generate keys.
import "reflect-metadata";

import { createHash, createPrivateKey, createPublicKey, webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as x from "@peculiar/asn1-x509";

const here = dirname(fileURLToPath(import.meta.url));
export const KEY_DIR = join(here, "..", "fixtures", "keys");

export type KeyName =
  | `rsa-${1 | 2 | 3 | 4 | 5 | 6}`
  | `p256-${1 | 2 | 3 | 4 | 5 | 6}`
  | `p384-${1 | 2}`
  | "p521-1"
  | "ed25519-1";

export const KEY_NAMES: readonly KeyName[] = [
  "rsa-1",
  "rsa-2",
  "rsa-3",
  "rsa-4",
  "rsa-5",
  "rsa-6",
  "p256-1",
  "p256-2",
  "p256-3",
  "p256-4",
  "p256-5",
  "p256-6",
  "p384-1",
  "p384-2",
  "p521-1",
  "ed25519-1",
];

export interface PoolKey {
  readonly name: KeyName;
  readonly privateKeyPem: string;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  readonly type: "rsa" | "ec" | "ed25519";
  readonly curve?: "P-256" | "P-384" | "P-521";
}

const keyCache = new Map<KeyName, PoolKey>();

export function poolKey(name: KeyName): PoolKey {
  let key = keyCache.get(name);
  if (key === undefined) {
    const privateKeyPem = readFileSync(join(KEY_DIR, `${name}.pem`), "utf8");
    const spki = new Uint8Array(
      createPublicKey(createPrivateKey(privateKeyPem)).export({ type: "spki", format: "der" }),
    );
    const type = name.startsWith("rsa") ? "rsa" : name.startsWith("ed") ? "ed25519" : "ec";
    const curve = name.startsWith("p256")
      ? "P-256"
      : name.startsWith("p384")
        ? "P-384"
        : name.startsWith("p521")
          ? "P-521"
          : undefined;
    key = { name, privateKeyPem, spki, type, ...(curve ? { curve } : {}) };
    keyCache.set(name, key);
  }
  return key;
}

/** How a name attribute's value is encoded. Default: PrintableString for C, UTF8String otherwise. */
export type StringEncoding = "utf8" | "printable" | "ia5" | "teletex" | "bmp" | "universal";

/**
 * [attribute, value] pairs in DER order (most general first), e.g. [["O","Contoso"],["CN","x"]];
 * an optional third element picks the string type (e.g. ["CN", "x", "bmp"]).
 */
export type NameSpec = readonly (
  | readonly [string, string]
  | readonly [string, string, StringEncoding]
)[];

/** A SAN entry that is not a dNSName (A7: these are not host names). */
export type OtherSanEntry =
  | { readonly ip: string }
  | { readonly email: string }
  | { readonly uri: string };

const ATTRIBUTE_OIDS: Readonly<Record<string, string>> = {
  CN: "2.5.4.3",
  C: "2.5.4.6",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  O: "2.5.4.10",
  OU: "2.5.4.11",
};

export type KeyUsageName = keyof typeof x.KeyUsageFlags;

export interface CertSpec {
  readonly version?: 1 | 2 | 3;
  readonly serial?: number | string;
  readonly subject: NameSpec;
  /** Default: the subject (self-issued). */
  readonly issuer?: NameSpec;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The subject's key. */
  readonly key: KeyName;
  /** The key that signs. Default: `key` (self-signed). */
  readonly signer?: KeyName;
  readonly hash?: "SHA-256" | "SHA-384" | "SHA-512" | "SHA-1";
  /** Sign RSA with PSS instead of PKCS#1 v1.5. */
  readonly pss?: boolean;
  readonly san?: readonly string[];
  /** SAN entries of other types, after the dNSNames (in the same extension). */
  readonly otherSan?: readonly OtherSanEntry[];
  readonly basicConstraints?: {
    readonly ca: boolean;
    readonly pathLen?: number;
    readonly critical?: boolean;
  };
  readonly keyUsage?: readonly KeyUsageName[];
  readonly eku?: readonly string[];
  /** Add a SubjectKeyIdentifier (SHA-1 of the key) – default true for v3. */
  readonly ski?: boolean;
  /** Add an AuthorityKeyIdentifier naming the signer's key – default true when issuer ≠ subject. */
  readonly aki?: boolean;
  readonly nameConstraints?: {
    readonly permitted?: readonly string[];
    readonly excluded?: readonly string[];
  };
  readonly extraExtensions?: readonly {
    readonly oid: string;
    readonly critical: boolean;
    readonly value: Uint8Array;
  }[];
  /** Flip a bit of the signature after signing. */
  readonly corruptSignature?: boolean;
}

export const OID = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  anyExtendedKeyUsage: "2.5.29.37.0",
} as const;

const ENCODINGS = {
  utf8: "utf8String",
  printable: "printableString",
  ia5: "ia5String",
  teletex: "teletexString",
  bmp: "bmpString",
  universal: "universalString",
} as const satisfies Record<StringEncoding, keyof x.AttributeValue>;

function buildName(spec: NameSpec): x.Name {
  return new x.Name(
    spec.map(([type, value, encoding]) => {
      const oid = ATTRIBUTE_OIDS[type] ?? type;
      const field = ENCODINGS[encoding ?? (type === "C" ? "printable" : "utf8")];
      const attributeValue = new x.AttributeValue({ [field]: value });
      return new x.RelativeDistinguishedName([
        new x.AttributeTypeAndValue({ type: oid, value: attributeValue }),
      ]);
    }),
  );
}

function keyId(spki: Uint8Array): Uint8Array {
  const info = AsnConvert.parse(spki, x.SubjectPublicKeyInfo);
  // Key identifier method (1) of RFC 5280 §4.2.1.2: SHA-1 of the subjectPublicKey bits.
  return new Uint8Array(createHash("sha1").update(new Uint8Array(info.subjectPublicKey)).digest());
}

function extension(oid: string, critical: boolean, value: ArrayBuffer | Uint8Array): x.Extension {
  return new x.Extension({ extnID: oid, critical, extnValue: new OctetString(value) });
}

function signatureAlgorithm(signer: PoolKey, hash: string, pss: boolean): x.AlgorithmIdentifier {
  if (signer.type === "ed25519") return new x.AlgorithmIdentifier({ algorithm: "1.3.101.112" });
  if (signer.type === "ec") {
    const oid = {
      "SHA-1": "1.2.840.10045.4.1",
      "SHA-256": "1.2.840.10045.4.3.2",
      "SHA-384": "1.2.840.10045.4.3.3",
      "SHA-512": "1.2.840.10045.4.3.4",
    }[hash]!;
    return new x.AlgorithmIdentifier({ algorithm: oid });
  }
  if (pss) {
    // RSASSA-PSS-params with the hash, MGF1 over the same hash, salt = hash length.
    const hashOid = {
      "SHA-1": "1.3.14.3.2.26",
      "SHA-256": "2.16.840.1.101.3.4.2.1",
      "SHA-384": "2.16.840.1.101.3.4.2.2",
      "SHA-512": "2.16.840.1.101.3.4.2.3",
    }[hash]!;
    const saltLength = { "SHA-1": 20, "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 }[hash]!;
    const hashAlg = new x.AlgorithmIdentifier({ algorithm: hashOid, parameters: null });
    const params = pssParams(hashAlg, saltLength);
    return new x.AlgorithmIdentifier({ algorithm: "1.2.840.113549.1.1.10", parameters: params });
  }
  const oid = {
    "SHA-1": "1.2.840.113549.1.1.5",
    "SHA-256": "1.2.840.113549.1.1.11",
    "SHA-384": "1.2.840.113549.1.1.12",
    "SHA-512": "1.2.840.113549.1.1.13",
  }[hash]!;
  return new x.AlgorithmIdentifier({ algorithm: oid, parameters: null });
}

function pssParams(hashAlg: x.AlgorithmIdentifier, saltLength: number): ArrayBuffer {
  const params = new RsaSaPssParams({
    hashAlgorithm: hashAlg,
    maskGenAlgorithm: new x.AlgorithmIdentifier({
      algorithm: "1.2.840.113549.1.1.8",
      parameters: AsnConvert.serialize(hashAlg),
    }),
    saltLength,
  });
  return AsnConvert.serialize(params);
}

const subtle = webcrypto.subtle;
const signingKeys = new Map<string, Promise<webcrypto.CryptoKey>>();

function signingKey(key: PoolKey, hash: string, pss: boolean): Promise<webcrypto.CryptoKey> {
  const id = `${key.name}|${hash}|${pss}`;
  let promise = signingKeys.get(id);
  if (promise === undefined) {
    const pkcs8 = createPrivateKey(key.privateKeyPem).export({ type: "pkcs8", format: "der" });
    const algorithm =
      key.type === "ed25519"
        ? { name: "Ed25519" }
        : key.type === "ec"
          ? { name: "ECDSA", namedCurve: key.curve! }
          : { name: pss ? "RSA-PSS" : "RSASSA-PKCS1-v1_5", hash };
    promise = subtle.importKey("pkcs8", pkcs8, algorithm, false, ["sign"]);
    signingKeys.set(id, promise);
  }
  return promise;
}

function derInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  let value = bytes.subarray(start);
  if (value[0]! & 0x80) value = Uint8Array.from([0, ...value]);
  return Uint8Array.from([0x02, value.length, ...value]);
}

function ecdsaDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const r = derInteger(raw.subarray(0, half));
  const s = derInteger(raw.subarray(half));
  const body = Uint8Array.from([...r, ...s]);
  const length = body.length < 0x80 ? [body.length] : [0x81, body.length];
  return Uint8Array.from([0x30, ...length, ...body]);
}

function serialBytes(serial: number | string | undefined): ArrayBuffer {
  let hex = typeof serial === "string" ? serial : (serial ?? 1).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, "hex");
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return new Uint8Array(bytes).buffer;
}

/** Builds and signs a certificate; returns its DER. */
export async function forgeCertificate(spec: CertSpec): Promise<Uint8Array> {
  const version = spec.version ?? 3;
  const subjectKey = poolKey(spec.key);
  const signer = poolKey(spec.signer ?? spec.key);
  const hash =
    spec.hash ??
    (signer.curve === "P-384" ? "SHA-384" : signer.curve === "P-521" ? "SHA-512" : "SHA-256");
  const pss = spec.pss === true && signer.type === "rsa";
  const algorithm = signatureAlgorithm(signer, hash, pss);
  const issuerSpec = spec.issuer ?? spec.subject;

  const extensions: x.Extension[] = [];
  if (version === 3) {
    if (spec.basicConstraints) {
      extensions.push(
        extension(
          "2.5.29.19",
          spec.basicConstraints.critical ?? true,
          AsnConvert.serialize(
            new x.BasicConstraints({
              cA: spec.basicConstraints.ca,
              ...(spec.basicConstraints.pathLen !== undefined
                ? { pathLenConstraint: spec.basicConstraints.pathLen }
                : {}),
            }),
          ),
        ),
      );
    }
    if (spec.keyUsage) {
      const flags = spec.keyUsage.reduce((all, name) => all | x.KeyUsageFlags[name], 0);
      extensions.push(extension("2.5.29.15", true, AsnConvert.serialize(new x.KeyUsage(flags))));
    }
    if (spec.eku) {
      extensions.push(
        extension("2.5.29.37", false, AsnConvert.serialize(new x.ExtendedKeyUsage([...spec.eku]))),
      );
    }
    if (spec.ski ?? true) {
      extensions.push(
        extension(
          "2.5.29.14",
          false,
          AsnConvert.serialize(new x.SubjectKeyIdentifier(keyId(subjectKey.spki))),
        ),
      );
    }
    const selfIssued = JSON.stringify(issuerSpec) === JSON.stringify(spec.subject);
    if (spec.aki ?? !selfIssued) {
      extensions.push(
        extension(
          "2.5.29.35",
          false,
          AsnConvert.serialize(
            new x.AuthorityKeyIdentifier({
              keyIdentifier: new x.KeyIdentifier(keyId(signer.spki)),
            }),
          ),
        ),
      );
    }
    if (spec.san || spec.otherSan) {
      const names = [
        ...(spec.san ?? []).map((dNSName) => new x.GeneralName({ dNSName })),
        ...(spec.otherSan ?? []).map((other) =>
          "ip" in other
            ? new x.GeneralName({ iPAddress: other.ip })
            : "email" in other
              ? new x.GeneralName({ rfc822Name: other.email })
              : new x.GeneralName({ uniformResourceIdentifier: other.uri }),
        ),
      ];
      extensions.push(
        extension("2.5.29.17", false, AsnConvert.serialize(new x.SubjectAlternativeName(names))),
      );
    }
    if (spec.nameConstraints) {
      const subtree = (name: string) =>
        new x.GeneralSubtree({ base: new x.GeneralName({ dNSName: name }) });
      extensions.push(
        extension(
          "2.5.29.30",
          true,
          AsnConvert.serialize(
            new x.NameConstraints({
              ...(spec.nameConstraints.permitted
                ? {
                    permittedSubtrees: new x.GeneralSubtrees(
                      spec.nameConstraints.permitted.map(subtree),
                    ),
                  }
                : {}),
              ...(spec.nameConstraints.excluded
                ? {
                    excludedSubtrees: new x.GeneralSubtrees(
                      spec.nameConstraints.excluded.map(subtree),
                    ),
                  }
                : {}),
            }),
          ),
        ),
      );
    }
    for (const extra of spec.extraExtensions ?? [])
      extensions.push(extension(extra.oid, extra.critical, extra.value));
  }

  const tbs = new x.TBSCertificate({
    version: version - 1,
    serialNumber: serialBytes(spec.serial),
    signature: algorithm,
    issuer: buildName(issuerSpec),
    validity: new x.Validity({ notBefore: spec.notBefore, notAfter: spec.notAfter }),
    subject: buildName(spec.subject),
    subjectPublicKeyInfo: AsnConvert.parse(subjectKey.spki, x.SubjectPublicKeyInfo),
    ...(extensions.length > 0 ? { extensions: new x.Extensions(extensions) } : {}),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const key = await signingKey(signer, hash, pss);
  const signAlgorithm =
    signer.type === "ed25519"
      ? { name: "Ed25519" }
      : signer.type === "ec"
        ? { name: "ECDSA", hash }
        : pss
          ? {
              name: "RSA-PSS",
              saltLength: { "SHA-1": 20, "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 }[hash]!,
            }
          : { name: "RSASSA-PKCS1-v1_5" };
  let signature = new Uint8Array(await subtle.sign(signAlgorithm, key, tbsDer));
  if (signer.type === "ec") signature = new Uint8Array(ecdsaDer(signature));
  if (spec.corruptSignature) signature[signature.length - 1]! ^= 0x01;
  const certificate = new x.Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithm,
    signatureValue: signature.buffer,
  });
  return new Uint8Array(AsnConvert.serialize(certificate));
}

/** PEM text of a DER certificate (with a trailing newline). */
export function toPem(der: Uint8Array): string {
  const body = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}
