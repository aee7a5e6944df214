// A strict DER reader for the few places where we need raw byte ranges (the TBSCertificate that a
// signature covers, the exact length of a certificate) that an ASN.1 object model does not keep.
// Strict means: definite, minimally encoded lengths only, and no read past the buffer. BER
// leniency here would let two different byte strings denote "the same" value. The certificate
// parser reads with the lenient BerReader at the end of this file instead (A18), and reports
// every non-DER header it meets as an encoding fault rather than reading past it silently.

export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset one past the last content byte. */
  readonly end: number;
}

export class DerError extends Error {}

/** Reads one TLV at `offset` (low-tag-number form only, as X.509 uses). Throws DerError. */
export function readTlv(bytes: Uint8Array, offset: number, limit = bytes.length): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated header at ${offset}`);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`high tag number at ${offset}`);
  const first = bytes[offset + 1]!;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new DerError(`indefinite length at ${offset}`);
    if (count > 4) throw new DerError(`length too long at ${offset}`);
    if (offset + 2 + count > limit) throw new DerError(`truncated length at ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
    // Minimal encoding: long form only for >= 128, and no leading zero byte.
    if (length < 0x80 || bytes[offset + 2] === 0) {
      throw new DerError(`non-minimal length at ${offset}`);
    }
    contentStart = offset + 2 + count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError(`content runs past its container at ${offset}`);
  return { tag, start: offset, contentStart, end };
}

/** The children of a constructed TLV, read strictly to its end. */
export function readChildren(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const children: Tlv[] = [];
  let offset = parent.contentStart;
  while (offset < parent.end) {
    const child = readTlv(bytes, offset, parent.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** Byte-for-byte equality (DER makes equal values equal bytes). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

// --- A lenient (BER) reader for certificates ------------------------------------------------
//
// A18: a store certificate is readable whenever OpenSSL and Node's X509Certificate read it, and
// both accept BER lengths (the long form for a small length, leading zero length octets, the
// indefinite form). The strict readTlv above stays the reader of everything else; the
// certificate parser reads with a BerReader and records, per TLV, whether its header was DER,
// so that a non-DER header can be reported as an encoding fault rather than refused.

/** A TLV read leniently: `end` is where its content ends, `after` where the TLV ends. */
export interface BerTlv extends Tlv {
  /** Offset one past the whole TLV: `end`, or past the end-of-contents octets (indefinite form). */
  readonly after: number;
  /** The header is not DER: a non-minimal or indefinite length. */
  readonly ber: boolean;
}

/** Length octets beyond the leading zeros: a length up to 2^32 - 1, as OpenSSL's `long` reads. */
const MAX_LENGTH_OCTETS = 4;

/**
 * Reads TLVs of one buffer with BER lengths. The ends of indefinite-length TLVs are found by a
 * scan that remembers every end it finds, so that no byte is scanned twice however deeply such
 * TLVs nest (a quadratic rescan would let a hostile certificate stall a transport), and the
 * scan keeps its own stack (nesting depth is attacker-controlled).
 */
export class BerReader {
  readonly #ends = new Map<number, number>();

  constructor(readonly bytes: Uint8Array) {}

  /** Reads one TLV at `offset` within `limit`. Throws DerError. */
  read(offset: number, limit = this.bytes.length): BerTlv {
    const { bytes } = this;
    if (offset + 2 > limit) throw new DerError(`truncated header at ${offset}`);
    const tag = bytes[offset]!;
    if ((tag & 0x1f) === 0x1f) throw new DerError(`high tag number at ${offset}`);
    const first = bytes[offset + 1]!;
    let contentStart = offset + 2;
    let length = first;
    let ber = false;
    if (first >= 0x80) {
      length = this.#longLength(offset, limit);
      contentStart += first & 0x7f;
      // DER: the long form only for 128 or more, in as few octets as it takes; never indefinite.
      ber = length < 0x80 || bytes[offset + 2] === 0;
    }
    if (length >= 0) {
      const end = contentStart + length;
      if (end > limit) throw new DerError(`content runs past its container at ${offset}`);
      return { tag, start: offset, contentStart, end, after: end, ber };
    }
    const after = this.#indefiniteAfter(offset, contentStart, limit);
    return { tag, start: offset, contentStart, end: after - 2, after, ber: true };
  }

  /** The children of a constructed TLV, to its end (or its end-of-contents octets). */
  children(parent: BerTlv): BerTlv[] {
    const children: BerTlv[] = [];
    let offset = parent.contentStart;
    while (offset < parent.end) {
      const child = this.read(offset, parent.end);
      children.push(child);
      offset = child.after;
    }
    return children;
  }

  /**
   * The length in the long (or indefinite) form at `offset` (its first length octet has the
   * high bit set): the value, or -1 for the indefinite form.
   */
  #longLength(offset: number, limit: number): number {
    const { bytes } = this;
    const count = bytes[offset + 1]! & 0x7f;
    if (count === 0) {
      // X.690 §8.1.3.6: only a constructed encoding may have an indefinite length.
      if ((bytes[offset]! & 0x20) === 0) {
        throw new DerError(`indefinite length of a primitive at ${offset}`);
      }
      return -1;
    }
    if (count === 0x7f) throw new DerError(`reserved length octet at ${offset}`);
    const contentStart = offset + 2 + count;
    if (contentStart > limit) throw new DerError(`truncated length at ${offset}`);
    let at = offset + 2;
    while (at < contentStart && bytes[at] === 0) at++;
    if (contentStart - at > MAX_LENGTH_OCTETS) throw new DerError(`length too long at ${offset}`);
    let length = 0;
    for (; at < contentStart; at++) length = length * 256 + bytes[at]!;
    return length;
  }

  /** Where the indefinite-length TLV at `start` ends (past its end-of-contents octets). */
  #indefiniteAfter(start: number, contentStart: number, limit: number): number {
    const known = this.#ends.get(start);
    if (known !== undefined) {
      if (known > limit) throw new DerError(`content runs past its container at ${start}`);
      return known;
    }
    const { bytes } = this;
    const open = [start];
    let at = contentStart;
    for (;;) {
      if (at + 2 > limit) throw new DerError(`missing end-of-contents for ${open.at(-1)}`);
      if (bytes[at] === 0 && bytes[at + 1] === 0) {
        at += 2;
        this.#ends.set(open.pop()!, at);
        if (open.length === 0) return at;
        continue;
      }
      const remembered = this.#ends.get(at);
      if (remembered !== undefined) {
        at = remembered;
        continue;
      }
      const tag = bytes[at]!;
      if (tag === 0) throw new DerError(`malformed end-of-contents at ${at}`);
      if ((tag & 0x1f) === 0x1f) throw new DerError(`high tag number at ${at}`);
      const first = bytes[at + 1]!;
      if (first < 0x80) {
        at += 2 + first;
        continue;
      }
      const length = this.#longLength(at, limit);
      if (length < 0) {
        open.push(at);
        at += 2;
      } else {
        at += 2 + (first & 0x7f) + length;
      }
    }
  }
}

/** OBJECT IDENTIFIER in dotted form; sub-identifiers minimally encoded, exact at any size. */
export function readOid(der: Uint8Array, tlv: { contentStart: number; end: number }): string {
  if (tlv.end === tlv.contentStart) throw new DerError("empty OBJECT IDENTIFIER");
  if ((der[tlv.end - 1]! & 0x80) !== 0) throw new DerError("truncated OBJECT IDENTIFIER");
  let text = "";
  let value = 0;
  let big: bigint | undefined;
  let first = true;
  let start = true;
  for (let i = tlv.contentStart; i < tlv.end; i++) {
    const byte = der[i]!;
    if (start && byte === 0x80) throw new DerError("non-minimal OBJECT IDENTIFIER arc");
    start = false;
    if (big !== undefined) big = big * 128n + BigInt(byte & 0x7f);
    else {
      value = value * 128 + (byte & 0x7f);
      if (value > Number.MAX_SAFE_INTEGER / 256) big = BigInt(value);
    }
    if ((byte & 0x80) !== 0) continue;
    const arc = big ?? value;
    if (first) {
      // X.690 §8.19.4: the first sub-identifier packs two arcs.
      const top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
      const rest = typeof arc === "bigint" ? arc - BigInt(top * 40) : arc - top * 40;
      text = `${top}.${rest}`;
      first = false;
    } else text += `.${arc}`;
    value = 0;
    big = undefined;
    start = true;
  }
  return text;
}

/**
 * ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } in strict DER, filling `signature`: both
 * INTEGERs non-empty, minimal and not negative. Returns r and s without their sign octet, or
 * null. The parser (a signature-encoding fault, A18) and the verifier (WebCrypto's r || s) read
 * the value by this one rule, so the two can never disagree about a re-encoded signature.
 */
export function derEcdsaIntegers(signature: Uint8Array): [Uint8Array, Uint8Array] | null {
  try {
    const outer = readTlv(signature, 0);
    if (outer.tag !== 0x30 || outer.end !== signature.length) return null;
    const parts = readChildren(signature, outer);
    if (parts.length !== 2) return null;
    const values: Uint8Array[] = [];
    for (const part of parts) {
      if (part.tag !== 0x02 || part.end === part.contentStart) return null;
      let value = signature.subarray(part.contentStart, part.end);
      if (value[0]! >= 0x80) return null; // negative
      if (value.length > 1 && value[0] === 0) {
        if (value[1]! < 0x80) return null; // padded: not minimal
        value = value.subarray(1);
      }
      values.push(value);
    }
    return [values[0]!, values[1]!];
  } catch (error) {
    if (error instanceof DerError) return null;
    throw error;
  }
}

/**
 * An AlgorithmIdentifier: the OID and the parameters as encoded (the whole TLV), or none.
 * asn1x509.AlgorithmIdentifier has this shape, and so has what readAlgorithmIdentifier reads.
 */
export interface AlgorithmIdentifier {
  readonly algorithm: string;
  readonly parameters?: ArrayBuffer | null | undefined;
}

/**
 * AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }: the OID, and the
 * parameters as asn1x509.AlgorithmIdentifier's model has them: a NULL (tag 05, whatever its
 * length octets) is `null`, anything else its whole TLV as encoded, absent is absent. Throws.
 */
export function readAlgorithmIdentifier(reader: BerReader, tlv: BerTlv): AlgorithmIdentifier {
  const [oid, parameters, extra] = reader.children(tlv);
  if (oid?.tag !== 0x06 || extra !== undefined) throw new DerError("not an AlgorithmIdentifier");
  const algorithm = readOid(reader.bytes, oid);
  if (parameters === undefined) return { algorithm };
  if (parameters.tag === 0x05) return { algorithm, parameters: null };
  // A copy in an ArrayBuffer of its own (a Buffer's `slice` would share a pooled one).
  const copy = new Uint8Array(parameters.after - parameters.start);
  copy.set(reader.bytes.subarray(parameters.start, parameters.after));
  return { algorithm, parameters: copy.buffer };
}
