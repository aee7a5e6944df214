// The command, minus the process: arguments in, text out, an exit code back. main.ts binds it
// to the real process; keeping I/O injected makes the colour and exit-code rules one function.
// Exit codes: 0 a certificate is used, 1 none is, 2 bad input (usage, snapshot, files),
// 3 a bug (an exception nobody anticipated: reported in one line, never as a stack trace).
import { readFile } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { AnonymousTlsError } from "../errors.js";
import type { CertStore, Directory, Edition, Selection } from "../types.js";
import { parseThumbprint } from "../x509/thumbprint.js";
import { parseAt } from "./dates.js";
import { EXIT, HELP, PROGRAM } from "./help.js";
import { InputError } from "./input-error.js";
import type { JsonChanges, JsonDecision, JsonOutput } from "./output.js";
// Type-only: the snapshot loader, the selections (the certificate parser, path validation, most
// of the modules a process start loads), the explanation and the JSON projection (which read
// TlsCertificateNames with the X.509 name code) are imported by `explain` when it runs, so
// `--help`, `--version`, `schema` and `serve --help` never load them (issue 14).
import type { Direction, Process, Snapshot, SourcedEntry } from "./snapshot.js";

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (colour is only for terminals). */
  readonly isTTY: boolean;
  readonly cwd: string;
}

export { EXIT };

// Assets sit beside the code both in src/ (tsx) and in dist/ (the build copies them).
const DEMO_SNAPSHOT = fileURLToPath(new URL("../demo/snapshot.json", import.meta.url));
const SCHEMAS = {
  snapshot: new URL("./snapshot.schema.json", import.meta.url),
  output: new URL("./output.schema.json", import.meta.url),
} as const;
const PACKAGE_JSON = new URL("../../package.json", import.meta.url);

interface Flags {
  readonly json: boolean;
  /** --inbound, --starttls, --starttls-outbound: which side. */
  readonly direction: Direction;
  /** --starttls / --starttls-outbound: STARTTLS (S1–S11); otherwise anonymous TLS. */
  readonly process: Process;
  /** --edition: overrides the snapshot's (E1–E6). */
  readonly edition: Edition | undefined;
  readonly at: string | undefined;
  /** A21: --revocation soft|hard (default: soft when the snapshot has CRLs, else none). */
  readonly revocation: "soft" | "hard" | undefined;
  /** A3: --profile rfc5280|strict. */
  readonly profile: "rfc5280" | "strict";
  readonly without: readonly string[];
  readonly with: readonly string[];
}

/** Runs the command; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof InputError) {
      const [first, ...rest] = error.problems;
      if (rest.length === 0) io.stderr(`${PROGRAM}: ${first}\n`);
      else {
        io.stderr(
          `${PROGRAM}: ${error.file ?? "input"}: ${error.problems.length} problems\n${error.problems.map((p) => `  ${p}\n`).join("")}`,
        );
      }
      return EXIT.badInput;
    }
    if (error instanceof AnonymousTlsError) {
      // The snapshot checks should catch everything the library refuses; if one slips through
      // it is still bad input, not a crash.
      io.stderr(`${PROGRAM}: ${error.message}\n`);
      return EXIT.badInput;
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    io.stderr(`${PROGRAM}: internal error: ${message}\n(this is a bug; please report it)\n`);
    return EXIT.bug;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  // serve has options of its own (serve.ts parses them); loaded only when asked for.
  if (argv[0] === "serve") return (await import("./serve.js")).runServe(argv.slice(1), io);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new InputError([`${(error as Error).message} (see ${PROGRAM} --help)`]);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(HELP);
    return 0;
  }
  if (values.version === true) {
    const pkg = JSON.parse(await readFile(PACKAGE_JSON, "utf8")) as { version?: unknown };
    io.stdout(`${String(pkg.version)}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  switch (command) {
    case "explain":
      if (rest.length > 1) {
        throw new InputError([
          `explain takes one snapshot file, got ${rest.length}: ${rest.join(" ")}`,
        ]);
      }
      return explain(rest[0], toFlags(values), io);
    case "schema":
      return schema(rest, io);
    case "help":
      io.stdout(HELP);
      return 0;
    case undefined:
      io.stderr(HELP);
      return EXIT.badInput;
    default:
      throw new InputError([`unknown command ${JSON.stringify(command)} (see ${PROGRAM} --help)`]);
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: "boolean" },
      inbound: { type: "boolean" },
      starttls: { type: "boolean" },
      "starttls-outbound": { type: "boolean" },
      edition: { type: "string" },
      at: { type: "string" },
      revocation: { type: "string" },
      profile: { type: "string" },
      without: { type: "string", multiple: true },
      with: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
    },
  });
}

function toFlags(values: ReturnType<typeof parse>["values"]): Flags {
  const starttls = values.starttls === true;
  const starttlsOutbound = values["starttls-outbound"] === true;
  // --starttls is the receiving side's STARTTLS, so --inbound may go with it; the sending
  // side's cannot go with either.
  if (starttlsOutbound && (starttls || values.inbound === true)) {
    throw new InputError([
      `--starttls-outbound is the sending side: it cannot go with ${starttls ? "--starttls" : "--inbound"} (see ${PROGRAM} --help)`,
    ]);
  }
  return {
    json: values.json === true,
    direction: starttlsOutbound
      ? "outbound"
      : starttls || values.inbound === true
        ? "inbound"
        : "outbound",
    process: starttls || starttlsOutbound ? "starttls" : "anonymous-tls",
    edition: oneOf("--edition", values.edition, ["2007", "2016"] as const),
    at: values.at,
    revocation: oneOf("--revocation", values.revocation, ["soft", "hard"] as const),
    profile: oneOf("--profile", values.profile, ["rfc5280", "strict"] as const) ?? "rfc5280",
    without: values.without ?? [],
    with: values.with ?? [],
  };
}

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InputError([`${flag} must be ${allowed.join(" or ")}, got ${JSON.stringify(value)}`]);
}

async function schema(args: readonly string[], io: CliIo): Promise<number> {
  const which = args[0] ?? "snapshot";
  if (args.length > 1 || (which !== "snapshot" && which !== "output")) {
    throw new InputError([`schema takes "snapshot" or "output", got ${args.join(" ")}`]);
  }
  io.stdout(await readFile(SCHEMAS[which], "utf8"));
  return 0;
}

/** NO_COLOR (no-color.org) wins; FORCE_COLOR forces; otherwise only a terminal gets colour. */
export function useColor(io: Pick<CliIo, "env" | "isTTY">): boolean {
  const noColor = io.env.NO_COLOR;
  if (noColor !== undefined && noColor !== "") return false;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined && force !== "" && force !== "0" && force !== "false") return true;
  return io.isTTY;
}

async function explain(file: string | undefined, flags: Flags, io: CliIo): Promise<number> {
  const { direction } = flags;
  const path = file === undefined ? DEMO_SNAPSHOT : resolve(io.cwd, file);
  const displayName = file ?? demoName(io.cwd);
  const [
    { loadSnapshot },
    { explainSelection },
    { changesBetween, jsonDecision, jsonValidation, OUTPUT_VERSION },
  ] = await Promise.all([
    import("./snapshot.js"),
    import("../exchange/explain.js"),
    import("./output.js"),
  ]);
  const snapshot = await loadSnapshot(path, {
    direction,
    process: flags.process,
    displayName,
    ...(flags.edition !== undefined ? { edition: flags.edition } : {}),
  });

  // A4: one `now` for every decision of this run.
  const base = snapshot.evaluatedAt ?? new Date();
  let now = base;
  if (flags.at !== undefined) {
    const at = parseAt(flags.at, base);
    if (!at.ok) throw new InputError([`--at: ${at.problem}`]);
    now = at.date;
  }

  const whatIf = flags.with.length > 0 || flags.without.length > 0;
  const after = whatIf ? await applyWhatIf(snapshot.store, flags, io.cwd) : snapshot.store;

  const beforeSelection = whatIf
    ? await decide(snapshot, snapshot.store, direction, now, flags)
    : null;
  const afterSelection = await decide(snapshot, after, direction, now, flags);
  const exitCode = afterSelection.outcome === "selected" ? EXIT.used : EXIT.none;

  const decision = jsonDecision(
    afterSelection,
    after.map((e) => e.source),
  );
  const before =
    beforeSelection === null
      ? null
      : jsonDecision(
          beforeSelection,
          snapshot.store.map((e) => e.source),
        );

  if (flags.json) {
    const output: JsonOutput = {
      version: OUTPUT_VERSION,
      snapshot: displayName,
      description: snapshot.description ?? null,
      direction,
      process: flags.process,
      edition: snapshot.edition,
      whatIf:
        before === null
          ? null
          : {
              without: flags.without.map((t) => parseThumbprint(t)),
              with: [...flags.with],
              before,
              changes: changesBetween(before, decision),
            },
      decision,
      validation: jsonValidation(flags.profile, revocationMode(snapshot, flags), snapshot.crls),
      exitCode,
    };
    io.stdout(`${JSON.stringify(output, null, 2)}\n`);
    return exitCode;
  }

  const color = useColor(io);
  const bold = (text: string) => (color ? `\u001b[1m${text}\u001b[0m` : text);
  const lines: string[] = [];
  lines.push(`Snapshot: ${displayName}${snapshot.description ? ` (${snapshot.description})` : ""}`);
  const mode = revocationMode(snapshot, flags);
  if (flags.profile !== "rfc5280" || mode !== null) {
    // A3/A21: say how "valid PKI" was decided when it is not the default.
    const crls = `${snapshot.crls.length} CRL${snapshot.crls.length === 1 ? "" : "s"}`;
    lines.push(
      `Validation: profile ${flags.profile}${mode === null ? "" : `; revocation ${mode}, ${crls}`}`,
    );
  }
  if (beforeSelection === null || before === null) {
    lines.push("", explainSelection(afterSelection, { color }).trimEnd());
    lines.push(...sourcesLegend(after));
  } else {
    const changesText = describeWhatIf(flags);
    lines.push(`What if: ${changesText}`);
    lines.push("", bold("BEFORE"), explainSelection(beforeSelection, { color }).trimEnd());
    lines.push(...sourcesLegend(snapshot.store));
    lines.push(
      "",
      bold(`AFTER (${changesText})`),
      explainSelection(afterSelection, { color }).trimEnd(),
    );
    lines.push(...sourcesLegend(after));
    lines.push(
      "",
      bold("WHAT CHANGES"),
      ...changeLines(before, decision, changesBetween(before, decision)),
    );
  }
  io.stdout(`${lines.join("\n")}\n`);
  return exitCode;
}

/** A21: --revocation, else soft when the snapshot has CRLs; null: no revocation checking. */
function revocationMode(snapshot: Snapshot, flags: Flags): "soft" | "hard" | null {
  return flags.revocation ?? (snapshot.crls.length > 0 ? "soft" : null);
}

function revocationOptions(snapshot: Snapshot, flags: Flags) {
  const mode = revocationMode(snapshot, flags);
  return mode === null ? {} : { crls: snapshot.crls.map((c) => c.crl.der), revocationMode: mode };
}

/** The demo's path as the user would type it from here; absolute when it is not below cwd. */
function demoName(cwd: string): string {
  const path = relative(cwd, DEMO_SNAPSHOT);
  return path.startsWith("..") || isAbsolute(path) ? DEMO_SNAPSHOT : path;
}

function describeWhatIf(flags: Flags): string {
  return [
    ...flags.without.map((t) => `without ${parseThumbprint(t)}`),
    ...flags.with.map((f) => `with ${f}`),
  ].join(", ");
}

/** Where each store entry came from, when that is more than its position in `store`. */
function sourcesLegend(entries: readonly SourcedEntry[]): string[] {
  if (entries.every((e, index) => e.source === `store[${index}]`)) return [];
  return ["", "Sources:", ...entries.map((e, index) => `  ${String(index).padEnd(3)}${e.source}`)];
}

function changeLines(before: JsonDecision, after: JsonDecision, changes: JsonChanges): string[] {
  if (!changes.changed) return ["  Nothing changes."];
  const name = (t: string | null) => t ?? "none";
  const lines: string[] = [];
  const arrow = (label: string, a: string, b: string) =>
    lines.push(`  ${label}: ${a === b ? `${a} (unchanged)` : `${a} -> ${b}`}`);
  arrow("Outcome", changes.outcome.before, changes.outcome.after);
  const yesNo = (value: boolean | null) => (value ? "yes" : "no");
  if (after.process === "anonymous-tls") {
    arrow(
      "X-ANONYMOUSTLS",
      yesNo(changes.advertiseAnonymousTls.before),
      yesNo(changes.advertiseAnonymousTls.after),
    );
  } else if (after.direction === "inbound") {
    // S1, S3–S8: whether the EHLO response offers STARTTLS.
    arrow(
      "STARTTLS advertised",
      yesNo(changes.advertiseStartTls.before),
      yesNo(changes.advertiseStartTls.after),
    );
  } else {
    // S10, S11: negotiated (with or without a client certificate), or the session fails.
    arrow(
      "STARTTLS negotiated",
      yesNo(changes.negotiateStartTls.before),
      yesNo(changes.negotiateStartTls.after),
    );
  }
  arrow(
    "Certificate used",
    name(changes.certificateUsed.before),
    name(changes.certificateUsed.after),
  );
  // Only the sending side ranks, and only when it gets that far: "none" would misstate the rest.
  const best = (d: JsonDecision) =>
    d.outcome === "selected" ? name(d.bestCandidate) : "(not ranked: the process stopped first)";
  if (after.process === "anonymous-tls" && after.direction === "outbound") {
    arrow("Best candidate", best(before), best(after));
  }
  if (changes.eventsRaised.length > 0)
    lines.push(`  Events raised: ${changes.eventsRaised.join(", ")}`);
  if (changes.eventsCleared.length > 0) {
    lines.push(`  Events no longer logged: ${changes.eventsCleared.join(", ")}`);
  }
  return lines;
}

async function applyWhatIf(
  store: readonly SourcedEntry[],
  flags: Flags,
  cwd: string,
): Promise<readonly SourcedEntry[]> {
  const { readExtraCertificate } = await import("./snapshot.js");
  const problems: string[] = [];
  let entries = [...store];
  for (const text of flags.without) {
    let thumbprint: string;
    try {
      thumbprint = parseThumbprint(text);
    } catch (error) {
      problems.push(`--without ${JSON.stringify(text)}: ${(error as Error).message}`);
      continue;
    }
    const kept = entries.filter((e) => e.certificate.thumbprint !== thumbprint);
    // A thumbprint that matches nothing is almost always a typo; saying "nothing changes" would
    // hide it.
    if (kept.length === entries.length) {
      problems.push(`--without ${thumbprint}: no certificate in the store has this thumbprint`);
    }
    entries = kept;
  }
  for (const file of flags.with) {
    let extra: SourcedEntry;
    try {
      extra = await readExtraCertificate(file, cwd);
    } catch (error) {
      if (error instanceof InputError) {
        problems.push(...error.problems);
        continue;
      }
      throw error;
    }
    if (entries.some((e) => e.certificate.thumbprint === extra.certificate.thumbprint)) {
      problems.push(
        `--with ${file}: certificate ${extra.certificate.thumbprint} is already in the store`,
      );
      continue;
    }
    entries.push(extra);
  }
  if (problems.length > 0) throw new InputError(problems);
  return entries;
}

async function decide(
  snapshot: Snapshot,
  entries: readonly SourcedEntry[],
  direction: Direction,
  now: Date,
  flags: Flags,
): Promise<Selection> {
  const store: CertStore = { list: () => entries.map((e) => e.entry) };
  if (flags.process === "starttls") return decideStartTls(snapshot, store, direction, now, flags);
  const value = snapshot.directory;
  const directory: Directory = { readInternalTransportCertificate: async () => value };
  const common = {
    directory,
    store,
    edition: snapshot.edition,
    now,
    trustAnchors: snapshot.trustAnchors,
    intermediates: snapshot.intermediates,
    profile: flags.profile,
    ...revocationOptions(snapshot, flags),
    ...(snapshot.phase !== undefined ? { phase: snapshot.phase } : {}),
  };
  // Each side's selection is imported when it runs: a process start pays per module (issue 14).
  if (direction === "inbound") {
    const { selectInboundAnonymousTlsCert } = await import("../exchange/inbound-anonymous.js");
    // parseSnapshot required the receive connector for the inbound direction.
    return selectInboundAnonymousTlsCert({
      ...common,
      receiveConnector: snapshot.receiveConnector!,
    });
  }
  const { selectOutboundAnonymousTlsCert } = await import("../exchange/outbound-anonymous.js");
  // parseSnapshot required the role, the connector's gate settings and the server names here;
  // the connector's STARTTLS settings are not the anonymous process's.
  const connector = snapshot.sendConnector!;
  return selectOutboundAnonymousTlsCert({
    ...common,
    role: snapshot.role!,
    sendConnector: {
      smartHostAuthMechanism: connector.smartHostAuthMechanism!,
      addressSpaces: connector.addressSpaces!,
    },
    server: snapshot.server!,
    wildcardNames: snapshot.wildcardNames,
    ...(snapshot.deliveryType !== undefined ? { deliveryType: snapshot.deliveryType } : {}),
  });
}

/** S1–S11: STARTTLS of the snapshot's Receive connector (inbound) or Send connector (outbound). */
async function decideStartTls(
  snapshot: Snapshot,
  store: CertStore,
  direction: Direction,
  now: Date,
  flags: Flags,
): Promise<Selection> {
  const common = {
    store,
    edition: snapshot.edition,
    now,
    // parseSnapshot required the physical FQDN for STARTTLS (S2, S10).
    server: { physicalFqdn: snapshot.physicalFqdn! },
    trustAnchors: snapshot.trustAnchors,
    intermediates: snapshot.intermediates,
    wildcardNames: snapshot.wildcardNames,
    profile: flags.profile,
    ...revocationOptions(snapshot, flags),
    ...(snapshot.phase !== undefined ? { phase: snapshot.phase } : {}),
  };
  if (direction === "inbound") {
    const { selectInboundStartTlsCert } = await import("../exchange/inbound-starttls.js");
    // parseSnapshot required the receive connector for inbound STARTTLS.
    return selectInboundStartTlsCert({ ...common, receiveConnector: snapshot.receiveConnector! });
  }
  const { selectOutboundStartTlsCert } = await import("../exchange/outbound-starttls.js");
  const connector = snapshot.sendConnector ?? {};
  return selectOutboundStartTlsCert({
    ...common,
    sendConnector: {
      ...(connector.fqdn !== undefined ? { fqdn: connector.fqdn } : {}),
      ...(connector.tlsCertificateName !== undefined
        ? { tlsCertificateName: connector.tlsCertificateName }
        : {}),
      ...(connector.name !== undefined ? { name: connector.name } : {}),
    },
  });
}
