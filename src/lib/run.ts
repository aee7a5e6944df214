// What one selection accumulates as it goes: the trace, the events (delivered to `onEvent` the
// moment they are raised, so both see the same order), and the per-certificate verdicts. The
// finishing methods build the public Selection variants, so no step builds a result by hand.
import type {
  CertificateVerdict,
  ExchangeEvent,
  GateCondition,
  NoCertificate,
  NoCertificateReason,
  NotAttempted,
  Selected,
  StoreEntry,
  TraceStep,
} from "../types.js";
import { readonlyDate } from "./readonly-date.js";

export class SelectionRun {
  readonly #trace: TraceStep[] = [];
  readonly #events: ExchangeEvent[] = [];
  #certificates: readonly CertificateVerdict[] = [];

  constructor(
    readonly direction: "outbound" | "inbound",
    readonly now: Date,
    private readonly onEvent: ((event: ExchangeEvent) => void) | undefined,
  ) {}

  step(step: TraceStep): void {
    this.#trace.push(step);
  }

  emit(event: ExchangeEvent): void {
    this.#events.push(event);
    this.onEvent?.(event);
  }

  setCertificates(certificates: readonly CertificateVerdict[]): void {
    this.#certificates = certificates;
  }

  #base() {
    return {
      direction: this.direction,
      evaluatedAt: readonlyDate(this.now),
      events: Object.freeze([...this.#events]),
      trace: Object.freeze([...this.#trace]),
      certificates: Object.freeze([...this.#certificates]),
    };
  }

  notAttempted(failed: readonly GateCondition[]): NotAttempted {
    return { outcome: "not-attempted", advertiseAnonymousTls: false, failed, ...this.#base() };
  }

  noCertificate(
    reason: NoCertificateReason,
    directoryThumbprint: string | null,
    cause?: unknown,
  ): NoCertificate {
    return {
      outcome: "no-certificate",
      advertiseAnonymousTls: false,
      reason,
      directoryThumbprint,
      ...(cause === undefined ? {} : { cause }),
      ...this.#base(),
    };
  }

  selected(result: {
    thumbprint: string;
    entry: StoreEntry;
    directoryThumbprint: string;
    bestCandidate: string | null;
    thumbprintMatches: boolean;
    chain: readonly Uint8Array[];
  }): Selected {
    return { outcome: "selected", advertiseAnonymousTls: true, ...result, ...this.#base() };
  }
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
