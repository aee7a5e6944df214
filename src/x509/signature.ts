// Verifying a certificate's signature with a given public key (SubjectPublicKeyInfo), over
// WebCrypto. Used for A6 (self-signed: the signature verifies with the certificate's own key)
// and by the path validator (A3: every signature in the path verifies with its issuer's key).
//
// A SignatureVerifier caches imported keys by SPKI and results by (certificate, key), so that a
// key is imported once and a signature checked at most once per verifier instance.

import type { webcrypto } from "node:crypto";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import type { ParsedCertificate } from "./certificate.js";
import { derEcdsaIntegers, readOid, readTlv } from "./der.js";

import { AsnConvert, asn1x509, defaultCrypto, type WebCrypto } from "./x509.js";

type ImportParams =
  | webcrypto.RsaHashedImportParams
  | webcrypto.EcKeyImportParams
  | webcrypto.Algorithm;
type VerifyParams = webcrypto.Algorithm | webcrypto.RsaPssParams | webcrypto.EcdsaParams;

export type SignatureFailure =
  | "bad-signature"
  | "unsupported-algorithm"
  | "key-algorithm-mismatch"
  | "bad-key"
  | "malformed-signature";

export type SignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly failure: SignatureFailure; readonly detail: string };

const HASHES: Readonly<Record<string, string>> = {
  "1.3.14.3.2.26": "SHA-1",
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

const RSA_PKCS1: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.5": "SHA-1",
  "1.2.840.113549.1.1.11": "SHA-256",
  "1.2.840.113549.1.1.12": "SHA-384",
  "1.2.840.113549.1.1.13": "SHA-512",
};
const RSA_PSS = "1.2.840.113549.1.1.10";
const MGF1 = "1.2.840.113549.1.1.8";
const ECDSA: Readonly<Record<string, string>> = {
  "1.2.840.10045.4.1": "SHA-1",
  "1.2.840.10045.4.3.2": "SHA-256",
  "1.2.840.10045.4.3.3": "SHA-384",
  "1.2.840.10045.4.3.4": "SHA-512",
};
const ED25519 = "1.3.101.112";

const KEY_RSA = "1.2.840.113549.1.1.1";
const KEY_EC = "1.2.840.10045.2.1";
const CURVES: Readonly<Record<string, { name: string; size: number }>> = {
  "1.2.840.10045.3.1.7": { name: "P-256", size: 32 },
  "1.3.132.0.34": { name: "P-384", size: 48 },
  "1.3.132.0.35": { name: "P-521", size: 66 },
};

type Plan =
  | { readonly import: ImportParams; readonly verify: VerifyParams; readonly ecSize?: number }
  | { readonly failure: SignatureFailure; readonly detail: string };

function keyAlgorithm(spki: Uint8Array): { oid: string; curve: string | undefined } {
  const info = AsnConvert.parse(spki, asn1x509.SubjectPublicKeyInfo);
  const params = info.algorithm.parameters;
  let curve: string | undefined;
  if (info.algorithm.algorithm === KEY_EC && params) {
    try {
      const bytes = new Uint8Array(params);
      const tlv = readTlv(bytes, 0);
      if (tlv.tag === 0x06) curve = readOid(bytes, tlv);
    } catch {
      curve = undefined;
    }
  }
  return { oid: info.algorithm.algorithm, curve };
}

function plan(algorithm: asn1x509.AlgorithmIdentifier, spki: Uint8Array): Plan {
  let key: { oid: string; curve: string | undefined };
  try {
    key = keyAlgorithm(spki);
  } catch (error) {
    return {
      failure: "bad-key",
      detail: `public key cannot be decoded: ${(error as Error).message}`,
    };
  }
  const oid = algorithm.algorithm;
  const pkcs1Hash = RSA_PKCS1[oid];
  if (pkcs1Hash !== undefined) {
    if (key.oid !== KEY_RSA)
      return { failure: "key-algorithm-mismatch", detail: `${oid} with a ${key.oid} key` };
    // RFC 4055 §5: the parameters are NULL (or, seen in the wild, absent); anything else is a
    // malformed algorithm identifier, not a variant to guess at.
    const parameters = algorithm.parameters;
    if (parameters && !(parameters.byteLength === 2 && new Uint8Array(parameters)[0] === 0x05)) {
      return { failure: "unsupported-algorithm", detail: `${oid} with parameters other than NULL` };
    }
    return {
      import: { name: "RSASSA-PKCS1-v1_5", hash: pkcs1Hash },
      verify: { name: "RSASSA-PKCS1-v1_5" },
    };
  }
  if (oid === RSA_PSS) {
    if (key.oid !== KEY_RSA)
      return { failure: "key-algorithm-mismatch", detail: `RSA-PSS with a ${key.oid} key` };
    let params: RsaSaPssParams;
    try {
      params = algorithm.parameters
        ? AsnConvert.parse(algorithm.parameters, RsaSaPssParams)
        : new RsaSaPssParams();
    } catch {
      return { failure: "unsupported-algorithm", detail: "RSA-PSS parameters cannot be decoded" };
    }
    const hash = HASHES[params.hashAlgorithm.algorithm];
    // The mask generation function must be MGF1 over a known hash; anything else (or parameters
    // that are not an AlgorithmIdentifier) is a PSS variant WebCrypto cannot express.
    let mgfHash: string | undefined;
    try {
      if (params.maskGenAlgorithm.algorithm !== MGF1) {
        return {
          failure: "unsupported-algorithm",
          detail: "RSA-PSS with a mask function other than MGF1",
        };
      }
      mgfHash = params.maskGenAlgorithm.parameters
        ? HASHES[
            AsnConvert.parse(params.maskGenAlgorithm.parameters, asn1x509.AlgorithmIdentifier)
              .algorithm
          ]
        : "SHA-1";
    } catch {
      return {
        failure: "unsupported-algorithm",
        detail: "RSA-PSS MGF1 parameters cannot be decoded",
      };
    }
    // WebCrypto's RSA-PSS ties the MGF1 hash to the message hash.
    if (hash === undefined || mgfHash !== hash) {
      return {
        failure: "unsupported-algorithm",
        detail: "RSA-PSS with an unsupported hash or MGF1 hash",
      };
    }
    return {
      import: { name: "RSA-PSS", hash },
      verify: { name: "RSA-PSS", saltLength: params.saltLength } as webcrypto.RsaPssParams,
    };
  }
  const ecdsaHash = ECDSA[oid];
  if (ecdsaHash !== undefined) {
    const curve = key.curve === undefined ? undefined : CURVES[key.curve];
    if (key.oid !== KEY_EC)
      return { failure: "key-algorithm-mismatch", detail: `${oid} with a ${key.oid} key` };
    if (curve === undefined)
      return { failure: "unsupported-algorithm", detail: `EC curve ${key.curve ?? "(none)"}` };
    return {
      import: { name: "ECDSA", namedCurve: curve.name },
      verify: { name: "ECDSA", hash: ecdsaHash } as webcrypto.EcdsaParams,
      ecSize: curve.size,
    };
  }
  if (oid === ED25519) {
    if (key.oid !== ED25519)
      return { failure: "key-algorithm-mismatch", detail: `Ed25519 with a ${key.oid} key` };
    return { import: { name: "Ed25519" }, verify: { name: "Ed25519" } };
  }
  return { failure: "unsupported-algorithm", detail: `signature algorithm ${oid}` };
}

/**
 * ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } to WebCrypto's fixed-size r || s. Only
 * DER is converted: each INTEGER minimal (at most one 00 octet, and only before a high bit) and
 * positive. A padded or negative INTEGER is another encoding of the same (r, s) that a lenient
 * conversion would verify: a twin with a new thumbprint (A6, A18). The parser already reports
 * such a value as a "signature-encoding" fault; this is the second line.
 */
function ecdsaRaw(signature: Uint8Array, size: number): Uint8Array | null {
  const integers = derEcdsaIntegers(signature);
  if (integers === null) return null;
  const raw = new Uint8Array(size * 2);
  for (const [i, value] of integers.entries()) {
    if (value.length > size) return null;
    raw.set(value, i * size + (size - value.length));
  }
  return raw;
}

function keyCacheKey(spki: Uint8Array, algorithm: unknown): string {
  return `${JSON.stringify(algorithm)}|${Buffer.from(spki).toString("base64")}`;
}

/** What a signature check reads of a signed object. */
export interface SignedObject {
  readonly id: string;
  /** The signed bytes (a TBSCertificate, a TBSCertList). */
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: asn1x509.AlgorithmIdentifier;
  /** The signature value (the BIT STRING's content after its unused-bits octet). */
  readonly signature: Uint8Array;
  /** A18: the faults that forbid verifying ("signature-algorithm-mismatch", "signature-encoding"). */
  readonly encodingFaults: readonly string[];
}

/** Checks signatures, importing each key once and verifying each (certificate, key) once. */
export class SignatureVerifier {
  readonly #crypto: WebCrypto;
  readonly #keys = new Map<string, Promise<webcrypto.CryptoKey | null>>();
  readonly #results = new Map<string, Promise<SignatureCheck>>();

  constructor(crypto: WebCrypto = defaultCrypto) {
    this.#crypto = crypto;
  }

  /** Does `certificate`'s signature verify with the key `spki` (DER SubjectPublicKeyInfo)? */
  verify(certificate: ParsedCertificate, spki: Uint8Array): Promise<SignatureCheck> {
    return this.verifySigned(
      {
        id: certificate.thumbprint,
        tbs: certificate.tbs,
        signatureAlgorithm: certificate.signatureAlgorithm,
        signature: certificate.signature,
        encodingFaults: certificate.encodingFaults,
      },
      spki,
    );
  }

  /**
   * Any signed object (a certificate, a CRL): does its signature over `tbs` verify with `spki`?
   * `id` keys the result cache, so it must name the signed bytes uniquely (a thumbprint, or a
   * CRL's SHA-256: different lengths, so the two never collide).
   */
  verifySigned(object: SignedObject, spki: Uint8Array): Promise<SignatureCheck> {
    const key = `${object.id}|${Buffer.from(spki).toString("base64")}`;
    let result = this.#results.get(key);
    if (result === undefined) {
      result = this.#verify(object, spki);
      this.#results.set(key, result);
    }
    return result;
  }

  async #verify(certificate: SignedObject, spki: Uint8Array): Promise<SignatureCheck> {
    // A18: the bytes outside the signed TBSCertificate are not the ones that were signed (the
    // outer algorithm differs from the signed one) or not DER (see EncodingFault). Such a
    // certificate never verifies, whatever the key: otherwise re-encoding those bytes would make
    // a twin (new thumbprint, same TBS) that is self-signed or valid PKI like the original and
    // could outrank it (A6, A11).
    const fault = certificate.encodingFaults.find(
      (f) => f === "signature-algorithm-mismatch" || f === "signature-encoding",
    );
    if (fault !== undefined) {
      return {
        ok: false,
        failure: "malformed-signature",
        detail:
          fault === "signature-encoding"
            ? "the signature or the bytes around it are not DER"
            : "the outer signature algorithm differs from the signed one",
      };
    }
    let p: Plan;
    try {
      p = plan(certificate.signatureAlgorithm, spki);
    } catch (error) {
      // Hostile algorithm parameters must give a verdict, never an exception.
      return {
        ok: false,
        failure: "unsupported-algorithm",
        detail: `cannot read the algorithm: ${(error as Error).message}`,
      };
    }
    if ("failure" in p) return { ok: false, failure: p.failure, detail: p.detail };
    const cacheKey = keyCacheKey(spki, p.import);
    let keyPromise = this.#keys.get(cacheKey);
    if (keyPromise === undefined) {
      keyPromise = this.#crypto.subtle
        .importKey("spki", spki, p.import, false, ["verify"])
        .catch(() => null);
      this.#keys.set(cacheKey, keyPromise);
    }
    const key = await keyPromise;
    if (key === null)
      return { ok: false, failure: "bad-key", detail: "the public key cannot be imported" };
    let signature: Uint8Array = certificate.signature;
    if (p.ecSize !== undefined) {
      const raw = ecdsaRaw(signature, p.ecSize);
      if (raw === null)
        return {
          ok: false,
          failure: "malformed-signature",
          detail: "ECDSA signature is not a valid DER pair",
        };
      signature = raw;
    }
    try {
      const ok = await this.#crypto.subtle.verify(p.verify, key, signature, certificate.tbs);
      return ok
        ? { ok: true }
        : { ok: false, failure: "bad-signature", detail: "signature does not verify" };
    } catch (error) {
      return {
        ok: false,
        failure: "bad-signature",
        detail: `verification failed: ${(error as Error).message}`,
      };
    }
  }
}
