// Revocation from caller-supplied CRLs (A21): the one import for code that wires CRLs into a
// path validator (validateCertificatePath, and the selection functions' trust evaluator).
export {
  type CrlRevocationOptions,
  type CrlSet,
  createCrlRevocationChecker,
  type IgnoredCrl,
  prepareCrls,
  type RevocationMode,
} from "./checker.js";
export type {
  CertificateRevocationListInput,
  CrlEntry,
  CrlParseFailure,
  ParsedCrl,
} from "./crl.js";
