// The sending server's selection for outbound anonymous TLS, top to bottom as docs/rules.md numbers
// it. Each step is a small module under exchange/steps; this file only runs them in order and stops
// where the spec stops.

import type { AnonymousTlsSelection, OutboundSelectionOptions } from "../types.js";
import type { ParsedCertificate } from "../x509/certificate.js";
import {
  type LoadedCertificate,
  loadInternalTransportCertificate,
  type SelectionCaches,
} from "./load-internal-certificate.js";
import { checkOutboundOptions } from "./options.js";
import { SelectionRun } from "./run.js";
import { buildDomainList } from "./steps/domain-list.js";
import { findEligible } from "./steps/eligibility.js";
import { rankEligible } from "./steps/ranking.js";
import { checkRoleGate } from "./steps/role-gate.js";
import { matchThumbprint } from "./steps/thumbprint-match.js";
import { type TrustEvaluator, trustEvaluatorFor } from "./trust.js";
import { buildVerdicts } from "./verdicts.js";

/**
 * Which certificate the sending Hub or Edge Transport server uses for X-AnonymousTLS, whether it
 * uses anonymous TLS at all, and which events it logs (R1–R15, readings A1–A16).
 *
 * Normal outcomes, however bad (no certificate, 12013, 1037), are values of the returned
 * `Selection`; only misuse rejects (TypeError, InvalidSettingError, InvalidCertificateError for a
 * trust anchor or intermediate that does not parse), and it does so before any I/O. Like every
 * promise-returning API it never throws synchronously, so `.catch()` sees misuse too.
 */
export async function selectOutboundAnonymousTlsCert(
  options: OutboundSelectionOptions,
): Promise<AnonymousTlsSelection> {
  const input = checkOutboundOptions(options);
  return runOutboundSelection(input, {
    trust: trustEvaluatorFor(options, input.profile, input.revocation),
  });
}

export interface OutboundContext extends SelectionCaches {
  readonly trust: TrustEvaluator;
}

/** The pipeline proper, over checked input and a context the prepared selector can share. */
export async function runOutboundSelection(
  input: ReturnType<typeof checkOutboundOptions>,
  context: OutboundContext,
): Promise<AnonymousTlsSelection> {
  const run = new SelectionRun(
    { process: "anonymous-tls", direction: "outbound", edition: input.edition.edition },
    input.now,
    input.onEvent,
  );

  // Steps 1–2: the load gate for the server's role (R1 Hub, R2 Edge; E1 Mailbox in 2016).
  const gate = checkRoleGate(input);
  run.step(gate.trace);
  if (!gate.passed) return run.notAttempted(gate.failed);

  // Steps 3–5: directory thumbprint (R3–R5), store lookup (R6, A9, A16), expiry (R7).
  const loaded: LoadedCertificate = await loadInternalTransportCertificate(run, input, context);
  if (!loaded.ok) return loaded.selection;
  const { directoryThumbprint, found, snapshot } = loaded;

  // E2: in the 2016 edition the process ends here, with the directory's certificate.
  if (!input.edition.anonymousRankingAfterExpiry) {
    run.setCertificates(buildVerdicts(snapshot, input.now, directoryThumbprint));
    const { path } = await context.trust.evaluate(found.certificate, input.now);
    return run.selected({
      thumbprint: directoryThumbprint,
      entry: found.entry,
      directoryThumbprint,
      bestCandidate: null,
      thumbprintMatches: true,
      chain: chainToSend(path),
    });
  }

  // Step 6: the domain list (R8, R9, A10).
  const domainList = buildDomainList(input.server);
  run.step(domainList.trace);

  // Step 7: eligible certificates (R10a–R10d; A2, A5, A7).
  const eligibility = findEligible(snapshot.certificates, domainList.names, {
    wildcardNames: input.wildcardNames,
  });
  run.step(eligibility.trace);

  // Step 8: ranking (R11–R13; A3, A6, A11, A14).
  const ranking = await rankEligible(eligibility.eligible, input.now, context.trust);
  run.step(ranking.trace);
  run.setCertificates(
    buildVerdicts(snapshot, input.now, directoryThumbprint, eligibility, ranking),
  );

  // Step 9: thumbprint match (R14, R15; A1, A8).
  const bestCandidate = ranking.best?.verdict.certificate.certificate.thumbprint ?? null;
  const match = matchThumbprint(
    run,
    directoryThumbprint,
    bestCandidate,
    input.onThumbprintMismatch,
  );
  const used =
    match.used === found.certificate.thumbprint ? found : ranking.best!.verdict.certificate;
  const rankedUsed = ranking.ranked.find((r) => r.verdict.certificate === used);
  const path = rankedUsed?.path ?? (await context.trust.evaluate(used.certificate, input.now)).path;

  return run.selected({
    thumbprint: match.used,
    entry: used.entry,
    directoryThumbprint,
    bestCandidate,
    thumbprintMatches: match.matches,
    chain: chainToSend(path),
  });
}

/** The chain a TLS peer is sent: the leaf and its intermediates, without the trust anchor. */
export function chainToSend(path: readonly ParsedCertificate[]): readonly Uint8Array[] {
  const withoutAnchor = path.length > 1 ? path.slice(0, -1) : path;
  return Object.freeze(withoutAnchor.map((c) => c.der));
}
