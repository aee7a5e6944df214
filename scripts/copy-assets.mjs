// Copies the JSON assets the built command reads at run time (the snapshot and output schemas,
// the demo snapshot) from src/ into dist/, beside the compiled code that finds them through
// import.meta.url, and marks the command executable. tsc copies only what is imported, and
// these are read from disk, not imported. Plain .mjs so the build needs nothing but Node.
import { chmodSync, copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const assets = ["cli/snapshot.schema.json", "cli/output.schema.json", "demo/snapshot.json"];

for (const asset of assets) {
  const to = join(root, "dist", asset);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(join(root, "src", asset), to);
}

const bin = join(root, "dist", "cli", "main.js");
if (!existsSync(bin)) {
  console.error(`copy-assets: ${bin} is missing; run tsc first`);
  process.exit(1);
}
chmodSync(bin, 0o755);
console.log(`copied ${assets.length} assets into dist/`);
