// The receiving side's gates, one flag of the Receive connector's AuthMechanism each. Unlike
// SmartHostAuthMechanism this is a set, so "Tls, Integrated, ExchangeServer" passes both:
// - I1: X-ANONYMOUSTLS is advertised only when it includes ExchangeServer;
// - S1: STARTTLS is advertised only when it includes Tls.
import type { TraceStep } from "../../types.js";
import type { AuthMechanism } from "../vocabulary.js";

const GATES = {
  I1: { flag: "ExchangeServer", verb: "X-ANONYMOUSTLS" },
  S1: { flag: "Tls", verb: "STARTTLS" },
} as const;

export function checkReceiveConnectorGate(
  authMechanism: ReadonlySet<AuthMechanism>,
  rule: "I1" | "S1",
): {
  readonly passed: boolean;
  readonly trace: TraceStep;
} {
  const { flag, verb } = GATES[rule];
  const passed = authMechanism.has(flag);
  const actual = [...authMechanism].join(", ") || "None";
  return {
    passed,
    trace: {
      step: "receive-connector-gate",
      rules: [rule],
      status: passed ? "passed" : "failed",
      summary: passed
        ? `AuthMechanism ${actual} includes ${flag}; certificates are loaded`
        : `AuthMechanism ${actual} does not include ${flag}; ${verb} is not advertised and no certificate is loaded`,
      data: { expected: flag, actual: [...authMechanism] },
    },
  };
}
