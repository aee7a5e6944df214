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
//    instead. Byte arrays (`chain`, `entry.certificate`) cannot be frozen: treat them as
//    read-only.
import type { ExchangeEvent, Selection, TraceStep } from "../../types.js";
import type { ParsedCertificate } from "../certificate.js";
import type { CommonInput } from "../options.js";
import { readonlyDate } from "../readonly-date.js";
import { SelectionRun } from "../run.js";
import { checkExpiry } from "../steps/expiry.js";

export interface Template {
  readonly selection: Selection;
  /** Where the expiry step is, and for which certificate; null when the run did not reach it. */
  readonly expiry: {
    readonly index: number;
    readonly certificate: ParsedCertificate;
    readonly rule: "R7" | "I4";
  } | null;
}

const EXPIRY_EVENTS: ReadonlySet<ExchangeEvent["id"]> = new Set([12015, 12017]);

/**
 * Freezes plain objects and arrays all the way down; class instances, dates and bytes are left
 * alone. A Selection is plain, acyclic data (it is JSON-serialisable by design); a plain object
 * that is already frozen is taken to be frozen all the way down (ours are, and so are the
 * snapshot's frozen entries), which also skips the verdicts shared between templates.
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

// The expiry step and its events, made fresh each session, are frozen field by field: deepFreeze's
// generic walk would cost more than the step itself.
function freezeStep(step: TraceStep): TraceStep {
  Object.freeze(step.rules);
  Object.freeze(step.data);
  return Object.freeze(step);
}

function freezeEvent(event: ExchangeEvent): ExchangeEvent {
  Object.freeze(event.data);
  return Object.freeze(event);
}

/** Makes a template of a pipeline result (computed without `onEvent`). */
export function makeTemplate(
  selection: Selection,
  certificates: ReadonlyMap<string, ParsedCertificate>,
): Template {
  const index = selection.trace.findIndex((step) => step.step === "expiry");
  const step = selection.trace[index];
  const thumbprint = step?.data.thumbprint;
  const certificate = typeof thumbprint === "string" ? certificates.get(thumbprint) : undefined;
  const rule = step?.rules[0];
  return {
    selection: deepFreeze(selection),
    expiry:
      certificate === undefined || (rule !== "R7" && rule !== "I4")
        ? null
        : { index, certificate, rule },
  };
}

/**
 * The Selection for one session from its template: the expiry step redone at this session's
 * `now`, events delivered to `onEvent` in order (an exception it throws is not caught, as in
 * the plain functions).
 */
export function instantiate(template: Template, input: CommonInput): Selection {
  const { selection, expiry } = template;
  let { events, trace } = selection;
  if (expiry !== null) {
    const scratch = new SelectionRun(selection.direction, input.now, undefined);
    checkExpiry(scratch, expiry.certificate, {
      rule: expiry.rule,
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
  if (input.onEvent !== undefined) for (const event of events) input.onEvent(event);
  // Spreading keeps the key order of the pipeline's result; only the values change.
  return Object.freeze({ ...selection, evaluatedAt: readonlyDate(input.now), events, trace });
}
