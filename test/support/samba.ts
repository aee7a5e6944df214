// A private Samba Active Directory domain controller for tests: provisioned offline in one mkdtemp
// folder (`samba-tool domain provision --targetdir`), seeded offline through Samba's own Python
// bindings (schema extension, accounts, objects, ACEs), then run in the foreground as our child
// (`samba -i -M single`), loopback only, LDAP service only, no DNS. stop() ends it and removes the
// folder.
//
// AD's LDAP ports are fixed: Samba always listens on 389 (LDAP), 636 (LDAPS) and 3268/3269 (global
// catalog). So this needs root, only one DC can run at a time, and nothing else may listen on
// those ports: `startSamba` checks and fails with a message naming the port when one is taken.
//
// Where Samba is missing: outside CI the Samba suite skips with a loud message and the install
// command; with CI=true it fails (see `sambaOrMissing` and test/ldap/samba-ad.test.ts).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, open, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SambaInstallation {
  readonly samba: string;
  readonly sambaTool: string;
  /** The Python that has Samba's bindings (samba-tool's own interpreter). */
  readonly python: string;
}

export const SAMBA_INSTALL_HINT =
  "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends samba-ad-dc samba-ad-provision samba-dsdb-modules winbind";

const SBIN = ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"];

/** Where Samba lives, or why it cannot be used. */
export function findSamba(): SambaInstallation | { readonly missing: string } {
  const dirs = [...(process.env["PATH"] ?? "").split(":"), ...SBIN].filter((d) => d !== "");
  const samba = dirs.map((d) => join(d, "samba")).find((p) => existsSync(p));
  const sambaTool = dirs.map((d) => join(d, "samba-tool")).find((p) => existsSync(p));
  // samba-tool's shebang names the interpreter whose site-packages hold the bindings; a python3
  // earlier on PATH (pyenv, a venv) usually does not have them.
  const python = "/usr/bin/python3";
  const missing = [
    samba === undefined ? "samba" : null,
    sambaTool === undefined ? "samba-tool" : null,
    existsSync("/usr/lib/python3/dist-packages/samba/samdb.py") ? null : "python3-samba",
    existsSync(python) ? null : python,
  ].filter((x) => x !== null);
  if (samba === undefined || sambaTool === undefined || missing.length > 0) {
    return { missing: `${missing.join(", ")} not found` };
  }
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    return { missing: "not root (a Samba AD DC listens on the fixed ports 389 and 636)" };
  }
  return { samba, sambaTool, python };
}

/** The installation, or the reason after saying loudly that the suite skips (or fails in CI). */
export function sambaOrMissing(): SambaInstallation | { readonly missing: string } {
  const found = findSamba();
  if ("missing" in found) {
    const banner = "=".repeat(78);
    const verdict = process.env["CI"] === "true" ? "FAILING (CI=true)" : "SKIPPING";
    console.warn(
      `\n${banner}\n${verdict} the Samba AD directory tests: ${found.missing}.\nInstall with: ${SAMBA_INSTALL_HINT}\n${banner}\n`,
    );
  }
  return found;
}

/** One seeding step: LDIF to add, or an ACE (SDDL) to put first in an object's DACL. */
export type SeedStep = { readonly ldif: string } | { readonly dn: string; readonly ace: string };

export interface SambaConfig {
  /** e.g. CONTOSO.COM; the domain's DN follows from it. */
  readonly realm: string;
  /** NetBIOS domain name, e.g. CONTOSO. */
  readonly domain: string;
  /** The DC's host name, e.g. dc01. */
  readonly hostName: string;
  readonly adminPassword: string;
  /** Schema LDIF chunks, each made effective (schemaUpdateNow) before the next; `@SCHEMA@` is the schema NC. */
  readonly schema: readonly string[];
  /** The attribute whose schemaIDGUID replaces `@GUID@` in ACEs. */
  readonly attribute: string;
  /** Accounts created in CN=Users; `@SID:name@` in ACEs is the account's SID. */
  readonly users: readonly { readonly name: string; readonly password: string }[];
  readonly steps: readonly SeedStep[];
}

export interface Samba {
  readonly dir: string;
  /** PEM of the CA Samba generated for its TLS certificate. */
  readonly caPem: string;
  /** The name in that certificate (its CN; no subjectAltName): `DC01.contoso.com`. */
  readonly tlsName: string;
  readonly sids: Readonly<Record<string, string>>;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** SIGSTOP: the DC keeps its sockets but answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** SIGKILL, keeping the folder. */
  kill(): Promise<void>;
  /** Ends the DC (SIGCONT, SIGTERM, then SIGKILL) and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
  output(): string;
}

const PROVISION_DEADLINE_MS = 180_000;
const START_DEADLINE_MS = 60_000;
const STOP_DEADLINE_MS = 10_000;
/** A DC nobody stopped ends itself after this long (the suite needs well under a minute). */
const MAXIMUM_RUNTIME_S = 1_200;
/** Every port a Samba AD DC's LDAP service binds. */
export const SAMBA_PORTS = [389, 636, 3268, 3269] as const;

function run(
  file: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { timeout: PROVISION_DEADLINE_MS, maxBuffer: 16 * 1024 * 1024, ...(env ? { env } : {}) },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`${file} ${args[0] ?? ""} failed: ${(stderr || stdout).slice(-4000)}`, {
              cause: error,
            }),
          );
        } else resolve({ stdout, stderr });
      },
    );
  });
}

export function canConnect(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
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

/** The ports among AD's fixed ones that something already listens on (IPv4 or IPv6 loopback). */
export async function busyPorts(): Promise<number[]> {
  const busy: number[] = [];
  for (const port of SAMBA_PORTS) {
    if ((await canConnect(port)) || (await canConnect(port, "::1"))) busy.push(port);
  }
  return busy;
}

const LOCK_FILE = join(tmpdir(), "exchange-anonymous-tls-samba.lock");
const DIR_PREFIX = "exchange-anonymous-tls-samba-";
const LOCK_WAIT_MS = 240_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One DC at a time on this machine: two test runs at once (two checkouts, a developer and a
 * watcher) would both want port 389. A lock file holding our pid serialises them; a lock whose
 * pid is gone is stale and taken over. Returns the release function.
 */
export async function lockPorts(): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(LOCK_FILE, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(LOCK_FILE).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number((await readFile(LOCK_FILE, "utf8").catch(() => "")).trim());
    if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
      await unlink(LOCK_FILE).catch(() => {});
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `another Samba AD test run (pid ${holder}) still holds ${LOCK_FILE} after ${LOCK_WAIT_MS} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Bytes clients have sent to 127.0.0.1:`port` that the DC has not read yet, over its established
 * connections (Linux: /proc/net/tcp's rx_queue; accepted or still in the backlog). With the DC
 * paused, this says a request (a TLS ClientHello, a StartTLS request) has arrived and waits.
 */
export async function unreadBytes(port: number): Promise<number> {
  const table = await readFile("/proc/net/tcp", "utf8");
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  let total = 0;
  for (const line of table.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st tx_queue:rx_queue …; st 01 is ESTABLISHED.
    if (fields[1] !== local || fields[3] !== "01") continue;
    total += Number.parseInt(fields[4]?.split(":")[1] ?? "0", 16);
  }
  return total;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

const SEED_PY = `
# Seeds a provisioned, not yet running, Samba AD DC. argv: smb.conf, the JSON seed.
import json, sys
from samba.auth import system_session
from samba.dcerpc import misc, security
from samba.ndr import ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.sd_utils import SDUtils

lp = LoadParm()
lp.load(sys.argv[1])
spec = json.load(open(sys.argv[2]))

def open_db():
    return SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp)

samdb = open_db()
schema_dn = str(samdb.get_schema_basedn())
for chunk in spec["schema"]:
    samdb.add_ldif(chunk.replace("@SCHEMA@", schema_dn))
    samdb.set_schema_update_now()
    samdb = open_db()
for user in spec["users"]:
    samdb.newuser(user["name"], user["password"])
sids = {}
for user in spec["users"]:
    res = samdb.search(base=samdb.domain_dn(), expression="(sAMAccountName=%s)" % user["name"], attrs=["objectSid"])
    sids[user["name"]] = str(ndr_unpack(security.dom_sid, res[0]["objectSid"][0]))
res = samdb.search(base=schema_dn, expression="(lDAPDisplayName=%s)" % spec["attribute"], attrs=["schemaIDGUID"])
guid = str(ndr_unpack(misc.GUID, res[0]["schemaIDGUID"][0]))
sd = SDUtils(samdb)
def expand(text):
    text = text.replace("@GUID@", guid)
    for name, sid in sids.items():
        text = text.replace("@SID:%s@" % name, sid)
    return text
for step in spec["steps"]:
    if "ldif" in step:
        samdb.add_ldif(expand(step["ldif"]))
    else:
        sd.dacl_add_ace(step["dn"], expand(step["ace"]))
print(json.dumps({"sids": sids}))
`;

/** Provisions, seeds and starts a DC; rejects (after cleaning up) when it does not come up. */
export async function startSamba(install: SambaInstallation, config: SambaConfig): Promise<Samba> {
  const unlock = await lockPorts();
  const busy = await busyPorts();
  if (busy.length > 0) {
    await unlock();
    throw new Error(
      `cannot start a Samba AD DC: something already listens on port ${busy.join(", ")} ` +
        "(a system slapd or samba? `ss -ltnp` names it; `service slapd stop`)",
    );
  }
  let dir: string;
  try {
    // Holding the lock, no other run is using a DC folder: any left is from a run that was
    // killed outright (its DC ended with it, see below), so it goes.
    for (const name of await readdir(tmpdir())) {
      if (name.startsWith(DIR_PREFIX))
        await rm(join(tmpdir(), name), { recursive: true, force: true });
    }
    dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  } catch (error) {
    await unlock();
    throw error;
  }
  let child: ChildProcess | undefined;
  try {
    const options = [
      "interfaces = lo",
      "bind interfaces only = yes",
      "server services = ldap",
      "dsdb:schema update allowed = true",
      `log file = ${join(dir, "log")}`,
      `pid directory = ${join(dir, "run")}`,
      `ncalrpc dir = ${join(dir, "ncalrpc")}`,
      `winbindd socket directory = ${join(dir, "winbindd")}`,
      `ntp signd socket directory = ${join(dir, "ntp_signd")}`,
    ];
    await run(install.sambaTool, [
      "domain",
      "provision",
      `--targetdir=${dir}`,
      `--realm=${config.realm}`,
      `--domain=${config.domain}`,
      `--host-name=${config.hostName}`,
      "--server-role=dc",
      "--dns-backend=NONE",
      `--adminpass=${config.adminPassword}`,
      ...options.map((option) => `--option=${option}`),
    ]);
    const conf = join(dir, "etc", "smb.conf");
    await writeFile(
      join(dir, "seed.json"),
      JSON.stringify({
        schema: config.schema,
        attribute: config.attribute,
        users: config.users,
        steps: config.steps,
      }),
    );
    await writeFile(join(dir, "seed.py"), SEED_PY);
    const seeded = await run(install.python, [join(dir, "seed.py"), conf, join(dir, "seed.json")]);
    const lastLine = seeded.stdout.trim().split("\n").at(-1) ?? "{}";
    const { sids } = JSON.parse(lastLine) as { sids: Record<string, string> };

    // -i: foreground, no daemon; -M single: one process, so SIGSTOP/SIGKILL reach all of it.
    // Two nets against a DC outliving its test run (it would hold port 389 for the next one):
    // in -i mode Samba exits when its stdin, a pipe from us, reaches EOF (we died), and
    // --maximum-runtime ends it regardless.
    const spawned = spawn(
      install.samba,
      [
        "-i",
        "-M",
        "single",
        `--maximum-runtime=${MAXIMUM_RUNTIME_S}`,
        "-s",
        conf,
        "--debug-stdout",
      ],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    child = spawned;
    let output = "";
    const keep = (chunk: string): void => {
      output = (output + chunk).slice(-40_000);
    };
    spawned.stdout?.setEncoding("utf8").on("data", keep);
    spawned.stderr?.setEncoding("utf8").on("data", keep);
    let spawnError: Error | undefined;
    spawned.once("error", (error) => {
      spawnError = error;
    });
    // If the test process dies without afterAll, do not leave a DC holding port 389.
    const killOnExit = (): void => {
      spawned.kill("SIGKILL");
    };
    process.once("exit", killOnExit);

    const deadline = Date.now() + START_DEADLINE_MS;
    for (;;) {
      if (spawnError !== undefined || spawned.exitCode !== null || spawned.signalCode !== null) {
        throw new Error(`samba did not start: ${spawnError?.message ?? output.slice(-4000)}`);
      }
      if ((await canConnect(389)) && (await canConnect(636))) break;
      if (Date.now() > deadline) {
        throw new Error(
          `samba did not listen within ${START_DEADLINE_MS} ms: ${output.slice(-4000)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const caPem = await readFile(join(dir, "private", "tls", "ca.pem"), "utf8");
    // The name Samba put in the certificate it generated (its CN; there is no subjectAltName).
    const certificate = new X509Certificate(
      await readFile(join(dir, "private", "tls", "cert.pem")),
    );
    const tlsName = /(?:^|\n)CN=([^\n]+)/.exec(certificate.subject)?.[1];
    if (tlsName === undefined) {
      throw new Error(`Samba's TLS certificate has no CN: ${certificate.subject}`);
    }

    const stopProcess = async (): Promise<void> => {
      if (spawned.exitCode === null && spawned.signalCode === null) {
        spawned.kill("SIGCONT");
        spawned.kill("SIGTERM");
        const timer = setTimeout(() => spawned.kill("SIGKILL"), STOP_DEADLINE_MS);
        await exited(spawned);
        clearTimeout(timer);
      }
      process.removeListener("exit", killOnExit);
    };
    let removed = false;
    return {
      dir,
      caPem,
      tlsName,
      sids,
      pid: spawned.pid,
      get running() {
        return spawned.exitCode === null && spawned.signalCode === null;
      },
      pause: () => {
        spawned.kill("SIGSTOP");
      },
      resume: () => {
        spawned.kill("SIGCONT");
      },
      async kill() {
        if (spawned.exitCode === null && spawned.signalCode === null) {
          spawned.kill("SIGKILL");
          await exited(spawned);
        }
      },
      async stop() {
        await stopProcess();
        if (!removed) {
          removed = true;
          await rm(dir, { recursive: true, force: true });
        }
        await unlock();
      },
      output: () => output,
    };
  } catch (error) {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited(child);
    }
    await rm(dir, { recursive: true, force: true });
    await unlock();
    throw error;
  }
}
