// A private OpenLDAP server for tests: its own slapd on 127.0.0.1 at ports the OS picks, a
// generated slapd.conf, an mdb database seeded with slapadd, all in one mkdtemp folder. slapd
// runs in the foreground (-d 0) as our child, and stop() ends it and removes the folder. Nothing
// touches the system's slapd, its configuration or port 389.
//
// Where slapd is missing: outside CI the LDAP tests skip with a loud message; with CI=true
// they fail (see `slapdOrMissing` and its use in test/ldap).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SlapdInstallation {
  readonly slapd: string;
  readonly slapadd: string;
  /** The folder holding core.schema. */
  readonly schemaDir: string;
  /** The folder holding back_mdb when it is a loadable module; undefined when built in. */
  readonly moduleDir: string | undefined;
}

const BIN_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/libexec", "/usr/local/libexec", "/usr/bin"];
const SCHEMA_DIRS = ["/etc/ldap/schema", "/etc/openldap/schema", "/usr/local/etc/openldap/schema"];
const MODULE_DIRS = [
  "/usr/lib/ldap",
  "/usr/lib64/openldap",
  "/usr/lib/openldap",
  "/usr/local/libexec/openldap",
];

function firstExisting(dirs: readonly string[], file: string): string | undefined {
  return dirs.find((dir) => dir !== "" && existsSync(join(dir, file)));
}

/** Where slapd lives, or why it cannot be used. */
export function findSlapd(): SlapdInstallation | { readonly missing: string } {
  // slapd lives in sbin, which is not always on a non-root PATH: look there too.
  const binDirs = [...(process.env["PATH"] ?? "").split(":"), ...BIN_DIRS];
  const slapdDir = firstExisting(binDirs, "slapd");
  const slapaddDir = firstExisting(binDirs, "slapadd");
  const schemaDir = firstExisting(SCHEMA_DIRS, "core.schema");
  if (slapdDir === undefined || slapaddDir === undefined || schemaDir === undefined) {
    const what = [
      slapdDir === undefined ? "slapd" : null,
      slapaddDir === undefined ? "slapadd" : null,
      schemaDir === undefined ? "core.schema" : null,
    ].filter((x) => x !== null);
    return { missing: `${what.join(", ")} not found` };
  }
  const moduleDir = MODULE_DIRS.find(
    (dir) => existsSync(join(dir, "back_mdb.la")) || existsSync(join(dir, "back_mdb.so")),
  );
  return {
    slapd: join(slapdDir, "slapd"),
    slapadd: join(slapaddDir, "slapadd"),
    schemaDir,
    moduleDir,
  };
}

export const INSTALL_HINT =
  "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slapd ldap-utils";

/**
 * The installation, or undefined after saying loudly why the LDAP tests will be skipped. With
 * CI=true a missing slapd is not skipped: the caller registers a failing test (see test/ldap).
 */
export function slapdOrMissing(): SlapdInstallation | { readonly missing: string } {
  const found = findSlapd();
  if ("missing" in found) {
    const banner = "=".repeat(78);
    const verdict = process.env["CI"] === "true" ? "FAILING (CI=true)" : "SKIPPING";
    console.warn(
      `\n${banner}\n${verdict} the LDAP directory tests: ${found.missing}.\nInstall with: ${INSTALL_HINT}\n${banner}\n`,
    );
  }
  return found;
}

export interface SlapdConfig {
  /** Schema text (slapd.conf syntax) loaded after core.schema. */
  readonly schema: string;
  readonly suffix: string;
  readonly rootDN: string;
  readonly rootPassword: string;
  /** `access to …` lines for the database, in order. */
  readonly acl: readonly string[];
  /** LDIF loaded with slapadd before slapd starts. */
  readonly ldif: string;
  /** Attributes for the root DSE (LDIF without the dn line). */
  readonly rootDSE?: string;
  /** Also listen on ldaps://, and allow StartTLS, with this certificate and key (PEM). */
  readonly tls?: { readonly certificate: string; readonly key: string };
}

export interface Slapd {
  /** ldap://127.0.0.1:PORT */
  readonly url: string;
  /** ldaps://127.0.0.1:PORT when `tls` was given. */
  readonly ldapsUrl: string | undefined;
  readonly dir: string;
  /** Whether slapd is still running. */
  readonly running: boolean;
  /** Ends slapd (SIGTERM, then SIGKILL) and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
  /** Ends slapd but keeps the folder (a "stopped server"). */
  kill(): Promise<void>;
  /** What slapd wrote to stderr (for diagnostics). */
  output(): string;
}

const START_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 10_000;

/** A port the OS considers free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

function run(file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: START_DEADLINE_MS }, (error, stdout, stderr) => {
      if (error)
        reject(
          new Error(`${file} ${args.join(" ")} failed: ${stderr || stdout}`, { cause: error }),
        );
      else resolve();
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

const quote = (value: string): string => `"${value.replace(/["\\]/g, "\\$&")}"`;

function slapdConf(install: SlapdInstallation, dir: string, config: SlapdConfig): string {
  const lines = [
    `include ${quote(join(install.schemaDir, "core.schema"))}`,
    `include ${quote(join(dir, "test.schema"))}`,
    `pidfile ${quote(join(dir, "slapd.pid"))}`,
    `argsfile ${quote(join(dir, "slapd.args"))}`,
  ];
  if (install.moduleDir !== undefined) {
    lines.push(`modulepath ${quote(install.moduleDir)}`, "moduleload back_mdb");
  }
  if (config.rootDSE !== undefined) lines.push(`rootDSE ${quote(join(dir, "rootdse.ldif"))}`);
  if (config.tls !== undefined) {
    lines.push(
      `TLSCertificateFile ${quote(join(dir, "tls.crt"))}`,
      `TLSCertificateKeyFile ${quote(join(dir, "tls.key"))}`,
    );
  }
  lines.push(
    "",
    "database mdb",
    "maxsize 16777216",
    `suffix ${quote(config.suffix)}`,
    `rootdn ${quote(config.rootDN)}`,
    `rootpw ${config.rootPassword}`,
    `directory ${quote(join(dir, "db"))}`,
    ...config.acl,
    "",
  );
  return lines.join("\n");
}

/** Seeds and starts a slapd; rejects (after cleaning up) when it does not come up. */
export async function startSlapd(install: SlapdInstallation, config: SlapdConfig): Promise<Slapd> {
  const dir = await mkdtemp(join(tmpdir(), "exchange-anonymous-tls-slapd-"));
  try {
    await writeFile(join(dir, "test.schema"), config.schema);
    await writeFile(join(dir, "seed.ldif"), config.ldif);
    if (config.rootDSE !== undefined)
      await writeFile(join(dir, "rootdse.ldif"), `dn:\n${config.rootDSE}`);
    if (config.tls !== undefined) {
      await writeFile(join(dir, "tls.crt"), config.tls.certificate);
      await writeFile(join(dir, "tls.key"), config.tls.key, { mode: 0o600 });
    }
    const conf = join(dir, "slapd.conf");
    await writeFile(conf, slapdConf(install, dir, config));
    await mkdir(join(dir, "db"));
    await run(install.slapadd, ["-q", "-f", conf, "-l", join(dir, "seed.ldif")]);

    // The OS picks the ports; another process may grab one between our probe and slapd's bind,
    // so a slapd that exits at start is retried with fresh ports.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await launch(install, dir, conf, config.tls !== undefined);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function launch(
  install: SlapdInstallation,
  dir: string,
  conf: string,
  tls: boolean,
): Promise<Slapd> {
  const port = await freePort();
  const ldapsPort = tls ? await freePort() : undefined;
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = ldapsPort === undefined ? undefined : `ldaps://127.0.0.1:${ldapsPort}`;
  const listen = [url, ldapsUrl]
    .filter((x) => x !== undefined)
    .map((x) => `${x}/`)
    .join(" ");
  const child = spawn(install.slapd, ["-d", "0", "-h", listen, "-f", conf], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  // If the test process dies without afterAll, do not leave slapd behind.
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);

  const stopProcess = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_DEADLINE_MS);
      await exited(child);
      clearTimeout(timer);
    }
    process.removeListener("exit", killOnExit);
  };

  const deadline = Date.now() + START_DEADLINE_MS;
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  for (;;) {
    if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) {
      await stopProcess();
      throw new Error(`slapd did not start: ${spawnError?.message ?? stderr}`);
    }
    const up =
      (await canConnect(port)) && (ldapsPort === undefined || (await canConnect(ldapsPort)));
    if (up) break;
    if (Date.now() > deadline) {
      await stopProcess();
      throw new Error(`slapd did not accept connections within ${START_DEADLINE_MS} ms: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  let removed = false;
  return {
    url,
    ldapsUrl,
    dir,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    kill: stopProcess,
    async stop() {
      await stopProcess();
      if (!removed) {
        removed = true;
        await rm(dir, { recursive: true, force: true });
      }
    },
    output: () => stderr,
  };
}
