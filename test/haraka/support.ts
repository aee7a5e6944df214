// A real Haraka (the devDependency, 3.3.4) for the plugin's tests: a temporary install folder per
// run (config/smtp.ini listening on 127.0.0.1:<free port>, one process, no cluster; config/plugins
// naming the plugin; plugins/exchange_anonymous_tls.js, the two-line file a user writes, loading
// src/adapters/haraka through tsx), its log captured, and raw-socket clients. Every wait has a
// deadline; the process is killed by `stop`, which each file calls in afterAll.
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "vitest";

import { smtpCommand } from "../../src/adapters/tls.js";
import { fixture } from "../support/fixtures.js";
import { Clients, SENDER_CERT, withDeadline } from "../support/smtp-client.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const HARAKA_BIN = join(ROOT, "node_modules", "Haraka", "bin", "haraka");
const PLUGIN_ENTRY = join(ROOT, "src", "adapters", "haraka", "index.ts");

/**
 * Why Haraka cannot run here at all (its devDependency is not installed), or undefined. Only then
 * are the tests skipped: a Haraka that is installed but does not start is a failure.
 */
export const HARAKA_MISSING: string | undefined = existsSync(HARAKA_BIN)
  ? undefined
  : `${HARAKA_BIN} is missing: the devDependency Haraka@3.3.4 is not installed (run npm ci)`;
if (HARAKA_MISSING !== undefined) console.warn(`skipping the Haraka tests: ${HARAKA_MISSING}`);

/** The receiver's certificate: self-signed, named by the directory, with its key (I2–I4). */
export const RECEIVER_CERT = "self-signed";
/** The sender's certificate in the well-behaved session. */
export { SENDER_CERT, withDeadline };

export interface Haraka {
  readonly port: number;
  readonly folder: string;
  readonly child: ChildProcess;
  /** Everything Haraka wrote so far (stdout and stderr). */
  log(): string;
  /** Resolves when the log matches `pattern` (searched from `from`), within `ms`. */
  waitForLog(pattern: RegExp, ms?: number, from?: number): Promise<string>;
  alive(): boolean;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface HarakaSetup {
  /** config/exchange_anonymous_tls.ini's [main] lines; `{store}` is replaced by the store folder. */
  readonly ini: readonly string[];
  /** Fixture names copied into the store folder as <name>.pem + <name>.key. */
  readonly store?: readonly string[];
  /** Extra files, relative to the install folder; `{entry}` is the plugin's module path, quoted. */
  readonly files?: Readonly<Record<string, string>>;
  /** config/plugins, in order. Default: this plugin alone. */
  readonly plugins?: readonly string[];
  /** Resolve when Haraka exits instead of when it listens (a start-up that must fail). */
  readonly expectExit?: boolean;
}

/** Starts Haraka with the plugin; rejects (with the log) if it does not listen within 60 s. */
export async function startHaraka(setup: HarakaSetup): Promise<Haraka> {
  const folder = mkdtempSync(join(tmpdir(), "haraka-xatls-"));
  const config = join(folder, "config");
  const storeFolder = join(folder, "store");
  mkdirSync(config);
  mkdirSync(join(folder, "plugins"));
  mkdirSync(storeFolder);
  for (const name of setup.store ?? []) {
    writeFileSync(join(storeFolder, `${name}.pem`), fixture(name).pem);
    writeFileSync(join(storeFolder, `${name}.key`), fixture(name).keyPem);
  }
  const port = await freePort();
  writeFileSync(join(config, "smtp.ini"), `[main]\nlisten=127.0.0.1:${port}\nnodes=0\n`);
  copyFileSync(
    join(ROOT, "node_modules", "Haraka", "config", "connection.ini"),
    join(config, "connection.ini"),
  );
  writeFileSync(join(config, "log.ini"), "[main]\nlevel=info\n");
  writeFileSync(
    join(config, "plugins"),
    `${(setup.plugins ?? ["exchange_anonymous_tls"]).join("\n")}\n`,
  );
  writeFileSync(
    join(config, "exchange_anonymous_tls.ini"),
    `[main]\n${setup.ini.map((line) => line.replace("{store}", storeFolder)).join("\n")}\n`,
  );
  // The file a user puts in Haraka's plugins folder (with the package name instead of the path).
  writeFileSync(
    join(folder, "plugins", "exchange_anonymous_tls.js"),
    `const p = require(${JSON.stringify(PLUGIN_ENTRY)});\nfor (const k in p) exports[k] = p[k];\n`,
  );
  // After the defaults: a test may replace any of them (the plugin file included).
  for (const [file, text] of Object.entries(setup.files ?? {})) {
    mkdirSync(dirname(join(folder, file)), { recursive: true });
    writeFileSync(join(folder, file), text.replaceAll("{entry}", JSON.stringify(PLUGIN_ENTRY)));
  }

  let output = "";
  const child = spawn(process.execPath, ["--import", "tsx", HARAKA_BIN, "-c", folder], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_ENV: "test" },
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );

  const haraka: Haraka = {
    port,
    folder,
    child,
    log: () => output,
    waitForLog(pattern, ms = 10_000, from = 0) {
      return withDeadline(
        new Promise<string>((resolve) => {
          const check = () => {
            const match = output.slice(from).match(pattern);
            if (match !== null) {
              child.stdout?.off("data", check);
              child.stderr?.off("data", check);
              resolve(match[0]);
            }
          };
          child.stdout?.on("data", check);
          child.stderr?.on("data", check);
          check();
        }),
        ms,
        `Haraka did not log ${pattern} within ${ms} ms; log:\n${output.slice(-3000)}`,
      );
    },
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (haraka.alive()) {
        child.kill("SIGKILL");
        await withDeadline(exited, 10_000, "Haraka did not exit").catch(() => {});
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };

  if (setup.expectExit === true) {
    await withDeadline(exited, 60_000, `Haraka did not exit; log:\n${output.slice(-3000)}`);
    return haraka;
  }
  try {
    await Promise.race([
      haraka.waitForLog(new RegExp(`Listening on 127\\.0\\.0\\.1:${port}`), 60_000),
      exited.then((code) => {
        throw new Error(`Haraka exited (${code}) before listening; log:\n${output.slice(-3000)}`);
      }),
    ]);
  } catch (error) {
    await haraka.stop();
    throw error;
  }
  return haraka;
}

// --- clients -------------------------------------------------------------------------------------

const clients = new Clients();

/** Destroys every client socket opened so far (afterEach). */
export function destroyClients(): void {
  clients.closeAll();
}

export const connectTo = (port: number): Promise<Socket> => clients.connectTo(port);

/** Resolves when the peer closed the socket (or it was destroyed), within `ms`. */
export const closed = (socket: Socket, ms = 10_000): Promise<void> =>
  clients.closed(socket, ms, "Haraka did not close the connection");

/** Greeting and EHLO; returns the socket and the EHLO keywords. */
export async function greeted(port: number): Promise<{ socket: Socket; keywords: string[] }> {
  const socket = await connectTo(port);
  const greeting = await smtpCommand(socket, null, { timeout: 10_000 });
  expect(greeting.code).toBe(220);
  const ehlo = await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 10_000 });
  expect(ehlo.code).toBe(250);
  return { socket, keywords: ehlo.lines.slice(1).map((line) => line.toUpperCase()) };
}

/** Greeting, EHLO (X-ANONYMOUSTLS listed), X-ANONYMOUSTLS → 220: a ClientHello is expected next. */
export async function upToHandshake(port: number): Promise<Socket> {
  const { socket, keywords } = await greeted(port);
  expect(keywords).toContain("X-ANONYMOUSTLS");
  const go = await smtpCommand(socket, "X-ANONYMOUSTLS", { timeout: 10_000 });
  expect(go.code).toBe(220);
  return socket;
}

/** The client side of the handshake on `socket`, presenting the sender's certificate. */
export const clientHandshake: Clients["clientHandshake"] = (socket, options) =>
  clients.clientHandshake(socket, options);

/** A ClientHello as Node sends it, captured from a sink on loopback. */
export const captureClientHello = (): Promise<Buffer> => clients.captureClientHello(10_000);

/**
 * A whole, well-behaved anonymous-TLS session: EHLO, X-ANONYMOUSTLS, a handshake presenting the
 * selection's certificate, EHLO inside TLS (the keyword gone), X-ANONYMOUSTLS inside TLS (503),
 * QUIT. Proves Haraka is alive and serving.
 */
export async function wellBehavedSession(haraka: Haraka): Promise<void> {
  const socket = await upToHandshake(haraka.port);
  const tlsSocket = await withDeadline(clientHandshake(socket), 15_000, "handshake");
  expect(tlsSocket.getPeerCertificate().fingerprint.replaceAll(":", "")).toBe(
    fixture(RECEIVER_CERT).thumbprint,
  );
  const again = await smtpCommand(tlsSocket, "EHLO edge01.contoso.com", { timeout: 10_000 });
  expect(again.code).toBe(250);
  expect(again.lines.map((line) => line.toUpperCase())).not.toContain("X-ANONYMOUSTLS");
  const twice = await smtpCommand(tlsSocket, "X-ANONYMOUSTLS", { timeout: 10_000 });
  expect(twice.code).toBe(503);
  const quit = await smtpCommand(tlsSocket, "QUIT", { timeout: 10_000 });
  expect(quit.code).toBe(221);
  tlsSocket.destroy();
  expect(haraka.alive()).toBe(true);
}
