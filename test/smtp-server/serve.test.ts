// `exchange-anonymous-tls serve` as a process (issue 14, item 3), driven by clients nobody here
// wrote: swaks (plain SMTP and STARTTLS) and `openssl s_client` (the anonymous-TLS handshake, and
// `-starttls smtp`). The receiver's certificate comes from a folder store (I3) named by the
// directory (I2); STARTTLS's is the one the inbound STARTTLS selection (S1–S9) chooses from the
// same folder for the connector's Fqdn, checked against selectInboundStartTlsCert and against
// `openssl x509 -fingerprint -sha1` of what the client saw. The log must show each EHLO decision
// and handshake; a hostile session must not stop it; SIGINT and SIGTERM stop it cleanly. .ci/run
// installs swaks and openssl when missing.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { createFolderStore } from "../../src/adapters/folder-store.js";
import { smtpCommand } from "../../src/adapters/tls.js";
import { selectInboundStartTlsCert } from "../../src/index.js";
import { FIXTURE_DIR, fixture, manifest } from "../support/fixtures.js";
import { connectTo, upToHandshake, upToStartTls, withDeadline } from "./support.js";

const MAIN = join(FIXTURE_DIR, "..", "..", "src", "cli", "main.ts");
const RECEIVER = "self-signed";
const SENDER = "leaf-ec";
/** What S6 picks from the folder for mail.contoso.com: the newest self-signed certificate. */
const STARTTLS = "self-signed-newest";
const CONNECTOR_FQDN = "mail.contoso.com";

function keyFile(name: string): string {
  return join(FIXTURE_DIR, "keys", `${manifest.certificates[name]!.key}.pem`);
}

/**
 * A folder store holding the receiver's certificate (the directory's, for X-ANONYMOUSTLS) and a
 * newer one for the same name (STARTTLS's), each with its key (<stem>.key).
 */
function folderStore(): string {
  const dir = mkdtempSync(join(tmpdir(), "eatls-serve-"));
  copyFileSync(join(FIXTURE_DIR, manifest.certificates[RECEIVER]!.file), join(dir, "edge.pem"));
  copyFileSync(keyFile(RECEIVER), join(dir, "edge.key"));
  copyFileSync(join(FIXTURE_DIR, manifest.certificates[STARTTLS]!.file), join(dir, "smtp.pem"));
  copyFileSync(keyFile(STARTTLS), join(dir, "smtp.key"));
  return dir;
}

interface Serve {
  readonly child: ChildProcess;
  readonly port: number;
  log(): string;
  /** Resolves once the log has a line matching `pattern`. */
  waitFor(pattern: RegExp, ms?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

async function startServe(
  extra: readonly string[] = ["--connector-fqdn", CONNECTOR_FQDN],
  store: string = folderStore(),
  inputs: readonly string[] = ["--directory", fixture(RECEIVER).thumbprint],
): Promise<Serve> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      MAIN,
      "serve",
      "--store",
      store,
      ...inputs,
      "--listen",
      "127.0.0.1:0",
      "--name",
      "hub01.contoso.com",
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  running.push(child);
  let out = "";
  let err = "";
  const listeners: (() => void)[] = [];
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
    for (const listener of listeners) listener();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (pattern: RegExp, ms = 20_000) =>
    withDeadline(
      new Promise<string>((resolve) => {
        const check = () => {
          const line = out.split("\n").find((l) => pattern.test(l));
          if (line !== undefined) resolve(line);
        };
        listeners.push(check);
        check();
      }),
      ms,
      `serve never logged ${pattern}; stdout:\n${out}\nstderr:\n${err}`,
    );
  const listening = await waitFor(/ listening on /);
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(listening)?.[1]);
  return { child, port, log: () => out, waitFor, exited };
}

function run(
  command: string,
  args: readonly string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, [...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : (error as { code?: unknown }).code;
      if (typeof code !== "number") reject(error ?? new Error("no exit code"));
      else resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

function swaks(port: number, ...extra: string[]) {
  return run("swaks", [
    "--server",
    "127.0.0.1",
    "--port",
    String(port),
    "--ehlo",
    "edge01.contoso.com",
    "--from",
    "postmaster@edge01.contoso.com",
    "--to",
    "postmaster@hub01.contoso.com",
    "--timeout",
    "10",
    ...extra,
  ]);
}

/** Resolves with the log's lines matching `pattern` once there are `count` of them. */
async function linesOf(serve: Serve, pattern: RegExp, count: number, ms = 20_000) {
  const matching = () =>
    serve
      .log()
      .split("\n")
      .filter((line) => pattern.test(line));
  const deadline = Date.now() + ms;
  while (matching().length < count) {
    if (Date.now() > deadline) {
      throw new Error(`serve logged ${matching().length} of ${count} ${pattern}:\n${serve.log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return matching();
}

/** s_client against 127.0.0.1:`port` with the sender's certificate; no -ign_eof (see below). */
function sClientWithCertificate(port: number, ...extra: string[]) {
  return run(
    "openssl",
    [
      "s_client",
      ...extra,
      "-connect",
      `127.0.0.1:${port}`,
      "-cert",
      join(FIXTURE_DIR, manifest.certificates[SENDER]!.file),
      "-key",
      keyFile(SENDER),
    ],
    "QUIT\r\n",
  );
}

/** The first certificate in s_client's output, as a thumbprint. */
function servedThumbprint(stdout: string): string {
  const pem = servedPem(stdout);
  return new X509Certificate(pem).fingerprint.replaceAll(":", "");
}

function servedPem(stdout: string): string {
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout)?.[0];
  expect(pem).toBeDefined();
  return pem!;
}

/** OpenSSL's own SHA-1 fingerprint of a PEM certificate, as a thumbprint (the outside oracle). */
async function opensslThumbprint(pem: string): Promise<string> {
  const ran = await run("openssl", ["x509", "-noout", "-fingerprint", "-sha1"], pem);
  expect(ran.code, ran.stderr).toBe(0);
  const hex = /Fingerprint=([0-9A-F:]+)/i.exec(ran.stdout)?.[1];
  expect(hex).toBeDefined();
  return hex!.replaceAll(":", "").toUpperCase();
}

/** What the library's plain function chooses from `folder` for the connector (the oracle). */
async function chosenForStartTls(folder: string, fqdn: string | undefined): Promise<string> {
  const selection = await selectInboundStartTlsCert({
    receiveConnector: { authMechanism: "Tls, ExchangeServer", ...(fqdn ? { fqdn } : {}) },
    server: { physicalFqdn: "hub01.contoso.com" },
    store: createFolderStore(folder),
  });
  if (selection.outcome !== "selected") throw new Error(`oracle: ${selection.outcome}`);
  return selection.thumbprint;
}

describe("exchange-anonymous-tls serve", () => {
  it("swaks: EHLO lists X-ANONYMOUSTLS, the message is accepted, the decision is logged (I1–I4)", async () => {
    const serve = await startServe();
    const ran = await swaks(serve.port);
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/^<- {2}250-X-ANONYMOUSTLS\s*$|^<- {2}250 X-ANONYMOUSTLS\s*$/m);
    expect(ran.stdout).toMatch(/^<- {2}250 OK/m);
    const ehlo = await serve.waitFor(/ ehlo /);
    expect(ehlo).toContain('EHLO "edge01.contoso.com": X-ANONYMOUSTLS offered');
    expect(ehlo).toContain(`certificate ${fixture(RECEIVER).thumbprint}`);
    await serve.waitFor(/ message .* accepted, discarded/);
  });

  it("openssl s_client completes the anonymous-TLS handshake after X-ANONYMOUSTLS: the selected certificate, the peer's logged", async () => {
    const serve = await startServe();
    // The plaintext part (EHLO, X-ANONYMOUSTLS, 220) is ours; from the 220 on, the socket is
    // spliced to s_client, which does the TLS handshake itself and sends QUIT inside TLS.
    const upstream = await upToHandshake(serve.port);
    upstream.resume();
    const relay = createServer((client: Socket) => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("error", () => {});
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = relay.address() as AddressInfo;
      const ran = await run(
        "openssl",
        [
          "s_client",
          "-connect",
          `127.0.0.1:${port}`,
          "-cert",
          join(FIXTURE_DIR, manifest.certificates[SENDER]!.file),
          "-key",
          keyFile(SENDER),
          "-ign_eof",
        ],
        "EHLO edge01.contoso.com\r\nQUIT\r\n",
      );
      expect(servedThumbprint(ran.stdout)).toBe(fixture(RECEIVER).thumbprint);
      expect(ran.stdout).toMatch(/New, TLSv1\.3|Protocol\s*:\s*TLSv1\.[23]/);
      // Inside TLS the session was reset (RFC 3207 §4.2): EHLO again works, QUIT closes it.
      expect(ran.stdout).toMatch(/^221 /m);
      const tls = await serve.waitFor(/ tls .* X-ANONYMOUSTLS /);
      expect(tls).toMatch(/X-ANONYMOUSTLS TLSv1\.3, /);
      expect(serve.log()).not.toMatch(/ tls \S+ STARTTLS /);
      expect(tls).toContain(`presented ${fixture(RECEIVER).thumbprint}`);
      expect(tls).toContain(`peer ${fixture(SENDER).thumbprint}`);
    } finally {
      relay.close();
      upstream.destroy();
    }
  });

  it("openssl s_client -starttls smtp and swaks --tls: STARTTLS presents the certificate selectInboundStartTlsCert chose (S1–S9)", async () => {
    const store = folderStore();
    const serve = await startServe(["--connector-fqdn", CONNECTOR_FQDN], store);
    expect(await serve.waitFor(/ listening on /)).toContain(
      `STARTTLS: certificate ${fixture(STARTTLS).thumbprint} for ${CONNECTOR_FQDN}`,
    );
    const ran = await run(
      "openssl",
      ["s_client", "-starttls", "smtp", "-connect", `127.0.0.1:${serve.port}`, "-ign_eof"],
      "QUIT\r\n",
    );
    expect(ran.stdout).toMatch(/^221 /m);
    const seen = await opensslThumbprint(servedPem(ran.stdout));
    expect(seen).toBe(await chosenForStartTls(store, CONNECTOR_FQDN));
    expect(seen).toBe(fixture(STARTTLS).thumbprint);
    // Not the X-ANONYMOUSTLS certificate: another process chose it.
    expect(seen).not.toBe(fixture(RECEIVER).thumbprint);
    const tls = await swaks(serve.port, "--tls");
    expect(tls.code, tls.stdout + tls.stderr).toBe(0);
    expect(tls.stdout).toMatch(/TLS started/);
    // Inside TLS swaks marks the server's lines "<~".
    expect(tls.stdout).toMatch(/^<~ {2}250 OK/m);
    // Both EHLO decisions and both handshakes are logged as STARTTLS, none as ours.
    const offered = await serve.waitFor(/ ehlo .* STARTTLS offered/);
    expect(offered).toContain(
      `STARTTLS offered, certificate ${fixture(STARTTLS).thumbprint} (connector-fqdn ${CONNECTOR_FQDN})`,
    );
    await serve.waitFor(/ tls \S+ STARTTLS TLSv1\.3, presented \S+, peer sent no certificate/);
    expect(serve.log().match(/ tls \S+ STARTTLS TLSv1\.3, presented ([0-9A-F]{40})/g)).toEqual([
      expect.stringContaining(fixture(STARTTLS).thumbprint),
      expect.stringContaining(fixture(STARTTLS).thumbprint),
    ]);
    expect(serve.log()).not.toMatch(/ X-ANONYMOUSTLS TLS/);
  });

  it("openssl s_client -starttls smtp with a client certificate: the peer's thumbprint is logged", async () => {
    const serve = await startServe();
    const ran = await run(
      "openssl",
      [
        "s_client",
        "-starttls",
        "smtp",
        "-connect",
        `127.0.0.1:${serve.port}`,
        "-cert",
        join(FIXTURE_DIR, manifest.certificates[SENDER]!.file),
        "-key",
        keyFile(SENDER),
        "-ign_eof",
      ],
      "QUIT\r\n",
    );
    expect(servedThumbprint(ran.stdout)).toBe(fixture(STARTTLS).thumbprint);
    const tls = await serve.waitFor(/ tls \S+ STARTTLS /);
    expect(tls).toContain(
      `presented ${fixture(STARTTLS).thumbprint}, peer ${fixture(SENDER).thumbprint}`,
    );
  });

  // Without -ign_eof s_client closes as soon as stdin ends, right after the handshake, and swaks's
  // --drop-after TLS drops the connection there: the socket is gone by the time smtp-server's
  // onSecure has called back, so what is logged must have been read when the handshake completed
  // (it once read "STARTTLS ?, … peer sent no certificate" in most runs).
  it("clients that close right after the handshake (s_client without -ign_eof, swaks --drop-after TLS): every STARTTLS handshake is logged with the peer's thumbprint and the protocol", async () => {
    const serve = await startServe();
    const runs = 5;
    for (let i = 0; i < runs; i += 1) {
      const ran = await sClientWithCertificate(serve.port, "-starttls", "smtp");
      expect(servedThumbprint(ran.stdout)).toBe(fixture(STARTTLS).thumbprint);
      const tls = await swaks(
        serve.port,
        "--tls",
        "--tls-cert",
        join(FIXTURE_DIR, manifest.certificates[SENDER]!.file),
        "--tls-key",
        keyFile(SENDER),
        "--drop-after",
        "TLS",
      );
      expect(tls.stdout).toMatch(/TLS started/);
    }
    const logged = await linesOf(serve, / tls \S+ STARTTLS /, 2 * runs);
    for (const line of logged) {
      expect(line).toMatch(
        new RegExp(
          ` STARTTLS TLSv1\\.[23], presented ${fixture(STARTTLS).thumbprint}, peer ${fixture(SENDER).thumbprint}$`,
        ),
      );
    }
    // One line per handshake, each of its own session.
    expect(new Set(logged.map((line) => line.split(" ")[2])).size).toBe(2 * runs);
  });

  it("s_client closing right after the X-ANONYMOUSTLS handshake: every handshake is logged with the peer's thumbprint and the protocol", async () => {
    const serve = await startServe();
    const runs = 5;
    for (let i = 0; i < runs; i += 1) {
      const upstream = await upToHandshake(serve.port);
      const relay = createServer((client: Socket) => {
        client.pipe(upstream);
        upstream.pipe(client);
        client.on("error", () => {});
      });
      upstream.on("error", () => {});
      await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = relay.address() as AddressInfo;
        const ran = await sClientWithCertificate(port);
        expect(servedThumbprint(ran.stdout)).toBe(fixture(RECEIVER).thumbprint);
      } finally {
        relay.close();
        upstream.destroy();
      }
    }
    const logged = await linesOf(serve, / tls \S+ X-ANONYMOUSTLS /, runs);
    for (const line of logged) {
      expect(line).toMatch(
        new RegExp(
          ` X-ANONYMOUSTLS TLSv1\\.3, presented ${fixture(RECEIVER).thumbprint}, peer ${fixture(SENDER).thumbprint}$`,
        ),
      );
    }
  });

  it("a snapshot without private keys (as Get-ExchangeCertificate exports it): the start-up line says the selected certificates cannot be offered, and why; EHLO lists neither", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eatls-snapshot-"));
    const snapshot = join(dir, "snapshot.json");
    const exported = (name: string) => ({
      Thumbprint: fixture(name).thumbprint,
      RawData: Buffer.from(fixture(name).der).toString("base64"),
      HasPrivateKey: true,
      Services: "IIS, SMTP",
    });
    writeFileSync(
      snapshot,
      JSON.stringify({
        receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: CONNECTOR_FQDN },
        directory: { thumbprint: fixture(RECEIVER).thumbprint },
        store: [exported(RECEIVER), exported(STARTTLS)],
      }),
    );
    const child = spawn(
      process.execPath,
      ["--import", "tsx", MAIN, "serve", "--snapshot", snapshot, "--listen", "127.0.0.1:0"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    running.push(child);
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    const line = await withDeadline(
      new Promise<string>((resolve) => {
        child.stdout!.on("data", () => {
          const found = out.split("\n").find((l) => l.includes(" listening on "));
          if (found !== undefined) resolve(found);
        });
      }),
      20_000,
      "serve never listened",
    );
    const noKey =
      "not offered: its private key is not available (a snapshot carries no private keys: serve from a folder with --store";
    expect(line).toContain(
      `certificate ${fixture(RECEIVER).thumbprint} selected at start-up, ${noKey}`,
    );
    expect(line).toContain(
      `STARTTLS: certificate ${fixture(STARTTLS).thumbprint} for ${CONNECTOR_FQDN}, ${noKey}`,
    );
    // And indeed no EHLO offers either.
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(line)?.[1]);
    const plain = await swaks(port);
    expect(plain.code, plain.stdout).toBe(0);
    expect(plain.stdout).not.toMatch(/^<- {2}250[- ]STARTTLS/m);
    expect(plain.stdout).not.toMatch(/^<- {2}250[- ]X-ANONYMOUSTLS/m);
    expect(out).toMatch(/X-ANONYMOUSTLS not offered \(no-private-key-material\)/);
  });

  it("keys beside the certificates (--store): the start-up line promises nothing it cannot keep", async () => {
    const serve = await startServe();
    const line = await serve.waitFor(/ listening on /);
    expect(line).not.toContain("not offered");
    expect(line).toContain(`certificate ${fixture(RECEIVER).thumbprint} selected at start-up;`);
  });

  it("a snapshot's Receive connector (Fqdn, name) decides STARTTLS: none carries the name, so swaks --tls is refused and 12014 is logged", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eatls-snapshot-"));
    const snapshot = join(dir, "snapshot.json");
    writeFileSync(
      snapshot,
      JSON.stringify({
        receiveConnector: {
          authMechanism: "Tls, ExchangeServer",
          fqdn: "smtp.fabrikam.com",
          name: "HUB01\\Internet",
        },
        directory: { thumbprint: fixture(RECEIVER).thumbprint },
        store: [],
      }),
    );
    const serve = await startServe([], folderStore(), ["--snapshot", snapshot]);
    expect(await serve.waitFor(/ listening on /)).toContain(
      "STARTTLS: no certificate for smtp.fabrikam.com: no-matching-certificate",
    );
    const tls = await swaks(serve.port, "--tls");
    expect(tls.code).not.toBe(0);
    expect(tls.stdout + tls.stderr).toMatch(/STARTTLS/);
    expect(await serve.waitFor(/ ehlo .* STARTTLS not offered/)).toContain(
      "STARTTLS not offered (no-matching-certificate)",
    );
    await serve.waitFor(/ event \S+ 12014$/m);
    // X-ANONYMOUSTLS is still offered to the same sessions.
    expect(serve.log()).toMatch(/X-ANONYMOUSTLS offered/);
    // The greeting names the connector's Fqdn unless --name says otherwise (here it does).
    const plain = await swaks(serve.port);
    expect(plain.code, plain.stdout).toBe(0);
    expect(plain.stdout).not.toMatch(/^<- {2}250-STARTTLS/m);
  });

  it("a snapshot's connector Fqdn naming the certificate: STARTTLS offered with it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eatls-snapshot-"));
    const snapshot = join(dir, "snapshot.json");
    writeFileSync(
      snapshot,
      JSON.stringify({
        receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: CONNECTOR_FQDN },
        directory: { thumbprint: fixture(RECEIVER).thumbprint },
        store: [],
      }),
    );
    const serve = await startServe([], folderStore(), ["--snapshot", snapshot]);
    const ran = await run(
      "openssl",
      ["s_client", "-starttls", "smtp", "-connect", `127.0.0.1:${serve.port}`, "-ign_eof"],
      "QUIT\r\n",
    );
    expect(await opensslThumbprint(servedPem(ran.stdout))).toBe(fixture(STARTTLS).thumbprint);
  });

  it("E3: a 2016 snapshot's TlsCertificateName wins over the connector's Fqdn", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eatls-snapshot-"));
    const snapshot = join(dir, "snapshot.json");
    const name = "<I>CN=mail.contoso.com<S>CN=mail.contoso.com";
    writeFileSync(
      snapshot,
      JSON.stringify({
        edition: "2016",
        receiveConnector: {
          authMechanism: "Tls, ExchangeServer",
          fqdn: "smtp.fabrikam.com",
          tlsCertificateName: name,
        },
        directory: { thumbprint: fixture(RECEIVER).thumbprint },
        store: [],
      }),
    );
    const serve = await startServe([], folderStore(), ["--snapshot", snapshot]);
    const ran = await run(
      "openssl",
      ["s_client", "-starttls", "smtp", "-connect", `127.0.0.1:${serve.port}`, "-ign_eof"],
      "QUIT\r\n",
    );
    expect(await opensslThumbprint(servedPem(ran.stdout))).toBe(fixture(STARTTLS).thumbprint);
    expect(await serve.waitFor(/ ehlo .* STARTTLS offered/)).toContain(
      `(tlsCertificateName ${name})`,
    );
  });

  it("E3 misuse: a TlsCertificateName with --edition 2007 is exit 2 with one line, not a crash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eatls-snapshot-"));
    const snapshot = join(dir, "snapshot.json");
    writeFileSync(
      snapshot,
      JSON.stringify({
        receiveConnector: {
          authMechanism: "Tls, ExchangeServer",
          tlsCertificateName: "<I>CN=mail.contoso.com<S>CN=mail.contoso.com",
        },
        directory: { thumbprint: fixture(RECEIVER).thumbprint },
        store: [],
      }),
    );
    const ran = await run(process.execPath, [
      "--import",
      "tsx",
      MAIN,
      "serve",
      "--snapshot",
      snapshot,
      "--store",
      folderStore(),
      "--edition",
      "2007",
      "--listen",
      "127.0.0.1:0",
    ]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/TlsCertificateName|tlsCertificateName/);
    expect(ran.stderr).not.toMatch(/^\s+at /m);
  });

  it("S8 with --at after every certificate expired: STARTTLS still offered, logged as expired, 12016", async () => {
    const serve = await startServe([
      "--connector-fqdn",
      CONNECTOR_FQDN,
      "--at",
      "2060-01-01T00:00:00Z",
    ]);
    const tls = await swaks(serve.port, "--tls");
    expect(tls.code, tls.stdout + tls.stderr).toBe(0);
    expect(await serve.waitFor(/ ehlo .* STARTTLS offered/)).toContain(
      `certificate ${fixture(STARTTLS).thumbprint} (connector-fqdn ${CONNECTOR_FQDN}), expired (S8)`,
    );
    await serve.waitFor(/ event \S+ 12016$/m);
  });

  it("a hostile STARTTLS session (plaintext after its 220) is logged with its session and code; serve goes on", async () => {
    const serve = await startServe();
    const socket = await upToStartTls(serve.port);
    socket.write("MAIL FROM:<a@b.example>\r\n");
    const error = await serve.waitFor(/ error \S+ ERR_SESSION_TLS: /);
    expect(error).not.toContain(" error server ");
    socket.destroy();
    const ran = await swaks(serve.port, "--tls");
    expect(ran.code, ran.stdout).toBe(0);
    expect(serve.child.exitCode).toBeNull();
  });

  it("--no-starttls: STARTTLS is neither listed nor accepted", async () => {
    const serve = await startServe(["--connector-fqdn", CONNECTOR_FQDN, "--no-starttls"]);
    expect(await serve.waitFor(/ listening on /)).toContain("STARTTLS: off");
    const socket = await connectTo(serve.port);
    await smtpCommand(socket, null, { timeout: 5_000 });
    const ehlo = await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5_000 });
    expect(ehlo.lines.slice(1)).not.toContain("STARTTLS");
    expect((await smtpCommand(socket, "STARTTLS", { timeout: 5_000 })).code).toBe(500);
    socket.destroy();
  });

  it("a hostile session (plaintext after the 220) is logged with its session and code; serve goes on", async () => {
    const serve = await startServe();
    const socket = await upToHandshake(serve.port);
    socket.write("MAIL FROM:<a@b.example>\r\n");
    const error = await serve.waitFor(/ error \S+ ERR_SESSION_TLS: /);
    expect(error).not.toContain(" error server ");
    socket.destroy();
    const ran = await swaks(serve.port);
    expect(ran.code, ran.stdout).toBe(0);
    expect(serve.child.exitCode).toBeNull();
  });

  it.each(["SIGINT", "SIGTERM"] as const)(
    "%s stops it cleanly: exit 0, 'stopped', open sessions closed",
    async (signal) => {
      const serve = await startServe();
      // An idle session still open when the signal arrives.
      const idle = await connectTo(serve.port);
      idle.resume();
      serve.child.kill(signal);
      const exit = await withDeadline(serve.exited, 10_000, "serve did not stop");
      expect(exit).toEqual({ code: 0, signal: null });
      expect(serve.log()).toContain(`stopping (${signal})`);
      expect(serve.log()).toMatch(/ stopped\n$/);
    },
  );

  it.each([
    [[], /needs --snapshot <file> or --store <folder>/],
    [["--store", "x"], /--store without --snapshot needs --directory/],
    [
      ["--store", "x", "--directory", "AB", "--listen", "nowhere"],
      /--listen nowhere: expected host:port/,
    ],
    [["--bogus"], /serve: Unknown option '--bogus'/],
    [
      ["--store", "x", "--directory", "AB", "--edition", "2010"],
      /--edition 2010: expected 2007 or 2016/,
    ],
    [["--starttls-cert", "c.pem"], /serve: Unknown option '--starttls-cert'/],
  ])("bad arguments %j: exit 2 with a one-line reason", async (args, message) => {
    const ran = await run(process.execPath, ["--import", "tsx", MAIN, "serve", ...args]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(message);
    expect(ran.stderr).not.toMatch(/^\s+at /m);
  });

  it("serve --help needs no input and lists the options", async () => {
    const ran = await run(process.execPath, ["--import", "tsx", MAIN, "serve", "--help"]);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain("--listen <host:port>");
    for (const flag of [
      "--connector-fqdn <name>",
      "--physical-fqdn <name>",
      "--edition <2007|2016>",
      "--no-starttls",
    ]) {
      expect(ran.stdout).toContain(flag);
    }
    expect(ran.stdout).not.toContain("--starttls-cert");
  });
});
