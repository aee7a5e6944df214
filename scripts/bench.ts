// npm run bench [-- --quick]: the issue 9 figures, medians of one run (tinybench), with every
// ratio taken between tasks measured in this same process (for stores of 10 and 100, the median
// of the ratios of several rounds that alternate the tasks, so that a burst of load on the
// machine does not land on one side of a ratio only):
// - cold selection (the plain function: parse everything, validate paths) on stores of 10, 100,
//   1,000 and 10,000 certificates, against a native floor: node:crypto X509Certificate parse +
//   fingerprint of the same DER;
// - the prepared selector: its first session on a store, a store change (one entry replaced),
//   and a warm session (same listing, same slot);
// - path validation, cold and cached; memory retained per cached certificate;
// - issue 13 (scripts/bench-starttls.ts): warm inbound and outbound STARTTLS sessions of the
//   prepared selector at 1,000 certificates (the same ≤ 20 µs target as the anonymous ones);
// - issue 14 (scripts/bench-wire.ts): anonymous-TLS sessions through the shipped receiver against
//   a fixed pre-built context (handshake_ratio), and the built command's `--help` and `explain`
//   as whole processes against `node -e 0` (cli_help_ratio, cli_explain_ratio).
// The last line is one JSON object of the figures. Stores come from scripts/bench-fixtures.ts
// (generated once, cached in .bench-cache/).
import { X509Certificate } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import { Bench, type Task } from "tinybench";
import { TrustCache } from "../src/exchange/prepared/caches.js";
import { createSelector } from "../src/exchange/selector.js";
import { createTrustEvaluator } from "../src/exchange/trust.js";
import {
  type OutboundSelectionOptions,
  type StoreEntry,
  selectOutboundAnonymousTlsCert,
} from "../src/index.js";
import { parseCertificate } from "../src/x509/certificate.js";
import {
  BENCH_NOW,
  BENCH_SERVER,
  type BenchData,
  benchStore,
  loadBenchData,
} from "./bench-fixtures.js";
import { measureStartTls } from "./bench-starttls.js";
import { measureCli, measureHandshakes } from "./bench-wire.js";

const quick = process.argv.includes("--quick");
const SIZES = [10, 100, 1_000, 10_000] as const;

/** Time budget (ms) and minimum samples per task; big stores get fewer samples, not less care. */
function budget(size: number): { time: number; iterations: number } {
  if (quick) return { time: size >= 1_000 ? 50 : 150, iterations: size >= 10_000 ? 3 : 5 };
  return { time: size >= 10_000 ? 500 : 1_000, iterations: size >= 10_000 ? 7 : 20 };
}

function median(task: Task | undefined): number {
  const result = task?.result;
  if (result === undefined || result.state !== "completed") {
    throw new Error(`benchmark task ${task?.name} did not complete: ${result?.state}`);
  }
  return result.latency.p50;
}

/** The median of plain numbers. */
function middle(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function sessionOptions(thumbprint: string): Omit<OutboundSelectionOptions, "store"> {
  return {
    role: "EdgeTransport",
    sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:--;1"] },
    server: BENCH_SERVER,
    now: BENCH_NOW,
    directory: { readInternalTransportCertificate: async () => thumbprint },
  };
}

interface SizeFigures {
  size: number;
  native: number;
  cold: number;
  /** cold ÷ native: the median of the rounds' ratios (see measureSize). */
  coldRatio: number;
  preparedFirst: number;
  storeChange: number;
  warm: number;
  warmCopied: number;
}

async function measureSize(data: BenchData, size: number): Promise<SizeFigures> {
  const { entries, directoryThumbprint } = benchStore(data, size);
  const pool = { trustAnchors: data.trustAnchors, intermediates: data.intermediates };
  const options = sessionOptions(directoryThumbprint);
  const store = { list: () => entries };
  const ders = entries.map((e) => e.certificate as Uint8Array);

  // Sanity: the scenario selects the directory's certificate, like a healthy server.
  const check = await selectOutboundAnonymousTlsCert({ ...options, store, ...pool });
  if (check.outcome !== "selected") throw new Error(`size ${size}: ${check.outcome}`);

  // A store change: each session lists a different array than the previous one, the two
  // differing in one entry (a renewed certificate replacing an old one).
  const changed: StoreEntry[] = [...entries];
  changed[changed.length - 1] = data.entries[size] ?? { ...entries[0]!, services: ["IMAP"] };
  let flip = false;
  const changing = createSelector({
    store: {
      list: () => {
        flip = !flip;
        return flip ? changed : entries;
      },
    },
    ...pool,
  });
  await changing.selectOutbound(options);

  // Rounds (small stores): the tasks take a millisecond or a few, so a burst of load on the
  // machine during one task's window would skew one side of cold ÷ native. Each round measures
  // every task in turn, the order reversed every other round, and the ratio is the median of
  // the rounds' ratios (as for the sessions and the command, scripts/bench-wire.ts).
  const { time, iterations } = budget(size);
  const rounds = size <= 100 ? (quick ? 3 : 5) : 1;
  const tasks: readonly (readonly [string, () => unknown])[] = [
    [
      "native",
      () => {
        for (const der of ders) new X509Certificate(der).fingerprint;
      },
    ],
    ["cold", () => selectOutboundAnonymousTlsCert({ ...options, store, ...pool })],
    ["prepared first session", () => createSelector({ store, ...pool }).selectOutbound(options)],
    ["store change", () => changing.selectOutbound(options)],
  ];
  const perRound: Record<string, number>[] = [];
  for (let round = 0; round < rounds; round++) {
    const cold = new Bench({
      time: time / rounds,
      iterations: Math.ceil(iterations / rounds),
      warmupIterations: 1,
      warmupTime: 0,
    });
    for (const [name, fn] of round % 2 === 0 ? tasks : [...tasks].reverse()) cold.add(name, fn);
    await cold.run();
    perRound.push(Object.fromEntries(tasks.map(([name]) => [name, median(cold.getTask(name))])));
  }
  const across = (name: string) => middle(perRound.map((r) => r[name]!));

  // Warm: same listing, same slot. Enough samples for a stable median at microsecond scale.
  const warm = createSelector({ store, ...pool });
  const copied = createSelector({ store: { list: () => [...entries] }, ...pool });
  await warm.selectOutbound(options);
  await copied.selectOutbound(options);
  const hot = new Bench({ time: quick ? 300 : 1_500, iterations: 200, warmupIterations: 200 });
  hot
    .add("warm", () => warm.selectOutbound(options))
    .add("warm, new array each session", () => copied.selectOutbound(options));
  await hot.run();

  return {
    size,
    native: across("native"),
    cold: across("cold"),
    coldRatio: middle(perRound.map((r) => r["cold"]! / r["native"]!)),
    preparedFirst: across("prepared first session"),
    storeChange: across("store change"),
    warm: median(hot.getTask("warm")),
    warmCopied: median(hot.getTask("warm, new array each session")),
  };
}

async function measurePaths(
  data: BenchData,
): Promise<{ cold: number; revalidate: number; cached: number }> {
  // A depth-3 leaf (root → intermediate → leaf) that is valid PKI at BENCH_NOW.
  const intermediates = data.intermediates.map((der) => parseCertificate(der));
  const subjects = new Set(intermediates.map((c) => c.subjectKey));
  const index = data.entries.findIndex((e, i) => {
    if (!data.validPki[i]) return false;
    return subjects.has(parseCertificate(e.certificate).issuerKey);
  });
  const der = data.entries[index]!.certificate as Uint8Array;
  const anchors = data.trustAnchors.map((d) => parseCertificate(d));
  const leaf = parseCertificate(der);

  const warmEvaluator = createTrustEvaluator({ trustAnchors: anchors, intermediates });
  const cache = new TrustCache(anchors, intermediates);
  const verdict = await cache.evaluate(leaf, BENCH_NOW);
  if (verdict.verdict.kind !== "pki") throw new Error(`path: ${JSON.stringify(verdict.verdict)}`);
  await warmEvaluator.evaluate(leaf, BENCH_NOW);

  const bench = new Bench({ time: quick ? 300 : 1_500, iterations: 50 });
  bench
    .add("path validation, cold", () =>
      // Everything fresh: certificates parsed, keys imported, signatures checked, extensions read.
      createTrustEvaluator({
        trustAnchors: data.trustAnchors.map((d) => parseCertificate(d)),
        intermediates: data.intermediates.map((d) => parseCertificate(d)),
      }).evaluate(parseCertificate(der), BENCH_NOW),
    )
    .add("path validation, evaluator warm", () => warmEvaluator.evaluate(leaf, BENCH_NOW))
    .add("path validation, cached verdict", () => cache.evaluate(leaf, BENCH_NOW));
  await bench.run();
  return {
    cold: median(bench.getTask("path validation, cold")),
    revalidate: median(bench.getTask("path validation, evaluator warm")),
    cached: median(bench.getTask("path validation, cached verdict")),
  };
}

/** Bytes retained per certificate: a whole primed selector, and parse results alone. */
async function measureMemory(
  data: BenchData,
  size: number,
): Promise<{ selector: number; parsed: number }> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const used = () => {
    for (let i = 0; i < 3; i++) gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const { entries, directoryThumbprint } = benchStore(data, size);
  const pool = { trustAnchors: data.trustAnchors, intermediates: data.intermediates };

  let before = used();
  const selector = createSelector({ store: { list: () => entries }, ...pool });
  await selector.selectOutbound(sessionOptions(directoryThumbprint));
  const selectorBytes = (used() - before) / size;
  if (selector.stats().parsed !== size) throw new Error("memory: not every certificate was parsed");

  before = used();
  const parsed = entries.map((e) => parseCertificate(new Uint8Array(e.certificate as Uint8Array)));
  const parsedBytes = (used() - before) / size;
  if (parsed.length !== size) throw new Error("unreachable");
  return { selector: Math.round(selectorBytes), parsed: Math.round(parsedBytes) };
}

// --- Main --------------------------------------------------------------------------------------

const started = Date.now();
const data = await loadBenchData();
const figures: SizeFigures[] = [];
for (const size of SIZES) {
  process.stderr.write(`measuring ${size}…\n`);
  figures.push(await measureSize(data, size));
}
process.stderr.write("measuring path validation and memory…\n");
const paths = await measurePaths(data);
process.stderr.write("measuring warm STARTTLS sessions…\n");
const starttls = await measureStartTls(data, 1_000, quick, median);
const memory = await measureMemory(data, quick ? 1_000 : 10_000);
process.stderr.write("measuring anonymous-TLS sessions and the command…\n");
const handshakes = await measureHandshakes(quick);
const cli = measureCli(quick);

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const us = (v: number) => (v * 1000).toFixed(1);
console.log(`\nmedians of one run (${quick ? "--quick" : "full"}), Node ${process.version}\n`);
console.log(
  "| store | native floor | cold (plain) | cold ÷ native | prepared, 1st session | store change | warm session | warm, new array |",
);
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const f of figures) {
  console.log(
    `| ${f.size.toLocaleString("en")} | ${ms(f.native)} ms | ${ms(f.cold)} ms | ${f.coldRatio.toFixed(2)}× | ${ms(f.preparedFirst)} ms | ${ms(f.storeChange)} ms | ${us(f.warm)} µs | ${us(f.warmCopied)} µs |`,
  );
}
console.log(
  `\npath validation (depth 3): cold ${us(paths.cold)} µs, evaluator warm ${us(paths.revalidate)} µs, cached verdict ${us(paths.cached)} µs`,
);
console.log(
  `warm STARTTLS sessions (1,000 certificates): inbound ${us(starttls.inboundWarm)} µs, outbound ${us(starttls.outboundWarm)} µs`,
);
console.log(
  `memory retained per certificate (${quick ? "1,000" : "10,000"} certificates): primed selector ${memory.selector} B, parse result alone ${memory.parsed} B`,
);

console.log(
  `anonymous-TLS sessions (EHLO, X-ANONYMOUSTLS, handshake, QUIT): fixed context ${handshakes.fixedPerSecond.toFixed(0)}/s, receiver ${handshakes.integrationPerSecond.toFixed(0)}/s, ratio ${handshakes.ratio.toFixed(2)} (a context per session: ${handshakes.contextPerSessionRatio.toFixed(2)})`,
);
console.log(
  `command (built, whole process): node -e 0 ${cli.nodeMs.toFixed(0)} ms, --help ${cli.helpMs.toFixed(0)} ms (${(cli.helpMs / cli.nodeMs).toFixed(2)}×), explain ${cli.explainMs.toFixed(0)} ms (${(cli.explainMs / cli.nodeMs).toFixed(2)}×)`,
);

const at = (size: number) => figures.find((f) => f.size === size)!;
const warmFlat = at(10_000).warm / at(10).warm;
const targets = {
  warm_1000_le_20us: at(1_000).warm * 1000 <= 20,
  starttls_warm_1000_le_20us: Math.max(starttls.inboundWarm, starttls.outboundWarm) * 1000 <= 20,
  warm_flat_10000_within_2x_of_10: warmFlat <= 2,
  cold_1000_le_3x_native: at(1_000).coldRatio <= 3,
  cold_10_le_3x_native: at(10).coldRatio <= 3,
  handshake_ratio_ge_0_9: handshakes.ratio >= 0.9,
  cli_help_le_1_3x_node: cli.helpMs / cli.nodeMs <= 1.3,
  cli_explain_le_2x_node: cli.explainMs / cli.nodeMs <= 2,
};
console.log(
  `targets: ${Object.entries(targets)
    .map(([name, met]) => `${name} ${met ? "met" : "MISSED"}`)
    .join(", ")} (the run took ${((Date.now() - started) / 1000).toFixed(1)} s)`,
);

const json: Record<string, number | boolean | string> = { mode: quick ? "quick" : "full" };
for (const f of figures) {
  json[`native_ms_${f.size}`] = +f.native.toFixed(3);
  json[`cold_ms_${f.size}`] = +f.cold.toFixed(3);
  json[`cold_ratio_${f.size}`] = +f.coldRatio.toFixed(3);
  json[`prepared_first_ms_${f.size}`] = +f.preparedFirst.toFixed(3);
  json[`store_change_ms_${f.size}`] = +f.storeChange.toFixed(3);
  json[`warm_us_${f.size}`] = +(f.warm * 1000).toFixed(2);
  json[`warm_new_array_us_${f.size}`] = +(f.warmCopied * 1000).toFixed(2);
}
json.warm_flat_ratio = +warmFlat.toFixed(3);
json.starttls_inbound_warm_us_1000 = +(starttls.inboundWarm * 1000).toFixed(2);
json.starttls_outbound_warm_us_1000 = +(starttls.outboundWarm * 1000).toFixed(2);
json.path_cold_us = +(paths.cold * 1000).toFixed(1);
json.path_evaluator_warm_us = +(paths.revalidate * 1000).toFixed(1);
json.path_cached_us = +(paths.cached * 1000).toFixed(2);
json.memory_bytes_per_cert = memory.selector;
json.memory_parsed_bytes_per_cert = memory.parsed;
json.handshake_ratio = +handshakes.ratio.toFixed(3);
json.handshake_sessions_per_s_fixed = +handshakes.fixedPerSecond.toFixed(1);
json.handshake_sessions_per_s_receiver = +handshakes.integrationPerSecond.toFixed(1);
json.handshake_ratio_context_per_session = +handshakes.contextPerSessionRatio.toFixed(3);
json.cli_node_ms = +cli.nodeMs.toFixed(1);
json.cli_help_ms = +cli.helpMs.toFixed(1);
json.cli_explain_ms = +cli.explainMs.toFixed(1);
json.cli_help_ratio = +(cli.helpMs / cli.nodeMs).toFixed(3);
json.cli_explain_ratio = +(cli.explainMs / cli.nodeMs).toFixed(3);
for (const [name, met] of Object.entries(targets)) json[name] = met;
console.log(JSON.stringify(json));
