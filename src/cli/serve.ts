// `exchange-anonymous-tls serve`: a runnable anonymous-TLS receiver (issue 14, item 3) on
// `exchange-anonymous-tls/smtp-server`. It lists X-ANONYMOUSTLS when the inbound selection
// (I1–I4) yields a certificate with its key, and STARTTLS when the inbound STARTTLS selection
// (S1–S9) does, presenting that certificate; logs every EHLO decision, handshake, selection event
// and session error as one line on stdout, accepts mail and discards it, and stops cleanly on
// SIGINT or SIGTERM. Q&A:
// Q: where do the inputs come from?
// A: a snapshot (the Receive connector, msExchServerInternalTLSCert, trust anchors, the store),
//    and/or a folder store (`--store`): certificates with their keys as <stem>.key, read again at
//    every EHLO, so a renewal dropped into the folder is picked up without a restart. A snapshot
//    store that is a list of exported certificates has no keys: nothing can be offered from it.
// Q: what time is it?  A: the wall clock at each EHLO (a server runs now); `--at` pins it (A4).
// Q: STARTTLS?  A: the inbound STARTTLS selection's, per the Receive connector (AuthMechanism for
//    S1, Fqdn for S2, TlsCertificateName for E3) and the server's physical FQDN, at every EHLO
//    like X-ANONYMOUSTLS; `--no-starttls` turns it off. No separate key or certificate: the
//    certificate is the one the selection chose, with its key from the store.
// Q: the connector's Fqdn, TlsCertificateName, name, the edition, the physical FQDN?
// A: the snapshot's (receiveConnector, edition, server.physicalFqdn); the flags override them.
//    Without them S2 looks for the physical FQDN, which defaults to --name, else this host's.
import { hostname } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

import { AnonymousTlsError } from "../errors.js";
import type {
  CertStore,
  DirectoryValue,
  Edition,
  InboundStartTlsSelection,
  ReceiveConnector,
} from "../types.js";
import { parseAt } from "./dates.js";
import { PROGRAM } from "./help.js";
import { InputError } from "./input-error.js";
import type { CliIo } from "./run.js";

export const SERVE_HELP = `Usage: ${PROGRAM} serve [--snapshot snapshot.json] [--store <folder>] [options]

Runs an SMTP receiver that offers X-ANONYMOUSTLS (Exchange 2007 anonymous TLS) with the
certificate the inbound selection chooses, and STARTTLS with the certificate the inbound
STARTTLS selection chooses (per the Receive connector's Fqdn), and logs each EHLO decision and
handshake. Mail is accepted and discarded. Stops on SIGINT or SIGTERM.

Options:
  --snapshot <file>         the server's snapshot (receiveConnector, directory, store, trust)
  --store <folder>          a folder of certificates with their keys (<name>.pem + <name>.key),
                            read at every EHLO; replaces the snapshot's store
  --directory <thumbprint>  msExchServerInternalTLSCert, when there is no snapshot
  --auth-mechanism <names>  the Receive connector's AuthMechanism, when there is no snapshot
                            (default "Tls, ExchangeServer")
  --connector-fqdn <name>   the Receive connector's Fqdn: the name STARTTLS's certificate must
                            carry (default: the snapshot's, else the physical FQDN)
  --physical-fqdn <name>    this server's physical FQDN (default: the snapshot's server, else
                            --name, else this host's name)
  --edition <2007|2016>     which Exchange's process runs (default: the snapshot's, else 2007)
  --no-starttls             never offer STARTTLS
  --listen <host:port>      where to listen (default 127.0.0.1:2525; port 0: any free port)
  --name <fqdn>             the name in the greeting and EHLO reply (default: this host's)
  --at <date>               evaluate at this time instead of the wall clock at each EHLO
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
      "connector-fqdn": { type: "string" },
      "physical-fqdn": { type: "string" },
      edition: { type: "string" },
      "no-starttls": { type: "boolean" },
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
  if (values.edition !== undefined && values.edition !== "2007" && values.edition !== "2016") {
    problems.push(`--edition ${values.edition}: expected 2007 or 2016`);
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
  let edition: Edition | undefined;
  let snapshotPhysicalFqdn: string | undefined;
  if (values.snapshot !== undefined) {
    const { loadSnapshot } = await import("./snapshot.js");
    const file = resolve(io.cwd, values.snapshot);
    const snapshot = await loadSnapshot(file, {
      direction: "inbound",
      displayName: values.snapshot,
      // The loader's edition-dependent checks (E3) then use the edition the run uses.
      ...(values.edition === "2007" || values.edition === "2016"
        ? { edition: values.edition }
        : {}),
    });
    receiveConnector = snapshot.receiveConnector ?? receiveConnector;
    edition = snapshot.edition;
    snapshotPhysicalFqdn = snapshot.physicalFqdn;
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
  if (values["connector-fqdn"] !== undefined) {
    receiveConnector = { ...receiveConnector, fqdn: values["connector-fqdn"] };
  }
  if (values.edition === "2007" || values.edition === "2016") edition = values.edition;
  const physicalFqdn = values["physical-fqdn"] ?? snapshotPhysicalFqdn ?? values.name ?? hostname();

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
  const directory = { readInternalTransportCertificate: async () => directoryValue };
  // An InvalidSettingError (a malformed Fqdn or TlsCertificateName, one in the 2007 edition) is
  // the operator's input, not a crash: one line, exit 2.
  let server: Awaited<ReturnType<typeof receiver.createAnonymousTlsServer>>;
  try {
    server = await receiver.createAnonymousTlsServer({
      selection: {
        receiveConnector,
        directory,
        store: store!,
        trustAnchors,
        intermediates,
        server: { physicalFqdn },
        ...(edition === undefined ? {} : { edition }),
        ...(at === undefined ? {} : { now: at }),
      },
      startTls: values["no-starttls"] !== true,
      smtp: {
        // Exchange greets with the Receive connector's Fqdn.
        name: values.name ?? receiveConnector.fqdn ?? hostname(),
        closeTimeout: 3_000,
        onData(stream, session, callback) {
          let size = 0;
          stream.on("data", (chunk: Buffer) => {
            size += chunk.length;
          });
          stream.on("end", () => {
            const from =
              session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address;
            const to = session.envelope.rcptTo.map((r) => r.address).join(",");
            log(
              `message ${session.id} from <${from}> to <${to}> ${size} bytes: accepted, discarded`,
            );
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
      onStartTlsDecision(decision) {
        const { session } = decision;
        const who = `${session.id} ${session.remoteAddress}:${session.remotePort} EHLO ${JSON.stringify(decision.ehlo)}`;
        if (decision.offered && decision.selection.outcome === "selected") {
          const chosen = decision.selection;
          // S8: an expired certificate is still presented; E4 (2016): so is one not enabled for
          // SMTP (a real server's TLS then fails). Both are worth a word in the log.
          const notes = [
            ...(chosen.expired ? ["expired (S8)"] : []),
            ...(chosen.smtpEnabled ? [] : ["not enabled for SMTP (E4)"]),
          ];
          log(
            `ehlo ${who}: STARTTLS offered, certificate ${chosen.thumbprint} (${chosen.lookedFor.source} ${chosen.lookedFor.name})${notes.length > 0 ? `, ${notes.join(", ")}` : ""}`,
          );
        } else {
          log(`ehlo ${who}: STARTTLS not offered (${decision.reason ?? "?"})`);
        }
      },
      onStartTls(session) {
        log(
          `tls ${session.session.id} STARTTLS ${session.protocol ?? "?"}, presented ${session.selection.thumbprint}, peer ${session.peerThumbprint ?? "sent no certificate"}`,
        );
      },
      onAnonymousTls(session) {
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
  } catch (error) {
    // The package's own errors (InvalidSettingError…) are about the input; anything else is a bug.
    if (error instanceof AnonymousTlsError) throw new InputError([`serve: ${error.message}`]);
    throw error;
  }
  const startup = server.startup;
  let address: { address: string; port: number };
  try {
    address = await server.listen(listen.port, listen.host);
  } catch (error) {
    throw new InputError([`--listen ${listen.host}:${listen.port}: ${(error as Error).message}`]);
  }
  // A selected certificate is offered only with a usable key (A9). A snapshot holds none (it
  // records HasPrivateKey, as Get-ExchangeCertificate does), so "selected" alone would promise TLS
  // that no EHLO lists: say so, and where a key can come from.
  const keySource =
    values.store !== undefined
      ? `put its key beside it in ${values.store} as <name>.key`
      : values.snapshot !== undefined
        ? "a snapshot carries no private keys: serve from a folder with --store (each certificate's key beside it as <name>.key)"
        : "give --store a folder with each certificate's key beside it as <name>.key";
  const unoffered = (offer: { readonly offered: boolean; readonly reason?: string } | null) => {
    if (offer === null || offer.offered) return "";
    if (offer.reason === "no-private-key-material") {
      return `, not offered: its private key is not available (${keySource})`;
    }
    if (offer.reason === "private-key-unusable") {
      return ", not offered: its private key cannot be used by TLS (malformed, or not this certificate's)";
    }
    return "";
  };
  const what =
    startup.outcome === "selected"
      ? `certificate ${startup.thumbprint} selected at start-up${unoffered(server.startupOffer)}`
      : startup.outcome === "not-attempted"
        ? `not attempted: gate ${startup.failed.join(", ")} not met`
        : `no certificate: ${startup.reason}`;
  const startTls = `${describeStartTls(server.startupStartTls)}${
    server.startupStartTls?.outcome === "selected" ? unoffered(server.startupStartTlsOffer) : ""
  }`;
  log(`listening on ${address.address}:${address.port} (${what}; STARTTLS: ${startTls})`);

  const signal = await stop;
  log(`stopping (${signal})`);
  await server.close();
  log("stopped");
  return 0;
}

function describeStartTls(selection: InboundStartTlsSelection | null): string {
  if (selection === null) return "off";
  switch (selection.outcome) {
    case "selected":
      return `certificate ${selection.thumbprint} for ${selection.lookedFor.name}`;
    case "not-attempted":
      return `not attempted: gate ${selection.failed.join(", ")} not met`;
    default:
      return `no certificate for ${selection.lookedFor.name}: ${selection.reason}`;
  }
}
