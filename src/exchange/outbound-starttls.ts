// Outbound STARTTLS (S10, S11): which certificate the sending server offers as its client
// certificate after STARTTLS. No gate; the steps both sides share (starttls-certificate.ts) with
// the Send connector's Fqdn (S10) or, in the 2016 edition, its TlsCertificateName (S11, E3).
// With no certificate the sender still negotiates STARTTLS, without a client certificate (S10),
// except when a TlsCertificateName was set: then the session fails with a 454 (S11).
import type {
  OutboundStartTlsSelection,
  OutboundStartTlsSelectionOptions,
  OutboundStartTlsSessionFails,
} from "../types.js";
import { checkOutboundStartTlsOptions, type StartTlsInput } from "./options.js";
import { SelectionRun } from "./run.js";
import { findStartTlsCertificate, type StartTlsContext } from "./starttls-certificate.js";
import { trustEvaluatorFor } from "./trust.js";

/** S11: the reply of a session whose Send connector's TlsCertificateName finds nothing. */
export const TLS_CERTIFICATE_NAME_NOT_FOUND_REPLY: OutboundStartTlsSessionFails["reply"] =
  "454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found.";

/**
 * Which certificate the sending server offers as its client certificate after STARTTLS, and
 * which events it logs (S10, S11; E3, E6 in the 2016 edition). Outcomes are values; only misuse
 * rejects, before any I/O.
 */
export async function selectOutboundStartTlsCert(
  options: OutboundStartTlsSelectionOptions,
): Promise<OutboundStartTlsSelection> {
  const input = checkOutboundStartTlsOptions(options);
  return runOutboundStartTlsSelection(input, {
    trust: trustEvaluatorFor(options, input.profile, input.revocation),
  });
}

export async function runOutboundStartTlsSelection(
  input: StartTlsInput,
  context: StartTlsContext,
): Promise<OutboundStartTlsSelection> {
  const run = new SelectionRun(
    { process: "starttls", direction: "outbound", edition: input.edition.edition },
    input.now,
    input.onEvent,
  );
  const found = await findStartTlsCertificate(run, input, context);
  if (found.ok) return run.startTlsSelected(found.choice) as OutboundStartTlsSelection;
  // S11 (2016 edition): a TlsCertificateName that resolves to nothing usable fails the session.
  if (input.certificateName !== null && input.edition.sendConnectorNameFailsSession) {
    run.step({
      step: "session-fails",
      rules: ["S11"],
      status: "failed",
      summary: `the Send connector's TlsCertificateName resolves to no usable certificate (${found.reason}): the session fails with 454 4.7.5`,
      data: {
        name: input.lookedFor.name,
        reason: found.reason,
        reply: TLS_CERTIFICATE_NAME_NOT_FOUND_REPLY,
      },
    });
    return run.startTlsSessionFails(
      TLS_CERTIFICATE_NAME_NOT_FOUND_REPLY,
      found.reason,
      { name: input.lookedFor.name, source: "tlsCertificateName" },
      found.cause,
    );
  }
  // S10: STARTTLS is still negotiated, without a client certificate.
  return run.startTlsNoCertificate(
    found.reason,
    input.lookedFor,
    found.cause,
  ) as OutboundStartTlsSelection;
}
