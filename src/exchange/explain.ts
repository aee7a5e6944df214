// Turning a Selection into text an administrator can read: what was decided, which events are
// logged, each step with the rule it applied, and every store certificate with its rank or the
// rule that excluded it. Plain text by default; `color` adds ANSI colour for terminals.

import type { CertificateVerdict, ExchangeEvent, Selection, TraceStep } from "../types.js";
import type { CertificateRevocationStatus } from "../x509/path/validator.js";
import type { IgnoredCrl } from "../x509/revocation/checker.js";

/** Options of {@link explainSelection}. */
export interface ExplainOptions {
  /** ANSI colours (for a terminal). Default false. */
  readonly color?: boolean;
}

type Paint = (code: number, text: string) => string;

function outcomeLine(selection: Selection): string {
  const side = selection.direction === "outbound" ? "sending" : "receiving";
  switch (selection.outcome) {
    case "not-attempted":
      return `Anonymous TLS is not used by the ${side} server: ${selection.failed.join(", ")} not met; no certificate is loaded.`;
    case "no-certificate":
      return `No certificate: ${selection.reason}${selection.directoryThumbprint ? ` (directory names ${selection.directoryThumbprint})` : ""}${directoryCause(selection)}. X-ANONYMOUSTLS is not ${selection.direction === "outbound" ? "used" : "advertised"}.`;
    case "selected":
      return `Certificate ${selection.thumbprint} is used for X-AnonymousTLS by the ${side} server${
        selection.direction === "outbound"
          ? selection.thumbprintMatches
            ? "; it is also the best candidate."
            : `; the best candidate is ${selection.bestCandidate ?? "none"} (mismatch, 1037).`
          : "."
      }`;
    default:
      return assertNever(selection);
  }
}

// R4: why the directory could not be read belongs in the headline, in the directory's own words
// (an LdapDirectoryError names the account, the DN and what to grant): that is what an
// administrator acts on. One line; a cause whose message cannot be read adds nothing.
function directoryCause(selection: Extract<Selection, { outcome: "no-certificate" }>): string {
  if (selection.reason !== "directory-unreadable") return "";
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

function statusText(verdict: CertificateVerdict): string {
  switch (verdict.status) {
    case "eligible":
      return `eligible, rank ${verdict.rank}${verdict.best ? " (best)" : ""}; matched ${verdict.match.domainListEntry}`;
    case "excluded":
      return `${verdict.exclusion.rule}: ${verdict.exclusion.message}`;
    case "unreadable":
      return `unreadable (${verdict.exclusion.code}): ${verdict.exclusion.message}`;
    case "not-evaluated":
      return "not evaluated (the process stopped before eligibility)";
    default:
      return assertNever(verdict);
  }
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map(
    (row) =>
      `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")}`,
  );
}

/** A readable, multi-line explanation of a selection. */
export function explainSelection(selection: Selection, options: ExplainOptions = {}): string {
  const paint: Paint =
    options.color === true
      ? (code, text) => `\u001b[${code}m${text}\u001b[0m`
      : (_code, text) => text;
  const lines: string[] = [];
  lines.push(
    `${selection.direction === "outbound" ? "Outbound" : "Inbound"} anonymous TLS certificate selection at ${selection.evaluatedAt.toISOString()}`,
  );
  lines.push(paint(1, outcomeLine(selection)));
  lines.push(
    `X-ANONYMOUSTLS: ${selection.advertiseAnonymousTls ? paint(32, selection.direction === "outbound" ? "used" : "advertised") : paint(31, selection.direction === "outbound" ? "not used" : "not advertised")}`,
  );
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
        statusText(verdict),
      ]);
    }
    lines.push(...table(rows));
    lines.push(...revocationLines(selection.certificates, paint));
  }
  return `${lines.join("\n")}\n`;
}
