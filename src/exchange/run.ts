// What one selection accumulates as it goes: the trace, the events (delivered to `onEvent` the
// moment they are raised, so both see the same order), and the per-certificate verdicts. The
// finishing methods build the public Selection variants, so no step builds a result by hand.
//
// Q: what may a caller do to a result, or a handler to an event (issue 18)?
// A: nothing that matters. Every result is frozen all the way down, whichever step decided it,
//    on the plain and the prepared path alike (the finishing methods below; the prepared
//    selector's templates are made from them): plain objects and arrays frozen, dates read-only
//    (readonly-date.ts). Byte arrays cannot be frozen, so each result gets its own
//    (`entry.certificate`, `chain[*]`, views into one buffer of its own: ownBytes): writing into
//    them changes that result only, never the store's entry, a trust anchor, another session or
//    a later one. `cause` is what the directory or store threw: the caller's object, handed back
//    as it was, never frozen.
// Q: and `onEvent`?
// A: it gets each event frozen (the same object `events` holds). A handler is the caller's
//    code, not the selection's: whatever it throws (including the TypeError a strict-mode handler
//    gets for writing into its event), or the promise an async handler returns rejects with,
//    is dropped; the later events are still delivered, and the selection resolves exactly as
//    it would without the handler. The selection does not wait for an async handler. So a
//    logging handler that fails cannot turn a selection into a rejection or change it.
import type {
  CertificateVerdict,
  Edition,
  ExchangeEvent,
  GateCondition,
  InboundStartTlsNoCertificate,
  InboundStartTlsSelected,
  LookedFor,
  NoCertificate,
  NoCertificateReason,
  NotAttempted,
  OutboundStartTlsNoCertificate,
  OutboundStartTlsSelected,
  OutboundStartTlsSessionFails,
  Selected,
  StartTlsNoCertificateReason,
  StartTlsNotAttempted,
  StoreEntry,
  TraceStep,
} from "../types.js";
import { readonlyDate } from "../x509/readonly-date.js";

/** Which selection a run is: the first three fields of every result. */
export interface ProcessKind {
  readonly process: "anonymous-tls" | "starttls";
  readonly direction: "outbound" | "inbound";
  readonly edition: Edition;
}

/** What a STARTTLS selection found, for its finishing methods. */
export interface StartTlsChoice {
  readonly lookedFor: LookedFor;
  readonly thumbprint: string;
  readonly entry: StoreEntry;
  readonly chain: readonly Uint8Array[];
  readonly basis: "pki" | "self-signed";
  readonly expired: boolean;
  readonly notYetValid: boolean;
  readonly smtpEnabled: boolean;
}

export class SelectionRun {
  readonly #trace: TraceStep[] = [];
  readonly #events: ExchangeEvent[] = [];
  #certificates: readonly CertificateVerdict[] = [];
  readonly direction: "outbound" | "inbound";

  constructor(
    readonly kind: ProcessKind,
    readonly now: Date,
    private readonly onEvent: ((event: ExchangeEvent) => void) | undefined,
  ) {
    this.direction = kind.direction;
  }

  step(step: TraceStep): void {
    this.#trace.push(step);
  }

  emit(event: ExchangeEvent): void {
    const frozen = freezeEvent(event);
    this.#events.push(frozen);
    deliver(this.onEvent, frozen);
  }

  setCertificates(certificates: readonly CertificateVerdict[]): void {
    this.#certificates = certificates;
  }

  #base() {
    return {
      process: this.kind.process,
      direction: this.direction,
      edition: this.kind.edition,
      evaluatedAt: readonlyDate(this.now),
      events: Object.freeze([...this.#events]),
      trace: Object.freeze([...this.#trace]),
      certificates: Object.freeze([...this.#certificates]),
    };
  }

  notAttempted(failed: readonly GateCondition[]): NotAttempted {
    return deepFreeze({
      outcome: "not-attempted",
      advertiseAnonymousTls: false,
      failed: [...failed],
      ...this.#base(),
      process: "anonymous-tls",
    });
  }

  noCertificate(
    reason: NoCertificateReason,
    directoryThumbprint: string | null,
    cause?: unknown,
  ): NoCertificate {
    return deepFreeze({
      outcome: "no-certificate",
      advertiseAnonymousTls: false,
      reason,
      directoryThumbprint,
      ...(cause === undefined ? {} : { cause }),
      ...this.#base(),
      process: "anonymous-tls",
    });
  }

  selected(result: {
    thumbprint: string;
    entry: StoreEntry;
    directoryThumbprint: string;
    bestCandidate: string | null;
    thumbprintMatches: boolean;
    chain: readonly Uint8Array[];
  }): Selected {
    const own = ownBytes(result.entry, result.chain);
    return deepFreeze({
      outcome: "selected",
      advertiseAnonymousTls: true,
      ...result,
      entry: own.entry,
      chain: own.chain,
      ...this.#base(),
      process: "anonymous-tls",
    });
  }

  /** S1: the Receive connector's AuthMechanism lacks Tls. */
  startTlsNotAttempted(): StartTlsNotAttempted {
    return deepFreeze({
      outcome: "not-attempted",
      advertiseStartTls: false,
      failed: ["S1"] as const,
      ...this.#base(),
      process: "starttls",
      direction: "inbound",
    });
  }

  /** S3/S5/S7 (S10 outbound): no certificate; 12014 has been emitted by the caller. */
  startTlsNoCertificate(
    reason: StartTlsNoCertificateReason,
    lookedFor: LookedFor,
    cause?: unknown,
  ): InboundStartTlsNoCertificate | OutboundStartTlsNoCertificate {
    const common = {
      outcome: "no-certificate" as const,
      reason,
      lookedFor,
      ...(cause === undefined ? {} : { cause }),
      ...this.#base(),
      process: "starttls" as const,
    };
    return deepFreeze(
      this.direction === "inbound"
        ? { ...common, direction: "inbound" as const, advertiseStartTls: false as const }
        : { ...common, direction: "outbound" as const, negotiateStartTls: true as const },
    );
  }

  /** S11: the Send connector's TlsCertificateName resolves to no usable certificate. */
  startTlsSessionFails(
    reply: OutboundStartTlsSessionFails["reply"],
    reason: StartTlsNoCertificateReason,
    lookedFor: OutboundStartTlsSessionFails["lookedFor"],
    cause?: unknown,
  ): OutboundStartTlsSessionFails {
    return deepFreeze({
      outcome: "session-fails",
      negotiateStartTls: false,
      reply,
      reason,
      lookedFor,
      ...(cause === undefined ? {} : { cause }),
      ...this.#base(),
      process: "starttls",
      direction: "outbound",
      // S11 exists only in the 2016 edition (editions.ts sendConnectorNameFailsSession).
      edition: "2016",
    });
  }

  /** S6: the certificate presented (inbound) or offered as client certificate (outbound). */
  startTlsSelected(choice: StartTlsChoice): InboundStartTlsSelected | OutboundStartTlsSelected {
    const own = ownBytes(choice.entry, choice.chain);
    const common = {
      outcome: "selected" as const,
      ...choice,
      entry: own.entry,
      chain: own.chain,
      ...this.#base(),
      process: "starttls" as const,
    };
    return deepFreeze(
      this.direction === "inbound"
        ? { ...common, direction: "inbound" as const, advertiseStartTls: true as const }
        : { ...common, direction: "outbound" as const, negotiateStartTls: true as const },
    );
  }
}

/**
 * Calls a caller's event handler. What it throws is dropped, so that it can change nothing: not
 * the outcome, not the events after it (see the Q&A at the top).
 */
export function deliver(
  onEvent: ((event: ExchangeEvent) => void) | undefined,
  event: ExchangeEvent,
): void {
  if (onEvent === undefined) return;
  try {
    const returned: unknown = onEvent(event);
    // An async handler fails by rejecting: that is dropped too (it would otherwise be an
    // unhandled rejection, which ends a Node process by default).
    if (typeof returned === "object" && returned !== null && "then" in returned) {
      const then = (returned as PromiseLike<unknown>).then;
      if (typeof then === "function") then.call(returned, undefined, () => undefined);
    }
  } catch {
    // The handler's own failure, not the selection's.
  }
}

/** An event as results and handlers see it: frozen (its `notAfter` is a read-only date). */
export function freezeEvent(event: ExchangeEvent): ExchangeEvent {
  Object.freeze(event.data);
  return Object.freeze(event);
}

/**
 * A result's own copies of its bytes: the entry used (frozen, its DER copied; PEM text is
 * immutable already) and the chain (a frozen array). All of them are views into one new buffer,
 * at ranges that do not overlap: one allocation per result instead of one per certificate (an
 * off-heap allocation costs about a microsecond each, and the prepared selector does this on
 * every session), and still nothing another result, the store or a trust input holds.
 */
export function ownBytes(
  entry: StoreEntry,
  chain: readonly Uint8Array[],
): { readonly entry: StoreEntry; readonly chain: readonly Uint8Array[] } {
  const entryBytes = typeof entry.certificate === "string" ? undefined : entry.certificate;
  let total = entryBytes?.length ?? 0;
  for (const bytes of chain) total += bytes.length;
  const slab = new Uint8Array(total);
  let offset = 0;
  const view = (bytes: Uint8Array): Uint8Array => {
    slab.set(bytes, offset);
    offset += bytes.length;
    return slab.subarray(offset - bytes.length, offset);
  };
  const copies = new Array<Uint8Array>(chain.length);
  for (let i = 0; i < chain.length; i++) copies[i] = view(chain[i]!);
  return {
    entry:
      entryBytes === undefined ? entry : Object.freeze({ ...entry, certificate: view(entryBytes) }),
    chain: Object.freeze(copies),
  };
}

/**
 * Freezes plain objects and arrays all the way down; class instances, dates and bytes are left
 * alone. A Selection is plain, acyclic data (it is JSON-serialisable by design); a plain object
 * that is already frozen is taken to be frozen all the way down (ours are: entries, events,
 * verdicts shared between decisions), which keeps the walk short. `cause` is the caller's.
 */
export function deepFreeze<T>(root: T): T {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== "object" || value === null) continue;
    const array = Array.isArray(value);
    if (!array) {
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) continue;
      if (Object.isFrozen(value)) continue;
    }
    Object.freeze(value);
    if (array) {
      for (const item of value) pending.push(item);
    } else {
      for (const key in value) {
        // A store's or directory's error is the caller's object, not ours to freeze.
        if (key !== "cause") pending.push((value as Record<string, unknown>)[key]);
      }
    }
  }
  return root;
}

/**
 * A short rendering of a thrown value for traces and event data. What an injected dependency
 * throws is hostile input too: reading its name, message or code may throw (getters, revoked
 * Proxies), and that must never turn "cannot be read" (R4, A16) into a rejected selection.
 */
export function describeCause(cause: unknown): string {
  try {
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      return `${String(cause.name)}${typeof code === "string" ? ` [${code}]` : ""}: ${String(cause.message)}`;
    }
    return String(cause);
  } catch {
    try {
      return `an unprintable ${typeof cause} value`;
    } catch {
      return "an unprintable value";
    }
  }
}
