// The machine output of `explain --json` (src/cli/output.schema.json). Field names are stable:
// every field is always present, `null` when it does not apply, so a script can read
// `.decision.certificateUsed` without first asking which outcome it is looking at. The library's
// Selection is richer (DER bytes, Date objects, the StoreEntry); this is its JSON projection.

import { differingParts, wantedNames } from "../exchange/explain.js";
import { describeCause } from "../exchange/run.js";
import type {
  CertificateVerdict,
  Edition,
  ExchangeEvent,
  LookedFor,
  Selection,
  TraceStep,
  TrustVerdict,
} from "../types.js";
import type { CertificateRevocationStatus, ValidationProfile } from "../x509/path/validator.js";
import type { RevocationMode } from "../x509/revocation/checker.js";
import type { Direction, Process, SourcedCrl } from "./snapshot.js";

export const OUTPUT_VERSION = 1;

export interface JsonEvent {
  readonly id: number;
  readonly name: string;
  readonly level: string;
  readonly rule: string;
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface JsonStep {
  readonly step: string;
  readonly rules: readonly string[];
  readonly status: TraceStep["status"];
  readonly summary: string;
}

export interface JsonTrust {
  readonly kind: TrustVerdict["kind"];
  /** pki: the validated path, leaf first, as thumbprints. */
  readonly path: readonly string[] | null;
  /** untrusted: why. */
  readonly code: string | null;
  readonly message: string | null;
  /**
   * A21, when CRLs or --revocation were given: each certificate of the checked path (leaf first,
   * no trust anchor) with its status and deciding CRL; for "untrusted", only with the codes
   * revoked and revocation-unknown. null otherwise.
   */
  readonly revocation: readonly JsonRevocationStatus[] | null;
}

/** A21: one certificate's revocation status; every field present, null when it does not apply. */
export interface JsonRevocationStatus {
  readonly certificate: string;
  readonly status: CertificateRevocationStatus["status"];
  /** SHA-256 (64 hex digits) of the deciding CRL. */
  readonly crl: string | null;
  readonly crlIssuer: string | null;
  readonly crlNumber: string | null;
  readonly deltaCrl: string | null;
  readonly reasonCode: number | null;
  readonly reason: string | null;
  readonly revocationDate: string | null;
  readonly detail: string | null;
}

/** A21/A3: how "valid PKI" was decided for this run. */
export interface JsonValidation {
  /** --profile (default "rfc5280"). */
  readonly profile: ValidationProfile;
  /** --revocation, or "soft" when the snapshot has CRLs; null: no revocation checking. */
  readonly revocationMode: RevocationMode | null;
  /** The snapshot's CRLs (and a folder store's *.crl files). */
  readonly crls: readonly JsonCrl[];
}

export interface JsonCrl {
  readonly source: string;
  /** SHA-256 of the DER, 64 upper-case hex digits: what `crl` in a status names. */
  readonly id: string;
  readonly issuer: string;
  readonly crlNumber: string | null;
  /** A delta CRL (RFC 5280 §5.2.4): its BaseCRLNumber. */
  readonly baseCrlNumber: string | null;
  readonly thisUpdate: string;
  readonly nextUpdate: string | null;
  readonly entries: number;
}

export interface JsonCertificate {
  readonly index: number;
  readonly source: string;
  readonly thumbprint: string | null;
  readonly subject: string | null;
  readonly issuer: string | null;
  readonly names: readonly string[];
  readonly version: number | null;
  readonly notBefore: string | null;
  readonly notAfter: string | null;
  readonly time: CertificateVerdict["time"];
  readonly hasPrivateKey: boolean;
  readonly services: readonly string[];
  readonly isDirectoryCertificate: boolean;
  readonly used: boolean;
  readonly status: CertificateVerdict["status"];
  readonly rank: number | null;
  readonly best: boolean;
  readonly trust: JsonTrust | null;
  readonly exclusion: {
    readonly rule: string;
    readonly code: string;
    readonly message: string;
    readonly expected: string | null;
    readonly actual: string | null;
  } | null;
  /**
   * eligible: how it carries the name. A host name (A7, S3): certificateName, domainListEntry,
   * wildcard; a TlsCertificateName (E3, source "tls-certificate-name"): its issuer and subject.
   */
  readonly match: {
    readonly certificateName: string | null;
    readonly source: string;
    readonly domainListEntry: string | null;
    readonly wildcard: boolean;
    readonly issuer: string | null;
    readonly subject: string | null;
  } | null;
  /**
   * S3/E3, excluded because its issuer and subject are not the TlsCertificateName's: which of
   * the two differ. null otherwise.
   */
  readonly differs: readonly ("issuer" | "subject")[] | null;
}

/** S2, S10, E3: the name a STARTTLS selection looked for. */
export interface JsonLookedFor {
  readonly name: string;
  readonly source: LookedFor["source"];
  /** A TlsCertificateName's issuer and subject, as Windows writes them (E3); else null. */
  readonly issuer: string | null;
  readonly subject: string | null;
}

export interface JsonDecision {
  /** Which selection ran. */
  readonly process: Selection["process"];
  readonly direction: Selection["direction"];
  readonly edition: Edition;
  readonly outcome: Selection["outcome"];
  /** Anonymous TLS: X-ANONYMOUSTLS used/advertised. null for STARTTLS. */
  readonly advertiseAnonymousTls: boolean | null;
  /** Inbound STARTTLS (S1, S3–S8): STARTTLS advertised in the EHLO response; else null. */
  readonly advertiseStartTls: boolean | null;
  /** Outbound STARTTLS (S10, S11): STARTTLS negotiated (with or without a client certificate); else null. */
  readonly negotiateStartTls: boolean | null;
  /** STARTTLS (once the S1 gate passed): the name looked for; else null. */
  readonly lookedFor: JsonLookedFor | null;
  /** S11: the reply of a session that fails ("454 4.7.5 …"); else null. */
  readonly reply: string | null;
  /** STARTTLS selected: "pki" or "self-signed" (S6); else null. */
  readonly basis: "pki" | "self-signed" | null;
  /** STARTTLS selected: the certificate has expired (S8, 12016) and is still used; else null. */
  readonly expired: boolean | null;
  /** STARTTLS selected: its Valid from is still ahead, and it is still used (A22); else null. */
  readonly notYetValid: boolean | null;
  /** STARTTLS selected: SMTP is enabled on it (false only in 2016, E4); else null. */
  readonly smtpEnabled: boolean | null;
  readonly evaluatedAt: string;
  readonly certificateUsed: string | null;
  readonly directoryThumbprint: string | null;
  readonly bestCandidate: string | null;
  readonly thumbprintMatches: boolean | null;
  /** not-attempted: the gate conditions that did not hold. */
  readonly failedConditions: readonly string[];
  /** no-certificate (and session-fails): why. */
  readonly reason: string | null;
  readonly cause: string | null;
  readonly events: readonly JsonEvent[];
  readonly steps: readonly JsonStep[];
  readonly certificates: readonly JsonCertificate[];
}

export interface JsonChanges {
  readonly changed: boolean;
  readonly outcome: { readonly before: string; readonly after: string };
  readonly advertiseAnonymousTls: {
    readonly before: boolean | null;
    readonly after: boolean | null;
  };
  readonly advertiseStartTls: { readonly before: boolean | null; readonly after: boolean | null };
  readonly negotiateStartTls: { readonly before: boolean | null; readonly after: boolean | null };
  readonly certificateUsed: { readonly before: string | null; readonly after: string | null };
  readonly bestCandidate: { readonly before: string | null; readonly after: string | null };
  readonly eventsRaised: readonly number[];
  readonly eventsCleared: readonly number[];
}

export interface JsonOutput {
  readonly version: typeof OUTPUT_VERSION;
  readonly snapshot: string;
  readonly description: string | null;
  readonly direction: Direction;
  /** --starttls / --starttls-outbound: "starttls"; otherwise "anonymous-tls". */
  readonly process: Process;
  /** --edition, else the snapshot's, else "2007". */
  readonly edition: Edition;
  /** The hypothetical changes, when --with or --without were given. */
  readonly whatIf: {
    readonly without: readonly string[];
    readonly with: readonly string[];
    readonly before: JsonDecision;
    readonly changes: JsonChanges;
  } | null;
  /** The decision the exit code reports: the one after the what-if changes, if any. */
  readonly decision: JsonDecision;
  /** A3/A21: the validation profile, revocation mode and CRLs both decisions used. */
  readonly validation: JsonValidation;
  readonly exitCode: 0 | 1;
}

/** Dates become ISO strings, bytes base64; everything else as JSON would have it. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function jsonEvent(event: ExchangeEvent): JsonEvent {
  return {
    id: event.id,
    name: event.name,
    level: event.level,
    rule: event.rule,
    message: event.message,
    data: plain(event.data) as Record<string, unknown>,
  };
}

function jsonRevocation(
  statuses: readonly CertificateRevocationStatus[] | undefined,
): readonly JsonRevocationStatus[] | null {
  if (statuses === undefined) return null;
  return statuses.map((status) => ({
    certificate: status.certificate,
    status: status.status,
    crl: status.crl ?? null,
    crlIssuer: status.crlIssuer ?? null,
    crlNumber: status.crlNumber ?? null,
    deltaCrl: status.deltaCrl ?? null,
    reasonCode: status.reasonCode ?? null,
    reason: status.reason ?? null,
    revocationDate: status.revocationDate?.toISOString() ?? null,
    detail: status.detail ?? null,
  }));
}

function jsonTrust(trust: TrustVerdict): JsonTrust {
  switch (trust.kind) {
    case "pki":
      return {
        kind: "pki",
        path: [...trust.path],
        code: null,
        message: null,
        revocation: jsonRevocation(trust.revocation),
      };
    case "self-signed":
      return { kind: "self-signed", path: null, code: null, message: null, revocation: null };
    case "untrusted":
      return {
        kind: "untrusted",
        path: null,
        code: trust.code,
        message: trust.message,
        revocation: jsonRevocation(trust.revocation),
      };
    default:
      return assertNever(trust);
  }
}

function assertNever(value: never): never {
  throw new TypeError(`unexpected value ${JSON.stringify(value)}`);
}

function jsonCertificate(
  verdict: CertificateVerdict,
  source: string,
  used: string | null,
  lookedFor: LookedFor | null,
): JsonCertificate {
  const eligible = verdict.status === "eligible" ? verdict : null;
  const exclusion =
    verdict.status === "excluded" || verdict.status === "unreadable" ? verdict.exclusion : null;
  return {
    index: verdict.index,
    source,
    thumbprint: verdict.thumbprint,
    subject: verdict.subject,
    issuer: verdict.issuer,
    names: [...verdict.names],
    version: verdict.version,
    notBefore: verdict.notBefore?.toISOString() ?? null,
    notAfter: verdict.notAfter?.toISOString() ?? null,
    time: verdict.time,
    hasPrivateKey: verdict.hasPrivateKey,
    services: [...verdict.services],
    isDirectoryCertificate: verdict.isDirectoryCertificate,
    used: used !== null && verdict.thumbprint === used,
    status: verdict.status,
    rank: eligible?.rank ?? null,
    best: eligible?.best ?? false,
    trust: eligible?.trust ? jsonTrust(eligible.trust) : null,
    exclusion:
      exclusion === null
        ? null
        : {
            rule: exclusion.rule,
            code: exclusion.code,
            message: exclusion.message,
            expected: exclusion.expected ?? null,
            actual: exclusion.actual ?? null,
          },
    match: eligible === null ? null : jsonMatch(eligible.match),
    differs:
      lookedFor !== null && exclusion?.code === "tls-certificate-name-mismatch"
        ? differingParts(lookedFor, verdict)
        : null,
  };
}

function jsonMatch(
  match: Extract<CertificateVerdict, { status: "eligible" }>["match"],
): NonNullable<JsonCertificate["match"]> {
  if (match.source === "tls-certificate-name") {
    return {
      certificateName: null,
      source: match.source,
      domainListEntry: null,
      wildcard: false,
      issuer: match.issuer,
      subject: match.subject,
    };
  }
  return {
    certificateName: match.certificateName,
    source: match.source,
    domainListEntry: match.domainListEntry,
    wildcard: match.wildcard,
    issuer: null,
    subject: null,
  };
}

/** The fields only one process has, each null for the other (every field is always present). */
function processFields(selection: Selection) {
  if (selection.process === "anonymous-tls") {
    return {
      advertiseAnonymousTls: selection.advertiseAnonymousTls,
      advertiseStartTls: null,
      negotiateStartTls: null,
      lookedFor: null,
      reply: null,
      basis: null,
      expired: null,
      notYetValid: null,
      smtpEnabled: null,
      directoryThumbprint:
        selection.outcome === "not-attempted" ? null : selection.directoryThumbprint,
      bestCandidate: selection.outcome === "selected" ? selection.bestCandidate : null,
      thumbprintMatches: selection.outcome === "selected" ? selection.thumbprintMatches : null,
    };
  }
  const lookedFor = selection.outcome === "not-attempted" ? null : selection.lookedFor;
  const wanted = lookedFor === null ? null : wantedNames(lookedFor);
  const selected = selection.outcome === "selected" ? selection : null;
  return {
    advertiseAnonymousTls: null,
    advertiseStartTls: selection.direction === "inbound" ? selection.advertiseStartTls : null,
    negotiateStartTls: selection.direction === "outbound" ? selection.negotiateStartTls : null,
    lookedFor:
      lookedFor === null
        ? null
        : {
            name: lookedFor.name,
            source: lookedFor.source,
            issuer: wanted?.issuer ?? null,
            subject: wanted?.subject ?? null,
          },
    reply: selection.outcome === "session-fails" ? selection.reply : null,
    basis: selected?.basis ?? null,
    expired: selected?.expired ?? null,
    notYetValid: selected?.notYetValid ?? null,
    smtpEnabled: selected?.smtpEnabled ?? null,
    directoryThumbprint: null,
    bestCandidate: null,
    thumbprintMatches: null,
  };
}

/** The JSON projection of one selection; `sources[i]` names store entry i. */
export function jsonDecision(selection: Selection, sources: readonly string[]): JsonDecision {
  const used = selection.outcome === "selected" ? selection.thumbprint : null;
  const fields = processFields(selection);
  const lookedFor =
    selection.process === "starttls" && selection.outcome !== "not-attempted"
      ? selection.lookedFor
      : null;
  const missing =
    selection.outcome === "no-certificate" || selection.outcome === "session-fails"
      ? selection
      : null;
  return {
    process: selection.process,
    direction: selection.direction,
    edition: selection.edition,
    outcome: selection.outcome,
    advertiseAnonymousTls: fields.advertiseAnonymousTls,
    advertiseStartTls: fields.advertiseStartTls,
    negotiateStartTls: fields.negotiateStartTls,
    lookedFor: fields.lookedFor,
    reply: fields.reply,
    basis: fields.basis,
    expired: fields.expired,
    notYetValid: fields.notYetValid,
    smtpEnabled: fields.smtpEnabled,
    evaluatedAt: selection.evaluatedAt.toISOString(),
    certificateUsed: used,
    directoryThumbprint: fields.directoryThumbprint,
    bestCandidate: fields.bestCandidate,
    thumbprintMatches: fields.thumbprintMatches,
    failedConditions: selection.outcome === "not-attempted" ? [...selection.failed] : [],
    reason: missing?.reason ?? null,
    cause: missing !== null && missing.cause !== undefined ? describeCause(missing.cause) : null,
    events: selection.events.map(jsonEvent),
    steps: selection.trace.map((step) => ({
      step: step.step,
      rules: [...step.rules],
      status: step.status,
      summary: step.summary,
    })),
    certificates: selection.certificates.map((verdict) =>
      jsonCertificate(
        verdict,
        sources[verdict.index] ?? `store[${verdict.index}]`,
        used,
        lookedFor,
      ),
    ),
  };
}

/** A3/A21: the validation settings of a run, for the JSON output. */
export function jsonValidation(
  profile: ValidationProfile,
  revocationMode: RevocationMode | null,
  crls: readonly SourcedCrl[],
): JsonValidation {
  return {
    profile,
    revocationMode,
    crls: crls.map(({ source, crl }) => ({
      source,
      id: crl.id,
      issuer: crl.issuer,
      crlNumber: crl.crlNumber?.toString() ?? null,
      baseCrlNumber: crl.baseCrlNumber?.toString() ?? null,
      thisUpdate: crl.thisUpdate.toISOString(),
      nextUpdate: crl.nextUpdate?.toISOString() ?? null,
      entries: crl.entryCount,
    })),
  };
}

/** What differs between two decisions, for the what-if summary. */
export function changesBetween(before: JsonDecision, after: JsonDecision): JsonChanges {
  const ids = (d: JsonDecision) => new Set(d.events.map((e) => e.id));
  const beforeIds = ids(before);
  const afterIds = ids(after);
  const changes = {
    outcome: { before: before.outcome, after: after.outcome },
    advertiseAnonymousTls: {
      before: before.advertiseAnonymousTls,
      after: after.advertiseAnonymousTls,
    },
    advertiseStartTls: { before: before.advertiseStartTls, after: after.advertiseStartTls },
    negotiateStartTls: { before: before.negotiateStartTls, after: after.negotiateStartTls },
    certificateUsed: { before: before.certificateUsed, after: after.certificateUsed },
    bestCandidate: { before: before.bestCandidate, after: after.bestCandidate },
    eventsRaised: [...afterIds].filter((id) => !beforeIds.has(id)),
    eventsCleared: [...beforeIds].filter((id) => !afterIds.has(id)),
  };
  const changed =
    changes.outcome.before !== changes.outcome.after ||
    changes.advertiseStartTls.before !== changes.advertiseStartTls.after ||
    changes.negotiateStartTls.before !== changes.negotiateStartTls.after ||
    changes.certificateUsed.before !== changes.certificateUsed.after ||
    changes.bestCandidate.before !== changes.bestCandidate.after ||
    changes.eventsRaised.length > 0 ||
    changes.eventsCleared.length > 0;
  return { changed, ...changes };
}
