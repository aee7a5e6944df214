// Inbound STARTTLS (S1–S9): whether the receiving server advertises STARTTLS in its EHLO
// response, with which certificate, and which events it logs. The gate (S1), then the steps
// both sides share (starttls-certificate.ts). With no certificate STARTTLS is not advertised.
import type { InboundStartTlsSelection, InboundStartTlsSelectionOptions } from "../types.js";
import { checkInboundStartTlsOptions, type StartTlsInput } from "./options.js";
import { SelectionRun } from "./run.js";
import { findStartTlsCertificate, type StartTlsContext } from "./starttls-certificate.js";
import { checkReceiveConnectorGate } from "./steps/receive-connector-gate.js";
import { trustEvaluatorFor } from "./trust.js";

/**
 * Which certificate the receiving server presents after STARTTLS, whether it advertises STARTTLS
 * at all, and which events it logs (S1–S9; E3, E4, E6 in the 2016 edition). Outcomes are values;
 * only misuse rejects (a malformed TlsCertificateName or Fqdn, a TlsCertificateName in the 2007
 * edition: InvalidSettingError), before any I/O.
 */
export async function selectInboundStartTlsCert(
  options: InboundStartTlsSelectionOptions,
): Promise<InboundStartTlsSelection> {
  const input = checkInboundStartTlsOptions(options);
  return runInboundStartTlsSelection(input, {
    trust: trustEvaluatorFor(options, input.profile, input.revocation),
  });
}

export async function runInboundStartTlsSelection(
  input: StartTlsInput,
  context: StartTlsContext,
): Promise<InboundStartTlsSelection> {
  const run = new SelectionRun(
    { process: "starttls", direction: "inbound", edition: input.edition.edition },
    input.now,
    input.onEvent,
  );

  // S1: the Receive connector's AuthMechanism includes Tls.
  const gate = checkReceiveConnectorGate(input.authMechanism ?? new Set(), "S1");
  run.step(gate.trace);
  if (!gate.passed) return run.startTlsNotAttempted();

  // S2–S9.
  const found = await findStartTlsCertificate(run, input, context);
  if (!found.ok) {
    return run.startTlsNoCertificate(
      found.reason,
      input.lookedFor,
      found.cause,
    ) as InboundStartTlsSelection;
  }
  return run.startTlsSelected(found.choice) as InboundStartTlsSelection;
}
