// Thumbprints: SHA-1 of the DER certificate, written as 40 hex digits (docs/rules.md, "Values").
// Q: what do administrators paste?  A: "AB CD …", "ab:cd:…", lower case, and from the Windows
//    certificate dialog a U+200E left-to-right mark in front. All of these are the same value.
// Q: what is not a thumbprint?  A: anything else: other lengths, non-hex digits, hyphens, empty.
import { createHash } from "node:crypto";

import { InvalidThumbprintError } from "../errors.js";

declare const thumbprintBrand: unique symbol;
/** 40 upper-case hexadecimal digits. Only {@link parseThumbprint} and {@link thumbprintOf} make one. */
export type Thumbprint = string & { readonly [thumbprintBrand]: true };

// Separators people paste: ASCII white space (space, tab, CR, LF), colons, and the invisible
// bidirectional marks U+200E / U+200F that Windows dialogs copy, plus a stray BOM (U+FEFF) that
// text files saved by Windows tools start with. Nothing else: other Unicode spaces (no-break,
// ideographic, line separator) are "anything else" in docs/rules.md, so not a thumbprint.
const SEPARATORS = /[ \t\r\n:\u200e\u200f\ufeff]/g;
// ASCII hex digits only, checked *before* upper-casing: String#toUpperCase maps some non-ASCII
// letters to ASCII ones ("\ufb00", the "ff" ligature, becomes "FF"), and those are not digits.
const HEX40 = /^[0-9A-Fa-f]{40}$/;

/** Parses any accepted spelling of a thumbprint. Throws {@link InvalidThumbprintError} otherwise. */
export function parseThumbprint(value: string): Thumbprint {
  if (typeof value !== "string") {
    throw new TypeError(`thumbprint must be a string, got ${typeof value}`);
  }
  const compact = value.replace(SEPARATORS, "");
  if (compact.length === 0) {
    throw new InvalidThumbprintError("thumbprint is empty", value);
  }
  if (!HEX40.test(compact)) {
    const why =
      compact.length !== 40
        ? `has ${compact.length} characters once separators are removed, not 40`
        : "contains characters that are not hexadecimal digits";
    throw new InvalidThumbprintError(`thumbprint ${why}`, value);
  }
  return compact.toUpperCase() as Thumbprint;
}

/** The thumbprint of a DER certificate. */
export function thumbprintOf(der: Uint8Array): Thumbprint {
  return createHash("sha1").update(der).digest("hex").toUpperCase() as Thumbprint;
}
