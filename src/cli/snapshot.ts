// Loading a snapshot of a real server (src/cli/snapshot.schema.json describes the format) into
// what the selection needs, with hand-written checks that name the JSON path of every bad field
// ("store[2].rawData: not base64"). Parse, don't validate: what leaves this module is typed and
// already checked, so the selection can only fail the ways the spec describes.
// Q: camelCase or PowerShell names?  A: camelCase everywhere; where an administrator pastes
//    PowerShell output (store entries, connectors) the PowerShell property names are accepted
//    too (RawData, HasPrivateKey, Services, Thumbprint, SmartHostAuthMechanism, AddressSpaces,
//    AuthMechanism). Both spellings of one field at once is an error, not a guess.
// Q: unknown fields?  A: rejected at the top level and in `server` and `directory` (a typo there
//    would silently change the decision); accepted in store entries and connectors, where
//    `Select-Object` exports carry extra columns (Subject, NotAfter, Identity…).
// Q: a store certificate that does not parse?  A: bad input (exit 2), naming the entry. The
//    library would list it as unreadable, but in an export it means the export is broken.
// Q: CRLs (A21)?  A: `crls: [{ "base64": … } | { "path": … }]` (DER or PEM; a PEM file may hold
//    several), and a folder store's `*.crl` files. A CRL that does not parse is bad input too,
//    for the same reason (the library would ignore it and say so in the verdicts).
// Q: which fields are required?  A: what the process asked for reads (`mode`): the anonymous
//    sending side its role, Send connector, server names and directory; the anonymous receiving
//    side its Receive connector and directory; inbound STARTTLS its Receive connector and the
//    server's physical FQDN (S1, S2); outbound STARTTLS only the physical FQDN (S10: a Send
//    connector without Fqdn looks for it). Fields a process does not read are still checked.
// Q: the edition?  A: `edition` ("2007" default, "2016" for Exchange 2016/2019/SE); `--edition`
//    overrides it, and the checks that depend on it (E1 roles, E3 TlsCertificateName) use the
//    edition the run will use. A connector's Fqdn must be a host name and its TlsCertificateName
//    well formed (Exchange stores nothing else), whatever the process.
import { readFile } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { createFolderStore, FolderStoreError, parseServices } from "../adapters/folder-store.js";
import { InvalidSettingError } from "../errors.js";
import { decodeDirectoryValue } from "../exchange/directory-value.js";
import { parseTlsCertificateName } from "../exchange/tls-certificate-name.js";
import {
  parseAddressSpace,
  parseAuthMechanism,
  parseDeliveryType,
  parseSmartHostAuthMechanism,
} from "../exchange/vocabulary.js";
import type {
  ConnectorCertificateSettings,
  DirectoryValue,
  Edition,
  Phase,
  ReceiveConnector,
  Role,
  SendConnector,
  ServerNames,
  StoreEntry,
} from "../types.js";
import { type ParsedCertificate, parseCertificate } from "../x509/certificate.js";
import { parseHostName } from "../x509/dns-name.js";
import { type ParsedCrl, parseCrlInput } from "../x509/revocation/crl.js";
import { parseThumbprint, type Thumbprint } from "../x509/thumbprint.js";
import { parseInstant } from "./dates.js";
import { child, describeType, fileProblem, InputError, item, Problems } from "./input-error.js";

export type Direction = "outbound" | "inbound";

/** Which selection a run explains: anonymous TLS (R, I) or STARTTLS (S). */
export type Process = "anonymous-tls" | "starttls";

/**
 * A Send connector as the snapshot gives it: the anonymous gate's settings (required, and then
 * present, for the anonymous sending side) and the STARTTLS certificate settings (S10, S11).
 */
export type SnapshotSendConnector = ConnectorCertificateSettings &
  Partial<Pick<SendConnector, "smartHostAuthMechanism" | "addressSpaces">>;

/** A store entry and where it came from, for the explanation's "source" column. */
export interface SourcedEntry {
  readonly entry: StoreEntry;
  /** "store[0]", "store[1] (certs/edge.pem)", "certs/edge01.pem", "--with renewed.pem". */
  readonly source: string;
  readonly certificate: ParsedCertificate;
}

/** A CRL of the snapshot (A21) and where it came from. */
export interface SourcedCrl {
  /** "crls[0]", "crls[1] (pki/issuing.crl)", "store.folder (certs/issuing.crl)". */
  readonly source: string;
  readonly crl: ParsedCrl;
}

export interface Snapshot {
  /** The snapshot file, absolute. */
  readonly file: string;
  readonly description: string | undefined;
  readonly evaluatedAt: Date | undefined;
  /** The edition the run uses: `--edition`, else the snapshot's, else "2007" (E1–E6). */
  readonly edition: Edition;
  readonly role: Role | undefined;
  readonly phase: Phase | undefined;
  readonly sendConnector: SnapshotSendConnector | undefined;
  readonly deliveryType: string | undefined;
  readonly receiveConnector: ReceiveConnector | undefined;
  /** The names of R8/R9, when fqdn and hostName are given. */
  readonly server: ServerNames | undefined;
  /** S2, S10: the physical FQDN (server.physicalFqdn, else server.fqdn). */
  readonly physicalFqdn: string | undefined;
  readonly directory: DirectoryValue;
  /** The directory's thumbprint, when the value names one. */
  readonly directoryThumbprint: Thumbprint | null;
  readonly store: readonly SourcedEntry[];
  readonly trustAnchors: readonly Uint8Array[];
  readonly intermediates: readonly Uint8Array[];
  /** A21: the snapshot's CRLs and the folder store's `*.crl` files, each parsed. */
  readonly crls: readonly SourcedCrl[];
  readonly wildcardNames: boolean;
}

type Json = Record<string, unknown>;

const TOP_LEVEL = [
  "$schema",
  "description",
  "evaluatedAt",
  "edition",
  "role",
  "phase",
  "sendConnector",
  "deliveryType",
  "receiveConnector",
  "server",
  "directory",
  "store",
  "trustAnchors",
  "intermediates",
  "crls",
  "wildcardNames",
] as const;

const SERVER_FIELDS = ["fqdn", "hostName", "physicalFqdn", "physicalHostName", "clusterName"];

/** What a run asks of a snapshot: the direction, the process (default anonymous TLS), the edition. */
export interface SnapshotMode {
  readonly direction: Direction;
  /** Default "anonymous-tls". */
  readonly process?: Process;
  /** `--edition`: overrides the snapshot's `edition`. */
  readonly edition?: Edition;
}

/** Reads and checks a snapshot file. Throws InputError listing every problem. */
export async function loadSnapshot(
  file: string,
  options: SnapshotMode & { readonly displayName?: string },
): Promise<Snapshot> {
  const absolute = resolve(file);
  const name = options.displayName ?? file;
  let bytes: Buffer;
  try {
    bytes = await readFile(absolute);
  } catch (error) {
    throw new InputError([`${name}: ${fileProblem(error)}`], name);
  }
  let json: unknown;
  try {
    json = JSON.parse(decodeText(bytes));
  } catch (error) {
    throw new InputError([`${name}: not JSON: ${(error as Error).message}`], name);
  }
  return parseSnapshot(json, {
    file: absolute,
    displayName: name,
    direction: options.direction,
    ...(options.process !== undefined ? { process: options.process } : {}),
    ...(options.edition !== undefined ? { edition: options.edition } : {}),
  });
}

/**
 * PowerShell 5 writes UTF-16 with `Out-File` and `>` and UTF-8 with a BOM with
 * `Set-Content -Encoding UTF8`; accept what an administrator is likely to hand us.
 */
function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString("utf16le");
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2));
    swapped.swap16();
    return swapped.toString("utf16le");
  }
  return bytes.toString("utf8").replace(/^\uFEFF/, "");
}

/** Checks parsed JSON. `file` is the snapshot's path, which relative paths inside it start from. */
export async function parseSnapshot(
  json: unknown,
  context: SnapshotMode & { readonly file: string; readonly displayName: string },
): Promise<Snapshot> {
  const problems = new Problems();
  if (!isRecord(json)) {
    throw new InputError(
      [`(root): expected an object, got ${describeType(json)}`],
      context.displayName,
    );
  }
  const baseDir = dirname(context.file);
  for (const key of Object.keys(json)) {
    if (!(TOP_LEVEL as readonly string[]).includes(key)) {
      problems.add(key, `unknown field (expected one of ${TOP_LEVEL.join(", ")})`);
    }
  }

  const description = optionalString(json, "description", problems);
  optionalString(json, "$schema", problems);
  const evaluatedAt = optionalInstant(json, "evaluatedAt", problems);
  const starttls = context.process === "starttls";
  const edition = context.edition ?? readEdition(json, problems);
  const outbound = context.direction === "outbound";
  const anonymousOutbound = outbound && !starttls;
  const role = anonymousOutbound
    ? readRole(json, problems, edition)
    : optionalRole(json, problems, edition);
  const phase = readPhase(json, problems);
  // E3: only the connector STARTTLS reads on this side is held to the edition's settings.
  const sendConnector = readSendConnector(json, problems, anonymousOutbound, {
    edition,
    starttls: starttls && outbound,
  });
  // R1b, E1: the DeliveryType decides the gate of a Hub (2007) or Mailbox (2016) server.
  const deliveryType = readDeliveryType(
    json,
    problems,
    anonymousOutbound && (role === "HubTransport" || role === "Mailbox"),
  );
  const receiveConnector = readReceiveConnector(json, problems, !outbound, {
    edition,
    starttls: starttls && !outbound,
  });
  const server = readServer(
    json,
    problems,
    anonymousOutbound ? "names" : starttls ? "physical" : "none",
  );
  // The directory is read by the anonymous processes only (R3, I2).
  const directory = readDirectory(json, problems, !starttls);
  const folderCrls: SourcedCrl[] = [];
  const store = await readStore(json, problems, baseDir, folderCrls);
  const trustAnchors = await readCertificateList(json, "trustAnchors", problems, baseDir);
  const intermediates = await readCertificateList(json, "intermediates", problems, baseDir);
  const crls = [...(await readCrlList(json, problems, baseDir)), ...folderCrls];
  const wildcardNames = json.wildcardNames;
  if (wildcardNames !== undefined && typeof wildcardNames !== "boolean") {
    problems.add("wildcardNames", `expected true or false, got ${describeType(wildcardNames)}`);
  }
  problems.throwIfAny(context.displayName);

  return {
    file: context.file,
    description,
    evaluatedAt,
    edition,
    role,
    phase,
    sendConnector,
    deliveryType,
    receiveConnector,
    server: server?.names,
    physicalFqdn: server?.physicalFqdn,
    directory: directory?.value ?? null,
    directoryThumbprint: directory?.thumbprint ?? null,
    store: store ?? [],
    trustAnchors,
    intermediates,
    crls,
    wildcardNames: wildcardNames === true,
  };
}

// --- small readers ------------------------------------------------------------------------------

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value of a field under any of its accepted spellings, or undefined when absent. */
function field(
  record: Json,
  path: string,
  names: readonly string[],
  problems: Problems,
): { readonly value: unknown; readonly path: string } | undefined {
  const present = names.filter((name) => record[name] !== undefined);
  if (present.length > 1) {
    problems.add(child(path, present[0]!), `given twice, as ${present.join(" and ")}`);
  }
  const name = present[0];
  return name === undefined ? undefined : { value: record[name], path: child(path, name) };
}

function optionalString(record: Json, key: string, problems: Problems): string | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string") {
    return problems.add(key, `expected a string, got ${describeType(value)}`);
  }
  return value;
}

function optionalInstant(record: Json, key: string, problems: Problems): Date | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    return problems.add(
      key,
      `expected a date such as "2026-11-02T08:30:00Z", got ${describeType(value)}`,
    );
  }
  const parsed = parseInstant(value);
  if (!parsed.ok) return problems.add(key, parsed.problem);
  return parsed.date;
}

const EDITIONS: readonly Edition[] = ["2007", "2016"];

function readEdition(record: Json, problems: Problems): Edition {
  const value = record.edition;
  if (value === undefined || value === null) return "2007";
  const edition = EDITIONS.find((e) => e === value);
  if (edition === undefined) {
    problems.add(
      "edition",
      `expected "2007" (Exchange 2007, 2010) or "2016" (Exchange 2016, 2019, SE), got ${JSON.stringify(value)}`,
    );
    return "2007";
  }
  return edition;
}

/** E1: each edition's two roles of the sending server. */
const ROLES: Readonly<Record<Edition, readonly Role[]>> = {
  "2007": ["HubTransport", "EdgeTransport"],
  "2016": ["Mailbox", "EdgeTransport"],
};

function optionalRole(record: Json, problems: Problems, edition: Edition): Role | undefined {
  const value = record.role;
  if (value === undefined) return undefined;
  const roles = ROLES[edition];
  const role = roles.find((r) => r === value);
  if (role === undefined) {
    const other = edition === "2007" ? "2016" : "2007";
    const hint = ROLES[other].includes(value as Role)
      ? ` (${JSON.stringify(value)} is a ${other}-edition role, E1: set "edition" or --edition)`
      : "";
    return problems.add(
      "role",
      `expected ${roles.map((r) => JSON.stringify(r)).join(" or ")} in the ${edition} edition, got ${JSON.stringify(value)}${hint}`,
    );
  }
  return role;
}

function readRole(record: Json, problems: Problems, edition: Edition): Role | undefined {
  if (record.role === undefined) {
    return problems.add(
      "role",
      `required: ${ROLES[edition].map((r) => JSON.stringify(r)).join(" or ")} (${edition === "2007" ? "R1, R2" : "E1"})`,
    );
  }
  return optionalRole(record, problems, edition);
}

function readPhase(record: Json, problems: Problems): Phase | undefined {
  const value = record.phase;
  if (value === undefined) return undefined;
  if (value !== "session" && value !== "startup") {
    return problems.add("phase", `expected "session" or "startup", got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A connector setting Exchange itself would refuse, said the way InvalidSettingError says it. */
function settingProblem(path: string, error: unknown, problems: Problems): undefined {
  if (error instanceof InvalidSettingError) {
    return problems.add(
      path,
      `${JSON.stringify(error.value)} is not one of ${error.allowed.join(", ")}`,
    );
  }
  return problems.add(path, (error as Error).message);
}

function readSendConnector(
  record: Json,
  problems: Problems,
  required: boolean,
  rules: ConnectorRules,
): SnapshotSendConnector | undefined {
  const value = record.sendConnector;
  if (value === undefined) {
    if (required) {
      problems.add(
        "sendConnector",
        "required for the sending side ({smartHostAuthMechanism, addressSpaces}); use --inbound for the receiving side",
      );
    }
    return undefined;
  }
  if (!isRecord(value)) {
    return problems.add("sendConnector", `expected an object, got ${describeType(value)}`);
  }
  const certificate = readCertificateSettings(value, "sendConnector", problems, rules);
  const mechanism = field(
    value,
    "sendConnector",
    ["smartHostAuthMechanism", "SmartHostAuthMechanism"],
    problems,
  );
  const spaces = field(value, "sendConnector", ["addressSpaces", "AddressSpaces"], problems);
  let smartHostAuthMechanism: string | undefined;
  if (mechanism === undefined) {
    if (required) {
      problems.add("sendConnector.smartHostAuthMechanism", 'required (e.g. "ExchangeServer")');
    }
  } else {
    try {
      smartHostAuthMechanism = parseSmartHostAuthMechanism(mechanism.value);
    } catch (error) {
      settingProblem(mechanism.path, error, problems);
    }
  }
  let addressSpaces: string[] | undefined;
  if (spaces === undefined) {
    if (required) problems.add("sendConnector.addressSpaces", 'required (e.g. ["SMTP:--;1"])');
  } else {
    // One address space may come out of ConvertTo-Json as a bare value rather than an array.
    const list = Array.isArray(spaces.value) ? spaces.value : [spaces.value];
    addressSpaces = [];
    list.forEach((space, index) => {
      const path = Array.isArray(spaces.value) ? item(spaces.path, index) : spaces.path;
      const text = addressSpaceText(space);
      if (text === undefined) {
        problems.add(
          path,
          typeof space === "string" && space.startsWith("System.")
            ? `${JSON.stringify(space)} is a type name: PowerShell did not expand it (export ToString() of each address space)`
            : `expected "TYPE:ADDRESS;COST" such as "SMTP:--;1", got ${describeType(space)}`,
        );
        return;
      }
      try {
        parseAddressSpace(text);
        addressSpaces?.push(text);
      } catch {
        problems.add(
          path,
          `${JSON.stringify(text)} is not an address space: expected TYPE:ADDRESS;COST (cost 1-100) or a bare address`,
        );
      }
    });
  }
  if (certificate === undefined) return undefined;
  if (required && (smartHostAuthMechanism === undefined || addressSpaces === undefined)) {
    return undefined;
  }
  return {
    ...certificate,
    ...(smartHostAuthMechanism !== undefined ? { smartHostAuthMechanism } : {}),
    ...(addressSpaces !== undefined ? { addressSpaces } : {}),
  };
}

/** What the connector checks depend on: the edition (E3) and whether STARTTLS reads this one. */
interface ConnectorRules {
  readonly edition: Edition;
  readonly starttls: boolean;
}

/**
 * S2, S10, E3: a connector's Fqdn, TlsCertificateName and identity (name, or PowerShell's Fqdn,
 * TlsCertificateName and Identity). null or blank: not set (PowerShell writes null). Undefined
 * when one of them is wrong (the problems say which).
 */
function readCertificateSettings(
  value: Json,
  path: "sendConnector" | "receiveConnector",
  problems: Problems,
  rules: ConnectorRules,
): ConnectorCertificateSettings | undefined {
  const before = problems.count;
  const fqdnField = field(value, path, ["fqdn", "Fqdn"], problems);
  const tlsField = field(value, path, ["tlsCertificateName", "TlsCertificateName"], problems);
  /** A text setting; null, absent or blank: not set. */
  const text = (
    found: { readonly value: unknown; readonly path: string } | undefined,
    what: string,
  ): string | null => {
    if (found === undefined || found.value === null) return null;
    if (typeof found.value !== "string") {
      const property = found.path.slice(path.length + 1);
      const hint = isRecord(found.value)
        ? ` (export it as text: @{n='${property}';e={"$($_.${property})"}})`
        : "";
      problems.add(found.path, `expected ${what} as text, got ${describeType(found.value)}${hint}`);
      return null;
    }
    return found.value.trim() === "" ? null : found.value;
  };
  // ConvertTo-Json writes a connector's Fqdn (an SmtpDomain) as an object holding the domain.
  const fqdn = text(
    fqdnField !== undefined &&
      isRecord(fqdnField.value) &&
      typeof fqdnField.value.Domain === "string"
      ? { ...fqdnField, value: fqdnField.value.Domain }
      : fqdnField,
    "a host name",
  );
  if (fqdn !== null) {
    const parsed = parseHostName(fqdn);
    if (!parsed.ok) {
      problems.add(
        fqdnField!.path,
        `${JSON.stringify(fqdn)} is not a host name: ${parsed.problem}`,
      );
    }
  }
  const tlsCertificateName = text(tlsField, "<I>issuer<S>subject");
  if (tlsCertificateName !== null) {
    try {
      parseTlsCertificateName(tlsCertificateName);
      // E3: the 2007 edition has no TlsCertificateName; STARTTLS would refuse to run with one.
      if (rules.starttls && rules.edition === "2007") {
        problems.add(
          tlsField!.path,
          'the 2007 edition has no TlsCertificateName (E3): use the 2016 edition ("edition": "2016" or --edition 2016), or remove it',
        );
      }
    } catch (error) {
      problems.add(
        tlsField!.path,
        `${JSON.stringify(tlsCertificateName)} is not a TlsCertificateName (<I>issuer<S>subject, E3)${
          error instanceof InvalidSettingError && error.detail !== undefined
            ? `: ${error.detail}`
            : ""
        }`,
      );
    }
  }
  const name = readConnectorName(value, path, text);
  if (problems.count > before) return undefined;
  return {
    ...(fqdn !== null ? { fqdn } : {}),
    ...(tlsCertificateName !== null ? { tlsCertificateName } : {}),
    ...(name !== null ? { name } : {}),
  };
}

/**
 * The connector's identity, only for event texts (12014's %2): `name` as written, else
 * PowerShell's `Identity` (`EX01\Default Frontend EX01`), else its `Name`. A whole-object export
 * has both Identity and Name, so they are not "given twice"; ConvertTo-Json writes Identity as an
 * object (an ADObjectId) unless exported as text: its Name is taken, or it is ignored, rather
 * than refuse an export that worked before.
 */
function readConnectorName(
  value: Json,
  path: string,
  text: (
    found: { readonly value: unknown; readonly path: string } | undefined,
    what: string,
  ) => string | null,
): string | null {
  const what = "the connector's identity";
  if (value.name !== undefined) return text({ value: value.name, path: child(path, "name") }, what);
  for (const key of ["Identity", "Name"]) {
    const found = value[key];
    if (found === undefined || found === null) continue;
    if (isRecord(found)) {
      if (typeof found.Name === "string")
        return text({ value: found.Name, path: child(path, key) }, what);
      continue;
    }
    return text({ value: found, path: child(path, key) }, what);
  }
  return null;
}

/**
 * An address space as text. Besides "SMTP:--;1", ConvertTo-Json of an AddressSpace object writes
 * its properties ({Type, Address, Cost}); rebuild the text from them.
 */
function addressSpaceText(value: unknown): string | undefined {
  if (typeof value === "string") return value.startsWith("System.") ? undefined : value;
  if (!isRecord(value)) return undefined;
  const type = value.Type ?? value.AddressType ?? value.type;
  const address = value.Address ?? value.address;
  const cost = value.Cost ?? value.cost ?? 1;
  if (typeof type !== "string" || typeof address !== "string") return undefined;
  if (typeof cost !== "number" && typeof cost !== "string") return undefined;
  return `${type}:${address};${cost}`;
}

function readDeliveryType(record: Json, problems: Problems, required: boolean): string | undefined {
  const value = record.deliveryType;
  if (value === undefined) {
    if (required) {
      problems.add(
        "deliveryType",
        'required for a HubTransport server (R1b) or a Mailbox server (E1): the message\'s DeliveryType, e.g. "SmtpRelayWithinAdSiteToEdge"',
      );
    }
    return undefined;
  }
  try {
    return parseDeliveryType(value);
  } catch (error) {
    return settingProblem("deliveryType", error, problems);
  }
}

function readReceiveConnector(
  record: Json,
  problems: Problems,
  required: boolean,
  rules: ConnectorRules,
): ReceiveConnector | undefined {
  const value = record.receiveConnector;
  if (value === undefined) {
    if (required) {
      problems.add(
        "receiveConnector",
        rules.starttls
          ? 'required with --starttls: {"authMechanism": "Tls, ExchangeServer", "fqdn": "mail.contoso.com"} (S1, S2)'
          : 'required with --inbound: {"authMechanism": "Tls, ExchangeServer"} (I1)',
      );
    }
    return undefined;
  }
  if (!isRecord(value)) {
    return problems.add("receiveConnector", `expected an object, got ${describeType(value)}`);
  }
  const certificate = readCertificateSettings(value, "receiveConnector", problems, rules);
  const mechanism = field(value, "receiveConnector", ["authMechanism", "AuthMechanism"], problems);
  if (mechanism === undefined) {
    return problems.add("receiveConnector.authMechanism", 'required (e.g. "Tls, ExchangeServer")');
  }
  try {
    parseAuthMechanism(mechanism.value);
  } catch (error) {
    return settingProblem(mechanism.path, error, problems);
  }
  if (certificate === undefined) return undefined;
  return { ...certificate, authMechanism: mechanism.value as string | readonly string[] };
}

/**
 * `server`: "names" requires the names of R8/R9 (the anonymous sending side), "physical" the
 * physical FQDN STARTTLS falls back to (S2, S10: physicalFqdn, else fqdn), "none" nothing.
 */
function readServer(
  record: Json,
  problems: Problems,
  required: "names" | "physical" | "none",
):
  | { readonly names: ServerNames | undefined; readonly physicalFqdn: string | undefined }
  | undefined {
  const value = record.server;
  if (value === undefined) {
    if (required === "names") {
      problems.add(
        "server",
        "required for the sending side: {fqdn, hostName, physicalFqdn, physicalHostName, clusterName} (R8, R9)",
      );
    } else if (required === "physical") {
      problems.add(
        "server",
        'required for STARTTLS: {"physicalFqdn": "ex01.contoso.com"}, the name looked for when the connector has no Fqdn (S2, S10)',
      );
    }
    return undefined;
  }
  if (!isRecord(value))
    return problems.add("server", `expected an object, got ${describeType(value)}`);
  for (const key of Object.keys(value)) {
    if (!SERVER_FIELDS.includes(key)) {
      problems.add(`server.${key}`, `unknown field (expected one of ${SERVER_FIELDS.join(", ")})`);
    }
  }
  const text = (key: string, needed: boolean): string | undefined => {
    const v = value[key];
    // PowerShell writes null for an empty property: treat it as absent.
    if (v === undefined || v === null) {
      return needed ? problems.add(`server.${key}`, "required") : undefined;
    }
    if (typeof v !== "string" || v.trim().length === 0) {
      return problems.add(
        `server.${key}`,
        `expected a host name, got ${describeType(v)}${typeof v === "string" ? " (empty)" : ""}`,
      );
    }
    return v;
  };
  const fqdn = text("fqdn", required === "names");
  const hostName = text("hostName", required === "names");
  // Without a cluster or NLB, the physical names are the names (R8's example has them apart
  // only because its FQDN is a service name); default them rather than make everyone repeat them.
  const physicalFqdn = text("physicalFqdn", false);
  const physicalHostName = text("physicalHostName", false);
  const clusterName = text("clusterName", false);
  const physical = physicalFqdn ?? fqdn;
  if (required === "physical" && physical === undefined) {
    problems.add("server.physicalFqdn", "required for STARTTLS (or server.fqdn): S2, S10");
  }
  // S2: STARTTLS looks the physical FQDN up as a host name (the selection refuses one that is
  // not, when it is the name); say so by JSON path rather than by the setting's name.
  if (required === "physical" && physical !== undefined) {
    const parsed = parseHostName(physical);
    if (!parsed.ok) {
      problems.add(
        physicalFqdn !== undefined ? "server.physicalFqdn" : "server.fqdn",
        `${JSON.stringify(physical)} is not a host name: ${parsed.problem} (S2)`,
      );
    }
  }
  const names =
    fqdn === undefined || hostName === undefined
      ? undefined
      : {
          fqdn,
          hostName,
          physicalFqdn: physicalFqdn ?? fqdn,
          physicalHostName: physicalHostName ?? hostName,
          ...(clusterName !== undefined ? { clusterName } : {}),
        };
  return { names, physicalFqdn: physical };
}

function readDirectory(
  record: Json,
  problems: Problems,
  required: boolean,
): { readonly value: DirectoryValue; readonly thumbprint: Thumbprint | null } | undefined {
  const value = record.directory;
  if (value === undefined) {
    if (!required) return undefined;
    return problems.add(
      "directory",
      'required for anonymous TLS: the value of msExchServerInternalTLSCert, as {"thumbprint": "…"}, {"base64": "…"} or null (for STARTTLS, use --starttls or --starttls-outbound)',
    );
  }
  if (value === null) return { value: null, thumbprint: null };
  if (!isRecord(value)) {
    return problems.add("directory", `expected an object or null, got ${describeType(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (key !== "thumbprint" && key !== "base64") {
      problems.add(`directory.${key}`, 'unknown field (expected "thumbprint" or "base64")');
    }
  }
  const thumbprint = value.thumbprint;
  const base64 = value.base64;
  if (thumbprint !== undefined && base64 !== undefined) {
    return problems.add("directory", 'give either "thumbprint" or "base64", not both');
  }
  if (thumbprint !== undefined) {
    if (thumbprint === null) return { value: null, thumbprint: null };
    if (typeof thumbprint !== "string") {
      return problems.add(
        "directory.thumbprint",
        `expected a string, got ${describeType(thumbprint)}`,
      );
    }
    const decoded = decodeDirectoryValue(thumbprint);
    if (decoded.kind === "empty") return { value: thumbprint, thumbprint: null }; // A15
    if (decoded.kind === "unreadable") {
      return problems.add("directory.thumbprint", `not a thumbprint: ${decoded.cause.message}`);
    }
    return { value: thumbprint, thumbprint: decoded.thumbprint };
  }
  if (base64 !== undefined) {
    if (base64 === null) return { value: null, thumbprint: null };
    const bytes = decodeBase64(base64, "directory.base64", problems);
    if (bytes === undefined) return undefined;
    const decoded = decodeDirectoryValue(bytes);
    if (decoded.kind === "empty") return { value: bytes, thumbprint: null }; // A15
    if (decoded.kind === "unreadable") {
      return problems.add(
        "directory.base64",
        `neither a DER certificate nor a serialized-certificate blob: ${decoded.cause.message}`,
      );
    }
    return { value: bytes, thumbprint: decoded.thumbprint };
  }
  return problems.add("directory", 'expected {"thumbprint": "…"} or {"base64": "…"}');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(value: unknown, path: string, problems: Problems): Uint8Array | undefined {
  if (typeof value !== "string") {
    return problems.add(path, `expected base64 text, got ${describeType(value)}`);
  }
  const compact = value.replace(/\s+/g, "");
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
    const hint = value.startsWith("System.")
      ? " (PowerShell wrote a type name: convert with [Convert]::ToBase64String and raise ConvertTo-Json -Depth)"
      : "";
    return problems.add(path, `not base64${hint}`);
  }
  return new Uint8Array(Buffer.from(compact, "base64"));
}

/** Certificate bytes from base64 DER, PEM text, or the byte array ConvertTo-Json writes. */
function certificateData(
  value: unknown,
  path: string,
  problems: Problems,
): ParsedCertificate | undefined {
  let input: Uint8Array | string | undefined;
  if (typeof value === "string" && value.includes("-----BEGIN")) {
    input = value;
  } else if (Array.isArray(value)) {
    if (!value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
      return problems.add(path, "expected base64 text or an array of bytes (0–255)");
    }
    input = new Uint8Array(value as number[]);
  } else {
    input = decodeBase64(value, path, problems);
  }
  if (input === undefined) return undefined;
  return parseOrReport(input, path, problems);
}

function parseOrReport(
  input: Uint8Array | string,
  path: string,
  problems: Problems,
): ParsedCertificate | undefined {
  try {
    return parseCertificate(input);
  } catch (error) {
    return problems.add(path, `not a certificate: ${(error as Error).message}`);
  }
}

/** A certificate file: PEM text or DER bytes, whatever its extension says. */
export async function readCertificateFile(
  file: string,
  path: string,
  problems: Problems,
): Promise<
  { readonly input: Uint8Array | string; readonly certificate: ParsedCertificate } | undefined
> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return problems.add(path, `${fileProblem(error)}: ${file}`);
  }
  const input = bytes.includes("-----BEGIN") ? bytes.toString("latin1") : new Uint8Array(bytes);
  const certificate = parseOrReport(input, path, problems);
  return certificate === undefined ? undefined : { input, certificate };
}

const ENTRY_FIELDS = {
  rawData: ["rawData", "RawData"],
  hasPrivateKey: ["hasPrivateKey", "HasPrivateKey"],
  services: ["services", "Services"],
  thumbprint: ["thumbprint", "Thumbprint"],
} as const;

async function readStore(
  record: Json,
  problems: Problems,
  baseDir: string,
  crls: SourcedCrl[],
): Promise<SourcedEntry[] | undefined> {
  const value = record.store;
  if (value === undefined) {
    return problems.add(
      "store",
      'required: the certificates of the local computer store, as a list or {"folder": "…"}',
    );
  }
  if (isRecord(value) && value.folder !== undefined)
    return readFolderStore(value, problems, baseDir, crls);
  // ConvertTo-Json writes a one-certificate store as an object rather than an array.
  const list = Array.isArray(value) ? value : isRecord(value) ? [value] : undefined;
  if (list === undefined) {
    return problems.add("store", `expected a list of certificates, got ${describeType(value)}`);
  }
  const entries: SourcedEntry[] = [];
  for (const [index, raw] of list.entries()) {
    const path = Array.isArray(value) ? item("store", index) : "store";
    const entry = await readStoreEntry(raw, path, problems, baseDir);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

async function readStoreEntry(
  raw: unknown,
  path: string,
  problems: Problems,
  baseDir: string,
): Promise<SourcedEntry | undefined> {
  if (!isRecord(raw)) return problems.add(path, `expected an object, got ${describeType(raw)}`);
  const rawData = field(raw, path, ENTRY_FIELDS.rawData, problems);
  const filePath = field(raw, path, ["path", "Path"], problems);
  const hasKey = field(raw, path, ENTRY_FIELDS.hasPrivateKey, problems);
  const services = field(raw, path, ENTRY_FIELDS.services, problems);
  const thumbprint = field(raw, path, ENTRY_FIELDS.thumbprint, problems);

  let certificate: ParsedCertificate | undefined;
  let input: Uint8Array | string | undefined;
  let source = path;
  if (rawData !== undefined && filePath !== undefined) {
    problems.add(path, 'give either "rawData" or "path", not both');
  } else if (rawData !== undefined) {
    certificate = certificateData(rawData.value, rawData.path, problems);
    input = certificate?.der;
  } else if (filePath !== undefined) {
    if (typeof filePath.value !== "string" || filePath.value.length === 0) {
      problems.add(filePath.path, `expected a file path, got ${describeType(filePath.value)}`);
    } else {
      const read = await readCertificateFile(
        resolve(baseDir, filePath.value),
        filePath.path,
        problems,
      );
      certificate = read?.certificate;
      input = read?.input;
      source = `${path} (${filePath.value})`;
    }
  } else {
    problems.add(path, 'needs "rawData" (base64 DER) or "path" (a PEM/DER/CRT file)');
  }

  let hasPrivateKey: boolean | undefined;
  if (hasKey === undefined) problems.add(child(path, "hasPrivateKey"), "required (true or false)");
  else if (typeof hasKey.value !== "boolean") {
    problems.add(hasKey.path, `expected true or false, got ${describeType(hasKey.value)}`);
  } else hasPrivateKey = hasKey.value;

  let serviceList: readonly string[] | undefined;
  if (services === undefined) {
    problems.add(child(path, "services"), 'required (e.g. ["SMTP"] or "IIS, SMTP")');
  } else {
    serviceList = parseServices(services.value);
    if (serviceList === undefined) {
      problems.add(
        services.path,
        typeof services.value === "number"
          ? "a number (PowerShell wrote the flags' value): export it as text with @{n='Services';e={$_.Services.ToString()}}"
          : `expected a list of names or a string such as "IIS, SMTP", got ${describeType(services.value)}`,
      );
    }
  }

  if (thumbprint !== undefined && certificate !== undefined) {
    // The export's own thumbprint is redundant, but a mismatch means the export is corrupt.
    if (typeof thumbprint.value !== "string") {
      problems.add(thumbprint.path, `expected a string, got ${describeType(thumbprint.value)}`);
    } else {
      try {
        if (parseThumbprint(thumbprint.value) !== certificate.thumbprint) {
          problems.add(
            thumbprint.path,
            `does not match the certificate (its SHA-1 thumbprint is ${certificate.thumbprint})`,
          );
        }
      } catch (error) {
        problems.add(thumbprint.path, `not a thumbprint: ${(error as Error).message}`);
      }
    }
  }

  if (
    certificate === undefined ||
    input === undefined ||
    hasPrivateKey === undefined ||
    serviceList === undefined
  ) {
    return undefined;
  }
  return {
    entry: { certificate: input, hasPrivateKey, services: serviceList },
    source,
    certificate,
  };
}

async function readFolderStore(
  value: Json,
  problems: Problems,
  baseDir: string,
  crls: SourcedCrl[],
): Promise<SourcedEntry[] | undefined> {
  for (const key of Object.keys(value)) {
    if (!["folder", "manifest", "defaultServices"].includes(key)) {
      problems.add(
        `store.${key}`,
        'unknown field (expected "folder", "manifest", "defaultServices")',
      );
    }
  }
  const folder = value.folder;
  if (typeof folder !== "string" || folder.length === 0) {
    return problems.add("store.folder", `expected a folder path, got ${describeType(folder)}`);
  }
  const manifest = value.manifest;
  if (manifest !== undefined && typeof manifest !== "string") {
    return problems.add("store.manifest", `expected a file name, got ${describeType(manifest)}`);
  }
  let defaultServices: readonly string[] | undefined;
  if (value.defaultServices !== undefined) {
    defaultServices = parseServices(value.defaultServices);
    if (defaultServices === undefined) {
      return problems.add("store.defaultServices", 'expected a list of names or "IIS, SMTP"');
    }
  }
  const store = createFolderStore(resolve(baseDir, folder), {
    ...(manifest !== undefined ? { manifest } : {}),
    ...(defaultServices !== undefined ? { defaultServices } : {}),
  });
  let listed: Awaited<ReturnType<typeof store.list>>;
  try {
    listed = await store.list();
  } catch (error) {
    if (error instanceof FolderStoreError) return problems.add("store.folder", error.message);
    throw error;
  }
  if (listed.length === 0) {
    problems.add(
      "store.folder",
      `no certificate files (*.pem, *.crt, *.cer, *.der) in ${store.folder}`,
    );
  }
  const entries: SourcedEntry[] = [];
  for (const entry of listed) {
    const source = join(folder, entry.file);
    const certificate = parseOrReport(entry.certificate, `store.folder (${source})`, problems);
    if (certificate !== undefined) entries.push({ entry, source, certificate });
  }
  // A21: the folder's *.crl files are the snapshot's CRLs too.
  let folderCrls: Awaited<ReturnType<typeof store.crls>>;
  try {
    folderCrls = await store.crls();
  } catch (error) {
    if (error instanceof FolderStoreError) return problems.add("store.folder", error.message);
    throw error;
  }
  for (const { file, crl } of folderCrls) {
    crls.push(...parseCrlOrReport(crl, `store.folder (${join(folder, file)})`, problems));
  }
  return entries;
}

/** A21: `crls`, each `{ "base64": … }` (DER, or PEM text) or `{ "path": … }` (DER or PEM file). */
async function readCrlList(
  record: Json,
  problems: Problems,
  baseDir: string,
): Promise<SourcedCrl[]> {
  const value = record.crls;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add("crls", `expected a list of CRLs, got ${describeType(value)}`);
    return [];
  }
  const out: SourcedCrl[] = [];
  for (const [index, raw] of value.entries()) {
    const path = item("crls", index);
    if (!isRecord(raw)) {
      problems.add(path, `expected {"base64": "…"} or {"path": "…"}, got ${describeType(raw)}`);
      continue;
    }
    const keys = Object.keys(raw);
    if (keys.length !== 1 || (keys[0] !== "base64" && keys[0] !== "path")) {
      problems.add(path, 'expected exactly one of "base64" or "path"');
      continue;
    }
    if (raw.base64 !== undefined) {
      const text = raw.base64;
      const input =
        typeof text === "string" && text.includes("-----BEGIN")
          ? text
          : decodeBase64(text, child(path, "base64"), problems);
      if (input !== undefined) out.push(...parseCrlOrReport(input, path, problems));
      continue;
    }
    const file = raw.path;
    if (typeof file !== "string" || file.length === 0) {
      problems.add(child(path, "path"), `expected a file path, got ${describeType(file)}`);
      continue;
    }
    const absolute = resolve(baseDir, file);
    let bytes: Buffer;
    try {
      bytes = await readFile(absolute);
    } catch (error) {
      problems.add(child(path, "path"), `${fileProblem(error)}: ${absolute}`);
      continue;
    }
    const input = bytes.includes("-----BEGIN") ? bytes.toString("latin1") : new Uint8Array(bytes);
    out.push(...parseCrlOrReport(input, `${path} (${file})`, problems));
  }
  return out;
}

/** Every CRL of one input (a PEM text may hold several); a block that does not parse is a problem. */
function parseCrlOrReport(
  input: Uint8Array | string,
  source: string,
  problems: Problems,
): SourcedCrl[] {
  const out: SourcedCrl[] = [];
  for (const result of parseCrlInput(input)) {
    if (result.ok) out.push({ source, crl: result.crl });
    else problems.add(source, `not a CRL (${result.failure}): ${result.detail}`);
  }
  return out;
}

async function readCertificateList(
  record: Json,
  key: "trustAnchors" | "intermediates",
  problems: Problems,
  baseDir: string,
): Promise<Uint8Array[]> {
  const value = record[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add(key, `expected a list of certificates, got ${describeType(value)}`);
    return [];
  }
  const out: Uint8Array[] = [];
  for (const [index, raw] of value.entries()) {
    const path = item(key, index);
    if (isRecord(raw)) {
      const file = raw.path;
      if (typeof file !== "string" || file.length === 0) {
        problems.add(child(path, "path"), `expected a file path, got ${describeType(file)}`);
        continue;
      }
      const read = await readCertificateFile(resolve(baseDir, file), child(path, "path"), problems);
      if (read !== undefined) out.push(read.certificate.der);
      continue;
    }
    const parsed = certificateData(raw, path, problems);
    if (parsed !== undefined) out.push(parsed.der);
  }
  return out;
}

/** A certificate named by `--with`: PEM or DER, with `<stem>.key` beside it when there is one. */
export async function readExtraCertificate(file: string, cwd: string): Promise<SourcedEntry> {
  const problems = new Problems();
  const absolute = resolve(cwd, file);
  const read = await readCertificateFile(absolute, `--with ${file}`, problems);
  problems.throwIfAny();
  const keyFile = `${absolute.slice(0, absolute.length - extname(absolute).length)}.key`;
  let privateKey: string | undefined;
  try {
    privateKey = await readFile(keyFile, "utf8");
  } catch {
    // No key beside it: assume the renewal made one on the server, as New-ExchangeCertificate does.
  }
  return {
    source: `--with ${file}`,
    certificate: read!.certificate,
    entry: {
      certificate: read!.input,
      hasPrivateKey: true,
      // As if enabled with Enable-ExchangeCertificate -Services SMTP: the point of the question.
      services: ["SMTP"],
      ...(privateKey !== undefined ? { privateKey } : {}),
    },
  };
}
