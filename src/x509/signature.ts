// Verifying a certificate's signature with a given public key (SubjectPublicKeyInfo). Used for
// A6 (self-signed: the signature verifies with the certificate's own key) and by the path
// validator (A3: every signature in the path verifies with its issuer's key).
//
// A SignatureVerifier caches keys by SPKI and results by (certificate, key), so that a key is
// loaded once and a signature checked at most once per verifier instance.
//
// Q: why node:crypto's synchronous verify and not WebCrypto?
// A: the speed of a cold selection (issue 14). WebCrypto runs every key import and every verify
//    as a job on the thread pool and resolves a promise from it; a selection checks its
//    candidates one after another, so each check paid a round trip to the pool while the main
//    thread sat idle: profiled, about 40% of a cold selection on a 10-certificate store. Node's
//    verify runs the same OpenSSL operation in place. The answers are the same: Node's WebCrypto
//    import is createPublicKey plus the checks made below (key type; an EC key's point not at
//    infinity; the curve is the one the SPKI names, by construction), and its verify is the same
//    OpenSSL call with the same padding, salt length and digest. test/perf compares the two on
//    every fixture and on hostile keys. An injected WebCrypto is still used as before (tests
//    count its calls).
// Q: why is an EC point at infinity refused before OpenSSL sees it?
// A: WebCrypto refuses such a key ("bad-key"); createPublicKey accepts it, and a verify of an
//    IEEE P1363 signature with it crashes Node 20 (a native assertion, the whole process). The
//    ECDSA signature is also handed over in DER, as the certificate holds it (after the strict
//    check below), never converted: OpenSSL reads it without Node's P1363 conversion.
// Q: what is read without the ASN.1 schema library?
// A: the algorithm identifiers and the SPKI, with der.ts (loading the schema library is a third
//    of a process start: x509.ts). RSA-PSS parameters, rare and intricate, are still decoded by
//    asn1-rsa, which is loaded the first time one is met.
import {
  constants,
  createPublicKey,
  type KeyObject,
  verify as verifyNow,
  type webcrypto,
} from "node:crypto";

import { type ParsedCertificate, signatureAlgorithmOf } from "./certificate.js";
import {
  type AlgorithmIdentifier,
  BerReader,
  derEcdsaIntegers,
  readAlgorithmIdentifier,
  readOid,
  readTlv,
} from "./der.js";
import { AsnConvert, asn1rsa, asn1x509, type WebCrypto } from "./x509.js";

export type { AlgorithmIdentifier };

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

/** How a signature is checked: what the key must be, and the parameters of each API. */
interface Scheme {
  /** Node's asymmetricKeyType of the key the scheme needs. */
  readonly keyType: "rsa" | "ec" | "ed25519";
  /** OpenSSL's digest name, or null (Ed25519 hashes internally). */
  readonly digest: string | null;
  /** RSA-PSS: the salt length the parameters give (MGF1 uses the same hash). */
  readonly saltLength?: number;
  /** ECDSA: the curve's field size in octets (each of r and s fits in it). */
  readonly ecSize?: number;
  /** For an injected WebCrypto. */
  readonly import: ImportParams;
  readonly verify: VerifyParams;
}

type ImportParams =
  | webcrypto.RsaHashedImportParams
  | webcrypto.EcKeyImportParams
  | webcrypto.Algorithm;
type VerifyParams = webcrypto.Algorithm | webcrypto.RsaPssParams | webcrypto.EcdsaParams;

type Plan = Scheme | { readonly failure: SignatureFailure; readonly detail: string };

/** OpenSSL's name of a WebCrypto hash: SHA-256 → sha256. */
function digestName(hash: string): string {
  return hash.replace("-", "").toLowerCase();
}

interface KeyInfo {
  readonly oid: string;
  readonly curve: string | undefined;
  /** The subjectPublicKey BIT STRING's content after its unused-bits octet. */
  readonly key: Uint8Array;
}

/**
 * SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT
 * STRING }, read leniently (BER lengths, as asn1js reads them). Throws.
 */
function keyInfo(spki: Uint8Array): KeyInfo {
  const reader = new BerReader(spki);
  const outer = reader.read(0);
  const [algorithm, key, extra] = outer.tag === 0x30 ? reader.children(outer) : [];
  if (algorithm?.tag !== 0x30 || key?.tag !== 0x03 || extra !== undefined) {
    throw new Error("not a SubjectPublicKeyInfo");
  }
  const identifier = readAlgorithmIdentifier(reader, algorithm);
  let curve: string | undefined;
  if (identifier.algorithm === KEY_EC && identifier.parameters) {
    try {
      const bytes = new Uint8Array(identifier.parameters);
      const tlv = readTlv(bytes, 0);
      if (tlv.tag === 0x06) curve = readOid(bytes, tlv);
    } catch {
      curve = undefined;
    }
  }
  if (key.end === key.contentStart) throw new Error("empty subjectPublicKey");
  return { oid: identifier.algorithm, curve, key: spki.subarray(key.contentStart + 1, key.end) };
}

function plan(algorithm: AlgorithmIdentifier, key: KeyInfo): Plan {
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
      keyType: "rsa",
      digest: digestName(pkcs1Hash),
      import: { name: "RSASSA-PKCS1-v1_5", hash: pkcs1Hash },
      verify: { name: "RSASSA-PKCS1-v1_5" },
    };
  }
  if (oid === RSA_PSS) {
    if (key.oid !== KEY_RSA)
      return { failure: "key-algorithm-mismatch", detail: `RSA-PSS with a ${key.oid} key` };
    let params: asn1rsa.RsaSaPssParams;
    try {
      params = algorithm.parameters
        ? AsnConvert.parse(algorithm.parameters, asn1rsa.RsaSaPssParams)
        : new asn1rsa.RsaSaPssParams();
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
    // WebCrypto's RSA-PSS ties the MGF1 hash to the message hash (and so does Node's verify,
    // which uses the message digest for MGF1): one rule for both.
    if (hash === undefined || mgfHash !== hash) {
      return {
        failure: "unsupported-algorithm",
        detail: "RSA-PSS with an unsupported hash or MGF1 hash",
      };
    }
    return {
      keyType: "rsa",
      digest: digestName(hash),
      saltLength: params.saltLength,
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
      keyType: "ec",
      digest: digestName(ecdsaHash),
      ecSize: curve.size,
      import: { name: "ECDSA", namedCurve: curve.name },
      verify: { name: "ECDSA", hash: ecdsaHash } as webcrypto.EcdsaParams,
    };
  }
  if (oid === ED25519) {
    if (key.oid !== ED25519)
      return { failure: "key-algorithm-mismatch", detail: `Ed25519 with a ${key.oid} key` };
    return {
      keyType: "ed25519",
      digest: null,
      import: { name: "Ed25519" },
      verify: { name: "Ed25519" },
    };
  }
  return { failure: "unsupported-algorithm", detail: `signature algorithm ${oid}` };
}

/**
 * ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } to WebCrypto's fixed-size r || s. Only
 * DER is converted: each INTEGER minimal (at most one 00 octet, and only before a high bit) and
 * positive. A padded or negative INTEGER is another encoding of the same (r, s) that a lenient
 * conversion would verify: a twin with a new thumbprint (A6, A18). The parser already reports
 * such a value as a "signature-encoding" fault; this is the second line. Node's verify is given
 * the DER value itself, once this conversion succeeds: the same (r, s), the same bytes.
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

/** Node's key for an SPKI, with WebCrypto's import checks; null where WebCrypto refused it. */
function nodeKey(spki: Uint8Array, info: KeyInfo, scheme: Scheme): KeyObject | null {
  // SEC 1 §2.3.3: the point at infinity is the single octet 00 (see the Q&A above).
  if (scheme.keyType === "ec" && info.key.length === 1 && info.key[0] === 0) return null;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch {
    return null;
  }
  return key.asymmetricKeyType === scheme.keyType ? key : null;
}

/** WebCrypto's `[EnforceRange] unsigned long`, which RSA-PSS's saltLength is. */
function isUnsignedLong(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

function verifyWithNode(scheme: Scheme, key: KeyObject, signature: Uint8Array, data: Uint8Array) {
  if (scheme.saltLength !== undefined) {
    if (!isUnsignedLong(scheme.saltLength)) {
      throw new RangeError(`RSA-PSS salt length ${scheme.saltLength} is out of range`);
    }
    return verifyNow(
      scheme.digest,
      data,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength },
      signature,
    );
  }
  // RSASSA-PKCS1-v1_5 (Node's default padding for an RSA key), ECDSA (DER), Ed25519 (no digest).
  return verifyNow(scheme.digest, data, key, signature);
}

const BAD_KEY: SignatureCheck = {
  ok: false,
  failure: "bad-key",
  detail: "the public key cannot be imported",
};
const MALFORMED_ECDSA: SignatureCheck = {
  ok: false,
  failure: "malformed-signature",
  detail: "ECDSA signature is not a valid DER pair",
};

/** What a signature check reads of a signed object. */
export interface SignedObject {
  readonly id: string;
  /** The signed bytes (a TBSCertificate, a TBSCertList). */
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** The signature value (the BIT STRING's content after its unused-bits octet). */
  readonly signature: Uint8Array;
  /** A18: the faults that forbid verifying ("signature-algorithm-mismatch", "signature-encoding"). */
  readonly encodingFaults: readonly string[];
}

/** Checks signatures, reading each key once and verifying each (certificate, key) once. */
export class SignatureVerifier {
  readonly #webcrypto: WebCrypto | undefined;
  /** By SPKI (base64): the key and what the SPKI says of it, or why it cannot be used. */
  readonly #info = new Map<string, KeyInfo | Error>();
  readonly #nodeKeys = new Map<string, KeyObject | null>();
  readonly #webKeys = new Map<string, Promise<webcrypto.CryptoKey | null>>();
  readonly #results = new Map<string, Promise<SignatureCheck>>();

  /** Node's crypto by default; an injected WebCrypto is used for every check instead. */
  constructor(crypto?: WebCrypto) {
    this.#webcrypto = crypto;
  }

  /** Does `certificate`'s signature verify with the key `spki` (DER SubjectPublicKeyInfo)? */
  verify(certificate: ParsedCertificate, spki: Uint8Array): Promise<SignatureCheck> {
    return this.#check(certificate.thumbprint, spki, () => ({
      id: certificate.thumbprint,
      tbs: certificate.tbs,
      signatureAlgorithm: signatureAlgorithmOf(certificate),
      signature: certificate.signature,
      encodingFaults: certificate.encodingFaults,
    }));
  }

  /**
   * Any signed object (a certificate, a CRL): does its signature over `tbs` verify with `spki`?
   * `id` keys the result cache, so it must name the signed bytes uniquely (a thumbprint, or a
   * CRL's SHA-256: different lengths, so the two never collide).
   */
  verifySigned(object: SignedObject, spki: Uint8Array): Promise<SignatureCheck> {
    return this.#check(object.id, spki, () => object);
  }

  #check(id: string, spki: Uint8Array, object: () => SignedObject): Promise<SignatureCheck> {
    const spkiKey = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength).toString("base64");
    const key = `${id}|${spkiKey}`;
    let result = this.#results.get(key);
    if (result === undefined) {
      result = this.#verify(object(), spki, spkiKey);
      this.#results.set(key, result);
    }
    return result;
  }

  async #verify(object: SignedObject, spki: Uint8Array, spkiKey: string): Promise<SignatureCheck> {
    // A18: the bytes outside the signed TBSCertificate are not the ones that were signed (the
    // outer algorithm differs from the signed one) or not DER (see EncodingFault). Such a
    // certificate never verifies, whatever the key: otherwise re-encoding those bytes would make
    // a twin (new thumbprint, same TBS) that is self-signed or valid PKI like the original and
    // could outrank it (A6, A11).
    const fault = object.encodingFaults.find(
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
    let info = this.#info.get(spkiKey);
    if (info === undefined) {
      try {
        info = keyInfo(spki);
      } catch (error) {
        info = error instanceof Error ? error : new Error(String(error));
      }
      this.#info.set(spkiKey, info);
    }
    if (info instanceof Error) {
      return {
        ok: false,
        failure: "bad-key",
        detail: `public key cannot be decoded: ${info.message}`,
      };
    }
    let p: Plan;
    try {
      p = plan(object.signatureAlgorithm, info);
    } catch (error) {
      // Hostile algorithm parameters must give a verdict, never an exception.
      return {
        ok: false,
        failure: "unsupported-algorithm",
        detail: `cannot read the algorithm: ${(error as Error).message}`,
      };
    }
    if ("failure" in p) return { ok: false, failure: p.failure, detail: p.detail };
    try {
      let ok: boolean;
      if (this.#webcrypto === undefined) {
        let key = this.#nodeKeys.get(spkiKey);
        if (key === undefined) {
          key = nodeKey(spki, info, p);
          this.#nodeKeys.set(spkiKey, key);
        }
        if (key === null) return BAD_KEY;
        // Node reads the DER value itself, once it has passed the strict conversion.
        if (p.ecSize !== undefined && ecdsaRaw(object.signature, p.ecSize) === null) {
          return MALFORMED_ECDSA;
        }
        ok = verifyWithNode(p, key, object.signature, object.tbs);
      } else {
        const key = await this.#webKey(this.#webcrypto, spki, spkiKey, p);
        if (key === null) return BAD_KEY;
        let signature: Uint8Array | null = object.signature;
        if (p.ecSize !== undefined) signature = ecdsaRaw(signature, p.ecSize);
        if (signature === null) return MALFORMED_ECDSA;
        ok = await this.#webcrypto.subtle.verify(p.verify, key, signature, object.tbs);
      }
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

  #webKey(
    crypto: WebCrypto,
    spki: Uint8Array,
    spkiKey: string,
    scheme: Scheme,
  ): Promise<webcrypto.CryptoKey | null> {
    // A WebCrypto key is bound to its algorithm: one per (algorithm, SPKI).
    const cacheKey = `${JSON.stringify(scheme.import)}|${spkiKey}`;
    let key = this.#webKeys.get(cacheKey);
    if (key === undefined) {
      key = crypto.subtle
        .importKey("spki", spki, scheme.import, false, ["verify"])
        .catch(() => null);
      this.#webKeys.set(cacheKey, key);
    }
    return key;
  }
}
