// npm run conformance -- [limbo.json] [--pkits=DIR] [--no-revocation] [--strict] [--verbose]
// Runs NIST PKITS (test/conformance/pkits) and then the x509-limbo corpus
// (test/conformance/limbo) through the path validator. PKITS runs with the CRL revocation
// checker (A21) in hard mode, each test's CRLs and certificates handed to it, as PKITS assumes
// revocation checking throughout; --no-revocation runs without one, leaving the revocation
// tests not counted; --strict uses the "strict" profile for PKITS. For PKITS it prints a per-section table
// (passed, failed, not counted) and every test that failed, accepted an invalid path, or was
// not counted for a reason other than revocation; for limbo, per namespace, every case that did
// not pass (and why) and every skipped case. Last comes one line "N passed, M failed, K
// skipped" over both suites (PKITS "not counted" is counted as skipped). Exit status 1 when a
// failure is not a known one, or when any invalid PKITS path was accepted.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { type LimboCorpus, type LimboResult, runLimbo } from "../src/x509/path/limbo.js";
import {
  PKITS_TESTS,
  PKITS_TIME,
  type PkitsFiles,
  type PkitsResult,
  runPkits,
  summarizePkits,
} from "../src/x509/path/pkits.js";
import { createCrlRevocationChecker } from "../src/x509/revocation/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_CORPUS = join(root, "test", "conformance", "limbo", "x509-limbo-ddc40b4.limbo.json");
const DEFAULT_PKITS = join(root, "test", "conformance", "pkits");

function pkitsFiles(dir: string): PkitsFiles {
  const read = (path: string) =>
    existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined;
  return {
    certificate: (name) => read(join(dir, "certs", `${name}.crt`)),
    crl: (name) => read(join(dir, "crls", `${name}.crl`)),
  };
}

function pkitsReport(results: readonly PkitsResult[], verbose: boolean): string[] {
  const rows = summarizePkits(results);
  const width = Math.max(...rows.map((row) => row.title.length));
  const line = (section: string, title: string, ...counts: (string | number)[]) =>
    `  ${section.padEnd(6)} ${title.padEnd(width)} ${counts.map((c) => String(c).padStart(6)).join(" ")}`;
  const lines = [line("", "", "passed", "failed", "not counted")];
  for (const row of rows) {
    lines.push(line(row.section, row.title, row.passed, row.failed, row.notCounted));
  }
  const total = (key: "passed" | "failed" | "notCounted") =>
    rows.reduce((sum, row) => sum + row[key], 0);
  lines.push(line("", "total", total("passed"), total("failed"), total("notCounted")));
  for (const result of results) {
    const label = `${result.key} ${result.testcase.name}`;
    if (result.acceptedInvalid) {
      lines.push(`  ACCEPTED INVALID ${label}: ${result.detail}`);
    } else if (result.outcome === "failed") {
      lines.push(`  FAILED  ${label}: ${result.detail}`);
      if (result.known !== undefined) lines.push(`          known: ${result.known}`);
    } else if (
      result.outcome === "not-counted" &&
      (result.notCounted !== "revocation" || verbose)
    ) {
      lines.push(`  NOT COUNTED (${result.notCounted}) ${label}: ${result.detail}`);
    } else if (verbose && result.outcome === "passed") {
      lines.push(`  passed  ${label}: ${result.detail}`);
    }
  }
  const revocation = results.filter((r) => r.notCounted === "revocation").length;
  if (revocation > 0 && !verbose) {
    lines.push(
      `  ${revocation} revocation tests not counted: no revocation checker (--verbose lists them)`,
    );
  }
  return lines;
}

function limboReport(results: readonly LimboResult[]): string[] {
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
  const args = process.argv.slice(2);
  const verbose = args.includes("--verbose");
  const pkitsArg = args.find((arg) => arg.startsWith("--pkits="));
  const pkitsDir = resolve(pkitsArg?.slice("--pkits=".length) ?? DEFAULT_PKITS);
  const corpusPath = resolve(args.find((arg) => !arg.startsWith("--")) ?? DEFAULT_CORPUS);

  const revocation = !args.includes("--no-revocation");
  const profile = args.includes("--strict") ? "strict" : "rfc5280";
  const pkits = await runPkits(pkitsFiles(pkitsDir), {
    profile,
    ...(revocation
      ? {
          makeRevocationChecker: (crls, certificates) =>
            createCrlRevocationChecker({ crls, certificates, mode: "hard" }),
        }
      : {}),
  });
  console.log(
    `NIST PKITS: ${pkitsDir} (${PKITS_TESTS.length} tests at ${PKITS_TIME.toISOString()}, profile ${profile}, ${revocation ? "CRL revocation checker, hard mode" : "no revocation checker"})`,
  );
  for (const line of pkitsReport(pkits, verbose)) console.log(line);

  const corpus = JSON.parse(readFileSync(corpusPath, "utf8")) as LimboCorpus;
  const limbo = await runLimbo(corpus);
  console.log(`x509-limbo: ${corpusPath} (${corpus.testcases.length} testcases)`);
  for (const line of limboReport(limbo)) console.log(line);
  if (verbose) {
    for (const result of limbo.filter((r) => r.outcome === "passed")) {
      console.log(`  passed  ${result.id}: ${result.expected} (${result.detail})`);
    }
  }

  const passed =
    pkits.filter((r) => r.outcome === "passed").length +
    limbo.filter((r) => r.outcome === "passed").length;
  const failed =
    pkits.filter((r) => r.outcome === "failed").length +
    limbo.filter((r) => r.outcome === "failed").length;
  const skipped =
    pkits.filter((r) => r.outcome === "not-counted").length +
    limbo.filter((r) => r.outcome === "skipped").length;
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  // Known failures are reported but are not regressions; an accepted invalid path always is.
  const unexpected =
    pkits.some((r) => r.acceptedInvalid || (r.outcome === "failed" && r.known === undefined)) ||
    limbo.some((r) => r.outcome === "failed" && r.known === undefined);
  if (unexpected) process.exitCode = 1;
}

await main();
