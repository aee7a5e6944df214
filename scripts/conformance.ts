// npm run conformance -- [limbo.json]
// Runs the x509-limbo corpus through the path validator and prints, per namespace, every case
// that did not pass (and why), every skipped case with its reason, and a final line
// "N passed, M failed, K skipped". Exit status 1 when a case failed.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

import { type LimboCorpus, type LimboResult, runLimbo } from "../src/lib/path/limbo.js";

const DEFAULT_CORPUS = "../shared/conformance/x509-limbo-ddc40b4.limbo.json";

function report(results: readonly LimboResult[]): string[] {
  const lines: string[] = [];
  const namespaces = [...new Set(results.map((result) => result.namespace))];
  for (const namespace of namespaces) {
    const own = results.filter((result) => result.namespace === namespace);
    const count = (outcome: LimboResult["outcome"]) =>
      own.filter((r) => r.outcome === outcome).length;
    lines.push(
      `${namespace}: ${count("passed")} passed, ${count("failed")} failed, ${count("skipped")} skipped (of ${own.length})`,
    );
    for (const result of own) {
      if (result.outcome === "failed") {
        lines.push(
          `  FAILED  ${result.id}: expected ${result.expected}, got ${result.actual} (${result.detail})`,
        );
        if (result.known !== undefined) lines.push(`          known: ${result.known}`);
      } else if (result.outcome === "skipped") {
        lines.push(`  SKIPPED ${result.id}: ${result.detail}`);
      }
    }
  }
  return lines;
}

async function main(): Promise<void> {
  const path = resolve(process.argv[2] ?? DEFAULT_CORPUS);
  const corpus = JSON.parse(readFileSync(path, "utf8")) as LimboCorpus;
  const verbose = process.argv.includes("--verbose");
  const results = await runLimbo(corpus);
  console.log(`x509-limbo: ${path} (${corpus.testcases.length} testcases)`);
  for (const line of report(results)) console.log(line);
  if (verbose) {
    for (const result of results.filter((r) => r.outcome === "passed")) {
      console.log(`  passed  ${result.id}: ${result.expected} (${result.detail})`);
    }
  }
  const passed = results.filter((r) => r.outcome === "passed").length;
  const failed = results.filter((r) => r.outcome === "failed").length;
  const skipped = results.filter((r) => r.outcome === "skipped").length;
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  // Known failures (KNOWN_FAILURES) are reported but are not regressions.
  const unexpected = results.filter((r) => r.outcome === "failed" && r.known === undefined);
  if (unexpected.length > 0) process.exitCode = 1;
}

await main();
