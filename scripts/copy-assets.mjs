// Copies the JSON assets the built command reads at run time (the snapshot and output schemas,
// the demo snapshots) from src/ into dist/, beside the compiled code that finds them through
// import.meta.url, and marks the command executable. tsc copies only what is imported, and
// these are read from disk, not imported. Plain .mjs so the build needs nothing but Node.
//
//   node scripts/copy-assets.mjs --clean        empty the output folder (before tsc), so files
//                                               of an older build (say, source maps) never ship
//   node scripts/copy-assets.mjs [--out <dir>]  copy the assets (after tsc); default dist/
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const outAt = args.indexOf("--out");
const out = outAt >= 0 && args[outAt + 1] ? resolve(args[outAt + 1]) : join(root, "dist");

if (args.includes("--clean")) {
  rmSync(out, { recursive: true, force: true });
  console.log(`emptied ${out}`);
  process.exit(0);
}

const assets = [
  "cli/snapshot.schema.json",
  "cli/output.schema.json",
  "demo/snapshot.json",
  "demo/starttls-renewal.json",
];

for (const asset of assets) {
  const to = join(out, asset);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(join(root, "src", asset), to);
}

const bin = join(out, "cli", "main.js");
if (!existsSync(bin)) {
  console.error(`copy-assets: ${bin} is missing; run tsc first`);
  process.exit(1);
}
chmodSync(bin, 0o755);
console.log(`copied ${assets.length} assets into ${out}`);
