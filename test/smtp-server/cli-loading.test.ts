// Issue 14, item 5 (the command half): the command loads the X.509 stack only when it needs it.
// `--help` answers from main.ts + help.ts; run.ts reaches the snapshot loader, the selections and
// the receiver only through dynamic import(), so `--help`, `--version`, `schema` and
// `serve --help` never load @peculiar/*. Checked on the static import graph (what Node links
// before any code runs), and on a real process for `--help`. `npm run bench` measures the time
// (cli_help_ratio, cli_explain_ratio). (Kept beside the receiver's tests, whose command it is.)
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src");

/** Every module `entry` links statically (value imports and re-exports; not `import type`). */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    const pattern = /^(?:import|export)\s+(?!type\s)(?:[^;"']*?\sfrom\s+)?["']([^"']+)["']/gm;
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1]!;
      if (specifier.startsWith(".")) {
        visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
      } else {
        seen.add(specifier);
      }
    }
  };
  visit(join(SRC, entry));
  return seen;
}

// The ASN.1 schema stack (@peculiar/*, reflect-metadata) is now loaded by x509.ts on first use,
// not linked by anything (test/perf/explain-loading.test.ts checks a real process); what the
// command must not link is the certificate walk and the selections.
const HEAVY = [
  /^@peculiar\//,
  /^reflect-metadata$/,
  /^smtp-server/,
  /\/x509\/certificate\.ts$/,
  /\/exchange\/(in|out)bound-(anonymous|starttls)\.ts$/,
  /\/cli\/snapshot\.ts$/,
];

describe("the command loads the X.509 stack only for what needs it (issue 14)", () => {
  it.each(["cli/main.ts", "cli/run.ts", "cli/serve.ts"])(
    "%s links none of it statically",
    (entry) => {
      const graph = [...staticGraph(entry)];
      // main.ts imports nothing statically at all; the others link a few light modules.
      expect(graph.length).toBeGreaterThan(entry === "cli/main.ts" ? 0 : 1);
      for (const heavy of HEAVY) expect(graph.filter((m) => heavy.test(m))).toEqual([]);
    },
  );

  it("the walker does see the stack where it is static (it would catch a regression)", () => {
    const graph = [...staticGraph("cli/snapshot.ts")];
    expect(graph.some((m) => /\/x509\/certificate\.ts$/.test(m))).toBe(true);
    // The selections link the walk statically too.
    const selection = [...staticGraph("exchange/inbound-starttls.ts")];
    expect(selection.some((m) => /\/x509\/certificate\.ts$/.test(m))).toBe(true);
  });

  it("--help as a process prints the usage, serve included", async () => {
    const stdout = await new Promise<string>((done, fail) =>
      execFile(
        process.execPath,
        ["--import", "tsx", join(SRC, "cli", "main.ts"), "--help"],
        { timeout: 30_000 },
        (error, out) => (error === null ? done(out) : fail(error)),
      ),
    );
    expect(stdout).toMatch(/^Usage: exchange-anonymous-tls explain/);
    expect(stdout).toContain("exchange-anonymous-tls serve --snapshot");
  });
});
