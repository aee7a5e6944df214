// `npm run fuzz`: the hostile-input properties (test/hostile/properties.test.ts, the thumbprint
// properties and the STARTTLS ones, test/starttls/hostile.test.ts) at 100,000 runs each, from fresh random seeds. CI runs the same
// properties at 1,000 runs from a fixed seed.
//
//   npm run fuzz                          100,000 runs, random seeds
//   npm run fuzz -- --runs 5000           fewer runs
//   npm run fuzz -- --seed 42             one seed (FUZZ_SEED), e.g. to replay a failure
//   npm run fuzz -- --seed 42 --path 7:1  replay fast-check's reported counterexample path
//
// A failure prints fast-check's counterexample, seed and path; the exit code is vitest's.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "100000" },
    seed: { type: "string", default: "random" },
    path: { type: "string" },
  },
});

const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs <= 0) {
  console.error(`--runs must be a positive integer, got ${values.runs}`);
  process.exit(2);
}
if (values.seed !== "random" && !Number.isInteger(Number(values.seed))) {
  console.error(`--seed must be an integer or "random", got ${values.seed}`);
  process.exit(2);
}

const files = [
  "test/hostile/properties.test.ts",
  "test/hostile/thumbprints.test.ts",
  "test/starttls/hostile.test.ts",
];
console.log(`fuzz: ${runs} runs per property, seed ${values.seed}: ${files.join(", ")}`);
const started = Date.now();
const result = spawnSync(
  process.execPath,
  [join(root, "node_modules", "vitest", "vitest.mjs"), "run", ...files],
  {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      FUZZ_RUNS: String(runs),
      FUZZ_SEED: values.seed,
      ...(values.path === undefined ? {} : { FUZZ_PATH: values.path }),
    },
  },
);
console.log(`fuzz: finished in ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(result.status ?? 1);
