// Builds the package once, lays it out as `npm install` would in a throw-away consumer project,
// and links in only what a consumer's node_modules would hold: the package's `files`, its runtime
// dependencies and, when asked, the optional peer ldapts. The repository's own node_modules is
// never on the consumer's resolution path (the folders live under the OS temp directory), so
// anything the published package forgets to ship or declare fails here as it would for a user.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PACKAGE_NAME = "exchange-anonymous-tls";

const run = promisify(execFile);

interface PackageJson {
  readonly name: string;
  readonly files: readonly string[];
  readonly dependencies: Readonly<Record<string, string>>;
}

const manifest: PackageJson = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));

/** Runs a command, returning its exit status and output instead of throwing. */
export async function spawn(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeout ?? 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof e.code === "number" ? e.code : 1,
      stdout: e.stdout ?? "",
      stderr: e.stderr ?? e.message,
    };
  }
}

/**
 * The package as `npm pack` would ship it: tsc into a private dist (never the repository's
 * dist/, which another build may be writing), the run-time assets, then every path of `files`.
 */
export async function buildPackage(): Promise<string> {
  const stage = mkdtempSync(join(tmpdir(), "eat-package-"));
  const packageDir = join(stage, PACKAGE_NAME);
  mkdirSync(packageDir);
  const tsc = join(REPO, "node_modules", "typescript", "bin", "tsc");
  const built = await spawn(
    process.execPath,
    [tsc, "-p", "tsconfig.json", "--outDir", join(packageDir, "dist")],
    { cwd: REPO },
  );
  if (built.code !== 0) throw new Error(`tsc failed:\n${built.stdout}${built.stderr}`);
  const assets = await spawn(
    process.execPath,
    ["scripts/copy-assets.mjs", "--out", join(packageDir, "dist")],
    { cwd: REPO },
  );
  if (assets.code !== 0) throw new Error(`copy-assets failed:\n${assets.stderr}`);
  cpSync(join(REPO, "package.json"), join(packageDir, "package.json"));
  for (const file of manifest.files) {
    if (file === "dist") continue;
    cpSync(join(REPO, file), join(packageDir, file), { recursive: true });
  }
  return packageDir;
}

/**
 * A consumer project (`"type": "module"`) with the built package copied into its node_modules,
 * its runtime dependencies linked from the repository's node_modules (a link resolves its own
 * dependencies from where it really lives), and `extra` packages (types, peers) linked the same way.
 */
export function consumerProject(packageDir: string, extra: readonly string[]): string {
  const root = mkdtempSync(join(tmpdir(), "eat-consumer-"));
  writeFileSync(
    join(root, "package.json"),
    `${JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2)}\n`,
  );
  const modules = join(root, "node_modules");
  cpSync(packageDir, join(modules, PACKAGE_NAME), { recursive: true });
  for (const name of [...Object.keys(manifest.dependencies), ...extra]) {
    const to = join(modules, name);
    mkdirSync(dirname(to), { recursive: true });
    symlinkSync(join(REPO, "node_modules", name), to, "dir");
  }
  return root;
}
