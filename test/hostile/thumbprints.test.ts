// Thumbprints (docs/rules.md "Values", R3, R4, A15): every spelling people paste is accepted and
// means the same 40 hex digits; anything else is not a thumbprint. A direct call throws
// InvalidThumbprintError (ERR_INVALID_THUMBPRINT); the same value from the directory is
// "cannot be read" (R4) with the error kept as the cause.
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { InvalidThumbprintError, parseThumbprint } from "../../src/index.js";
import { fixture, staticDirectory } from "../support/fixtures.js";
import { outbound } from "./support.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const T = fixture("self-signed").thumbprint; // C2321A04…, 40 upper-case hex digits
const pairs = (t: string) => t.match(/../g)!;

describe("Thumbprints: accepted spellings all mean the same thumbprint", () => {
  it.each([
    ["upper case, no separators", T],
    ["lower case", T.toLowerCase()],
    [
      "mixed case",
      pairs(T)
        .map((p, i) => (i % 2 ? p.toLowerCase() : p))
        .join(""),
    ],
    ["pairs separated by spaces (certificate dialog)", pairs(T).join(" ")],
    ["pairs separated by colons (openssl -fingerprint)", pairs(T).join(":")],
    ["lower case with colons", pairs(T).join(":").toLowerCase()],
    ["a U+200E left-to-right mark in front (copied from Windows)", `\u200e${pairs(T).join(" ")}`],
    ["a U+200F right-to-left mark in front", `\u200f${T}`],
    ["a U+FEFF byte-order mark in front", `\ufeff${T}`],
    ["marks in the middle", `${T.slice(0, 20)}\u200e\u200f${T.slice(20)}`],
    ["tabs between groups", pairs(T).join("\t")],
    ["a trailing newline", `${T}\n`],
    ["CRLF line breaks", `${T.slice(0, 20)}\r\n${T.slice(20)}\r\n`],
    ["leading and trailing white space", `  \t${T}  \n`],
    ["groups of four separated by spaces", T.match(/..../g)!.join(" ")],
  ])("%s", (_name, spelling) => {
    expect(parseThumbprint(spelling)).toBe(T);
  });

  it("any accepted spelling parses to 40 upper-case hex digits, the input's digits", () => {
    const separator = fc.constantFrom(
      " ",
      ":",
      "\t",
      "\n",
      "\r\n",
      "\u200e",
      "\u200f",
      "\ufeff",
      "",
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.array(separator, { minLength: 41, maxLength: 41 }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        (bytes, separators, lower) => {
          const hex = Buffer.from(bytes).toString("hex").toUpperCase();
          const spelled =
            [...hex].map((d, i) => `${separators[i]}${lower[i] ? d.toLowerCase() : d}`).join("") +
            separators[40];
          expect(parseThumbprint(spelled)).toBe(hex);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

const REJECTED: readonly (readonly [string, string])[] = [
  ["empty", ""],
  ["only white space", " \t\n"],
  ["only a left-to-right mark", "\u200e"],
  ["39 hex digits", T.slice(0, 39)],
  ["41 hex digits", `${T}0`],
  [
    "a no-break space between groups (not a listed separator)",
    `${T.slice(0, 20)}\u00a0${T.slice(20)}`,
  ],
  ["an ideographic space between groups", `${T.slice(0, 20)}\u3000${T.slice(20)}`],
  ["a line separator U+2028 between groups", `${T.slice(0, 20)}\u2028${T.slice(20)}`],
  ["two thumbprints", `${T} ${T}`],
  ["a non-hex letter", `${T.slice(0, 39)}G`],
  ["hyphens between groups", pairs(T).join("-")],
  ["a 0x prefix", `0x${T}`],
  ["a comma", `${T.slice(0, 20)},${T.slice(20)}`],
  ["a NUL inside", `${T.slice(0, 20)}\u0000${T.slice(20)}`],
  ["a NUL at the end (a C string)", `${T}\u0000`],
  // Non-ASCII that String#toUpperCase would turn into ASCII hex digits: never a thumbprint.
  ["the U+FB00 'ff' ligature (upper-cases to FF)", `${T.slice(0, 38)}\ufb00`],
  ["full-width digits", T.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)))],
  ["Arabic-Indic digits", T.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d)))],
  ["a soft hyphen (U+00AD, invisible)", `${T.slice(0, 20)}\u00ad${T.slice(20)}`],
  ["a zero-width space (U+200B, not white space)", `${T.slice(0, 20)}\u200b${T.slice(20)}`],
  ["SHA-256 length (64 hex digits)", "AB".repeat(32)],
];

describe("Thumbprints: anything else is rejected with ERR_INVALID_THUMBPRINT", () => {
  it.each(REJECTED)("%s", (_name, value) => {
    let thrown: unknown;
    try {
      parseThumbprint(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidThumbprintError);
    expect(thrown).toMatchObject({ code: "ERR_INVALID_THUMBPRINT", value });
  });

  it.each([
    ["a number", 42],
    ["null", null],
    ["bytes", new Uint8Array(20)],
  ])("misuse: %s is a TypeError", (_name, value) => {
    expect(() => parseThumbprint(value as unknown as string)).toThrow(TypeError);
  });

  it("any string that parses is exactly its 40 ASCII hex digits (no other character survives)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (value) => {
        let parsed: string | undefined;
        try {
          parsed = parseThumbprint(value);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidThumbprintError);
          return;
        }
        expect(parsed).toMatch(/^[0-9A-F]{40}$/);
        expect(value.replace(/[\s:\u200e\u200f\ufeff]/g, "").toUpperCase()).toBe(parsed);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("R4: a bad thumbprint from the directory is 'cannot be read', with the cause", () => {
  const store = { list: () => [] };

  it.each(REJECTED.filter(([, value]) => value.replace(/[\s\u200e\u200f\ufeff]/g, "") !== ""))(
    "%s → directory-unreadable",
    async (_name, value) => {
      const result = await outbound({ directory: staticDirectory(value), store });
      expect(result).toMatchObject({
        outcome: "no-certificate",
        reason: "directory-unreadable",
        directoryThumbprint: null,
        advertiseAnonymousTls: false,
        cause: { code: "ERR_INVALID_THUMBPRINT" },
      });
      expect(result.events).toEqual([]); // a session: no 12012 (R5)
    },
  );

  it.each(REJECTED.filter(([, value]) => value.replace(/[\s\u200e\u200f\ufeff]/g, "") === ""))(
    "A15: %s → directory-empty",
    async (_name, value) => {
      const result = await outbound({ directory: staticDirectory(value), store });
      expect(result).toMatchObject({ outcome: "no-certificate", reason: "directory-empty" });
    },
  );

  it("R5: at start-up the unreadable value logs 12012 with the cause's code", async () => {
    const result = await outbound({
      directory: staticDirectory("not a thumbprint"),
      store,
      phase: "startup",
    });
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({
      id: 12012,
      data: { reason: "directory-unreadable" },
    });
    expect(result.events[0]?.id === 12012 && result.events[0].data.cause).toContain(
      "ERR_INVALID_THUMBPRINT",
    );
  });
});

describe("R3: a thumbprint the directory returns as bytes", () => {
  const store = { list: () => [] };
  const read = async (value: Uint8Array) => outbound({ directory: staticDirectory(value), store });

  it("R3: ASCII bytes of a thumbprint that starts with '0' (0x30, the DER SEQUENCE tag) are read as text", async () => {
    const zero = `0${T.slice(1)}`;
    const result = await read(new Uint8Array(Buffer.from(zero, "latin1")));
    // Read, and simply not in this (empty) store: R6, not R4.
    expect(result).toMatchObject({
      outcome: "no-certificate",
      reason: "not-in-store",
      directoryThumbprint: zero,
    });
  });

  it("R3: UTF-8 bytes with the U+200E mark Windows copies are read as text", async () => {
    const result = await read(new Uint8Array(Buffer.from(`\u200e${pairs(T).join(" ")}`, "utf8")));
    expect(result).toMatchObject({ reason: "not-in-store", directoryThumbprint: T });
  });

  it.each([
    ["UTF-16 bytes (NULs between the digits)", new Uint8Array(Buffer.from(T, "utf16le"))],
    ["a NUL-terminated C string", new Uint8Array(Buffer.from(`${T}\u0000`, "latin1"))],
    ["invalid UTF-8", new Uint8Array([...Buffer.from(T.slice(0, 39)), 0xc3])],
    ["the raw 20 bytes of the SHA-1", new Uint8Array(Buffer.from(T, "hex"))],
  ])("R4: %s → directory-unreadable", async (_name, value) => {
    const result = await read(value);
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "directory-unreadable" });
    expect(result.outcome === "no-certificate" && result.cause).toBeInstanceOf(Error);
  });
});
