// I1: the receiving side advertises X-ANONYMOUSTLS only when the Receive connector's
// AuthMechanism flags include ExchangeServer. Unlike SmartHostAuthMechanism this is a set, so
// "Tls, Integrated, ExchangeServer" passes.
import type { TraceStep } from "../../types.js";
import type { AuthMechanism } from "../vocabulary.js";

export function checkReceiveConnectorGate(authMechanism: ReadonlySet<AuthMechanism>): {
  readonly passed: boolean;
  readonly trace: TraceStep;
} {
  const passed = authMechanism.has("ExchangeServer");
  const actual = [...authMechanism].join(", ") || "None";
  return {
    passed,
    trace: {
      step: "receive-connector-gate",
      rules: ["I1"],
      status: passed ? "passed" : "failed",
      summary: passed
        ? `AuthMechanism ${actual} includes ExchangeServer; certificates are loaded`
        : `AuthMechanism ${actual} does not include ExchangeServer; X-ANONYMOUSTLS is not advertised and no certificate is loaded`,
      data: { expected: "ExchangeServer", actual: [...authMechanism] },
    },
  };
}
