// A21: the caller's `crls` and `revocationMode`, checked and parsed once, for the path validator
// (validateCertificatePath) and the selections alike.
import { type CrlSet, prepareCrls, type RevocationMode } from "./checker.js";

/** A21: what the trust evaluator checks revocation with. */
export interface RevocationInput {
  readonly crls: CrlSet;
  readonly mode: RevocationMode;
}

/**
 * A21: `crls` and `revocationMode`, checked and parsed once. A wrong type is misuse (TypeError);
 * a CRL that does not parse is not: it is ignored and reported (CrlSet.ignored), as
 * validateCertificatePath does. Undefined when neither was given (no revocation checking).
 */
export function checkRevocation(crls: unknown, mode: unknown): RevocationInput | undefined {
  if (crls === undefined && mode === undefined) return undefined;
  if (crls !== undefined) {
    if (!Array.isArray(crls)) throw new TypeError("crls must be an array of DER bytes or PEM text");
    for (const crl of crls) {
      if (!(crl instanceof Uint8Array) && typeof crl !== "string") {
        throw new TypeError("each of crls must be DER bytes (Uint8Array) or PEM text");
      }
    }
  }
  if (mode !== undefined && mode !== "soft" && mode !== "hard") {
    throw new TypeError('revocationMode must be one of "soft", "hard"');
  }
  // prepareCrls copies DER input: a caller reusing its buffer cannot change a kept CRL.
  return {
    crls: prepareCrls((crls ?? []) as readonly (Uint8Array | string)[]),
    mode: mode ?? "soft",
  };
}
