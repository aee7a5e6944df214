// Loading the committed fixtures (scripts/generate-fixtures.ts made them) and in-memory fakes of
// the injected interfaces: directories and stores that answer, return null, throw, reject, hang,
// or change between calls.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import type { CertStore, Directory, DirectoryValue, StoreEntry } from "../../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURE_DIR = join(here, "..", "fixtures");

interface Manifest {
  now: string;
  server: {
    fqdn: string;
    hostName: string;
    physicalFqdn: string;
    physicalHostName: string;
    clusterName: string;
  };
  directory: { certificate: string; thumbprint: string };
  certificates: Record<
    string,
    { file: string; key: string; thumbprint: string; description: string }
  >;
}

export const manifest: Manifest = JSON.parse(
  readFileSync(join(FIXTURE_DIR, "manifest.json"), "utf8"),
);

/** The one fixed evaluation time of every test (A4). */
export const NOW = new Date(manifest.now);
export const DAY = 86_400_000;

/** The example server of R8: mail.contoso.com / EDGE01 / edge01.contoso.com / EDGE01. */
export const SERVER = {
  fqdn: manifest.server.fqdn,
  hostName: manifest.server.hostName,
  physicalFqdn: manifest.server.physicalFqdn,
  physicalHostName: manifest.server.physicalHostName,
} as const;
export const CLUSTER_NAME = manifest.server.clusterName;

export type FixtureName = keyof typeof manifest.certificates & string;

export interface Fixture {
  readonly name: string;
  readonly pem: string;
  readonly der: Uint8Array;
  readonly keyPem: string;
  readonly thumbprint: string;
}

const cache = new Map<string, Fixture>();

export function fixture(name: string): Fixture {
  let loaded = cache.get(name);
  if (loaded === undefined) {
    const meta = manifest.certificates[name];
    if (meta === undefined) throw new Error(`no fixture ${name}`);
    const pem = readFileSync(join(FIXTURE_DIR, meta.file), "utf8");
    const body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
    loaded = {
      name,
      pem,
      der: new Uint8Array(Buffer.from(body, "base64")),
      keyPem: readFileSync(join(FIXTURE_DIR, "keys", `${meta.key}.pem`), "utf8"),
      thumbprint: meta.thumbprint,
    };
    cache.set(name, loaded);
  }
  return loaded;
}

/** A store entry for a fixture: with a private key and SMTP enabled unless overridden. */
export function entry(
  name: string,
  overrides: Partial<StoreEntry> & { withKey?: boolean } = {},
): StoreEntry {
  const f = fixture(name);
  const { withKey, ...rest } = overrides;
  return {
    certificate: f.der,
    hasPrivateKey: true,
    services: ["SMTP"],
    ...(withKey ? { privateKey: f.keyPem } : {}),
    ...rest,
  };
}

export function directoryFile(
  name: "thumbprint.txt" | "certificate.der" | "serialized.bin",
): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURE_DIR, "directory", name)));
}

// --- fakes -------------------------------------------------------------------------------------

export function staticDirectory(value: DirectoryValue | unknown): Directory & { calls: number } {
  const directory = {
    calls: 0,
    async readInternalTransportCertificate() {
      directory.calls += 1;
      return value as DirectoryValue;
    },
  };
  return directory;
}

/** The directory names a fixture by thumbprint. */
export function directoryFor(name: string): Directory {
  return staticDirectory(fixture(name).thumbprint);
}

export function throwingDirectory(
  error: unknown = new Error("LDAP server unavailable"),
): Directory {
  return {
    readInternalTransportCertificate() {
      throw error;
    },
  };
}

export function rejectingDirectory(error: unknown = new Error("LDAP timeout")): Directory {
  return { readInternalTransportCertificate: () => Promise.reject(error) };
}

/** Never answers; only an AbortSignal gets the selection past it. */
export function hangingDirectory(): Directory {
  return { readInternalTransportCertificate: () => new Promise<never>(() => {}) };
}

export function memoryStore(entries: readonly StoreEntry[]): CertStore & { calls: number } {
  const store = {
    calls: 0,
    list() {
      store.calls += 1;
      return entries;
    },
  };
  return store;
}

export function storeOf(...names: string[]): CertStore {
  return memoryStore(names.map((name) => entry(name)));
}

export function throwingStore(
  error: unknown = new Error("access denied to LocalMachine\\My"),
): CertStore {
  return {
    list() {
      throw error;
    },
  };
}

export function hangingStore(): CertStore {
  return { list: () => new Promise<never>(() => {}) };
}

/** Edge options whose gate passes (R2a, R2b), for the fixture server. */
export function edgeOptions() {
  return {
    role: "EdgeTransport" as const,
    sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:--;1"] },
    server: SERVER,
    now: NOW,
  };
}

/** Hub options whose gate passes (R1a, R1b). */
export function hubOptions() {
  return {
    role: "HubTransport" as const,
    sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:*;1"] },
    deliveryType: "SmtpRelayWithinAdSiteToEdge",
    server: SERVER,
    now: NOW,
  };
}
