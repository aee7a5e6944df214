// Checking what the caller passed, once, at the entry point. Wrong types and missing parts are
// misuse (TypeError); connector values Exchange would refuse are InvalidSettingError; a trust
// anchor that does not parse is InvalidCertificateError. `now` is resolved here, once (A4).
import { InvalidSettingError } from "../errors.js";
import type {
  CertStore,
  CommonSelectionOptions,
  Directory,
  Edition,
  ExpiryWarning,
  InboundSelectionOptions,
  InboundStartTlsSelectionOptions,
  LookedFor,
  OutboundSelectionOptions,
  OutboundStartTlsSelectionOptions,
  Phase,
  SelectionSettings,
  ServerNames,
  StartTlsSelectionSettings,
  ThumbprintMismatchPolicy,
} from "../types.js";
import { type HostName, parseHostName } from "../x509/dns-name.js";
import type { ValidationProfile } from "../x509/path/validator.js";
import { checkRevocation, type RevocationInput } from "../x509/revocation/input.js";

export { checkRevocation, type RevocationInput };

import { EDITION_NAMES, EDITIONS, type EditionRules } from "./editions.js";
import { parseTlsCertificateName, type TlsCertificateName } from "./tls-certificate-name.js";
import type {
  AddressSpace,
  AuthMechanism,
  DeliveryType,
  SmartHostAuthMechanism,
} from "./vocabulary.js";
import {
  parseAddressSpace,
  parseAuthMechanism,
  parseDeliveryType,
  parseSmartHostAuthMechanism,
} from "./vocabulary.js";

/** What every selection reads, checked. */
export interface SettingsInput {
  readonly store: CertStore;
  /** E1–E6: the edition's rules (editions.ts). */
  readonly edition: EditionRules;
  readonly phase: Phase;
  readonly now: Date;
  readonly onEvent: CommonSelectionOptions["onEvent"];
  readonly signal: AbortSignal | undefined;
  readonly expiryWarning: ExpiryWarning | undefined;
  /** Which path-validation profile decides "valid PKI" (A3). */
  readonly profile: ValidationProfile;
  /** A21: the caller's CRLs, parsed once, and the mode; undefined when neither was given. */
  readonly revocation: RevocationInput | undefined;
}

/** What both anonymous-TLS directions read, checked. */
export interface CommonInput extends SettingsInput {
  readonly directory: Directory;
}

export interface OutboundInput extends CommonInput {
  readonly role: OutboundSelectionOptions["role"];
  readonly smartHostAuthMechanism: SmartHostAuthMechanism;
  readonly addressSpaces: readonly AddressSpace[];
  readonly deliveryType: DeliveryType | undefined;
  readonly server: ServerNames;
  readonly wildcardNames: boolean;
  readonly onThumbprintMismatch: ThumbprintMismatchPolicy;
}

export interface InboundInput extends CommonInput {
  readonly authMechanism: ReadonlySet<AuthMechanism>;
}

/** A STARTTLS selection's input, checked: the name to look for is settled here (S2, E3). */
export interface StartTlsInput extends SettingsInput {
  readonly direction: "inbound" | "outbound";
  /** S1, inbound only. */
  readonly authMechanism: ReadonlySet<AuthMechanism> | undefined;
  /** S2/S10/E3: the name looked for, and where it came from. */
  readonly lookedFor: LookedFor;
  /** The parsed TlsCertificateName when that is the name (E3), else null. */
  readonly certificateName: TlsCertificateName | null;
  /** The host name looked for (S2), or null when the name is a TlsCertificateName or invalid. */
  readonly hostName: HostName | null;
  /** 12014's %2 and %3. */
  readonly connectorName: string;
  readonly connectorFqdn: string;
  /** The connector's Fqdn and the physical FQDN, as the S2 step reports them. */
  readonly fqdn: string | null;
  readonly physicalFqdn: string;
  readonly wildcardNames: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function oneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value))
    return value as T;
  throw new TypeError(`${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
}

/** The directory of the anonymous selections (R3, I2). */
function checkDirectory(directory: Directory): Directory {
  if (!isObject(directory) || typeof directory.readInternalTransportCertificate !== "function") {
    throw new TypeError("directory must have a readInternalTransportCertificate() method");
  }
  return directory;
}

/** The edition (E1–E6): "2007" by default. */
export function checkEdition(edition: unknown): EditionRules {
  return EDITIONS[oneOf<Edition>("edition", edition, EDITION_NAMES, "2007")];
}

function checkSettings(options: SelectionSettings): SettingsInput {
  if (!isObject(options)) throw new TypeError("options must be an object");
  const { store, now, onEvent, signal, expiryWarning } = options;
  if (!isObject(store) || typeof store.list !== "function") {
    throw new TypeError("store must have a list() method");
  }
  if (now !== undefined && !(now instanceof Date && !Number.isNaN(now.getTime()))) {
    throw new TypeError("now must be a valid Date");
  }
  if (onEvent !== undefined && typeof onEvent !== "function")
    throw new TypeError("onEvent must be a function");
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new TypeError("signal must be an AbortSignal");
  // Read once, here: the expiry step runs later, and a caller that changes its object in the
  // meantime must not change this selection (issue 18: callers that mutate what they gave).
  const days: unknown = isObject(expiryWarning) ? expiryWarning.days : undefined;
  if (
    expiryWarning !== undefined &&
    !(typeof days === "number" && Number.isFinite(days) && days >= 0)
  ) {
    throw new TypeError("expiryWarning.days must be a finite number of days, zero or more");
  }
  return {
    store,
    edition: checkEdition(options.edition),
    phase: oneOf("phase", options.phase, ["session", "startup"], "session"),
    now: new Date((now ?? new Date()).getTime()),
    onEvent,
    signal,
    expiryWarning: expiryWarning === undefined ? undefined : { days: days as number },
    profile: checkProfile(options.profile),
    revocation: checkRevocation(options.crls, options.revocationMode),
  };
}

/** The validation profile (A3): "rfc5280" by default, or "strict". */
export function checkProfile(profile: unknown): ValidationProfile {
  return oneOf("profile", profile, ["rfc5280", "strict"], "rfc5280");
}

function checkServer(server: unknown): ServerNames {
  if (!isObject(server))
    throw new TypeError("server must be an object with the computer's names (R8)");
  for (const key of ["fqdn", "hostName", "physicalFqdn", "physicalHostName"] as const) {
    if (typeof server[key] !== "string") throw new TypeError(`server.${key} must be a string`);
  }
  if (server.clusterName !== undefined && typeof server.clusterName !== "string") {
    throw new TypeError("server.clusterName must be a string when given");
  }
  const names = server as unknown as ServerNames;
  return {
    fqdn: names.fqdn,
    hostName: names.hostName,
    physicalFqdn: names.physicalFqdn,
    physicalHostName: names.physicalHostName,
    ...(names.clusterName !== undefined ? { clusterName: names.clusterName } : {}),
  };
}

export function checkOutboundOptions(options: OutboundSelectionOptions): OutboundInput {
  const common = checkSettings(options);
  const directory = checkDirectory(options.directory);
  const role = options.role;
  if (role !== "HubTransport" && role !== "EdgeTransport" && role !== "Mailbox") {
    throw new TypeError('role must be "HubTransport", "EdgeTransport" or "Mailbox"');
  }
  // E1: each edition has its own pair of roles; the other edition's is a setting it lacks.
  if (!common.edition.outboundRoles.includes(role)) {
    throw new InvalidSettingError("role", role, common.edition.outboundRoles, {
      detail: `the ${common.edition.edition} edition has no ${role} role`,
    });
  }
  const connector: unknown = options.sendConnector;
  if (!isObject(connector)) throw new TypeError("sendConnector must be an object");
  if (!Array.isArray(connector.addressSpaces))
    throw new TypeError("sendConnector.addressSpaces must be an array");
  if (options.wildcardNames !== undefined && typeof options.wildcardNames !== "boolean") {
    throw new TypeError("wildcardNames must be a boolean");
  }
  // Fields listed one by one, not spread: V8 takes a slow path when properties follow a spread,
  // and this runs on every session (issue "Fast enough for every SMTP session").
  return {
    directory,
    store: common.store,
    edition: common.edition,
    phase: common.phase,
    now: common.now,
    onEvent: common.onEvent,
    signal: common.signal,
    expiryWarning: common.expiryWarning,
    profile: common.profile,
    revocation: common.revocation,
    role,
    smartHostAuthMechanism: parseSmartHostAuthMechanism(connector.smartHostAuthMechanism),
    addressSpaces: connector.addressSpaces.map(parseAddressSpace),
    deliveryType:
      options.deliveryType === undefined ? undefined : parseDeliveryType(options.deliveryType),
    server: checkServer(options.server),
    wildcardNames: options.wildcardNames === true,
    onThumbprintMismatch: checkMismatchPolicy(options.onThumbprintMismatch, common.edition),
  };
}

/**
 * A1's option. In the 2016 edition there is no ranking to take a best candidate from (E2), so
 * asking for it is a mistake worth hearing of rather than a setting silently ignored.
 */
function checkMismatchPolicy(value: unknown, edition: EditionRules): ThumbprintMismatchPolicy {
  const policy = oneOf<ThumbprintMismatchPolicy>(
    "onThumbprintMismatch",
    value,
    ["keep-directory-certificate", "use-best-candidate"],
    "keep-directory-certificate",
  );
  if (policy === "use-best-candidate" && !edition.anonymousRankingAfterExpiry) {
    throw new TypeError(
      'onThumbprintMismatch "use-best-candidate" has no effect in the 2016 edition: its process ends after R7, with no ranking (E2)',
    );
  }
  return policy;
}

export function checkInboundOptions(options: InboundSelectionOptions): InboundInput {
  const common = checkSettings(options);
  const directory = checkDirectory(options.directory);
  const connector: unknown = options.receiveConnector;
  if (!isObject(connector)) throw new TypeError("receiveConnector must be an object");
  return {
    directory,
    store: common.store,
    edition: common.edition,
    phase: common.phase,
    now: common.now,
    onEvent: common.onEvent,
    signal: common.signal,
    expiryWarning: common.expiryWarning,
    profile: common.profile,
    revocation: common.revocation,
    authMechanism: parseAuthMechanism(connector.authMechanism),
  };
}

export function checkInboundStartTlsOptions(
  options: InboundStartTlsSelectionOptions,
): StartTlsInput {
  if (!isObject(options)) throw new TypeError("options must be an object");
  const connector: unknown = options.receiveConnector;
  if (!isObject(connector)) throw new TypeError("receiveConnector must be an object");
  return checkStartTls("inbound", options, connector, parseAuthMechanism(connector.authMechanism));
}

export function checkOutboundStartTlsOptions(
  options: OutboundStartTlsSelectionOptions,
): StartTlsInput {
  if (!isObject(options)) throw new TypeError("options must be an object");
  const connector: unknown = options.sendConnector;
  if (!isObject(connector)) throw new TypeError("sendConnector must be an object");
  return checkStartTls("outbound", options, connector, undefined);
}

/** A connector string setting that may be unset: absent, null, or only white space (A15). */
function optionalText(name: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new TypeError(`${name} must be a string or null`);
  return value.trim() === "" ? null : value;
}

function checkStartTls(
  direction: "inbound" | "outbound",
  options: StartTlsSelectionSettings,
  connector: Record<string, unknown>,
  authMechanism: ReadonlySet<AuthMechanism> | undefined,
): StartTlsInput {
  const settings = checkSettings(options);
  const side = direction === "inbound" ? "receiveConnector" : "sendConnector";
  const server: unknown = options.server;
  if (!isObject(server) || typeof server.physicalFqdn !== "string") {
    throw new TypeError("server.physicalFqdn must be a string (S2)");
  }
  if (options.wildcardNames !== undefined && typeof options.wildcardNames !== "boolean") {
    throw new TypeError("wildcardNames must be a boolean");
  }
  const physicalFqdn = server.physicalFqdn;
  const name = connector.name;
  if (name !== undefined && typeof name !== "string") {
    throw new TypeError(`${side}.name must be a string`);
  }
  // S2: the connector's Fqdn. Exchange stores only a valid FQDN there: anything else is a
  // setting it would refuse.
  const fqdn = optionalText(`${side}.fqdn`, connector.fqdn);
  let fqdnName: HostName | null = null;
  if (fqdn !== null) {
    const parsed = parseHostName(fqdn);
    if (!parsed.ok) {
      throw new InvalidSettingError(`${side}.fqdn`, fqdn, ["a fully qualified domain name"], {
        detail: parsed.problem,
      });
    }
    fqdnName = parsed.name;
  }
  // E3: TlsCertificateName, parsed before any I/O (malformed is misuse); the 2007 edition has no
  // such setting, so any value there is misuse too.
  const tlsText = optionalText(`${side}.tlsCertificateName`, connector.tlsCertificateName);
  const field = `${side}.tlsCertificateName` as const;
  if (tlsText !== null && !settings.edition.tlsCertificateName) {
    throw new InvalidSettingError(
      field,
      tlsText,
      ["null (the 2007 edition has no TlsCertificateName)"],
      {
        detail: "TlsCertificateName exists from the 2016 edition on (E3)",
      },
    );
  }
  const certificateName = tlsText === null ? null : parseTlsCertificateName(tlsText, { field });
  let lookedFor: LookedFor;
  let hostName: HostName | null = null;
  if (certificateName !== null) {
    lookedFor = { name: certificateName.text, source: "tlsCertificateName" };
  } else if (fqdnName !== null) {
    lookedFor = { name: fqdn!, source: "connector-fqdn" };
    hostName = fqdnName;
  } else {
    lookedFor = { name: physicalFqdn, source: "physical-fqdn" };
    // S2's fallback: the computer's own name, which Windows keeps valid; anything else is the
    // caller's mistake (checked only when it is the name looked for).
    const parsed = parseHostName(physicalFqdn);
    if (!parsed.ok) {
      throw new InvalidSettingError(
        "server.physicalFqdn",
        physicalFqdn,
        ["a fully qualified domain name"],
        {
          detail: parsed.problem,
        },
      );
    }
    hostName = parsed.name;
  }
  return {
    store: settings.store,
    edition: settings.edition,
    phase: settings.phase,
    now: settings.now,
    onEvent: settings.onEvent,
    signal: settings.signal,
    expiryWarning: settings.expiryWarning,
    profile: settings.profile,
    revocation: settings.revocation,
    direction,
    authMechanism,
    lookedFor,
    certificateName,
    hostName,
    connectorName: typeof name === "string" ? name : "",
    connectorFqdn: fqdn ?? physicalFqdn,
    fqdn,
    physicalFqdn,
    wildcardNames: options.wildcardNames === true,
  };
}
