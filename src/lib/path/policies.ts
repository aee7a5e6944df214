// Certificate policy processing (A19; RFC 5280 §6.1.2–6.1.5): the valid_policy_tree.
// INTERFACE STUB: the implementation replaces this body (see processPolicies' contract).
import type { ParsedCertificate } from "../certificate.js";
import type { PathFailure } from "./failure.js";
import type { PolicyInputs } from "./validator.js";

export const ANY_POLICY = "2.5.29.32.0";

export type PolicyOutcome =
  /** `policies`: the user-constrained policy set (RFC 5280 §6.1.6 (g)(iii)). */
  | { readonly ok: true; readonly policies: readonly string[] }
  | { readonly ok: false; readonly failure: PathFailure };

/**
 * Runs policy processing over a complete path, given leaf first and trust anchor last (the anchor
 * is not part of the prospective path: its own extensions are not processed, RFC 5280 §6.1).
 * Never throws; a hostile chain gets `policy-tree-too-large`, never unbounded work.
 */
export function processPolicies(
  path: readonly ParsedCertificate[],
  inputs: PolicyInputs,
): PolicyOutcome {
  void path;
  return { ok: true, policies: inputs.initialPolicySet ?? [ANY_POLICY] };
}
