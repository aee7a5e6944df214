// S2 (S10 on the sending side; E3 in the 2016 edition): which name the STARTTLS certificate must
// carry. The connector's TlsCertificateName when set (2016 only), else its Fqdn, else the
// server's physical FQDN. The choice is settled when the options are checked (a malformed name
// is misuse, before any I/O: options.ts); this step only records it.
import type { TraceStep } from "../../types.js";
import type { StartTlsInput } from "../options.js";

export function certificateNameStep(input: StartTlsInput): TraceStep {
  const { lookedFor } = input;
  const side = input.direction === "inbound" ? "Receive" : "Send";
  // A Send connector's TlsCertificateName is S11's own rule; its Fqdn is S10's.
  const rule =
    input.direction === "inbound"
      ? "S2"
      : lookedFor.source === "tlsCertificateName"
        ? "S11"
        : "S10";
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
