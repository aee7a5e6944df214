// A CertStore over a folder of certificate files, for administrators who export certificates
// from a server (or collect renewals) rather than reading a live Windows store.
// Q: which files are certificates?  A: *.pem, *.crt, *.cer, *.der (any case). Each file is one
//    store entry; PEM text is passed as text, anything else as DER bytes, and a file that is not
//    a certificate is still listed, so the selection shows it as unreadable instead of hiding it.
// Q: where is the private key?  A: in `<stem>.key` beside the certificate (edge01.pem →
//    edge01.key). A key that does not belong to its certificate is no key at all (R10b, A9):
//    the selection checks it and says "private-key-mismatch".
// Q: what are a certificate's services?  A: what the optional manifest (`store.json`) says;
//    otherwise `defaultServices` (SMTP, since a folder handed to this library is there for
//    SMTP). Services and HasPrivateKey use Get-ExchangeCertificate's names or camelCase.
// Q: CRLs (A21)?  A: `*.crl` files (any case), DER or PEM, are the folder's CRLs: `crls()` reads
//    them afresh, in file-name order, for the caller to pass as `crls`. They are not parsed here:
//    a CRL that does not parse is the selection's to ignore and report.
// Q: what if the folder or the manifest cannot be read?  A: `list()` throws FolderStoreError;
//    a selection treats that as a store that cannot be read (A16: 12013, with the cause kept).
import { readdir, readFile } from "node:fs/promises";
import { extname, join, resolve } from "node:path";

import { AnonymousTlsError } from "../errors.js";
import type { CertStore, StoreEntry } from "../types.js";

/** Options of {@link createFolderStore}. */
export interface FolderStoreOptions {
  /** Services of a certificate the manifest does not mention. Default `["SMTP"]`. */
  readonly defaultServices?: readonly string[];
  /** The manifest's file name inside the folder. Default `"store.json"`; absent is fine. */
  readonly manifest?: string;
}

/** A store entry that remembers the file it came from. */
export interface FolderStoreEntry extends StoreEntry {
  /** The certificate file's name inside the folder. */
  readonly file: string;
  /** The key file's name, when one was found beside the certificate. */
  readonly keyFile?: string;
}

/** A CRL file of the folder (A21). */
export interface FolderCrl {
  /** The file's name inside the folder. */
  readonly file: string;
  /** PEM text (one or more `X509 CRL` blocks) or DER bytes, as the selection's `crls` take. */
  readonly crl: Uint8Array | string;
}

export interface FolderStore extends CertStore {
  /** The folder, as an absolute path. */
  readonly folder: string;
  /** Reads the folder afresh on every call, in file-name order (so the order is stable). */
  list(): Promise<readonly FolderStoreEntry[]>;
  /**
   * A21: the folder's `*.crl` files, read afresh, in file-name order. Throws FolderStoreError
   * when the folder or a file cannot be read.
   */
  crls(): Promise<readonly FolderCrl[]>;
}

/** The folder or its manifest cannot be read; `path` is the file at fault (and `field`, if any). */
export class FolderStoreError extends AnonymousTlsError {
  readonly code = "ERR_FOLDER_STORE" as const;
  /** Thrown by the folder store's `list()`; `cause` is the file-system or parse error. */
  constructor(
    message: string,
    /** The file at fault. */
    readonly path: string,
    /** The manifest field at fault, when the manifest is. */
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const CERTIFICATE_EXTENSIONS = new Set([".pem", ".crt", ".cer", ".der"]);
const CRL_EXTENSION = ".crl";

interface ManifestEntry {
  readonly services?: readonly string[];
  readonly hasPrivateKey?: boolean;
}

/** A CertStore over `folder`. Nothing is read until `list()`. */
export function createFolderStore(folder: string, options: FolderStoreOptions = {}): FolderStore {
  if (typeof folder !== "string" || folder.length === 0) {
    throw new TypeError("folder must be a non-empty path");
  }
  const defaultServices = Object.freeze([...(options.defaultServices ?? ["SMTP"])]);
  if (!defaultServices.every((s) => typeof s === "string")) {
    throw new TypeError("defaultServices must be an array of strings");
  }
  const manifestName = options.manifest ?? "store.json";
  const absolute = resolve(folder);
  return {
    folder: absolute,
    list: () => listFolder(absolute, manifestName, defaultServices),
    crls: () => listCrls(absolute),
  };
}

async function fileNames(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder, { withFileTypes: true }))
      .filter((d) => d.isFile() || d.isSymbolicLink())
      .map((d) => d.name)
      .sort();
  } catch (error) {
    throw new FolderStoreError(`cannot list ${folder}: ${reason(error)}`, folder, undefined, {
      cause: error,
    });
  }
}

async function listCrls(folder: string): Promise<readonly FolderCrl[]> {
  const crls: FolderCrl[] = [];
  for (const file of await fileNames(folder)) {
    if (extname(file).toLowerCase() !== CRL_EXTENSION) continue;
    const bytes = await readOrFail(join(folder, file));
    crls.push(
      Object.freeze({
        file,
        crl: looksLikePem(bytes) ? bytes.toString("latin1") : new Uint8Array(bytes),
      }),
    );
  }
  return Object.freeze(crls);
}

async function listFolder(
  folder: string,
  manifestName: string,
  defaultServices: readonly string[],
): Promise<readonly FolderStoreEntry[]> {
  const names = await fileNames(folder);
  const manifest = names.includes(manifestName)
    ? await readManifest(join(folder, manifestName), names)
    : new Map<string, ManifestEntry>();

  const lowerNames = new Map(names.map((name) => [name.toLowerCase(), name]));
  const entries: FolderStoreEntry[] = [];
  for (const file of names) {
    if (!CERTIFICATE_EXTENSIONS.has(extname(file).toLowerCase())) continue;
    const bytes = await readOrFail(join(folder, file));
    const keyFile = lowerNames.get(`${file.slice(0, -extname(file).length)}.key`.toLowerCase());
    const keyText =
      keyFile === undefined ? undefined : (await readOrFail(join(folder, keyFile))).toString();
    const listed = manifest.get(file);
    entries.push(
      Object.freeze({
        file,
        certificate: looksLikePem(bytes) ? bytes.toString("latin1") : new Uint8Array(bytes),
        // The manifest speaks for the store (as Get-ExchangeCertificate's HasPrivateKey does);
        // without it, a key file beside the certificate is what "has a private key" means.
        hasPrivateKey: listed?.hasPrivateKey ?? keyText !== undefined,
        services: listed?.services ?? defaultServices,
        ...(keyText !== undefined ? { privateKey: keyText } : {}),
        ...(keyFile !== undefined ? { keyFile } : {}),
      }),
    );
  }
  return Object.freeze(entries);
}

function looksLikePem(bytes: Buffer): boolean {
  return bytes.includes("-----BEGIN");
}

async function readOrFail(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new FolderStoreError(`cannot read ${path}: ${reason(error)}`, path, undefined, {
      cause: error,
    });
  }
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOTDIR") return "not a directory";
  return error instanceof Error ? error.message : String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `{ "edge01.pem": { "services": "IIS, SMTP", "hasPrivateKey": true }, … }`; `$…` keys are notes. */
async function readManifest(
  path: string,
  files: readonly string[],
): Promise<Map<string, ManifestEntry>> {
  const text = (await readOrFail(path)).toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new FolderStoreError(`${path}: not JSON: ${reason(error)}`, path, undefined, {
      cause: error,
    });
  }
  const bad = (field: string, what: string): never => {
    throw new FolderStoreError(`${path}: ${field}: ${what}`, path, field);
  };
  if (!isRecord(json)) bad("(root)", "expected an object mapping file names to settings");
  const manifest = new Map<string, ManifestEntry>();
  for (const [file, settings] of Object.entries(json as Record<string, unknown>)) {
    if (file.startsWith("$")) continue;
    // A manifest line for a file that is not there is almost always a typo: say so.
    if (!files.includes(file)) bad(file, "no such file in the folder");
    if (!isRecord(settings)) bad(file, "expected an object");
    const record = settings as Record<string, unknown>;
    const services = pick(record, "services", "Services");
    const hasPrivateKey = pick(record, "hasPrivateKey", "HasPrivateKey");
    let parsedServices: readonly string[] | undefined;
    if (services !== undefined) {
      parsedServices = parseServices(services);
      if (parsedServices === undefined) {
        bad(`${file}.services`, 'expected a list of names or a string such as "IIS, SMTP"');
      }
    }
    if (hasPrivateKey !== undefined && typeof hasPrivateKey !== "boolean") {
      bad(`${file}.hasPrivateKey`, `expected true or false, got ${JSON.stringify(hasPrivateKey)}`);
    }
    manifest.set(file, {
      ...(parsedServices !== undefined ? { services: parsedServices } : {}),
      ...(typeof hasPrivateKey === "boolean" ? { hasPrivateKey } : {}),
    });
  }
  return manifest;
}

function pick(record: Record<string, unknown>, camel: string, pascal: string): unknown {
  return record[camel] ?? record[pascal];
}

/**
 * `["SMTP", "IIS"]`, or the text PowerShell prints for the flags enum, `"IIS, SMTP"`.
 * Returns undefined for anything else.
 */
export function parseServices(value: unknown): readonly string[] | undefined {
  if (typeof value === "string") {
    return Object.freeze(
      value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    );
  }
  if (Array.isArray(value) && value.every((s) => typeof s === "string")) {
    return Object.freeze(value.map((s: string) => s.trim()));
  }
  return undefined;
}
