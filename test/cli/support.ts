// Running the command as a process (tsx through `node --import tsx`, so tests need no build) and
// writing snapshots of realistic servers, built from the committed fixtures, into a temp folder.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { directoryFile, fixture, NOW, SERVER } from "../support/fixtures.js";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, "..", "..");
const MAIN = join(ROOT, "src", "cli", "main.ts");
export const DEMO = join(ROOT, "src", "demo", "snapshot.json");

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A clean environment: no colour variables unless a test sets them. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ["NO_COLOR", "FORCE_COLOR", "CI", "TERM"]) delete env[key];
  return env;
}

export function run(
  args: readonly string[],
  options: { readonly env?: Record<string, string>; readonly cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", MAIN, ...args],
      { cwd: options.cwd ?? ROOT, env: { ...baseEnv(), ...options.env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : (error as { code?: unknown }).code;
        if (typeof code !== "number") {
          reject(error ?? new Error("no exit code"));
          return;
        }
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** No stack trace: no "    at " frames and no Node error banner. */
export function expectNoStack(result: RunResult): void {
  const text = result.stdout + result.stderr;
  if (/^\s+at .+[:(]/m.test(text) || text.includes("node:internal")) {
    throw new Error(`output has a stack trace:\n${text}`);
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `eatls-${prefix}-`));
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const file = join(dir, name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  return file;
}

/** Copies a fixture's PEM (and, if asked, a key from the pool) into `dir`. */
export function copyFixture(
  dir: string,
  name: string,
  as: string,
  key?: { readonly from: string; readonly as: string },
): string {
  const file = join(dir, as);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, fixture(name).pem);
  if (key !== undefined) writeFileSync(join(dir, key.as), fixture(key.from).keyPem);
  return file;
}

export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
export const thumbprintOfBase64 = (text: string) =>
  createHash("sha1").update(Buffer.from(text, "base64")).digest("hex").toUpperCase();

/** The bundled demo's thumbprints: the one the directory names and the renewed one. */
export function demoThumbprints(): { current: string; renewed: string } {
  const demo = JSON.parse(readFileSync(DEMO, "utf8")) as {
    store: { Thumbprint: string; Services: string }[];
  };
  return { current: demo.store[0]!.Thumbprint, renewed: demo.store[1]!.Thumbprint };
}

const NOW_ISO = NOW.toISOString();

/**
 * An Edge Transport server as its EdgeSync subscription leaves it: the "EdgeSync - Inbound to
 * Default-First-Site-Name" Send connector (address space SMTP:--;1, smart host --), the
 * directory holding its self-signed certificate as a serialized blob (as AD LDS does), and a
 * CA-issued certificate installed later for the same name, chained to a trusted root. Some
 * entries are PEM files beside the snapshot, the rest base64 RawData.
 */
export function writeEdgeSnapshot(dir: string): string {
  copyFixture(dir, "leaf-rsa", "certs/mail.contoso.com.pem");
  copyFixture(dir, "root-rsa", "certs/root.pem");
  copyFixture(dir, "inter-rsa", "certs/issuing-ca.pem");
  return writeJson(dir, "edge.json", {
    description: "EDGE01 after a CA-issued certificate was installed",
    evaluatedAt: NOW_ISO,
    role: "EdgeTransport",
    sendConnector: {
      name: "EdgeSync - Inbound to Default-First-Site-Name",
      smartHostAuthMechanism: "ExchangeServer",
      addressSpaces: ["SMTP:--;1"],
      smartHosts: ["--"],
    },
    receiveConnector: { authMechanism: "Tls, ExchangeServer" },
    server: SERVER,
    directory: { base64: b64(directoryFile("serialized.bin")) },
    store: [
      { rawData: b64(fixture("self-signed").der), hasPrivateKey: true, services: ["SMTP"] },
      { path: "certs/mail.contoso.com.pem", hasPrivateKey: true, services: "IIS, SMTP" },
      { rawData: b64(fixture("self-signed-old").der), hasPrivateKey: true, services: ["SMTP"] },
      { rawData: b64(fixture("host-name").der), hasPrivateKey: false, services: ["SMTP"] },
    ],
    trustAnchors: [{ path: "certs/root.pem" }],
    intermediates: [{ path: "certs/issuing-ca.pem" }],
  });
}

/**
 * A Hub Transport server relaying a message to the Edge (DeliveryType
 * SmtpRelayWithinAdSiteToEdge), exported with PowerShell property names: Get-ExchangeCertificate's
 * Thumbprint/RawData/HasPrivateKey/Services (Services as "IIS, SMTP" text), Get-SendConnector's
 * SmartHostAuthMechanism and AddressSpaces (as objects), and a thumbprint pasted from the
 * certificate dialog (lower case, spaces, a left-to-right mark in front).
 */
export function writeHubSnapshot(
  dir: string,
  deliveryType = "SmtpRelayWithinAdSiteToEdge",
): string {
  const ps = (name: string, services: string, hasPrivateKey = true) => ({
    Thumbprint: fixture(name).thumbprint,
    RawData: b64(fixture(name).der),
    HasPrivateKey: hasPrivateKey,
    Services: services,
    Subject: `CN=${name}`,
    NotAfter: "/Date(1893456000000)/",
  });
  const pasted = `\u200e${fixture("leaf-ec").thumbprint.toLowerCase().replace(/(..)/g, "$1 ").trim()}`;
  return writeJson(dir, `hub-${deliveryType}.json`, {
    description: "HUB01 sending to the Edge",
    evaluatedAt: NOW_ISO,
    role: "HubTransport",
    sendConnector: {
      SmartHostAuthMechanism: "ExchangeServer",
      AddressSpaces: [{ Type: "SMTP", Address: "*", Cost: 1, IsLocal: false }],
    },
    deliveryType,
    server: SERVER,
    directory: { thumbprint: pasted },
    store: [
      ps("leaf-rsa", "IIS, SMTP"),
      ps("leaf-ec", "SMTP"),
      ps("self-signed", "SMTP"),
      ps("wildcard", "IIS"),
    ],
    trustAnchors: [b64(fixture("root-rsa").der), fixture("root-ec").pem],
    intermediates: [b64(fixture("inter-rsa").der), b64(fixture("inter-ec").der)],
  });
}

/** Starts at most `size` processes at once; the rest wait their turn (the CI machine has 2 cores). */
export function limit(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}
