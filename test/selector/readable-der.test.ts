// The lenient reader behind A18 (src/x509/der.ts, BerReader): BER lengths are read, and flagged,
// where OpenSSL reads them (the long form for a small length, leading zero octets, the
// indefinite form of a constructed value); everything else is a DerError, never another error.
import { describe, expect, it } from "vitest";

import { BerReader, DerError } from "../../src/x509/der.js";

const read = (bytes: number[], offset = 0) => new BerReader(Uint8Array.from(bytes)).read(offset);

function error(bytes: number[]): string {
  try {
    read(bytes);
    return "read";
  } catch (e) {
    return e instanceof DerError ? "DerError" : "foreign";
  }
}

describe("BerReader", () => {
  it("DER lengths: short and minimal long forms are not flagged", () => {
    expect(read([0x04, 0x01, 0xaa])).toEqual({
      tag: 0x04,
      start: 0,
      contentStart: 2,
      end: 3,
      after: 3,
      ber: false,
    });
    const long = [0x04, 0x81, 0x80, ...new Array(0x80).fill(0)];
    expect(read(long)).toMatchObject({ contentStart: 3, end: 131, ber: false });
  });

  it("A18: a long form for a small length, and leading zero octets, are read and flagged", () => {
    expect(read([0x04, 0x81, 0x01, 0xaa])).toMatchObject({ contentStart: 3, end: 4, ber: true });
    expect(read([0x04, 0x84, 0, 0, 0, 0x01, 0xaa])).toMatchObject({ end: 7, ber: true });
    const big = [0x04, 0x83, 0x00, 0x01, 0x00, ...new Array(0x100).fill(0)];
    expect(read(big)).toMatchObject({ contentStart: 5, end: 0x105, ber: true });
    // OpenSSL skips any number of leading zero octets.
    expect(read([0x04, 0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xaa])).toMatchObject({
      end: 13,
      ber: true,
    });
  });

  it("A18: an indefinite length ends at its end-of-contents octets", () => {
    // SEQUENCE (indefinite) { SEQUENCE (indefinite) { NULL } , INTEGER 5 }
    const bytes = [0x30, 0x80, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00, 0x02, 0x01, 0x05, 0x00, 0x00];
    const reader = new BerReader(Uint8Array.from(bytes));
    const outer = reader.read(0);
    expect(outer).toMatchObject({ contentStart: 2, end: 11, after: 13, ber: true });
    const children = reader.children(outer);
    expect(children.map((c) => [c.tag, c.start, c.end, c.after, c.ber])).toEqual([
      [0x30, 2, 6, 8, true],
      [0x02, 8, 11, 11, false],
    ]);
    expect(reader.children(children[0]!).map((c) => c.tag)).toEqual([0x05]);
  });

  it("refuses what OpenSSL refuses, with a DerError", () => {
    expect(error([0x04, 0x80, 0xaa, 0x00, 0x00])).toBe("DerError"); // indefinite primitive
    expect(error([0x30, 0x80, 0x05, 0x00])).toBe("DerError"); // no end-of-contents
    expect(error([0x30, 0x80, 0x00, 0x01, 0xaa, 0x00, 0x00])).toBe("DerError"); // bad EOC
    expect(error([0x04, 0x85, 1, 0, 0, 0, 0])).toBe("DerError"); // five significant octets
    expect(error([0x04, 0xff, 0x01])).toBe("DerError"); // reserved length octet
    expect(error([0x04, 0x82, 0x01])).toBe("DerError"); // truncated length
    expect(error([0x04, 0x05, 0xaa])).toBe("DerError"); // content past the buffer
    expect(error([0x1f, 0x01, 0x00])).toBe("DerError"); // high tag number
    expect(error([0x30])).toBe("DerError"); // truncated header
  });

  it("a child may not run past its parent, however it is encoded", () => {
    // SEQUENCE (2 octets) { SEQUENCE (indefinite) … } with the end-of-contents outside it.
    const reader = new BerReader(Uint8Array.from([0x30, 0x02, 0x30, 0x80, 0x00, 0x00]));
    const outer = reader.read(0);
    expect(() => reader.children(outer)).toThrow(DerError);
    // The same inner TLV, read on its own, ends where its end-of-contents is.
    expect(reader.read(2)).toMatchObject({ after: 6 });
    expect(() => reader.children(outer)).toThrow(DerError);
  });

  it("deep nesting is scanned once, without recursion", () => {
    const depth = 200_000;
    const bytes = new Uint8Array(depth * 4 + 2);
    for (let i = 0; i < depth * 2; i += 2) bytes.set([0x30, 0x80], i);
    bytes.set([0x05, 0x00], depth * 2);
    const reader = new BerReader(bytes);
    const started = performance.now();
    let tlv = reader.read(0);
    expect(tlv.after).toBe(bytes.length);
    for (let level = 1; level < depth; level++) [tlv] = reader.children(tlv) as [typeof tlv];
    expect(reader.children(tlv).map((c) => c.tag)).toEqual([0x05]);
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
