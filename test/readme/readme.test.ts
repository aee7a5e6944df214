// The README's TypeScript is what users copy first, so every ```ts block is compiled as a module
// of a consumer project against the BUILT package (types from dist/*.d.ts through the `exports`
// map, as `npm install` would lay it out) with strict settings, and the quick start is run as
// written, from the repository root, on the committed fixtures.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { manifest } from "../support/fixtures.js";
import { buildPackage, consumerProject, REPO, spawn } from "./consumer.js";

interface Block {
  /** 1-based line of the block's first code line in README.md. */
  readonly line: number;
  readonly code: string;
  /** The `## ` heading the block sits under. */
  readonly section: string;
}

function readmeBlocks(): Block[] {
  const lines = readFileSync(join(REPO, "README.md"), "utf8").split("\n");
  const blocks: Block[] = [];
  let section = "";
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    if (line.startsWith("## ")) section = line.slice(3).trim();
    if (line.trim() !== "```ts") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== "```") end += 1;
    blocks.push({ line: start + 1, code: `${lines.slice(start, end).join("\n")}\n`, section });
    i = end;
  }
  return blocks;
}

const blocks = readmeBlocks();
const fileOf = (block: Block) => `readme-line-${block.line}.ts`;

/**
 * The consumer's compiler settings: as strict as the repository's own, and stricter in one way:
 * the package's own .d.ts files are checked too (skipLibCheck off). "DOM" is in `lib` because
 * the path validator's results expose @peculiar/x509's X509Certificate, whose types use the
 * WebCrypto names (CryptoKey, BufferSource) that TypeScript declares only there.
 */
const tsconfig = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    lib: ["ES2022", "DOM"],
    types: ["node"],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noImplicitOverride: true,
    noFallthroughCasesInSwitch: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    skipLibCheck: false,
    outDir: "out",
    rootDir: "blocks",
  },
  include: ["blocks/*.ts"],
};

let packageDir = "";
let withoutPeer = "";
let withPeer = "";
let consumer = "";
let compiled: { code: number; stdout: string; stderr: string } = {
  code: -1,
  stdout: "",
  stderr: "",
};

beforeAll(async () => {
  packageDir = await buildPackage();
  consumer = consumerProject(packageDir, [
    "@types/node",
    "undici-types",
    "ldapts",
    "smtp-server",
    "@types/smtp-server",
  ]);
  mkdirSync(join(consumer, "blocks"));
  for (const block of blocks) writeFileSync(join(consumer, "blocks", fileOf(block)), block.code);
  writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  const tsc = join(REPO, "node_modules", "typescript", "bin", "tsc");
  compiled = await spawn(process.execPath, [tsc, "-p", "tsconfig.json", "--pretty", "false"], {
    cwd: consumer,
  });
}, 300_000);

afterAll(() => {
  for (const dir of [packageDir && dirname(packageDir), consumer, withoutPeer, withPeer]) {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

describe("README.md", () => {
  it("has TypeScript blocks, the quick start among them", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(blocks.some((block) => block.section === "Quick start")).toBe(true);
  });

  it("every ```ts block compiles against the built package (strict, NodeNext)", () => {
    // tsc names each block's file after its README line, so a failure points at the block.
    expect(`${compiled.stdout}${compiled.stderr}`.trim()).toBe("");
    expect(compiled.code).toBe(0);
  });

  it.each(blocks.map((block) => [block.line, block.section] as const))(
    "the block at README line %i (%s) imports what it uses from the package",
    (line) => {
      const block = blocks.find((b) => b.line === line)!;
      // A block without imports only compiles by accident; copy-pasted, it would not.
      expect(block.code).toMatch(/^import\b/m);
      expect(block.code).toMatch(/ from "exchange-anonymous-tls(\/ldap)?";$/m);
      expect(block.code).not.toMatch(/…/);
    },
  );

  it("the quick start runs as written on the fixtures: self-signed is used, leaf-rsa is best, 1037 (R12, R15, A1)", async () => {
    const quickStart = blocks.find((block) => block.section === "Quick start")!;
    // tsc emits every block even when another one has a type error (reported above).
    // From the repository root, where its fixture paths lead, with the wall clock as `now`:
    // the fixtures are valid until 2055, so the answer is the one the tests get at NOW.
    const ran = await spawn(
      process.execPath,
      [join(consumer, "out", fileOf(quickStart).replace(/\.ts$/, ".js"))],
      { cwd: REPO, env: { ...process.env, NO_COLOR: "1" } },
    );
    expect(ran.code).toBe(0);
    // onEvent, as the quick start wires it, writes each event to stderr.
    expect(ran.stderr).toMatch(/^event 1037: /m);
    const used = manifest.certificates["self-signed"]!.thumbprint;
    const best = manifest.certificates["leaf-rsa"]!.thumbprint;
    expect(ran.stdout).toContain(`Certificate ${used} is used`);
    expect(ran.stdout).toContain(`the best candidate is ${best}`);
    expect(ran.stdout).toContain("1037");
    expect(ran.stdout).not.toContain("12015");
    // The output the README shows after the quick start is what it prints, line for line.
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const shown = readme
      .slice(
        readme.indexOf("## Quick start"),
        readme.indexOf("\n## ", readme.indexOf("## Quick start") + 1),
      )
      .split("```console\n")[1]
      ?.split("```")[0];
    expect(shown).toBeDefined();
    const printed = ran.stdout.split("\n");
    for (const line of shown!.trim().split("\n")) expect(printed).toContain(line);
  });

  it("the inbound STARTTLS block runs as written: the TlsCertificateName finds leaf-rsa, valid PKI, presented (S3, S6, E3)", async () => {
    const block = blocks.find((b) => b.code.includes("await selectInboundStartTlsCert("))!;
    expect(block).toBeDefined();
    const ran = await spawn(
      process.execPath,
      [join(consumer, "out", fileOf(block).replace(/\.ts$/, ".js"))],
      { cwd: REPO, env: { ...process.env, NO_COLOR: "1" } },
    );
    expect(ran.stderr).toBe("");
    expect(ran.code).toBe(0);
    const leaf = manifest.certificates["leaf-rsa"]!.thumbprint;
    expect(ran.stdout).toMatch(new RegExp(`^${leaf} pki false \\d+\\n$`));
  });

  it("the outbound STARTTLS block runs as written: the Send connector's TlsCertificateName names leaf-rsa (S10, S11, E3)", async () => {
    const block = blocks.find((b) => b.code.includes("await selectOutboundStartTlsCert("))!;
    expect(block).toBeDefined();
    const ran = await spawn(
      process.execPath,
      [join(consumer, "out", fileOf(block).replace(/\.ts$/, ".js"))],
      { cwd: REPO, env: { ...process.env, NO_COLOR: "1" } },
    );
    expect(ran.stderr).toBe("");
    expect(ran.code).toBe(0);
    const leaf = manifest.certificates["leaf-rsa"]!.thumbprint;
    expect(ran.stdout).toBe(`client certificate ${leaf}\n`);
  });
});

// ldapts is an optional peer dependency of `exchange-anonymous-tls/ldap`. Installed without it, the
// entry point must say which package to install (and carry a stable code), not fail with Node's
// bare ERR_MODULE_NOT_FOUND; the core entry point must not need it at all. Checked on the BUILT
// package in a consumer project whose node_modules holds the package and its dependencies only.
beforeAll(() => {
  withoutPeer = consumerProject(packageDir, []);
  withPeer = consumerProject(packageDir, ["ldapts", "smtp-server"]);
  const probe = `
for (const [entry, name] of [["ldap", "LdapDirectory"], ["smtp-server", "createAnonymousTlsServer"]]) {
  try {
    const loaded = await import("exchange-anonymous-tls/" + entry);
    console.log(JSON.stringify({ ok: true, type: typeof loaded[name] }));
  } catch (error) {
    console.log(JSON.stringify({ ok: false, code: error.code, message: error.message, cause: error.cause?.code }));
  }
}
const core = await import("exchange-anonymous-tls");
console.log(JSON.stringify({ core: typeof core.selectOutboundAnonymousTlsCert }));
`;
  for (const dir of [withoutPeer, withPeer]) writeFileSync(join(dir, "probe.mjs"), probe);
  // CommonJS, as the README promises: require() of the main entry works (Node >= 20.19 loads ES
  // modules synchronously); /ldap has a top-level await, so require() refuses it.
  writeFileSync(
    join(withPeer, "probe.cjs"),
    `const core = require("exchange-anonymous-tls");
let ldap;
try { require("exchange-anonymous-tls/ldap"); ldap = "loaded"; } catch (error) { ldap = error.code; }
console.log(JSON.stringify({ core: typeof core.selectOutboundAnonymousTlsCert, ldap }));
`,
  );
});

async function probe(dir: string): Promise<unknown[]> {
  const ran = await spawn(process.execPath, ["probe.mjs"], { cwd: dir });
  expect(ran.stderr).toBe("");
  expect(ran.code).toBe(0);
  return ran.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as unknown);
}

describe("the /ldap and /smtp-server entry points and their optional peers", () => {
  it("without the peers: each entry point throws ERR_MISSING_PEER_DEPENDENCY naming the package to install; the core still loads", async () => {
    const [ldap, smtp, core] = await probe(withoutPeer);
    for (const [result, install] of [
      [ldap, "npm install ldapts@8"],
      [smtp, "npm install smtp-server@3.21"],
    ] as const) {
      expect(result).toMatchObject({
        ok: false,
        code: "ERR_MISSING_PEER_DEPENDENCY",
        cause: "ERR_MODULE_NOT_FOUND",
      });
      expect((result as { message: string }).message).toContain(install);
    }
    expect(core).toEqual({ core: "function" });
  });

  it("from CommonJS: require() loads the main entry; /ldap must be imported (ERR_REQUIRE_ASYNC_MODULE)", async () => {
    const ran = await spawn(process.execPath, ["probe.cjs"], { cwd: withPeer });
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual({
      core: "function",
      ldap: "ERR_REQUIRE_ASYNC_MODULE",
    });
  });

  it("with the peers installed: /ldap exports LdapDirectory, /smtp-server createAnonymousTlsServer", async () => {
    const [ldap, smtp, core] = await probe(withPeer);
    expect(ldap).toEqual({ ok: true, type: "function" });
    expect(smtp).toEqual({ ok: true, type: "function" });
    expect(core).toEqual({ core: "function" });
  });
});

describe("the package's contents", () => {
  it("ships no source or declaration maps (they would point at src/, which is not shipped)", () => {
    const files = readdirSync(packageDir, { recursive: true, encoding: "utf8" });
    expect(files.filter((file) => file.endsWith(".map"))).toEqual([]);
    const js = files.filter((file) => file.endsWith(".js") || file.endsWith(".d.ts"));
    expect(js.length).toBeGreaterThan(20);
    for (const file of js) {
      expect(readFileSync(join(packageDir, file), "utf8")).not.toContain("sourceMappingURL");
    }
  });

  it("the built command explains the shipped STARTTLS demo: 12014, exit 1 (S3, E3)", async () => {
    const demo = join(packageDir, "dist", "demo", "starttls-renewal.json");
    expect(existsSync(demo)).toBe(true);
    const ran = await spawn(
      process.execPath,
      [join(packageDir, "dist", "cli", "main.js"), "explain", demo, "--starttls", "--json"],
      { cwd: packageDir },
    );
    expect(ran.code).toBe(1);
    const output = JSON.parse(ran.stdout) as {
      decision: { outcome: string; events: { id: number }[]; advertiseStartTls: boolean };
    };
    expect(output.decision).toMatchObject({ outcome: "no-certificate", advertiseStartTls: false });
    expect(output.decision.events.map((e) => e.id)).toEqual([12014]);
  });

  it("every target of the exports map and the bin exists", () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
      exports: Record<string, string | Record<string, string>>;
      bin: Record<string, string>;
    };
    const targets = [
      ...Object.values(manifest.exports).flatMap((target) =>
        typeof target === "string" ? [target] : Object.values(target),
      ),
      ...Object.values(manifest.bin),
    ];
    for (const target of targets) expect(existsSync(join(packageDir, target)), target).toBe(true);
  });
});
