// A strict DER reader for the few places where we need raw byte ranges (the TBSCertificate that a
// signature covers, the exact length of a certificate) that an ASN.1 object model does not keep.
// Strict means: definite, minimally encoded lengths only, and no read past the buffer. BER
// leniency here would let two different byte strings denote "the same" certificate.

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
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
