// S2 (S10 on the sending side; E3 in the 2016 edition): which name the STARTTLS certificate must
// carry. The connector's TlsCertificateName when set (2016 only), else its Fqdn, else the
// server's physical FQDN. The choice is settled when the options are checked (a malformed name
// is misuse, before any I/O: options.ts); this step only records it.
import type { LookedFor, TraceStep } from "../../types.js";
import type { StartTlsInput } from "../options.js";

/** The rule that chose the name: S2 inbound; a Send connector's TlsCertificateName is S11's own, its Fqdn S10's. */
export function certificateNameRule(
  direction: "inbound" | "outbound",
  source: LookedFor["source"],
): "S2" | "S10" | "S11" {
  if (direction === "inbound") return "S2";
  return source === "tlsCertificateName" ? "S11" : "S10";
}

export function certificateNameStep(input: StartTlsInput): TraceStep {
  const { lookedFor } = input;
  const side = input.direction === "inbound" ? "Receive" : "Send";
  const rule = certificateNameRule(input.direction, lookedFor.source);
  const summary =
    lookedFor.source === "tlsCertificateName"
      ? `the ${side} connector's TlsCertificateName is set: a certificate with exactly that issuer and subject is looked for (E3)`
      : lookedFor.source === "connector-fqdn"
        ? `the ${side} connector's Fqdn ${lookedFor.name} is looked for`
        : `the ${side} connector has no Fqdn: the server's physical FQDN ${lookedFor.name} is looked for`;
  return {
    step: "certificate-name",
    rules: lookedFor.source === "tlsCertificateName" ? [rule, "E3"] : [rule],
    status: "passed",
    summary,
    data: {
      name: lookedFor.name,
      source: lookedFor.source,
      connectorFqdn: input.fqdn,
      physicalFqdn: input.physicalFqdn,
      ...(input.certificateName === null
        ? {}
        : {
            issuer: input.certificateName.issuer,
            subject: input.certificateName.subject,
          }),
    },
  };
}
