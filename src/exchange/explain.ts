// Turning a Selection into text an administrator can read: what was decided and what the peer
// sees on the wire (X-ANONYMOUSTLS or STARTTLS), the name a STARTTLS selection looked for, which
// events are logged, each step with the rule it applied, and every store certificate with its
// rank or the rule that excluded it (for a TlsCertificateName, its issuer and subject beside the
// wanted ones). Plain text by default; `color` adds ANSI colour for terminals.

import type {
  CertificateVerdict,
  ExchangeEvent,
  Exclusion,
  LookedFor,
  Selection,
  StartTlsNoCertificateReason,
  TraceStep,
} from "../types.js";
import type { NameMatch } from "../x509/dns-name.js";
import type { CertificateRevocationStatus } from "../x509/path/validator.js";
import type { IgnoredCrl } from "../x509/revocation/checker.js";
import { certificateNameRule } from "./steps/certificate-name.js";
import {
  parseTlsCertificateName,
  type TlsCertificateNameMatch,
  windowsFormOf,
  windowsName,
} from "./tls-certificate-name.js";
import { hasSmtpService } from "./vocabulary.js";

/** Options of {@link explainSelection}. */
export interface ExplainOptions {
  /** ANSI colours (for a terminal). Default false. */
  readonly color?: boolean;
}

type Paint = (code: number, text: string) => string;

type AnonymousOutcome = Extract<Selection, { process: "anonymous-tls" }>;
type StartTlsOutcome = Extract<Selection, { process: "starttls" }>;

function outcomeLine(selection: Selection): string {
  return selection.process === "starttls"
    ? startTlsOutcomeLine(selection)
    : anonymousOutcomeLine(selection);
}

function anonymousOutcomeLine(selection: AnonymousOutcome): string {
  const side = selection.direction === "outbound" ? "sending" : "receiving";
  switch (selection.outcome) {
    case "not-attempted":
      return `Anonymous TLS is not used by the ${side} server: ${selection.failed.join(", ")} not met; no certificate is loaded.`;
    case "no-certificate":
      return `No certificate: ${selection.reason}${selection.directoryThumbprint ? ` (directory names ${selection.directoryThumbprint})` : ""}${causeText(selection)}. X-ANONYMOUSTLS is not ${selection.direction === "outbound" ? "used" : "advertised"}.`;
    case "selected":
      // E2: the 2016 sending side has no ranking, so "best candidate" would say nothing.
      return `Certificate ${selection.thumbprint} is used for X-AnonymousTLS by the ${side} server${
        selection.direction === "inbound"
          ? "."
          : selection.edition === "2016"
            ? "; the 2016 edition ends after the expiry check (E2): no domain list, ranking or 1037."
            : selection.thumbprintMatches
              ? "; it is also the best candidate."
              : `; the best candidate is ${selection.bestCandidate ?? "none"} (mismatch, 1037).`
      }`;
    default:
      return assertNever(selection);
  }
}

// S1, S3–S8, S10, S11: the headline says what the peer sees on the wire (STARTTLS advertised or
// not, negotiated with or without a client certificate, the 454 reply), then why.
function startTlsOutcomeLine(selection: StartTlsOutcome): string {
  switch (selection.outcome) {
    case "not-attempted":
      return "STARTTLS is not advertised by the receiving server: the Receive connector's AuthMechanism does not include Tls (S1 not met); no certificate is loaded.";
    case "no-certificate": {
      const why = missingText(selection.reason, selection.lookedFor, causeText(selection));
      return selection.direction === "inbound"
        ? `STARTTLS is not advertised in the EHLO response: ${why}; 12014 is logged.`
        : `STARTTLS is still negotiated, without a client certificate (S10): ${why}; 12014 is logged.`;
    }
    case "session-fails":
      return `The session fails with "${selection.reply}" (S11): the Send connector's TlsCertificateName resolves to no usable certificate: ${missingText(selection.reason, selection.lookedFor, causeText(selection))}; 12014 is logged.`;
    case "selected": {
      const what =
        selection.direction === "inbound"
          ? `STARTTLS is advertised; certificate ${selection.thumbprint} is presented by the receiving server`
          : `STARTTLS is negotiated with certificate ${selection.thumbprint} as the sending server's client certificate`;
      const basis =
        selection.basis === "pki"
          ? "the first valid PKI certificate (S6)"
          : "no eligible certificate is valid PKI, so the first self-signed one (S6)";
      const notes = [
        selection.expired ? "it has expired: 12016 is logged, and it is still used (S8)" : "",
        selection.notYetValid
          ? "it is not yet valid: it is still used (A22: S6 judges only its chain), and TLS peers refuse it"
          : "",
        selection.smtpEnabled
          ? ""
          : "SMTP is not enabled on it: the 2016 edition still chooses it (E4), and TLS fails later on a real server",
      ].filter(Boolean);
      return `${what}: ${basis}${notes.map((n) => `; ${n}`).join("")}.`;
    }
    default:
      return assertNever(selection);
  }
}

/** S3, S5, S7: why no certificate was found, naming what was looked for. */
function missingText(
  reason: StartTlsNoCertificateReason,
  lookedFor: LookedFor,
  cause: string,
): string {
  const name =
    lookedFor.source === "tlsCertificateName"
      ? "the TlsCertificateName's issuer and subject"
      : lookedFor.name;
  switch (reason) {
    case "no-matching-certificate":
      return lookedFor.source === "tlsCertificateName"
        ? "no store certificate has the TlsCertificateName's issuer and subject (S3, E3)"
        : `no store certificate carries ${name} (S3)`;
    case "no-eligible-certificate":
      return `certificates carry ${name}, but none of them is eligible (S4, S5)`;
    case "no-usable-certificate":
      return `eligible certificates carry ${name}, but none is valid PKI or self-signed (S6, S7)`;
    case "store-unreadable":
      return `the certificate store cannot be read${cause} (S3)`;
    default:
      return assertNever(reason);
  }
}

/** What the wire shows: X-ANONYMOUSTLS or STARTTLS, used or not. */
function wireLine(selection: Selection, paint: Paint): string {
  const good = (text: string) => paint(32, text);
  const bad = (text: string) => paint(31, text);
  if (selection.process === "anonymous-tls") {
    const used = selection.direction === "outbound" ? "used" : "advertised";
    return `X-ANONYMOUSTLS: ${selection.advertiseAnonymousTls ? good(used) : bad(`not ${used}`)}`;
  }
  if (selection.direction === "inbound") {
    return `STARTTLS: ${selection.advertiseStartTls ? good("advertised") : bad("not advertised")}`;
  }
  switch (selection.outcome) {
    case "selected":
      return `STARTTLS: ${good("negotiated")}, with a client certificate`;
    case "no-certificate":
      return `STARTTLS: ${paint(33, "negotiated")}, without a client certificate`;
    case "session-fails":
      return `STARTTLS: ${bad("not negotiated")} (${selection.reply})`;
    default:
      return assertNever(selection);
  }
}

/** S2, S10, E3: the name looked for and where it came from; a TlsCertificateName's two names. */
function lookedForLines(selection: StartTlsOutcome): string[] {
  if (selection.outcome === "not-attempted") return [];
  const { lookedFor } = selection;
  const connector = selection.direction === "inbound" ? "Receive" : "Send";
  const rule = certificateNameRule(selection.direction, lookedFor.source);
  const from =
    lookedFor.source === "tlsCertificateName"
      ? `from the ${connector} connector's TlsCertificateName (${rule}, E3)`
      : lookedFor.source === "connector-fqdn"
        ? `from the ${connector} connector's Fqdn (${rule})`
        : `the server's physical FQDN: the ${connector} connector has no Fqdn (${rule})`;
  const lines = [`Name looked for: ${lookedFor.name}`, `  ${from}`];
  const wanted = wantedNames(lookedFor);
  if (wanted !== null) {
    lines.push(`  issuer  ${wanted.issuer}`, `  subject ${wanted.subject}`);
  }
  return lines;
}

// R4: why the directory could not be read belongs in the headline, in the directory's own words
// (an LdapDirectoryError names the account, the DN and what to grant): that is what an
// administrator acts on; the same for a STARTTLS store that cannot be listed (S3). One line; a
// cause whose message cannot be read adds nothing.
function causeText(selection: { readonly reason: string; readonly cause?: unknown }): string {
  if (selection.reason !== "directory-unreadable" && selection.reason !== "store-unreadable") {
    return "";
  }
  try {
    const cause: unknown = selection.cause;
    if (!(cause instanceof Error)) return "";
    const message = String(cause.message).replace(/\s+/g, " ").trim();
    return message === "" ? "" : `: ${message}`;
  } catch {
    return "";
  }
}

function assertNever(value: never): never {
  throw new TypeError(`unexpected selection ${JSON.stringify(value)}`);
}

function eventLine(event: ExchangeEvent, paint: Paint): string {
  const level = event.level === "Error" ? paint(31, event.level) : paint(33, event.level);
  return `  ${event.id} ${level} ${event.name} (${event.rule})\n      ${event.message}`;
}

function stepLine(step: TraceStep, paint: Paint): string {
  const mark =
    step.status === "passed"
      ? paint(32, "ok  ")
      : step.status === "failed"
        ? paint(31, "FAIL")
        : paint(33, "WARN");
  return `  ${mark} ${step.step.padEnd(24)} [${step.rules.join(",")}] ${step.summary}`;
}

const date = (d: Date | null) => (d === null ? "-" : d.toISOString().slice(0, 10));

function trustText(verdict: CertificateVerdict): string {
  if (verdict.status !== "eligible") return "-";
  const trust = verdict.trust;
  if (trust === null) return "not checked";
  if (trust.kind === "untrusted") return `neither (${trust.code})`;
  return trust.kind === "pki" ? "valid PKI" : "self-signed";
}

// A21: which CRL decided each certificate of a checked path, one short line per certificate
// (leaf first, the trust anchor not included), under the store certificate it was checked for.
// Only certificates whose trust was checked against CRLs have the section.
function revocationLines(verdicts: readonly CertificateVerdict[], paint: Paint): string[] {
  const lines: string[] = [];
  let ignored: readonly IgnoredCrl[] = [];
  for (const verdict of verdicts) {
    if (verdict.status !== "eligible" || verdict.trust === null) continue;
    const trust = verdict.trust;
    if (trust.kind === "self-signed" || trust.revocation === undefined) continue;
    if (trust.ignoredCrls !== undefined) ignored = trust.ignoredCrls;
    lines.push(`  #${verdict.index} ${verdict.thumbprint ?? "-"}: ${trustText(verdict)}`);
    for (const status of trust.revocation) lines.push(`    ${revocationLine(status, paint)}`);
  }
  if (lines.length === 0) return [];
  for (const crl of ignored) {
    lines.push(`  ignored CRL (input ${crl.input}): ${crl.failure}: ${crl.detail}`);
  }
  return ["", "Revocation (A21, the supplied CRLs):", ...lines];
}

function revocationLine(status: CertificateRevocationStatus, paint: Paint): string {
  const by =
    status.crlIssuer === undefined
      ? ""
      : ` by the CRL${status.crlNumber === undefined ? "" : ` #${status.crlNumber}`} of ${status.crlIssuer}${status.deltaCrl === undefined ? "" : " and its delta"}`;
  switch (status.status) {
    case "good":
      return `${status.certificate} ${paint(32, "good")}${by}`;
    case "revoked": {
      const facts = [
        status.reason,
        status.revocationDate === undefined ? undefined : `since ${date(status.revocationDate)}`,
      ].filter((fact) => fact !== undefined);
      return `${status.certificate} ${paint(31, "revoked")}${facts.length === 0 ? "" : ` (${facts.join(", ")})`}${by}`;
    }
    default:
      return `${status.certificate} ${paint(33, "unknown")} (${status.detail ?? "no usable CRL"})`;
  }
}

// E3: a TlsCertificateName's issuer and subject, as Windows writes them (what the administrator
// set and PowerShell shows), beside the certificate's in the same form (tls-certificate-name.ts
// windowsName).
interface NamePair {
  readonly issuer: string;
  readonly subject: string;
}

/** E3: the wanted issuer and subject as Windows writes them; null unless a TlsCertificateName. */
export function wantedNames(lookedFor: LookedFor): NamePair | null {
  if (lookedFor.source !== "tlsCertificateName") return null;
  try {
    const parsed = parseTlsCertificateName(lookedFor.name);
    return { issuer: windowsFormOf(parsed.issuer), subject: windowsFormOf(parsed.subject) };
  } catch {
    // The selection parsed it already (a malformed one is misuse); nothing to add if not.
    return null;
  }
}

type Part = "issuer" | "subject";

/**
 * E3: which of the certificate's issuer and subject are not the TlsCertificateName's (null when
 * the name looked for is not one): the decision's own comparison (store-search.ts). A verdict
 * without it (not made by this library) is said to differ in both.
 */
export function differingParts(lookedFor: LookedFor, verdict: CertificateVerdict): Part[] | null {
  if (lookedFor.source !== "tlsCertificateName") return null;
  if (verdict.status === "excluded" && verdict.exclusion.differs !== undefined) {
    return [...verdict.exclusion.differs];
  }
  return ["issuer", "subject"];
}

const NAME_SOURCE_TEXT: Readonly<Record<NameMatch["source"], string>> = {
  "subject-cn": "Subject CN",
  "san-dns": "SAN DNS name",
};

function matchText(match: NameMatch | TlsCertificateNameMatch): string {
  if (match.source === "tls-certificate-name") return "issuer and subject match (E3)";
  return `matched ${match.domainListEntry} (${NAME_SOURCE_TEXT[match.source]}${match.wildcard ? ", wildcard" : ""})`;
}

function statusText(verdict: CertificateVerdict, selection: Selection): string {
  switch (verdict.status) {
    case "eligible": {
      if (selection.process === "anonymous-tls") {
        return `eligible, rank ${verdict.rank}${verdict.best ? " (best)" : ""}; ${matchText(verdict.match)}`;
      }
      // E4: in the 2016 edition a certificate without SMTP stays eligible; say so.
      const smtp = hasSmtpService(verdict.services)
        ? ""
        : "; SMTP not enabled (E4: the 2016 edition does not require it)";
      return `eligible, rank ${verdict.rank} (S6)${verdict.best ? ", chosen" : ""}; ${matchText(verdict.match)}${smtp}`;
    }
    case "excluded":
      return exclusionText(verdict.exclusion, verdict, selection);
    case "unreadable":
      return `unreadable (${verdict.exclusion.code}): ${verdict.exclusion.message}`;
    case "not-evaluated":
      return "not evaluated (the process stopped before eligibility)";
    default:
      return assertNever(verdict);
  }
}

function exclusionText(
  exclusion: Exclusion,
  verdict: CertificateVerdict,
  selection: Selection,
): string {
  if (exclusion.code === "tls-certificate-name-mismatch" && selection.process === "starttls") {
    const parts =
      selection.outcome === "not-attempted" ? null : differingParts(selection.lookedFor, verdict);
    if (parts !== null) {
      return `S3: its ${parts.join(" and ")} ${parts.length === 1 ? "is" : "are"} not the TlsCertificateName's (E3; see below)`;
    }
  }
  if (exclusion.rule === "S3" && exclusion.code === "no-matching-name") {
    return `S3: does not carry ${exclusion.expected ?? "the name looked for"}`;
  }
  // S4: which criterion failed, by its stable code and in words.
  if (exclusion.rule === "S4") return `S4 (${exclusion.code}): ${exclusion.message}`;
  return `${exclusion.rule}: ${exclusion.message}`;
}

/**
 * E3: for a TlsCertificateName, every certificate's issuer and subject beside the wanted ones,
 * each marked same or DIFFERS: the classic 12014 after a renewal is read here.
 */
function tlsNameLines(selection: Selection, paint: Paint): string[] {
  if (selection.process !== "starttls" || selection.outcome === "not-attempted") return [];
  const wanted = wantedNames(selection.lookedFor);
  if (wanted === null) return [];
  const compared = selection.certificates.filter(
    (v) =>
      (v.status === "eligible" && v.match.source === "tls-certificate-name") ||
      (v.status === "excluded" && v.exclusion.code === "tls-certificate-name-mismatch"),
  );
  if (compared.length === 0) return [];
  const lines = [
    "",
    "Issuer and subject against the TlsCertificateName (S3, E3):",
    `  wanted  issuer  ${wanted.issuer}`,
    `          subject ${wanted.subject}`,
  ];
  for (const verdict of compared) {
    const differs =
      verdict.status === "eligible" ? [] : (differingParts(selection.lookedFor, verdict) ?? []);
    const mark = (part: Part) => (differs.includes(part) ? paint(31, "DIFFERS") : "same");
    const issuer = verdict.issuer === null ? "-" : windowsName(verdict.issuer);
    const subject = verdict.subject === null ? "-" : windowsName(verdict.subject);
    lines.push(
      `  #${verdict.index} ${verdict.thumbprint ?? "-"}`,
      `          issuer  ${issuer}  [${mark("issuer")}]`,
      `          subject ${subject}  [${mark("subject")}]`,
    );
    // One of the two differs: most often a renewal (a new issuing CA, or a changed subject).
    // Its own TlsCertificateName is what the connector would need to name it. An empty name
    // has none (E3: an empty issuer or subject is malformed).
    if (differs.length === 1 && verdict.issuer && verdict.subject) {
      lines.push(`          its TlsCertificateName: <I>${issuer}<S>${subject}`);
    }
  }
  // The classic 12014 after a renewal: the connector still names the old certificate. Name the
  // newest certificate that differs in one part only, and the command that would name it.
  const renewals = compared.filter(
    (v) =>
      v.status === "excluded" &&
      v.issuer !== null &&
      v.subject !== null &&
      (differingParts(selection.lookedFor, v) ?? []).length === 1,
  );
  const newest = renewals.sort(
    (a, b) => (b.notBefore?.getTime() ?? 0) - (a.notBefore?.getTime() ?? 0),
  )[0];
  if (newest !== undefined && selection.outcome !== "selected") {
    const event = selection.events.find((e) => e.id === 12014);
    const connector =
      event?.id === 12014 && event.data.connector !== "" ? event.data.connector : "<connector>";
    const command =
      selection.direction === "inbound" ? "Set-ReceiveConnector" : "Set-SendConnector";
    const name = `<I>${windowsName(newest.issuer!)}<S>${windowsName(newest.subject!)}`;
    lines.push(
      "",
      `  ${newest.thumbprint} (#${newest.index}) is the newest certificate that differs from the TlsCertificateName in one part only: most likely the renewal of the certificate the connector names. To name it:`,
      `    ${command} "${connector}" -TlsCertificateName "${name.replace(/"/g, '`"')}"`,
    );
  }
  return lines;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map(
    (row) =>
      `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")}`,
  );
}

const PROCESS_NAMES: Readonly<Record<Selection["process"], string>> = {
  "anonymous-tls": "anonymous TLS",
  starttls: "STARTTLS",
};

const EDITION_NAMES: Readonly<Record<Selection["edition"], string>> = {
  "2007": "2007 edition (Exchange 2007, 2010)",
  "2016": "2016 edition (Exchange 2016, 2019, SE)",
};

/** A readable, multi-line explanation of a selection. */
export function explainSelection(selection: Selection, options: ExplainOptions = {}): string {
  const paint: Paint =
    options.color === true
      ? (code, text) => `\u001b[${code}m${text}\u001b[0m`
      : (_code, text) => text;
  const lines: string[] = [];
  lines.push(
    `${selection.direction === "outbound" ? "Outbound" : "Inbound"} ${PROCESS_NAMES[selection.process]} certificate selection, ${EDITION_NAMES[selection.edition]}, at ${selection.evaluatedAt.toISOString()}`,
  );
  lines.push(paint(1, outcomeLine(selection)));
  lines.push(wireLine(selection, paint));
  if (selection.process === "starttls") lines.push(...lookedForLines(selection));
  lines.push("", `Events (${selection.events.length}):`);
  if (selection.events.length === 0) lines.push("  none");
  for (const event of selection.events) lines.push(eventLine(event, paint));
  lines.push("", "Steps:");
  for (const step of selection.trace) lines.push(stepLine(step, paint));
  lines.push("", `Store certificates (${selection.certificates.length}):`);
  if (selection.certificates.length === 0) {
    lines.push("  (the store was not read)");
  } else {
    const used = selection.outcome === "selected" ? selection.thumbprint : null;
    const rows: string[][] = [
      ["#", "thumbprint", "names", "valid from", "valid to", "trust", "verdict"],
    ];
    for (const verdict of selection.certificates) {
      const marks = [
        verdict.isDirectoryCertificate ? "directory" : "",
        verdict.thumbprint !== null && verdict.thumbprint === used ? "USED" : "",
      ].filter(Boolean);
      rows.push([
        String(verdict.index),
        `${verdict.thumbprint ?? "(not a certificate)"}${marks.length > 0 ? ` [${marks.join(", ")}]` : ""}`,
        verdict.names.slice(0, 3).join(", ") +
          (verdict.names.length > 3 ? `, +${verdict.names.length - 3}` : "") || "-",
        date(verdict.notBefore),
        `${date(verdict.notAfter)}${verdict.time === "expired" ? " (expired)" : verdict.time === "not-yet-valid" ? " (not yet valid)" : ""}`,
        trustText(verdict),
        statusText(verdict, selection),
      ]);
    }
    lines.push(...table(rows));
    lines.push(...tlsNameLines(selection, paint));
    lines.push(...revocationLines(selection.certificates, paint));
  }
  return `${lines.join("\n")}\n`;
}
