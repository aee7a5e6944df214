// Exchange's value sets (docs/rules.md, "Values"). Names compare case-insensitively, as
// Exchange's own parsers do; an unknown name is a configuration Exchange would refuse, so it is
// misuse (InvalidSettingError), not an outcome.
import { InvalidSettingError } from "../errors.js";

/**
 * The values a Send connector's `SmartHostAuthMechanism` takes: exactly one of them, not a set of
 * flags (R1a, R2a).
 */
export const SMART_HOST_AUTH_MECHANISMS = [
  "None",
  "BasicAuth",
  "BasicAuthRequireTLS",
  "ExchangeServer",
  "ExternalAuthoritative",
] as const;
/** One of {@link SMART_HOST_AUTH_MECHANISMS}. */
export type SmartHostAuthMechanism = (typeof SMART_HOST_AUTH_MECHANISMS)[number];

/**
 * Exchange 2007's message `DeliveryType` values (R1b needs `SmtpRelayWithinAdSiteToEdge`); names
 * compare case-insensitively.
 */
export const DELIVERY_TYPES = [
  "Undefined",
  "DnsConnectorDelivery",
  "MapiDelivery",
  "NonSmtpGatewayDelivery",
  "SmartHostConnectorDelivery",
  "SmtpRelayToRemoteAdSite",
  "SmtpRelayToTiRg",
  "SmtpRelayWithinAdSite",
  "SmtpRelayWithinAdSiteToEdge",
  "Unreachable",
] as const;
/** One of {@link DELIVERY_TYPES}. */
export type DeliveryType = (typeof DELIVERY_TYPES)[number];

/** The flags a Receive connector's `AuthMechanism` combines (I1 needs `ExchangeServer`). */
export const AUTH_MECHANISMS = [
  "None",
  "Tls",
  "Integrated",
  "BasicAuth",
  "BasicAuthRequireTLS",
  "ExchangeServer",
  "ExternalAuthoritative",
] as const;
/** One of {@link AUTH_MECHANISMS}. */
export type AuthMechanism = (typeof AUTH_MECHANISMS)[number];

function canonical<T extends string>(allowed: readonly T[], value: string): T | undefined {
  const folded = value.trim().toLowerCase();
  return allowed.find((name) => name.toLowerCase() === folded);
}

/** SmartHostAuthMechanism is a single value, not a flags set (docs/rules.md, "Values"). */
export function parseSmartHostAuthMechanism(value: unknown): SmartHostAuthMechanism {
  const name = typeof value === "string" ? canonical(SMART_HOST_AUTH_MECHANISMS, value) : undefined;
  if (name === undefined) {
    throw new InvalidSettingError(
      "sendConnector.smartHostAuthMechanism",
      value,
      SMART_HOST_AUTH_MECHANISMS,
    );
  }
  return name;
}

export function parseDeliveryType(value: unknown): DeliveryType {
  const name = typeof value === "string" ? canonical(DELIVERY_TYPES, value) : undefined;
  if (name === undefined) throw new InvalidSettingError("deliveryType", value, DELIVERY_TYPES);
  return name;
}

/**
 * AuthMechanism *is* a flags set (I1): "Tls, Integrated, ExchangeServer" or an array of names.
 * "None" alone is the empty set; "None" beside other flags is contradictory and rejected.
 */
export function parseAuthMechanism(value: unknown): ReadonlySet<AuthMechanism> {
  const parts =
    typeof value === "string"
      ? value.split(",")
      : Array.isArray(value) && value.every((part) => typeof part === "string")
        ? (value as string[])
        : null;
  if (parts === null)
    throw new InvalidSettingError("receiveConnector.authMechanism", value, AUTH_MECHANISMS);
  const flags = new Set<AuthMechanism>();
  for (const part of parts) {
    const name = canonical(AUTH_MECHANISMS, part);
    if (name === undefined) {
      throw new InvalidSettingError("receiveConnector.authMechanism", value, AUTH_MECHANISMS);
    }
    flags.add(name);
  }
  if (flags.has("None") && flags.size > 1) {
    throw new InvalidSettingError("receiveConnector.authMechanism", value, AUTH_MECHANISMS);
  }
  flags.delete("None");
  return flags;
}

export interface AddressSpace {
  readonly type: string;
  readonly address: string;
  readonly cost: number;
}

const TYPE_PREFIX = /^([A-Za-z0-9-]+):(.*)$/s;
const COST_SUFFIX = /^(.*);([0-9]+)$/s;

/**
 * `TYPE:ADDRESS;COST` or a bare `ADDRESS` (type SMTP, cost 1). The cost is the digits after the
 * last semicolon, because X.400 addresses hold semicolons of their own. Exchange allows costs
 * 1–100.
 */
export function parseAddressSpace(value: unknown): AddressSpace {
  const invalid = () =>
    new InvalidSettingError("sendConnector.addressSpaces", value, ["TYPE:ADDRESS;COST", "ADDRESS"]);
  if (typeof value !== "string") throw invalid();
  let rest = value.trim();
  let type = "SMTP";
  const typed = TYPE_PREFIX.exec(rest);
  if (typed !== null) {
    type = typed[1]!;
    rest = typed[2]!;
  }
  let cost = 1;
  const costed = COST_SUFFIX.exec(rest);
  if (costed !== null) {
    rest = costed[1]!;
    cost = Number(costed[2]);
    if (cost < 1 || cost > 100) throw invalid();
  }
  rest = rest.trim();
  if (rest.length === 0) throw invalid();
  return { type, address: rest, cost };
}

/** Store services (`Enable-ExchangeCertificate -Services`), compared case-insensitively (R10d). */
export function hasSmtpService(services: readonly string[]): boolean {
  // Get-ExchangeCertificate prints the flags as one string ("IIS, SMTP"), so an element may
  // hold several names.
  return services.some(
    (service) =>
      typeof service === "string" &&
      service.split(",").some((name) => name.trim().toLowerCase() === "smtp"),
  );
}
