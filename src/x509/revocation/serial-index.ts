// The index of a CRL's revoked serial numbers (A21): an open-addressing hash table over the
// CRL's own bytes, built in one pass.
//
// Q: why not a Map from serial text to entry?
// A: a million entries made a million strings and a Map that outgrew the CPU caches: parsing a
//    1,000,000-entry CRL took ~20 times as long as a 100,000-entry one. Here each entry costs a
//    few typed-array slots (its offsets and issuer group, and two table slots), no string is
//    made, and building stays linear; a look-up hashes the serial's octets and compares bytes.
// Q: indirect CRLs?
// A: each entry belongs to an issuer group (RFC 5280 §5.3.3: the CRL issuer until the first
//    certificateIssuer, then the names of the last one seen); the hash covers the serial and the
//    group, and a look-up probes once per group that names the certificate's issuer (one, but
//    for an indirect CRL).
// Q: two entries for the same serial and issuer group?
// A: the first one counts (it is found first: linear probing keeps insertion order on a chain).

/** Growable column of unsigned 32-bit values. */
class Column {
  values = new Uint32Array(64);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Uint32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
}

/**
 * A per-process random seed: the table is built before the CRL's signature is checked, so a
 * hostile CRL must not be able to choose serials that all land on one probe chain (quadratic
 * build). Without the seed, colliding serials could be computed offline.
 */
const SEED = (Math.random() * 0x1_0000_0000) >>> 0;

/** FNV-1a over the serial's octets, seeded, mixed with the issuer group, then finalised. */
function hash(bytes: Uint8Array, start: number, end: number, group: number): number {
  let h = (0x811c9dc5 ^ SEED) >>> 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  h = Math.imul(h ^ group, 0x01000193);
  // murmur3's fmix32: every input bit reaches the low bits the mask keeps.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function sameRange(der: Uint8Array, start: number, end: number, query: Uint8Array): boolean {
  if (end - start !== query.length) return false;
  for (let i = 0; i < query.length; i++) if (der[start + i] !== query[i]) return false;
  return true;
}

const HEX_SERIAL = /^(?:[0-9A-F]{2})+$/;

export class SerialIndex {
  readonly #der: Uint8Array;
  readonly #entryStart = new Column();
  readonly #serialStart = new Column();
  readonly #serialEnd = new Column();
  readonly #group = new Column();
  /** Issuer name key → the groups that name it. */
  readonly #groupsOf = new Map<string, number[]>();
  #groupCount = 0;
  #table = new Int32Array(0);

  constructor(der: Uint8Array) {
    this.#der = der;
  }

  get size(): number {
    return this.#entryStart.length;
  }

  /** A new issuer group naming `keys`; its id. */
  addGroup(keys: readonly string[]): number {
    const id = this.#groupCount++;
    for (const key of new Set(keys)) {
      const list = this.#groupsOf.get(key);
      if (list === undefined) this.#groupsOf.set(key, [id]);
      else list.push(id);
    }
    return id;
  }

  add(entryStart: number, serialStart: number, serialEnd: number, group: number): void {
    this.#entryStart.push(entryStart);
    this.#serialStart.push(serialStart);
    this.#serialEnd.push(serialEnd);
    this.#group.push(group);
  }

  /** Builds the table once every entry was added (load factor at most 1/2). */
  seal(): this {
    const count = this.size;
    let capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    const table = new Int32Array(capacity).fill(-1);
    const mask = capacity - 1;
    const der = this.#der;
    const starts = this.#serialStart.values;
    const ends = this.#serialEnd.values;
    const groups = this.#group.values;
    for (let entry = 0; entry < count; entry++) {
      const start = starts[entry]!;
      const end = ends[entry]!;
      let slot = hash(der, start, end, groups[entry]!) & mask;
      let duplicate = false;
      for (let other = table[slot]!; other !== -1; other = table[slot]!) {
        if (
          groups[other] === groups[entry] &&
          sameRange(der, start, end, der.subarray(starts[other]!, ends[other]!))
        ) {
          duplicate = true;
          break;
        }
        slot = (slot + 1) & mask;
      }
      if (!duplicate) table[slot] = entry;
    }
    this.#table = table;
    return this;
  }

  /**
   * Offset of the entry for `serialNumber` (upper-case hex of the INTEGER's content octets)
   * issued by `issuerKey`, or undefined.
   */
  find(serialNumber: string, issuerKey: string): number | undefined {
    const groups = this.#groupsOf.get(issuerKey);
    if (groups === undefined || this.#table.length === 0) return undefined;
    if (!HEX_SERIAL.test(serialNumber)) return undefined;
    const query: Uint8Array = Buffer.from(serialNumber, "hex");
    // The first entry in list order among the groups that name the issuer.
    let first: number | undefined;
    for (const group of groups) {
      const entry = this.#probe(query, group);
      if (entry !== undefined && (first === undefined || entry < first)) first = entry;
    }
    return first === undefined ? undefined : this.#entryStart.values[first];
  }

  #probe(query: Uint8Array, group: number): number | undefined {
    const mask = this.#table.length - 1;
    const der = this.#der;
    let slot = hash(query, 0, query.length, group) & mask;
    for (let entry = this.#table[slot]!; entry !== -1; entry = this.#table[slot]!) {
      if (
        this.#group.values[entry] === group &&
        sameRange(der, this.#serialStart.values[entry]!, this.#serialEnd.values[entry]!, query)
      ) {
        return entry;
      }
      slot = (slot + 1) & mask;
    }
    return undefined;
  }
}
