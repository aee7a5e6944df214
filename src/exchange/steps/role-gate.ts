// Steps 1–2: the load gate (R1 on a Hub Transport server, R2 on an Edge Transport server).
// Both conditions must hold on either role; on the Edge the text's "…and…" failure sentence is
// read as "both must be met" like R1 (docs/rules.md, R2). Every condition is evaluated, so the decision
// records each one that failed, not just the first.
import type { GateCondition, Role, TraceStep } from "../../types.js";
import type { AddressSpace, DeliveryType, SmartHostAuthMechanism } from "../vocabulary.js";

export interface GateInput {
  readonly role: Role;
  readonly smartHostAuthMechanism: SmartHostAuthMechanism;
  readonly addressSpaces: readonly AddressSpace[];
  readonly deliveryType: DeliveryType | undefined;
}

interface Condition {
  readonly id: GateCondition;
  readonly setting: string;
  readonly expected: string;
  readonly actual: string;
  readonly passed: boolean;
}

export interface GateResult {
  readonly passed: boolean;
  readonly failed: readonly GateCondition[];
  readonly trace: TraceStep;
}

/** A12: an address space whose address is exactly `--` under type SMTP (any cost). */
export function isEdgeSyncAddressSpace(space: AddressSpace): boolean {
  return space.type.toUpperCase() === "SMTP" && space.address === "--";
}

function exchangeServerCondition(id: "R1a" | "R2a", mechanism: SmartHostAuthMechanism): Condition {
  return {
    id,
    setting: "SmartHostAuthMechanism",
    expected: "ExchangeServer",
    actual: mechanism,
    passed: mechanism === "ExchangeServer",
  };
}

function deliveryTypeCondition(deliveryType: DeliveryType | undefined): Condition {
  return {
    id: "R1b",
    setting: "DeliveryType",
    expected: "SmtpRelayWithinAdSiteToEdge",
    actual: deliveryType ?? "(not given)",
    passed: deliveryType === "SmtpRelayWithinAdSiteToEdge",
  };
}

export function checkRoleGate(input: GateInput): GateResult {
  // E1: a 2016 Mailbox server's only condition is the Hub's DeliveryType one (R1b); it has no
  // SmartHostAuthMechanism condition. (The edition decides which roles exist: options.ts.)
  if (input.role === "Mailbox") {
    const condition = deliveryTypeCondition(input.deliveryType);
    return {
      passed: condition.passed,
      failed: condition.passed ? [] : ["R1b"],
      trace: {
        step: "role-gate",
        rules: ["E1", "R1b"],
        status: condition.passed ? "passed" : "failed",
        summary: condition.passed
          ? "Mailbox: the DeliveryType is SmtpRelayWithinAdSiteToEdge; certificates are loaded"
          : "Mailbox: R1b not met (E1: the DeliveryType is the only condition); anonymous TLS is not used and no certificate is loaded",
        data: { role: input.role, conditions: [condition] },
      },
    };
  }
  const conditions: Condition[] =
    input.role === "HubTransport"
      ? [
          // R1a, R1b
          exchangeServerCondition("R1a", input.smartHostAuthMechanism),
          deliveryTypeCondition(input.deliveryType),
        ]
      : [
          // R2a, R2b (A12)
          exchangeServerCondition("R2a", input.smartHostAuthMechanism),
          {
            id: "R2b",
            setting: "AddressSpaces",
            expected: "an address space SMTP:--",
            actual:
              input.addressSpaces.map((s) => `${s.type}:${s.address};${s.cost}`).join(", ") ||
              "(none)",
            passed: input.addressSpaces.some(isEdgeSyncAddressSpace),
          },
        ];
  const failed = conditions.filter((c) => !c.passed).map((c) => c.id);
  const rule = input.role === "HubTransport" ? "R1" : "R2";
  return {
    passed: failed.length === 0,
    failed,
    trace: {
      step: "role-gate",
      rules: [rule, ...conditions.map((c) => c.id as "R1a" | "R1b" | "R2a" | "R2b")],
      status: failed.length === 0 ? "passed" : "failed",
      summary:
        failed.length === 0
          ? `${input.role}: every load condition holds; certificates are loaded`
          : `${input.role}: ${failed.join(" and ")} not met; anonymous TLS is not used and no certificate is loaded`,
      data: { role: input.role, conditions },
    },
  };
}
