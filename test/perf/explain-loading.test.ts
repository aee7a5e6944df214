// Issue 14 §5: `exchange-anonymous-tls explain` on the demo loads none of the ASN.1 schema stack
// (@peculiar/*, asn1js, reflect-metadata): loading it was most of the command's start-up. The
// certificate walk and the signature checks do without it; x509.ts loads it on first use only
// (a decoder of extensions, names, CRLs or RSA-PSS parameters). Checked on real processes: a
// preload records every CommonJS module in the process at exit (the schema packages are
// CommonJS, so they land there whether imported or required). `npm run bench` measures the time
// (cli_explain_ratio).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const WORK = mkdtempSync(join(tmpdir(), "explain-loading-"));
afterAll(() => rmSync(WORK, { recursive: true, force: true }));

const PRELOAD = join(WORK, "record.mjs");
writeFileSync(
  PRELOAD,
  `import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
const cache = createRequire(import.meta.url).cache;
process.on("exit", () => writeFileSync(process.env.LOADED_OUT, JSON.stringify(Object.keys(cache))));
`,
);

const SCHEMA_STACK = /node_modules\/(@peculiar\/|asn1js\/|reflect-metadata\/|pvtsutils\/)/;

interface Run {
  readonly status: number;
  readonly stdout: string;
  /** Every CommonJS module the process had loaded when it exited. */
  readonly loaded: readonly string[];
}

let runs = 0;
function run(args: readonly string[]): Promise<Run> {
  const out = join(WORK, `loaded-${runs++}.json`);
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "--import", pathToFileURL(PRELOAD).href, ...args],
      { cwd: ROOT, timeout: 60_000, env: { ...process.env, LOADED_OUT: out, NO_COLOR: "1" } },
      (error, stdout) => {
        const status = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        try {
          const loaded = JSON.parse(readFileSync(out, "utf8")) as string[];
          done({ status, stdout, loaded });
        } catch (cause) {
          fail(new Error(`no module list (exit ${status})`, { cause }));
        }
      },
    );
  });
}

describe("issue 14 §5: explain does not load the ASN.1 schema stack", () => {
  it("explain on the demo: the decision, and no @peculiar/asn1js/reflect-metadata module", async () => {
    const { status, stdout, loaded } = await run([join("src", "cli", "main.ts"), "explain"]);
    // The demo's story (R15): the renewed certificate ranks first, 1037 is logged.
    expect([0, 1]).toContain(status);
    expect(stdout).toContain("1037");
    expect(stdout).toContain("ranking");
    expect(loaded.filter((m) => SCHEMA_STACK.test(m))).toEqual([]);
    // Sanity: the list is the process's (tsx's own CommonJS modules are in it).
    expect(loaded.length).toBeGreaterThan(0);
  });

  it("explain --json on the demo loads none of it either", async () => {
    const { status, stdout, loaded } = await run([
      join("src", "cli", "main.ts"),
      "explain",
      "--json",
    ]);
    expect([0, 1]).toContain(status);
    expect(JSON.parse(stdout)).toBeTypeOf("object");
    expect(loaded.filter((m) => SCHEMA_STACK.test(m))).toEqual([]);
  });

  it("the check would see it: a decoder that needs the schemas loads them on first use", async () => {
    const script = join(WORK, "uses-schemas.ts");
    writeFileSync(
      script,
      `import { asn1x509 } from ${JSON.stringify(pathToFileURL(join(ROOT, "src", "x509", "x509.ts")).href)};
const before = typeof asn1x509; // touching the binding loads nothing
new asn1x509.Name(); // a property read does
console.log(before);
`,
    );
    const { status, stdout, loaded } = await run([script]);
    expect(status).toBe(0);
    expect(stdout.trim()).toBe("object");
    expect(loaded.some((m) => /node_modules\/@peculiar\/asn1-x509\//.test(m))).toBe(true);
    expect(loaded.some((m) => /node_modules\/reflect-metadata\//.test(m))).toBe(true);
  });
});
