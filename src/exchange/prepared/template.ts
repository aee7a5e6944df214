// A decision template: the Selection the pipeline produced for one (store listing, directory
// value, configuration, time slot), kept frozen and handed to every later session with the same
// key after the parts that depend on `now` itself are redone.
//
// Q: which parts of a Selection depend on `now` beyond its time slot?
// A: `evaluatedAt`, and the expiry step (R7/I4): its trace data carries `now`, and the optional
//    12017 warning counts the hours left. Both are recomputed per session with the same
//    checkExpiry the pipeline runs. Everything else (validity statuses, trust verdicts, chains)
//    only compares `now` with validity boundaries, which the slot pins down.
// Q: why frozen?
// A: every session with the same key gets the same verdict, trace and certificate objects; a
//    caller that changed one would change every later answer. Freezing makes that a TypeError
//    instead, exactly as on the plain path (run.ts freezes every result the same way).
// Q: and the bytes (`entry.certificate`, `chain[*]`), which cannot be frozen?
// A: each session gets its own copies (ownBytes, as the plain path makes them): a caller that
//    writes into its result's bytes changes that result only (issue 18). Copying a chain of
//    three certificates and the entry into one new buffer costs about 2 µs; JavaScript has no
//    read-only byte array to share instead, and sharing writable ones left every later session
//    at the mercy of one careless caller.
import type { ExchangeEvent, Selection, TraceStep } from "../../types.js";
import type { ParsedCertificate } from "../../x509/certificate.js";
import { readonlyDate } from "../../x509/readonly-date.js";
import { EDITIONS } from "../editions.js";
import type { SettingsInput } from "../options.js";
import { deepFreeze, deliver, freezeEvent, ownBytes, SelectionRun } from "../run.js";
import {
  checkExpiry,
  type ExpiryReport,
  internalCertificateExpiry,
  startTlsCertificateExpiry,
} from "../steps/expiry.js";

export interface Template<S extends Selection = Selection> {
  readonly selection: S;
  /** Where the expiry step is, and for which certificate; null when the run did not reach it. */
  readonly expiry: {
    readonly index: number;
    readonly certificate: ParsedCertificate;
    readonly report: ExpiryReport;
  } | null;
}

const EXPIRY_EVENTS: ReadonlySet<ExchangeEvent["id"]> = new Set([12015, 12017, 12016, 12018]);

/** The events the expiry step of `selection` raises: R7/I4 (12015, 12017) or S8/S9 (12016, 12018). */
function expiryReportOf(selection: Selection, rule: unknown): ExpiryReport | null {
  if (rule === "R7" || rule === "I4")
    return internalCertificateExpiry(rule, EDITIONS[selection.edition]);
  if ((rule === "S8" || rule === "S9") && "lookedFor" in selection) {
    return startTlsCertificateExpiry(selection.lookedFor.name);
  }
  return null;
}

// The expiry step and its events, made fresh each session, are frozen field by field: deepFreeze's
// generic walk would cost more than the step itself.
function freezeStep(step: TraceStep): TraceStep {
  Object.freeze(step.rules);
  Object.freeze(step.data);
  return Object.freeze(step);
}

/** Makes a template of a pipeline result (computed without `onEvent`). */
export function makeTemplate<S extends Selection>(
  selection: S,
  certificates: ReadonlyMap<string, ParsedCertificate>,
): Template<S> {
  const index = selection.trace.findIndex((step) => step.step === "expiry");
  const step = selection.trace[index];
  const thumbprint = step?.data.thumbprint;
  const certificate = typeof thumbprint === "string" ? certificates.get(thumbprint) : undefined;
  const report = expiryReportOf(selection, step?.rules[0]);
  return {
    selection: deepFreeze(selection),
    expiry: certificate === undefined || report === null ? null : { index, certificate, report },
  };
}

/**
 * The Selection for one session from its template: the expiry step redone at this session's
 * `now`, its own bytes, events delivered to `onEvent` in order (what the handler throws is
 * dropped, as on the plain path: run.ts `deliver`).
 */
export function instantiate<S extends Selection>(template: Template<S>, input: SettingsInput): S {
  const { selection, expiry } = template;
  let { events, trace } = selection;
  if (expiry !== null) {
    const scratch = new SelectionRun(selection, input.now, undefined);
    checkExpiry(scratch, expiry.certificate, {
      report: expiry.report,
      expiryWarning: input.expiryWarning,
    });
    const fresh = scratch.notAttempted([]);
    const steps: TraceStep[] = [...trace];
    steps[expiry.index] = freezeStep(fresh.trace[0]!);
    trace = Object.freeze(steps);
    events = Object.freeze([
      ...fresh.events.map(freezeEvent),
      ...events.filter((event) => !EXPIRY_EVENTS.has(event.id)),
    ]);
  }
  if (input.onEvent !== undefined) for (const event of events) deliver(input.onEvent, event);
  // Spreading keeps the key order of the pipeline's result; only the values change.
  if (selection.outcome === "selected") {
    const own = ownBytes(selection.entry, selection.chain);
    return Object.freeze<Selection>({
      ...selection,
      entry: own.entry,
      chain: own.chain,
      evaluatedAt: readonlyDate(input.now),
      events,
      trace,
    }) as unknown as S;
  }
  return Object.freeze({ ...selection, evaluatedAt: readonlyDate(input.now), events, trace }) as S;
}
