// One SecureContext per decision (issue 14). Building one parses the key and the chain (about a
// millisecond for an RSA key); the prepared selector hands the same decision to every session
// until the store, the directory or the time slot changes, so the context is built once per
// decision and shared.
// Q: what is "the same decision"?
// A: the same certificate (thumbprint), the same chain sent with it (the DER of every element:
//    a new intermediate or a different path makes a new context) and the same private key text.
//    All three are compared on every hit, so a stale context is never handed out, whatever the
//    store did.
// Q: and STARTTLS?
// A: the same cache: a STARTTLS decision (S1–S9) is keyed apart from an anonymous one (the process
//    is part of the key), so the two processes choosing the same certificate with different chains
//    never evict each other's context at every session.
// Q: and a store change?
// A: a change that changes the decision (another certificate, chain or key) builds a new context
//    by the comparison above. A change that does not (an unrelated entry, or a folder store that
//    re-reads the same files into new objects: a new listing every session) keeps the context:
//    it is a pure function of those three inputs, so rebuilding it would only cost the
//    millisecond this cache exists to save. The table holds one context per certificate and is
//    emptied when it reaches MAX_CONTEXTS (only a store that keeps changing gets there).
// Q: a key the store has but TLS cannot use (malformed, not the certificate's)?
// A: remembered as a failure for that decision, so a broken entry costs one failed build, not
//    one per session; the EHLO omits the keyword (A9) and onError hears of it once per decision.

import { createSecureContext, type SecureContext, type SecureVersion } from "node:tls";
import { NoPrivateKeyError } from "../../errors.js";
import type { InboundStartTlsSelected, Selected, Selection } from "../../types.js";
import { sameBytes } from "../../x509/der.js";
import { toTlsOptions } from "../tls.js";

/** A context, or why there is none. */
export type ContextResult =
  | { readonly ok: true; readonly context: SecureContext }
  | {
      readonly ok: false;
      readonly reason: "no-private-key-material" | "private-key-unusable";
      readonly error: unknown;
      /** True the first time this decision failed (report it once). */
      readonly first: boolean;
    };

interface Built {
  readonly chain: readonly Uint8Array[];
  readonly key: string | undefined;
  readonly result: ContextResult;
}

/** Decisions with a context kept; more only happens with a store that keeps changing. */
const MAX_CONTEXTS = 32;

/** A decision that puts a certificate on a socket: X-ANONYMOUSTLS (I4) or STARTTLS (S6). */
export type ContextDecision = Selected | InboundStartTlsSelected;

export class SecureContextCache {
  readonly #minVersion: SecureVersion;
  /** Keyed by process and thumbprint. */
  readonly #byThumbprint = new Map<string, Built>();
  /** Contexts built (or attempted) since creation: for tests and monitoring. */
  built = 0;

  constructor(minVersion: SecureVersion) {
    this.#minVersion = minVersion;
  }

  /** The context of a decision: built once, then shared. */
  get(selection: ContextDecision): ContextResult {
    const key = selection.entry.privateKey;
    const slot = `${selection.process}:${selection.thumbprint}`;
    const known = this.#byThumbprint.get(slot);
    if (known !== undefined && known.key === key && sameChain(known.chain, selection.chain)) {
      return known.result.ok ? known.result : { ...known.result, first: false };
    }
    const result = this.#build(selection);
    if (this.#byThumbprint.size >= MAX_CONTEXTS) this.#byThumbprint.clear();
    // A copy: the session's chain is the caller's to change.
    const chain = selection.chain.map((der) => Uint8Array.from(der));
    this.#byThumbprint.set(slot, { chain, key, result });
    return result;
  }

  #build(selection: ContextDecision): ContextResult {
    this.built += 1;
    try {
      return {
        ok: true,
        context: createSecureContext(toTlsOptions(selection, { minVersion: this.#minVersion })),
      };
    } catch (error) {
      // A9: a certificate without usable key material is never offered.
      const reason =
        error instanceof NoPrivateKeyError ? "no-private-key-material" : "private-key-unusable";
      return { ok: false, reason, error, first: true };
    }
  }
}

function sameChain(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((bytes, i) => sameBytes(bytes, b[i]!));
}

/** What an EHLO offers for one process: the chosen certificate on its context, or why not. */
export type ContextOffer<S extends Selection> =
  | {
      readonly offered: true;
      readonly selection: Extract<S, ContextDecision>;
      readonly context: SecureContext;
    }
  | {
      readonly offered: false;
      /** The gate's failed conditions, the selection's reason, or the context's (A9). */
      readonly reason: string;
      /**
       * A key TLS refuses, met for the first time for this decision: worth reporting once (no
       * key material at all is a normal outcome, A9, and is not).
       */
      readonly unusableKey?: { readonly thumbprint: string; readonly error: unknown };
    };

/**
 * One inbound selection's offer (X-ANONYMOUSTLS or STARTTLS), for every receiver: the certificate
 * it chose on its shared context, or why not. Only the inbound selections are passed here, so a
 * selected result is a ContextDecision.
 */
export function offerOf<S extends Selection>(
  contexts: SecureContextCache,
  selection: S,
): ContextOffer<S> {
  if (selection.outcome !== "selected") {
    return {
      offered: false,
      reason:
        selection.outcome === "not-attempted"
          ? `gate ${selection.failed.join(", ")} not met`
          : selection.reason,
    };
  }
  const chosen = selection as unknown as Extract<S, ContextDecision>;
  const built = contexts.get(chosen);
  if (built.ok) return { offered: true, selection: chosen, context: built.context };
  return {
    offered: false,
    reason: built.reason,
    ...(built.first && built.reason === "private-key-unusable"
      ? { unusableKey: { thumbprint: chosen.thumbprint, error: built.error } }
      : {}),
  };
}
