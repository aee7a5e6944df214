// The command as an administrator runs it: a real process per case, exit codes, --json checked
// against its schema, and bad input that must end in a one-line reason and exit 2, never a stack
// trace. Every process starts up front (at most four at a time) and each test awaits its own, so
// the ~25 runs cost a few seconds on a 2-core machine rather than half a minute.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";

import type { JsonOutput } from "../../src/cli/output.js";
import { fixture } from "../support/fixtures.js";
import { assertValid, validateOutput } from "./schemas.js";
import {
  b64,
  copyFixture,
  DEMO,
  demoThumbprints,
  expectNoStack,
  limit,
  type RunResult,
  run,
  tempDir,
  writeEdgeSnapshot,
  writeHubSnapshot,
  writeJson,
} from "./support.js";

// Processes queue behind each other on a busy 2-core machine: give each test room to wait.
vi.setConfig({ testTimeout: 120_000 });

const dir = tempDir("command");
const demo = demoThumbprints();
const ESC = "\u001b[";

function json(result: RunResult): JsonOutput {
  const output = JSON.parse(result.stdout) as JsonOutput;
  assertValid(validateOutput, output);
  expect(output.exitCode).toBe(result.code);
  return output;
}

/** Snapshots and files the cases read, written once before any process starts. */
function prepare() {
  const edge = writeEdgeSnapshot(dir);
  const hub = writeHubSnapshot(dir);
  const hubWithinSite = writeHubSnapshot(dir, "SmtpRelayWithinAdSite");
  const base = JSON.parse(readFileSync(hub, "utf8")) as Record<string, unknown>;

  // What-if on an Edge server that still has only its self-signed certificates.
  const whatIf = writeJson(dir, "what-if.json", {
    evaluatedAt: "2025-06-15T12:00:00Z",
    role: "EdgeTransport",
    sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:--;1"] },
    server: base.server,
    directory: { thumbprint: fixture("self-signed").thumbprint },
    store: [
      { rawData: b64(fixture("self-signed").der), hasPrivateKey: true, services: ["SMTP"] },
      { rawData: b64(fixture("self-signed-old").der), hasPrivateKey: true, services: ["SMTP"] },
    ],
  });
  const renewed = copyFixture(dir, "self-signed-newest", "renewal/renewed.pem", {
    from: "self-signed-newest",
    as: "renewal/renewed.key",
  });
  // A renewal whose key file belongs to another certificate: no private key (R10b).
  const wrongKey = copyFixture(dir, "tie-a", "renewal/wrong-key.pem", {
    from: "root-rsa",
    as: "renewal/wrong-key.key",
  });

  // A folder store: keys beside the certificates (one of them the wrong key), a DER .cer, a
  // manifest for services, and a file that is not a certificate at all (ignored: not *.pem…).
  const folder = join(dir, "folder");
  copyFixture(folder, "self-signed", "store/edge01.pem", {
    from: "self-signed",
    as: "store/edge01.key",
  });
  copyFixture(folder, "self-signed-newest", "store/renewed.pem", {
    from: "root-rsa",
    as: "store/renewed.key",
  });
  writeFileSync(join(folder, "store", "owa.cer"), fixture("leaf-rsa-older").der);
  writeFileSync(join(folder, "store", "README.txt"), "exported 2025-06-15\n");
  writeJson(folder, "store/store.json", {
    "owa.cer": { Services: "IIS", HasPrivateKey: true },
    "edge01.pem": { services: ["SMTP"] },
  });
  const folderSnapshot = writeJson(folder, "snapshot.json", {
    evaluatedAt: "2025-06-15T12:00:00Z",
    role: "EdgeTransport",
    sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:--;1"] },
    server: base.server,
    directory: { thumbprint: fixture("self-signed").thumbprint },
    store: { folder: "store" },
  });

  // Bad input, one problem each.
  const notJson = join(dir, "not-json.json");
  writeFileSync(notJson, '{ "role": "EdgeTransport", ');
  const wrongType = writeJson(dir, "wrong-type.json", {
    ...JSON.parse(readFileSync(whatIf, "utf8")),
    store: [{ rawData: b64(fixture("self-signed").der), hasPrivateKey: "yes", services: ["SMTP"] }],
  });
  const badCertificate = writeJson(dir, "bad-certificate.json", {
    ...JSON.parse(readFileSync(whatIf, "utf8")),
    store: [
      { rawData: b64(fixture("self-signed").der), hasPrivateKey: true, services: ["SMTP"] },
      {
        rawData: b64(fixture("self-signed").der.subarray(0, 200)),
        hasPrivateKey: true,
        services: ["SMTP"],
      },
    ],
  });
  const missingPath = writeJson(dir, "missing-path.json", {
    ...JSON.parse(readFileSync(whatIf, "utf8")),
    store: [{ path: "certs/gone.pem", hasPrivateKey: true, services: ["SMTP"] }],
  });
  return {
    edge,
    hub,
    hubWithinSite,
    whatIf,
    renewed,
    wrongKey,
    folderSnapshot,
    notJson,
    wrongType,
    badCertificate,
    missingPath,
  };
}

type Files = ReturnType<typeof prepare>;

/** Every run of this file, by name; each starts as soon as a slot is free. */
function start(files: Files) {
  const slot = limit(4);
  const go = (args: string[], env?: Record<string, string>) =>
    slot(() => run(args, env === undefined ? {} : { env }));
  return {
    demo: go(["explain"]),
    demoJson: go(["explain", "--json"]),
    help: go(["--help"]),
    noCommand: go([]),
    forceColor: go(["explain"], { FORCE_COLOR: "1" }),
    noColor: go(["explain"], { FORCE_COLOR: "1", NO_COLOR: "1" }),
    edge: go(["explain", files.edge, "--json"]),
    hub: go(["explain", files.hub, "--json"]),
    hubWithinSite: go(["explain", files.hubWithinSite]),
    inbound: go(["explain", "--inbound", "--json"]),
    inboundMissing: go(["explain", files.hub, "--inbound"]),
    at: go(["explain", "--at", "2035-02-01", "--json"]),
    atRelative: go(["explain", files.edge, "--at", "+11300d", "--json"]),
    without: go(["explain", "--without", demo.current.toLowerCase()]),
    withRenewal: go([
      "explain",
      files.whatIf,
      "--with",
      files.renewed,
      "--with",
      files.wrongKey,
      "--json",
    ]),
    folder: go(["explain", files.folderSnapshot]),
    schema: go(["schema", "output"]),
    notJson: go(["explain", files.notJson]),
    wrongType: go(["explain", files.wrongType]),
    badCertificate: go(["explain", files.badCertificate]),
    missingPath: go(["explain", files.missingPath]),
    missingSnapshot: go(["explain", join(dir, "no-such-snapshot.json")]),
    unknownOption: go(["explain", "--colour"]),
    badAt: go(["explain", "--at", "next tuesday"]),
    badWithout: go(["explain", "--without", "21BED9E7", "--without", "A".repeat(40)]),
  };
}

let runs: ReturnType<typeof start>;
beforeAll(() => {
  runs = start(prepare());
});

describe("explain on the bundled demo", () => {
  it("explains the 1037 mismatch in plain text, exit 0", async () => {
    const result = await runs.demo;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("Snapshot: src/demo/snapshot.json");
    expect(result.stdout).toContain(`Certificate ${demo.current} is used`);
    expect(result.stdout).toContain("1037 Warning");
    expect(result.stdout).toMatch(/X-ANONYMOUSTLS: used/);
    // The table: every certificate, with rank or the rule that excluded it.
    expect(result.stdout).toMatch(new RegExp(`${demo.renewed}.*self-signed.*rank 1 \\(best\\)`));
    expect(result.stdout).toMatch(/R10c: none of its names is on the domain list/);
    expect(result.stdout).toMatch(/R10b: the store has no private key for it/);
    expect(result.stdout).not.toContain(ESC); // not a terminal
  });

  it("--json matches the output schema and carries the decision", async () => {
    const output = json(await runs.demoJson);
    expect(output.whatIf).toBeNull();
    expect(output.direction).toBe("outbound");
    expect(output.decision).toMatchObject({
      outcome: "selected",
      certificateUsed: demo.current,
      bestCandidate: demo.renewed,
      thumbprintMatches: false,
      evaluatedAt: "2026-11-02T08:30:00.000Z",
    });
    expect(output.decision.events.map((e) => e.id)).toEqual([1037]);
    expect(output.decision.certificates.map((c) => [c.status, c.rank])).toEqual([
      ["eligible", 2],
      ["eligible", 1],
      ["excluded", null],
      ["excluded", null],
    ]);
  });

  it("--help prints usage, exit 0; no command prints it to stderr, exit 2", async () => {
    const help = await runs.help;
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: exchange-anonymous-tls explain \[snapshot.json\]/);
    for (const option of ["--json", "--inbound", "--at", "--without", "--with"]) {
      expect(help.stdout).toContain(option);
    }
    const none = await runs.noCommand;
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage:");
  });

  it("colour: FORCE_COLOR turns it on, NO_COLOR wins over it", async () => {
    expect((await runs.forceColor).stdout).toContain(ESC);
    const plain = await runs.noColor;
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain(ESC);
  });
});

describe("realistic snapshots", () => {
  it("Edge (EdgeSync connector SMTP:--;1): a new CA-issued certificate ranks first, the directory's is kept (1037)", async () => {
    const result = await runs.edge;
    expect(result.code).toBe(0);
    const { decision } = json(result);
    expect(decision.certificateUsed).toBe(fixture("self-signed").thumbprint);
    expect(decision.bestCandidate).toBe(fixture("leaf-rsa").thumbprint);
    expect(decision.steps[0]).toMatchObject({ step: "role-gate", rules: ["R2", "R2a", "R2b"] });
    const leaf = decision.certificates[1]!;
    expect(leaf.source).toBe("store[1] (certs/mail.contoso.com.pem)");
    expect(leaf.trust).toMatchObject({ kind: "pki" });
    expect(leaf.trust?.path).toEqual([
      fixture("leaf-rsa").thumbprint,
      fixture("inter-rsa").thumbprint,
      fixture("root-rsa").thumbprint,
    ]);
    expect(decision.certificates[3]!.exclusion).toMatchObject({ rule: "R10b" });
  });

  it("Hub (DeliveryType SmtpRelayWithinAdSiteToEdge), PowerShell property names: the directory's certificate is the best", async () => {
    const result = await runs.hub;
    expect(result.code).toBe(0);
    const { decision } = json(result);
    expect(decision).toMatchObject({
      outcome: "selected",
      certificateUsed: fixture("leaf-ec").thumbprint,
      thumbprintMatches: true,
      events: [],
    });
    expect(decision.steps[0]).toMatchObject({ step: "role-gate", rules: ["R1", "R1a", "R1b"] });
    expect(decision.certificates[0]!.services).toEqual(["IIS", "SMTP"]);
    expect(decision.certificates[3]!.exclusion).toMatchObject({ rule: "R10c" });
  });

  it("Hub with DeliveryType SmtpRelayWithinAdSite: anonymous TLS is not attempted, exit 1", async () => {
    const result = await runs.hubWithinSite;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("R1b not met");
    expect(result.stdout).toContain("X-ANONYMOUSTLS: not used");
  });
});

describe("options", () => {
  it("--inbound: the receiving side advertises X-ANONYMOUSTLS with the directory's certificate", async () => {
    const output = json(await runs.inbound);
    expect(output.direction).toBe("inbound");
    expect(output.decision).toMatchObject({
      outcome: "selected",
      advertiseAnonymousTls: true,
      certificateUsed: demo.current,
      bestCandidate: null,
    });
    expect(output.decision.steps[0]).toMatchObject({
      step: "receive-connector-gate",
      rules: ["I1"],
    });
  });

  it("--inbound on a snapshot without a receive connector is bad input", async () => {
    const result = await runs.inboundMissing;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/receiveConnector: required with --inbound/);
    expectNoStack(result);
  });

  it("--at: when the directory's certificate has expired, 12015 is logged and it is still used", async () => {
    const output = json(await runs.at);
    expect(output.decision.evaluatedAt).toBe("2035-02-01T00:00:00.000Z");
    expect(output.decision.certificateUsed).toBe(demo.current);
    expect(output.decision.events.map((e) => e.id)).toEqual([12015, 1037]);
    expect(output.decision.certificates[0]!.time).toBe("expired");
  });

  it("--at +Nd counts days from the snapshot's evaluatedAt", async () => {
    const output = json(await runs.atRelative);
    expect(output.decision.evaluatedAt).toBe("2056-05-23T12:00:00.000Z");
    expect(output.decision.events.map((e) => e.id)).toContain(12015);
  });

  it("--without the directory's certificate: before and after, and 12013 makes it exit 1", async () => {
    const result = await runs.without;
    expect(result.code).toBe(1);
    const out = result.stdout;
    expect(out).toContain(`What if: without ${demo.current}`);
    expect(out.indexOf("BEFORE")).toBeLessThan(out.indexOf("AFTER"));
    expect(out.indexOf("AFTER")).toBeLessThan(out.indexOf("WHAT CHANGES"));
    expect(out).toContain(`Certificate used: ${demo.current} -> none`);
    expect(out).toContain("Events raised: 12013");
  });

  it("--with: a renewal becomes the best candidate (1037); a renewal with the wrong key is not eligible", async () => {
    const result = await runs.withRenewal;
    expect(result.code).toBe(0);
    const output = json(result);
    expect(output.whatIf?.before.events).toEqual([]);
    expect(output.whatIf?.changes).toMatchObject({
      changed: true,
      certificateUsed: {
        before: fixture("self-signed").thumbprint,
        after: fixture("self-signed").thumbprint,
      },
      bestCandidate: {
        before: fixture("self-signed").thumbprint,
        after: fixture("self-signed-newest").thumbprint,
      },
      eventsRaised: [1037],
    });
    const added = output.decision.certificates.filter((c) => c.source.startsWith("--with"));
    expect(added.map((c) => [c.thumbprint, c.status])).toEqual([
      [fixture("self-signed-newest").thumbprint, "eligible"],
      [fixture("tie-a").thumbprint, "excluded"],
    ]);
    expect(added[1]!.exclusion).toMatchObject({ rule: "R10b", code: "private-key-mismatch" });
  });

  it("a folder store: a key that does not belong to its certificate is shown as the reason", async () => {
    const result = await runs.folder;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/R10b: the private key does not belong to this certificate/);
    expect(result.stdout).toMatch(/R10d: the SMTP service is not enabled for it/); // owa.cer: IIS
    expect(result.stdout).toMatch(/store\/renewed\.pem/);
    expect(result.stdout).not.toContain("README");
  });

  it("schema output prints the shipped schema", async () => {
    const result = await runs.schema;
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      $id: "urn:exchange-anonymous-tls:explain-output:1",
    });
  });
});

describe("bad input: exit 2, a message naming the field or file, no stack trace", () => {
  const cases: [keyof ReturnType<typeof start>, RegExp][] = [
    ["notJson", /not-json\.json: not JSON: /],
    ["wrongType", /store\[0\]\.hasPrivateKey: expected true or false, got a string/],
    ["badCertificate", /store\[1\]\.rawData: not a certificate: /],
    ["missingPath", /store\[0\]\.path: no such file: .*certs[\\/]gone\.pem/],
    ["missingSnapshot", /no-such-snapshot\.json: no such file/],
    ["unknownOption", /Unknown option '--colour'/],
    ["badAt", /--at: "next tuesday": expected a date/],
    [
      "badWithout",
      /--without "21BED9E7": thumbprint has 8 characters[\s\S]*--without A{40}: no certificate in the store/,
    ],
  ];
  it.each(cases)("%s", async (name, message) => {
    const result = await runs[name];
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expectNoStack(result);
  });
});

it("the demo snapshot is the one the package ships", () => {
  expect(JSON.parse(readFileSync(DEMO, "utf8")).$schema).toBe("../cli/snapshot.schema.json");
});
