// The prepared selector (issue 9): the same selection as selectOutboundAnonymousTlsCert and
// selectInboundAnonymousTlsCert, for a transport that runs it on every SMTP session while its
// store rarely changes. It runs the very same pipeline, with caching implementations of the
// pipeline's seams, and replays a decision it has already made when nothing it depends on moved.
//
// Q: what is kept between sessions?
// A: parsed certificates (by content: SHA-1 of the DER, or the PEM text), private-key verdicts,
//    trust verdicts per (certificate, pool time slot, the certificate's own two time facts:
//    before notBefore, after notAfter), decoded directory values, and, per store
//    listing, decision templates: the pipeline's whole result per (directory value,
//    configuration, time slot), frozen.
// Q: what does every session still do?
// A: check its options, evaluate the gate, read the directory and list the store, exactly once
//    each and in the pipeline's order, as the plain functions do (R3, A16 snapshot semantics):
//    a directory or store that changes is seen by the next session. Then it looks up its
//    template, and redoes the one step that depends on `now` itself (expiry, R7/I4).
// Q: what is "the same store"?
// A: the same array returned by `list()` (with the same length), or a new array holding the
//    same entry objects in the same order. A store signals a change by returning a different
//    array or different entries; what it has returned is treated as immutable: an array, its
//    entries and their bytes must not be changed in place afterwards. A store that does change
//    them in place sets `detectInPlaceChanges`: every session then re-reads every entry (still
//    without re-parsing, re-checking keys or re-validating paths; O(entries) instead of O(1)).
// Q: what is a time slot?
// A: the validity boundaries (notBefore, notAfter + 1 ms, A4 inclusive) of every certificate
//    the store lists and of every trust anchor and intermediate cut time into intervals. Within
//    one interval every "is it valid at now" comparison the steps make has the same answer, so
//    the decision is the same; crossing a boundary recomputes it (from cached parts).
// Q: and a failure before the store is read (gate not passed, directory unreadable or empty,
//    store that throws)?
// A: no template: the pipeline runs (cheaply: nothing is parsed) on what this session read.
// Q: what does a caller get?
// A: a Selection equal to the plain function's (test/selector/equivalence.test.ts), frozen all
//    the way down as the plain function's is (run.ts), whichever step decided it; sessions with
//    the same decision share its frozen verdicts and trace. Byte arrays (chain,
//    entry.certificate) cannot be frozen, so each session gets its own copies (issue 18).
// Q: and onEvent?
// A: the events of a replayed decision are delivered when the session's result is made, frozen;
//    what a handler throws is dropped, as on the plain path. A decision is made without any
//    session's handler, so no handler can change what later sessions get.
// Q: the validation profile (A3)?
// A: one per selector (createSelector's `profile`): it changes trust verdicts, which the trust
//    cache keeps, so a session cannot pass its own.
// Q: CRLs (A21)?
// A: likewise per selector (`crls`, `revocationMode`), parsed once by createSelector. A CRL's
//    thisUpdate and nextUpdate + 1 ms are time-slot boundaries like a certificate's validity
//    (caches.ts), so a CRL that expires between two sessions changes the decision exactly when
//    the plain functions' does.
import { InvalidCertificateError } from "../errors.js";
import type {
  AnonymousTlsSelection,
  CertificateInput,
  CertStore,
  Directory,
  InboundSelectionOptions,
  InboundStartTlsSelection,
  InboundStartTlsSelectionOptions,
  OutboundSelectionOptions,
  OutboundStartTlsSelection,
  OutboundStartTlsSelectionOptions,
  Selection,
} from "../types.js";
import type { ParsedCertificate } from "../x509/certificate.js";
import type { ValidationProfile } from "../x509/path/validator.js";
import type { CertificateRevocationListInput, RevocationMode } from "../x509/revocation/index.js";
import { runInboundSelection } from "./inbound-anonymous.js";
import { runInboundStartTlsSelection } from "./inbound-starttls.js";
import type {
  CommonInput,
  InboundInput,
  OutboundInput,
  SettingsInput,
  StartTlsInput,
} from "./options.js";
import {
  checkInboundOptions,
  checkInboundStartTlsOptions,
  checkOutboundOptions,
  checkOutboundStartTlsOptions,
  checkProfile,
  checkRevocation,
  type RevocationInput,
} from "./options.js";
import { type OutboundContext, runOutboundSelection } from "./outbound-anonymous.js";
import { runOutboundStartTlsSelection } from "./outbound-starttls.js";
import {
  CertificateCache,
  DirectoryValueCache,
  mergeCuts,
  type ParseRecord,
  PrivateKeyCache,
  slotOf,
  TrustCache,
  validityCuts,
} from "./prepared/caches.js";
import { instantiate, makeTemplate, type Template } from "./prepared/template.js";
import { checkReceiveConnectorGate } from "./steps/receive-connector-gate.js";
import { checkRoleGate } from "./steps/role-gate.js";
import { raceAbort } from "./store.js";
import { parseCertificates } from "./trust.js";

/**
 * What {@link createSelector} prepares once for every session: the store and the trust material.
 */
export interface SelectorOptions {
  /** The local computer's store; `list()` is still called once per session. */
  readonly store: CertStore;
  /** Roots that make a chain "valid PKI" (A3), parsed once here. */
  readonly trustAnchors?: readonly CertificateInput[];
  /** Extra CA certificates for path building, parsed once here. */
  readonly intermediates?: readonly CertificateInput[];
  /**
   * The store changes the arrays or entries it has returned in place. Default false: a store
   * signals a change by returning a different array (see "the same store" in the README).
   */
  readonly detectInPlaceChanges?: boolean;
  /**
   * A3: the path-validation profile that makes a chain valid PKI, for every session of this
   * selector (its trust verdicts are kept per profile). Default "rfc5280".
   */
  readonly profile?: ValidationProfile;
  /**
   * A21: the CRLs every session's trust verdicts are checked against, parsed once here (one
   * that does not parse is ignored and reported in the verdicts, never thrown).
   */
  readonly crls?: readonly CertificateRevocationListInput[];
  /** A21: "soft" (default) or "hard", for every session of this selector. */
  readonly revocationMode?: RevocationMode;
}

/** Options createSelector prepares, which a session may not pass. */
/** What createSelector prepares once, and a session may therefore not give. */
const PREPARED = [
  "store",
  "trustAnchors",
  "intermediates",
  "profile",
  "crls",
  "revocationMode",
] as const;
type Prepared = (typeof PREPARED)[number];

/** What a session passes: the plain options minus what the selector prepared. */
export type PreparedOutboundOptions = Omit<OutboundSelectionOptions, Prepared>;
/**
 * What a session passes to `selectInbound`: the plain inbound options minus what the selector
 * prepared.
 */
export type PreparedInboundOptions = Omit<InboundSelectionOptions, Prepared>;
/** What a session passes to `selectInboundStartTls`: the plain options minus the prepared ones. */
export type PreparedInboundStartTlsOptions = Omit<InboundStartTlsSelectionOptions, Prepared>;
/** What a session passes to `selectOutboundStartTls`: the plain options minus the prepared ones. */
export type PreparedOutboundStartTlsOptions = Omit<OutboundStartTlsSelectionOptions, Prepared>;

/** Counters of a prepared selector's work since it was created, for tests and monitoring. */
export interface SelectorStats {
  /** Sessions answered (both directions). */
  readonly sessions: number;
  /** Sessions answered from a decision made for an earlier session. */
  readonly replayed: number;
  /** Pipeline runs: template misses, and sessions that failed before the store was read. */
  readonly decided: number;
  /** Distinct store listings seen (a new array with new entries). */
  readonly storeListings: number;
  /** parseCertificate calls made (cache misses, including entries that do not parse). */
  readonly parsed: number;
  /** Parse results held (a PEM entry is held under its text and its content). */
  readonly cachedCertificates: number;
  /** Path validations run (A3), as opposed to verdicts reused. */
  readonly trustEvaluations: number;
}

/**
 * A prepared selector (see {@link createSelector}): the plain functions' answers, reusing parses,
 * key checks, trust verdicts and whole decisions between sessions.
 */
export interface Selector {
  /** As selectOutboundAnonymousTlsCert, with the prepared store, trust anchors, intermediates. */
  selectOutbound(options: PreparedOutboundOptions): Promise<AnonymousTlsSelection>;
  /** As selectInboundAnonymousTlsCert, with the prepared store, trust anchors, intermediates. */
  selectInbound(options: PreparedInboundOptions): Promise<AnonymousTlsSelection>;
  /** As selectInboundStartTlsCert, with the prepared store, trust anchors, intermediates. */
  selectInboundStartTls(options: PreparedInboundStartTlsOptions): Promise<InboundStartTlsSelection>;
  /** As selectOutboundStartTlsCert, with the prepared store, trust anchors, intermediates. */
  selectOutboundStartTls(
    options: PreparedOutboundStartTlsOptions,
  ): Promise<OutboundStartTlsSelection>;
  /** A snapshot of the counters. */
  stats(): SelectorStats;
}

/**
 * Prepares the selection for a store and a set of trust anchors. Throws TypeError for misuse
 * and InvalidCertificateError for a trust anchor or intermediate that does not parse.
 */
export function createSelector(options: SelectorOptions): Selector {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("options must be an object");
  }
  const { store, detectInPlaceChanges } = options;
  if (typeof store !== "object" || store === null || typeof store.list !== "function") {
    throw new TypeError("store must have a list() method");
  }
  if (detectInPlaceChanges !== undefined && typeof detectInPlaceChanges !== "boolean") {
    throw new TypeError("detectInPlaceChanges must be a boolean");
  }
  const profile = checkProfile(options.profile);
  const revocation = checkRevocation(options.crls, options.revocationMode);
  return new PreparedSelector(
    store,
    parseCertificates("trustAnchors", options.trustAnchors),
    parseCertificates("intermediates", options.intermediates),
    detectInPlaceChanges === true,
    profile,
    revocation,
  );
}

// --- Internals ---------------------------------------------------------------------------------

/** What differs between the processes. */
interface Flow<I extends SettingsInput, S extends Selection> {
  readonly gatePasses: (input: I) => boolean;
  /** The anonymous processes read the directory (R3, I2) before the store; STARTTLS does not. */
  readonly readsDirectory: I extends CommonInput ? true : false;
  readonly run: (input: I, context: OutboundContext) => Promise<S>;
  /** Everything of the checked input a decision depends on, except the directory, store, now. */
  readonly configKey: (input: I) => string;
}

const OUTBOUND: Flow<OutboundInput, AnonymousTlsSelection> = {
  gatePasses: (input) => checkRoleGate(input).passed,
  readsDirectory: true,
  run: runOutboundSelection,
  configKey: (input) =>
    JSON.stringify([
      "outbound",
      input.edition.edition,
      input.role,
      input.smartHostAuthMechanism,
      input.addressSpaces,
      input.deliveryType ?? null,
      input.server,
      input.wildcardNames,
      input.onThumbprintMismatch,
      input.phase,
    ]),
};

const INBOUND: Flow<InboundInput, AnonymousTlsSelection> = {
  gatePasses: (input) => checkReceiveConnectorGate(input.authMechanism, "I1").passed,
  readsDirectory: true,
  run: runInboundSelection,
  // The set's order is kept: the gate's trace lists the flags in it.
  configKey: (input) =>
    JSON.stringify(["inbound", input.edition.edition, [...input.authMechanism], input.phase]),
};

/** Everything of a STARTTLS input its decision depends on (the name settled by S2/E3). */
function startTlsKey(input: StartTlsInput): string {
  return JSON.stringify([
    "starttls",
    input.direction,
    input.edition.edition,
    input.authMechanism === undefined ? null : [...input.authMechanism],
    input.lookedFor,
    input.connectorName,
    input.fqdn,
    input.physicalFqdn,
    input.wildcardNames,
  ]);
}

const INBOUND_STARTTLS: Flow<StartTlsInput, InboundStartTlsSelection> = {
  gatePasses: (input) => checkReceiveConnectorGate(input.authMechanism ?? new Set(), "S1").passed,
  readsDirectory: false,
  run: runInboundStartTlsSelection,
  configKey: startTlsKey,
};

const OUTBOUND_STARTTLS: Flow<StartTlsInput, OutboundStartTlsSelection> = {
  gatePasses: () => true,
  readsDirectory: false,
  run: runOutboundStartTlsSelection,
  configKey: startTlsKey,
};

/** One store listing and the decisions made on it. */
interface Listing {
  /** The array list() returned, and its entries when first seen. */
  array: readonly unknown[];
  readonly length: number;
  readonly entries: readonly unknown[];
  /** The previous listing's parse calls: the first guess for this one's. */
  readonly inherited: readonly ParseRecord[];
  /** Known after the first decision on this listing. */
  records: readonly ParseRecord[] | null;
  cuts: readonly number[] | null;
  priming: Promise<unknown> | null;
  readonly templates: Map<string, Promise<Template>>;
}

/** Decisions kept per listing; times move forward, so old slots simply age out. */
const TEMPLATES_PER_LISTING = 64;

type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown };

class PreparedSelector implements Selector {
  readonly #store: CertStore;
  readonly #detectInPlaceChanges: boolean;
  readonly #certificates = new CertificateCache();
  readonly #keys = new PrivateKeyCache();
  readonly #trust: TrustCache;
  readonly #directoryValues = new DirectoryValueCache();
  #current: Listing | null = null;
  #sessions = 0;
  #replayed = 0;
  #decided = 0;
  #listings = 0;

  constructor(
    store: CertStore,
    anchors: readonly ParsedCertificate[],
    intermediates: readonly ParsedCertificate[],
    detectInPlaceChanges: boolean,
    profile: ValidationProfile,
    revocation: RevocationInput | undefined,
  ) {
    this.#store = store;
    this.#trust = new TrustCache(anchors, intermediates, profile, revocation);
    this.#detectInPlaceChanges = detectInPlaceChanges;
  }

  // Arrow properties, so that `const { selectOutbound } = selector` works.
  // Misuse rejects (never throws synchronously), as the plain functions' option checks do.
  readonly selectOutbound = async (
    options: PreparedOutboundOptions,
  ): Promise<AnonymousTlsSelection> =>
    this.#session(OUTBOUND, checkOutboundOptions(this.#withStore(options)));

  readonly selectInbound = async (
    options: PreparedInboundOptions,
  ): Promise<AnonymousTlsSelection> =>
    this.#session(INBOUND, checkInboundOptions(this.#withStore(options)));

  readonly selectInboundStartTls = async (
    options: PreparedInboundStartTlsOptions,
  ): Promise<InboundStartTlsSelection> =>
    this.#session(INBOUND_STARTTLS, checkInboundStartTlsOptions(this.#withStore(options)));

  readonly selectOutboundStartTls = async (
    options: PreparedOutboundStartTlsOptions,
  ): Promise<OutboundStartTlsSelection> =>
    this.#session(OUTBOUND_STARTTLS, checkOutboundStartTlsOptions(this.#withStore(options)));

  readonly stats = (): SelectorStats => ({
    sessions: this.#sessions,
    replayed: this.#replayed,
    decided: this.#decided,
    storeListings: this.#listings,
    parsed: this.#certificates.parsed,
    cachedCertificates: this.#certificates.size,
    trustEvaluations: this.#trust.evaluated,
  });

  #withStore<T extends object>(options: T): T & { readonly store: CertStore } {
    if (typeof options !== "object" || options === null) {
      throw new TypeError("options must be an object");
    }
    for (const name of PREPARED) {
      if ((options as Record<string, unknown>)[name] !== undefined) {
        throw new TypeError(`${name} is prepared by createSelector, not given per session`);
      }
    }
    // The session's options seen through a view that adds the prepared store: options are read
    // by name, so inherited ones count exactly as the plain functions count them (a copy with
    // Object.assign or a spread would drop them; a spread is also a V8 slow path here).
    // (The profile and the CRLs live in the trust cache: no session input reads them.)
    const merged = Object.create(options) as typeof options & { store: CertStore };
    merged.store = this.#store;
    return merged;
  }

  async #session<I extends SettingsInput, S extends Selection>(
    flow: Flow<I, S>,
    input: I,
  ): Promise<S> {
    this.#sessions += 1;
    // Steps 1–2 (I1, S1): a gate that does not pass reads nothing.
    if (!flow.gatePasses(input)) return this.#runLive(flow, input);

    // Step 3 (R3, I2): read the directory once, as the pipeline would. (STARTTLS reads none.)
    let read: Outcome<unknown> | undefined;
    let directoryKey = "";
    if (flow.readsDirectory) {
      read = await readDirectory(input as unknown as CommonInput);
      const decoded = read.ok ? this.#directoryValues.decode(read.value) : null;
      if (decoded?.kind !== "value") {
        return this.#runLive(flow, replayed(input, read, undefined));
      }
      directoryKey = `${decoded.form}|${decoded.thumbprint}`;
    }

    // Step 4 (R6, I3; S3): list the store once, as the pipeline would (A16).
    const listed = await listStore(input);
    if (!listed.ok || !Array.isArray(listed.value)) {
      return this.#runLive(flow, replayed(input, read, listed));
    }

    // The rest is a function of (listing, directory value, configuration, slot): replay it.
    // A decision runs on this session's reads, replayed; its events go out on instantiation.
    const listing = this.#listingFor(listed.value);
    const prefix = `${flow.configKey(input)}|${directoryKey}|`;
    const t = input.now.getTime();
    while (listing.cuts === null) {
      if (listing.priming === null) {
        // The first decision on a listing learns its validity boundaries, hence the slots.
        const priming = this.#decide(listing, flow, {
          ...replayed(input, read, listed),
          onEvent: undefined,
        });
        listing.priming = priming;
        let template: Template<S>;
        try {
          template = await priming;
        } finally {
          listing.priming = null;
        }
        remember(listing, `${prefix}${slotOf(listing.cuts!, t)}`, Promise.resolve(template));
        return instantiate(template, input);
      }
      await listing.priming.then(
        () => undefined,
        () => undefined,
      );
    }
    const key = `${prefix}${slotOf(listing.cuts, t)}`;
    // The key starts with the flow's configKey, so a template found is this flow's.
    let template = listing.templates.get(key) as Promise<Template<S>> | undefined;
    if (template === undefined) {
      template = this.#decide(listing, flow, {
        ...replayed(input, read, listed),
        onEvent: undefined,
      });
      remember(listing, key, template);
    } else {
      this.#replayed += 1;
    }
    return instantiate(await template, input);
  }

  /** The pipeline on what this session read, events delivered as they are raised. */
  #runLive<I extends SettingsInput, S extends Selection>(flow: Flow<I, S>, input: I): Promise<S> {
    this.#decided += 1;
    return flow.run(input, {
      trust: this.#trust,
      parse: (certificate) => parsedOrThrow(this.#certificates.lookUp(certificate).result),
      checkKey: this.#keys.check,
    });
  }

  /** Runs the pipeline for a listing and makes a template of the result. */
  async #decide<I extends SettingsInput, S extends Selection>(
    listing: Listing,
    flow: Flow<I, S>,
    replay: I,
  ): Promise<Template<S>> {
    this.#decided += 1;
    const records: ParseRecord[] = [];
    const selection = await flow.run(replay, {
      trust: this.#trust,
      parse: this.#certificates.parser(listing.records ?? listing.inherited, records),
      checkKey: this.#keys.check,
    });
    const parsed = new Map<string, ParsedCertificate>();
    for (const record of records) {
      if (!(record.result instanceof InvalidCertificateError)) {
        parsed.set(record.result.thumbprint, record.result);
      }
    }
    if (listing.cuts === null) {
      listing.records = records;
      // The trust cache's pool cuts: anchors', intermediates' and CRLs' boundaries (A21).
      listing.cuts = mergeCuts(validityCuts(parsed.values()), this.#trust.poolCuts);
      if (this.#current === listing) this.#evictAllBut(records, parsed);
    }
    return makeTemplate(selection, parsed);
  }

  /** A new listing drops what the previous one held and this one does not. */
  #evictAllBut(records: readonly ParseRecord[], parsed: ReadonlyMap<string, unknown>): void {
    this.#certificates.retain(records);
    const live = new Set(parsed.keys());
    this.#keys.retain(live);
    this.#trust.retain(live);
  }

  #listingFor(array: readonly unknown[]): Listing {
    const current = this.#current;
    if (current !== null && !this.#detectInPlaceChanges) {
      if (current.array === array && current.length === array.length) return current;
      if (sameEntries(current.entries, array)) {
        current.array = array;
        return current;
      }
    }
    this.#listings += 1;
    const listing: Listing = {
      array,
      length: array.length,
      entries: this.#detectInPlaceChanges ? [] : Array.from(array),
      inherited: current?.records ?? current?.inherited ?? [],
      records: null,
      cuts: null,
      priming: null,
      templates: new Map(),
    };
    this.#current = listing;
    return listing;
  }
}

function remember(listing: Listing, key: string, template: Promise<Template>): void {
  const { templates } = listing;
  if (templates.size >= TEMPLATES_PER_LISTING) {
    const oldest = templates.keys().next();
    if (oldest.done !== true) templates.delete(oldest.value);
  }
  templates.set(key, template);
  // A failed decision is not a decision: the next session with this key tries again.
  template.catch(() => {
    if (templates.get(key) === template) templates.delete(key);
  });
}

function sameEntries(known: readonly unknown[], array: readonly unknown[]): boolean {
  if (known.length !== array.length) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== array[i]) return false;
  return true;
}

function parsedOrThrow(result: ParsedCertificate | InvalidCertificateError): ParsedCertificate {
  if (result instanceof InvalidCertificateError) throw result;
  return result;
}

/** The directory read of lookUpDirectory: once, with the signal, raced against its abort. */
async function readDirectory(input: CommonInput): Promise<Outcome<unknown>> {
  const { directory, signal } = input;
  try {
    const read = Promise.resolve().then(() =>
      directory.readInternalTransportCertificate(signal === undefined ? undefined : { signal }),
    );
    return { ok: true, value: await raceAbort(read, signal) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The listing of listStore, without its defensive copy (the array's identity is the point). */
async function listStore(input: SettingsInput): Promise<Outcome<unknown>> {
  const { store, signal } = input;
  try {
    return {
      ok: true,
      value: await raceAbort(
        Promise.resolve().then(() => store.list()),
        signal,
      ),
    };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A directory that answers what the real one answered this session. */
class ReplayDirectory implements Directory {
  constructor(readonly read: Outcome<unknown>) {}

  readInternalTransportCertificate(): ReturnType<Directory["readInternalTransportCertificate"]> {
    const { read } = this;
    return (read.ok ? Promise.resolve(read.value) : Promise.reject(read.error)) as ReturnType<
      Directory["readInternalTransportCertificate"]
    >;
  }
}

/** A store that lists what the real one listed this session. */
class ReplayStore implements CertStore {
  constructor(readonly listed: Outcome<unknown>) {}

  list(): ReturnType<CertStore["list"]> {
    if (!this.listed.ok) throw this.listed.error;
    return this.listed.value as ReturnType<CertStore["list"]>;
  }
}

/**
 * The session's input with what it read replayed, and without its signal: the reads are done,
 * and an abort now must not turn them into failures the plain function would not have seen.
 */
function replayed<I extends SettingsInput>(
  input: I,
  read: Outcome<unknown> | undefined,
  listed: Outcome<unknown> | undefined,
): I {
  return {
    ...input,
    ...(read === undefined ? {} : { directory: new ReplayDirectory(read) }),
    store: listed === undefined ? input.store : new ReplayStore(listed),
    signal: undefined,
  };
}
