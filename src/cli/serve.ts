// `exchange-anonymous-tls serve`: a runnable anonymous-TLS receiver (issue 14, item 3) on
// `exchange-anonymous-tls/smtp-server`. It lists X-ANONYMOUSTLS when the inbound selection
// (I1–I4) yields a certificate with its key, logs every EHLO decision, handshake, selection event
// and session error as one line on stdout, accepts mail and discards it, and stops cleanly on
// SIGINT or SIGTERM. Q&A:
// Q: where do the inputs come from?
// A: a snapshot (the Receive connector, msExchServerInternalTLSCert, trust anchors, the store),
//    and/or a folder store (`--store`): certificates with their keys as <stem>.key, read again at
//    every EHLO, so a renewal dropped into the folder is picked up without a restart. A snapshot
//    store that is a list of exported certificates has no keys: nothing can be offered from it.
// Q: what time is it?  A: the wall clock at each EHLO (a server runs now); `--at` pins it (A4).
// Q: STARTTLS?  A: off, unless `--starttls-cert`/`--starttls-key` give it a certificate of its
//    own (the STARTTLS selection is not built yet).
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { TLSSocket } from "node:tls";
import { parseArgs } from "node:util";

import type { CertStore, DirectoryValue, ReceiveConnector } from "../types.js";
import { parseAt } from "./dates.js";
import { PROGRAM } from "./help.js";
import { InputError } from "./input-error.js";
import type { CliIo } from "./run.js";

export const SERVE_HELP = `Usage: ${PROGRAM} serve [--snapshot snapshot.json] [--store <folder>] [options]

Runs an SMTP receiver that offers X-ANONYMOUSTLS (Exchange 2007 anonymous TLS) with the
certificate the inbound selection chooses, and logs each EHLO decision and handshake. Mail is
accepted and discarded. Stops on SIGINT or SIGTERM.

Options:
  --snapshot <file>         the server's snapshot (receiveConnector, directory, store, trust)
  --store <folder>          a folder of certificates with their keys (<name>.pem + <name>.key),
                            read at every EHLO; replaces the snapshot's store
  --directory <thumbprint>  msExchServerInternalTLSCert, when there is no snapshot
  --auth-mechanism <names>  the Receive connector's AuthMechanism, when there is no snapshot
                            (default "Tls, ExchangeServer")
  --listen <host:port>      where to listen (default 127.0.0.1:2525; port 0: any free port)
  --name <fqdn>             the name in the greeting and EHLO reply (default: this host's)
  --at <date>               evaluate at this time instead of the wall clock at each EHLO
  --starttls-cert <file>    PEM certificate for STARTTLS (with --starttls-key); default: no STARTTLS
  --starttls-key <file>     its PEM private key
  -h, --help                show this help
`;

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: false,
    strict: true,
    options: {
      snapshot: { type: "string" },
      store: { type: "string" },
      directory: { type: "string" },
      "auth-mechanism": { type: "string" },
      listen: { type: "string" },
      name: { type: "string" },
      at: { type: "string" },
      "starttls-cert": { type: "string" },
      "starttls-key": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** host:port, [v6]:port; the port 0–65535. */
export function parseListen(text: string): { host: string; port: number } | null {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  if (match === null) return null;
  const port = Number(match[3]);
  if (port > 65_535) return null;
  return { host: match[1] ?? match[2] ?? "", port };
}

/** Resolves when the process is told to stop (SIGINT, SIGTERM), with the signal's name. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveStop) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolveStop(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** Runs the receiver until `stop` resolves. Throws InputError for bad arguments or inputs. */
export async function runServe(
  argv: readonly string[],
  io: CliIo,
  stop: Promise<string> = stopSignal(),
): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new InputError([`serve: ${(error as Error).message} (see ${PROGRAM} serve --help)`]);
  }
  if (values.help === true) {
    io.stdout(SERVE_HELP);
    return 0;
  }
  const problems: string[] = [];
  const listen = parseListen(values.listen ?? "127.0.0.1:2525");
  if (listen === null) problems.push(`--listen ${values.listen}: expected host:port`);
  if (values.snapshot === undefined && values.store === undefined) {
    problems.push("serve needs --snapshot <file> or --store <folder>");
  }
  if (
    values.snapshot === undefined &&
    values.store !== undefined &&
    values.directory === undefined
  ) {
    problems.push("--store without --snapshot needs --directory <thumbprint>");
  }
  if (values.snapshot !== undefined && values.directory !== undefined) {
    problems.push("--directory is for --store without a snapshot (the snapshot has a directory)");
  }
  if ((values["starttls-cert"] === undefined) !== (values["starttls-key"] === undefined)) {
    problems.push("--starttls-cert and --starttls-key go together");
  }
  let at: Date | undefined;
  if (values.at !== undefined) {
    const parsed = parseAt(values.at, new Date());
    if (!parsed.ok) problems.push(`--at: ${parsed.problem}`);
    else at = parsed.date;
  }
  if (problems.length > 0 || listen === null) throw new InputError(problems);

  // The selection inputs: the snapshot's, then the folder store and flags over them.
  let receiveConnector: ReceiveConnector = {
    authMechanism: values["auth-mechanism"] ?? "Tls, ExchangeServer",
  };
  let directoryValue: DirectoryValue = values.directory ?? null;
  let store: CertStore | undefined;
  let trustAnchors: readonly Uint8Array[] = [];
  let intermediates: readonly Uint8Array[] = [];
  if (values.snapshot !== undefined) {
    const { loadSnapshot } = await import("./snapshot.js");
    const snapshot = await loadSnapshot(resolve(io.cwd, values.snapshot), {
      direction: "inbound",
      displayName: values.snapshot,
    });
    receiveConnector = snapshot.receiveConnector ?? receiveConnector;
    directoryValue = snapshot.directory;
    const entries = snapshot.store.map((e) => e.entry);
    store = { list: () => entries };
    trustAnchors = snapshot.trustAnchors;
    intermediates = snapshot.intermediates;
  }
  if (values.store !== undefined) {
    const { createFolderStore } = await import("../adapters/folder-store.js");
    store = createFolderStore(resolve(io.cwd, values.store));
  }
  let starttls: { key: string; cert: string } | undefined;
  if (values["starttls-cert"] !== undefined && values["starttls-key"] !== undefined) {
    try {
      starttls = {
        cert: await readFile(resolve(io.cwd, values["starttls-cert"]), "utf8"),
        key: await readFile(resolve(io.cwd, values["starttls-key"]), "utf8"),
      };
    } catch (error) {
      throw new InputError([`STARTTLS certificate: ${(error as Error).message}`]);
    }
  }

  let receiver: typeof import("../adapters/smtp-server/index.js");
  try {
    receiver = await import("../adapters/smtp-server/index.js");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_MISSING_PEER_DEPENDENCY") {
      throw new InputError([(error as Error).message]);
    }
    throw error;
  }

  const log = (line: string) => io.stdout(`${new Date().toISOString()} ${line}\n`);
  // Sessions whose handshake was X-ANONYMOUSTLS (logged by onAnonymousTls); the others are STARTTLS.
  const anonymous = new Set<string>();
  const { peerCertificateChain } = await import("../adapters/tls.js");
  const directory = { readInternalTransportCertificate: async () => directoryValue };
  const server = await receiver.createAnonymousTlsServer({
    selection: {
      receiveConnector,
      directory,
      store: store!,
      trustAnchors,
      intermediates,
      ...(at === undefined ? {} : { now: at }),
    },
    smtp: {
      name: values.name ?? hostname(),
      closeTimeout: 3_000,
      ...(starttls ?? {}),
      // smtp-server calls onSecure after every handshake, STARTTLS and X-ANONYMOUSTLS alike; the
      // receiver's onAnonymousTls runs synchronously inside the callback, so what it did not
      // claim was STARTTLS.
      onSecure(socket, session, callback) {
        callback();
        if (anonymous.delete(session.id) || !(socket instanceof TLSSocket)) return;
        const peer = peerCertificateChain(socket)[0]?.thumbprint ?? "sent no certificate";
        log(`tls ${session.id} STARTTLS ${socket.getProtocol() ?? "?"}, peer ${peer}`);
      },
      onData(stream, session, callback) {
        let size = 0;
        stream.on("data", (chunk: Buffer) => {
          size += chunk.length;
        });
        stream.on("end", () => {
          const from = session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address;
          const to = session.envelope.rcptTo.map((r) => r.address).join(",");
          log(`message ${session.id} from <${from}> to <${to}> ${size} bytes: accepted, discarded`);
          callback();
        });
      },
    },
    onEhlo(decision) {
      const { session } = decision;
      const who = `${session.id} ${session.remoteAddress}:${session.remotePort} EHLO ${JSON.stringify(decision.ehlo)}`;
      if (decision.offered && decision.selection.outcome === "selected") {
        log(`ehlo ${who}: X-ANONYMOUSTLS offered, certificate ${decision.selection.thumbprint}`);
      } else {
        log(`ehlo ${who}: X-ANONYMOUSTLS not offered (${decision.reason ?? "?"})`);
      }
    },
    onAnonymousTls(session) {
      anonymous.add(session.session.id);
      log(
        `tls ${session.session.id} X-ANONYMOUSTLS ${session.protocol ?? "?"}, presented ${session.selection.thumbprint}, peer ${session.peerThumbprint ?? "sent no certificate"}`,
      );
    },
    onEvent(event, session) {
      log(`event ${session?.id ?? "startup"} ${event.id}`);
    },
    onError(error) {
      log(`error ${error.session?.id ?? "server"} ${error.code}: ${error.message}`);
    },
  });
  const startup = server.startup;
  let address: { address: string; port: number };
  try {
    address = await server.listen(listen.port, listen.host);
  } catch (error) {
    throw new InputError([`--listen ${listen.host}:${listen.port}: ${(error as Error).message}`]);
  }
  const what =
    startup.outcome === "selected"
      ? `certificate ${startup.thumbprint} selected at start-up`
      : startup.outcome === "not-attempted"
        ? `not attempted: gate ${startup.failed.join(", ")} not met`
        : `no certificate: ${startup.reason}`;
  log(`listening on ${address.address}:${address.port} (${what})`);

  const signal = await stop;
  log(`stopping (${signal})`);
  await server.close();
  log("stopped");
  return 0;
}
