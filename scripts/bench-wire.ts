// Issue 14's figures for `npm run bench`, measured in the bench's own run:
// - handshake_ratio: full loopback sessions (greeting, EHLO, X-ANONYMOUSTLS, TLS handshake with a
//   client certificate, QUIT inside TLS) against (a) smtp-server with the same hook and a fixed,
//   pre-built SecureContext (no selection at all) and (b) the shipped receiver
//   (`exchange-anonymous-tls/smtp-server`: the prepared selector at every EHLO, one context per
//   decision). Throughput (b) ÷ throughput (a). Sessions run C at a time, so the 100 ms that
//   smtp-server waits before each greeting (early-talker detection) overlaps and the CPU is what
//   is measured. Rounds alternate a and b; the ratio is the median of the rounds' ratios.
//   handshake_ratio_context_per_session is the same with a context built per session (what the
//   example did before issue 14), for comparison.
// - cli_help_ratio, cli_explain_ratio: wall time of `--help` and `explain` (the demo) as whole
//   processes of the BUILT command (compiled here into .bench-cache/cli-dist), each ÷ `node -e 0`,
//   medians of interleaved runs.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { createSecureContext, connect as tlsConnect } from "node:tls";
import { fileURLToPath } from "node:url";

import { SMTPServer } from "smtp-server";
import { installAnonymousTls, type Offer } from "../src/adapters/smtp-server/hook.js";
import { createAnonymousTlsServer } from "../src/adapters/smtp-server/server.js";
import { smtpCommand, toTlsOptions } from "../src/adapters/tls.js";
import { selectInboundAnonymousTlsCert } from "../src/exchange/inbound-anonymous.js";
import type { Selected } from "../src/types.js";
import { entry, fixture, memoryStore, NOW, staticDirectory } from "../test/support/fixtures.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const RECEIVER = "leaf-rsa";
const SENDER = "leaf-ec";

function selectionOptions() {
  return {
    receiveConnector: { authMechanism: "Tls, ExchangeServer" },
    directory: staticDirectory(fixture(RECEIVER).thumbprint),
    store: memoryStore([entry(RECEIVER, { withKey: true })]),
    trustAnchors: [fixture("root-rsa").der],
    intermediates: [fixture("inter-rsa").der],
    now: NOW,
  };
}

interface Running {
  readonly port: number;
  close(): Promise<void>;
}

/** (a) and (c): the hook on a bare SMTPServer, offering one selection; no selection per session. */
async function fixedServer(selected: Selected, contextPerSession: boolean): Promise<Running> {
  const fixed: Offer = {
    selection: selected,
    secureContext: createSecureContext(toTlsOptions(selected)),
  };
  const smtp = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
  });
  installAnonymousTls(smtp, {
    offer: async () =>
      contextPerSession
        ? { selection: selected, secureContext: createSecureContext(toTlsOptions(selected)) }
        : fixed,
    // Like the receiver, which reads the peer's chain only when someone listens.
    peerChain: false,
    onUpgraded() {},
    onError() {},
  });
  return listen(smtp, () => new Promise((resolve) => smtp.close(() => resolve())));
}

/** (b): the shipped receiver. */
async function integrationServer(): Promise<Running> {
  const server = await createAnonymousTlsServer({
    selection: selectionOptions(),
    smtp: { disabledCommands: ["AUTH"] },
  });
  return listen(server.smtp, () => server.close());
}

async function listen(smtp: SMTPServer, close: () => Promise<void>): Promise<Running> {
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const address = smtp.server.address();
  if (address === null || typeof address === "string") throw new Error("no address");
  return { port: address.port, close };
}

async function session(port: number): Promise<void> {
  const socket: Socket = connect(port, "127.0.0.1");
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    await smtpCommand(socket, null, { timeout: 30_000 });
    const ehlo = await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 30_000 });
    if (!ehlo.lines.includes("X-ANONYMOUSTLS")) throw new Error("X-ANONYMOUSTLS not offered");
    const go = await smtpCommand(socket, "X-ANONYMOUSTLS", { timeout: 30_000 });
    if (go.code !== 220) throw new Error(`X-ANONYMOUSTLS: ${go.code}`);
    const tlsSocket = tlsConnect({
      socket,
      cert: fixture(SENDER).pem,
      key: fixture(SENDER).keyPem,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    await new Promise<void>((resolve, reject) => {
      tlsSocket.once("secureConnect", resolve);
      tlsSocket.once("error", reject);
    });
    const quit = await smtpCommand(tlsSocket, "QUIT", { timeout: 30_000 });
    if (quit.code !== 221) throw new Error(`QUIT: ${quit.code}`);
    tlsSocket.destroy();
  } finally {
    socket.destroy();
  }
}

/** Sessions per second: `total` sessions, `concurrency` at a time. */
async function throughput(port: number, total: number, concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        await session(port);
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export interface HandshakeFigures {
  readonly fixedPerSecond: number;
  readonly integrationPerSecond: number;
  readonly ratio: number;
  readonly contextPerSessionRatio: number;
}

export async function measureHandshakes(quick: boolean): Promise<HandshakeFigures> {
  const selected = await selectInboundAnonymousTlsCert(selectionOptions());
  if (selected.outcome !== "selected") throw new Error(`handshake bench: ${selected.outcome}`);
  const fixed = await fixedServer(selected, false);
  const perSession = await fixedServer(selected, true);
  const integration = await integrationServer();
  const total = quick ? 150 : 400;
  const concurrency = 50;
  const rounds = quick ? 4 : 8;
  try {
    // Warm-up: JIT, the selector's first decision, the context cache.
    for (const server of [fixed, perSession, integration, fixed, integration]) {
      await throughput(server.port, 100, 50);
    }
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternating the order cancels a drift of the machine's load between a and b.
      const order = round % 2 === 0 ? ([a, b, c] as const) : ([c, b, a] as const);
      for (const figures of order) {
        const server = figures === a ? fixed : figures === b ? integration : perSession;
        figures.push(await throughput(server.port, total, concurrency));
      }
    }
    return {
      fixedPerSecond: median(a),
      integrationPerSecond: median(b),
      ratio: median(b.map((v, i) => v / a[i]!)),
      contextPerSessionRatio: median(c.map((v, i) => v / a[i]!)),
    };
  } finally {
    await Promise.all([fixed.close(), perSession.close(), integration.close()]);
  }
}

export interface CliFigures {
  readonly nodeMs: number;
  readonly helpMs: number;
  readonly explainMs: number;
}

/** Compiles the command into .bench-cache/cli-dist and times whole processes. */
export function measureCli(quick: boolean): CliFigures {
  const out = join(ROOT, ".bench-cache", "cli-dist");
  rmSync(out, { recursive: true, force: true });
  // tsc emits even when it reports type errors (a work in progress elsewhere must not stop the
  // bench); what matters is that the command was emitted.
  spawnSync(
    process.execPath,
    [
      join(ROOT, "node_modules", "typescript", "bin", "tsc"),
      "-p",
      "tsconfig.json",
      "--outDir",
      out,
    ],
    { cwd: ROOT, stdio: "ignore" },
  );
  if (!existsSync(join(out, "cli", "main.js"))) throw new Error("the command did not compile");
  for (const asset of [
    "cli/snapshot.schema.json",
    "cli/output.schema.json",
    "demo/snapshot.json",
  ]) {
    mkdirSync(dirname(join(out, asset)), { recursive: true });
    copyFileSync(join(ROOT, "src", asset), join(out, asset));
  }
  const main = join(out, "cli", "main.js");
  const time = (args: readonly string[], okCodes: readonly number[]) => {
    const started = performance.now();
    const ran = spawnSync(process.execPath, [...args], { stdio: "ignore" });
    const ms = performance.now() - started;
    if (!okCodes.includes(ran.status ?? -1)) throw new Error(`${args.join(" ")}: ${ran.status}`);
    return ms;
  };
  const runs = quick ? 7 : 15;
  const node: number[] = [];
  const help: number[] = [];
  const explain: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    // The first of each is a warm-up (file-system cache).
    const n = time(["-e", "0"], [0]);
    const h = time([main, "--help"], [0]);
    // The demo's decision is "none used" (exit 1, event 1037) by design.
    const e = time([main, "explain"], [0, 1]);
    if (i === 0) continue;
    node.push(n);
    help.push(h);
    explain.push(e);
  }
  return { nodeMs: median(node), helpMs: median(help), explainMs: median(explain) };
}
