// The receiving server's shorter process (I1–I4): the Receive connector gate, then the same
// directory, store and expiry steps as the sending side. No domain list, ranking or 1037.

import type { AnonymousTlsSelection, InboundSelectionOptions } from "../types.js";
import {
  type LoadedCertificate,
  loadInternalTransportCertificate,
} from "./load-internal-certificate.js";
import { checkInboundOptions, type InboundInput } from "./options.js";
import { chainToSend, type OutboundContext } from "./outbound-anonymous.js";
import { SelectionRun } from "./run.js";
import { checkReceiveConnectorGate } from "./steps/receive-connector-gate.js";
import { trustEvaluatorFor } from "./trust.js";
import { buildVerdicts } from "./verdicts.js";

/**
 * Whether the receiving Hub or Edge Transport server advertises X-ANONYMOUSTLS in its EHLO
 * response, with which certificate, and which events it logs (I1–I4).
 */
export async function selectInboundAnonymousTlsCert(
  options: InboundSelectionOptions,
): Promise<AnonymousTlsSelection> {
  const input = checkInboundOptions(options);
  return runInboundSelection(input, {
    trust: trustEvaluatorFor(options, input.profile, input.revocation),
  });
}

export async function runInboundSelection(
  input: InboundInput,
  context: OutboundContext,
): Promise<AnonymousTlsSelection> {
  // E5: the same process in both editions (only event levels differ, E6).
  const run = new SelectionRun(
    { process: "anonymous-tls", direction: "inbound", edition: input.edition.edition },
    input.now,
    input.onEvent,
  );

  // I1: the Receive connector's AuthMechanism includes ExchangeServer.
  const gate = checkReceiveConnectorGate(input.authMechanism, "I1");
  run.step(gate.trace);
  if (!gate.passed) return run.notAttempted(["I1"]);

  // I2–I4: directory lookup, store lookup, expiry (the sending side's steps 3–5).
  const loaded: LoadedCertificate = await loadInternalTransportCertificate(run, input, context);
  if (!loaded.ok) return loaded.selection;
  const { directoryThumbprint, found, snapshot } = loaded;
  run.setCertificates(buildVerdicts(snapshot, input.now, directoryThumbprint));

  // The chain sent as TLS server: the validated path when the certificate is valid PKI.
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
