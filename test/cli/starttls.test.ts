// The command on STARTTLS (S1–S11) and the 2016 edition (E1–E6), as an administrator runs it:
// a real process per case, `--json` checked against its schema. The bundled STARTTLS demo is
// the classic 12014 (a renewal from a new issuing CA under a connector's TlsCertificateName).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";

import type { JsonOutput } from "../../src/cli/output.js";
import { fixture, NOW, SERVER } from "../support/fixtures.js";
import { assertValid, validateOutput, validateSnapshot } from "./schemas.js";
import {
  b64,
  expectNoStack,
  limit,
  ROOT,
  type RunResult,
  run,
  tempDir,
  writeEdgeSnapshot,
  writeHubSnapshot,
  writeJson,
} from "./support.js";

vi.setConfig({ testTimeout: 120_000 });

const STARTTLS_DEMO = join(ROOT, "src", "demo", "starttls-renewal.json");
const DEMO_NAME = "src/demo/starttls-renewal.json";
const dir = tempDir("starttls");

function json(result: RunResult): JsonOutput {
  const output = JSON.parse(result.stdout) as JsonOutput;
  assertValid(validateOutput, output);
  expect(output.exitCode).toBe(result.code);
  return output;
}

const entry = (name: string, services: string, hasPrivateKey = true) => ({
  rawData: b64(fixture(name).der),
  hasPrivateKey,
  services,
});

/** A 2007 front end whose Receive connector's Fqdn is mail.contoso.com (S2). */
function frontEnd(overrides: Record<string, unknown> = {}) {
  return {
    evaluatedAt: NOW.toISOString(),
    receiveConnector: {
      Identity: "EX01\\Default Frontend EX01",
      AuthMechanism: "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
      Fqdn: "mail.contoso.com",
      TlsCertificateName: null,
    },
    sendConnector: { name: "Internet", fqdn: "relay.contoso.com" },
    server: { physicalFqdn: SERVER.physicalFqdn },
    store: [
      entry("leaf-rsa", "IIS, SMTP"),
      entry("self-signed", "SMTP"),
      entry("v1", "SMTP"),
      entry("leaf-ec", "IIS"),
    ],
    trustAnchors: [b64(fixture("root-rsa").der), b64(fixture("root-ec").der)],
    intermediates: [b64(fixture("inter-rsa").der), b64(fixture("inter-ec").der)],
    ...overrides,
  };
}

function prepare() {
  const base = frontEnd();
  const files = {
    frontEnd: writeJson(dir, "front-end.json", base),
    closed: writeJson(dir, "closed.json", {
      ...base,
      receiveConnector: { authMechanism: "ExchangeServer", fqdn: "mail.contoso.com" },
    }),
    badFqdn: writeJson(dir, "bad-fqdn.json", {
      ...base,
      receiveConnector: { authMechanism: "Tls", fqdn: "mail..contoso.com" },
    }),
    fqdnNumber: writeJson(dir, "fqdn-number.json", {
      ...base,
      sendConnector: { Fqdn: 25 },
    }),
    badName: writeJson(dir, "bad-name.json", {
      ...base,
      edition: "2016",
      receiveConnector: { authMechanism: "Tls", TlsCertificateName: "CN=mail.contoso.com" },
    }),
    noServer: writeJson(dir, "no-server.json", { ...base, server: undefined }),
    badEdition: writeJson(dir, "bad-edition.json", { ...base, edition: 2019 }),
    edge: writeEdgeSnapshot(dir),
    hub: writeHubSnapshot(dir),
  };
  // What the command reads is also what the shipped schema accepts.
  assertValid(validateSnapshot, JSON.parse(JSON.stringify(base)));
  return files;
}

function start(files: ReturnType<typeof prepare>) {
  const slot = limit(4);
  const go = (...args: string[]) => slot(() => run(args));
  return {
    demo: go("explain", DEMO_NAME, "--starttls"),
    anonymousDemo: go("explain"),
    help: go("--help"),
    demoJson: go("explain", DEMO_NAME, "--starttls", "--json"),
    demoOutbound: go("explain", DEMO_NAME, "--starttls-outbound", "--json"),
    demo2007: go("explain", DEMO_NAME, "--starttls", "--edition", "2007"),
    demoAnonymous: go("explain", DEMO_NAME),
    frontEnd: go("explain", files.frontEnd, "--starttls", "--json"),
    frontEnd2016: go("explain", files.frontEnd, "--starttls", "--edition", "2016", "--json"),
    frontEndText: go("explain", files.frontEnd, "--inbound", "--starttls"),
    hardRevocation: go(
      "explain",
      files.frontEnd,
      "--starttls",
      "--revocation",
      "hard",
      "--profile",
      "strict",
      "--json",
    ),
    outbound: go("explain", files.frontEnd, "--starttls-outbound"),
    outboundJson: go("explain", files.frontEnd, "--starttls-outbound", "--json"),
    closed: go("explain", files.closed, "--starttls", "--json"),
    without: go(
      "explain",
      files.frontEnd,
      "--starttls",
      "--without",
      fixture("leaf-rsa").thumbprint,
    ),
    edge2016: go("explain", files.edge, "--edition", "2016", "--json"),
    edge2016Text: go("explain", files.edge, "--edition", "2016"),
    hub2016: go("explain", files.hub, "--edition", "2016"),
    bothSides: go("explain", files.frontEnd, "--starttls", "--starttls-outbound"),
    inboundOutbound: go("explain", files.frontEnd, "--inbound", "--starttls-outbound"),
    editionFlag: go("explain", files.frontEnd, "--starttls", "--edition", "2019"),
    badFqdn: go("explain", files.badFqdn, "--starttls"),
    fqdnNumber: go("explain", files.fqdnNumber, "--starttls-outbound"),
    badName: go("explain", files.badName, "--starttls"),
    noServer: go("explain", files.noServer, "--starttls"),
    badEdition: go("explain", files.badEdition, "--starttls"),
  };
}

let runs: ReturnType<typeof start>;
beforeAll(() => {
  runs = start(prepare());
});

describe("the STARTTLS demo: a renewal under a connector's TlsCertificateName (12014)", () => {
  const WANTED_ISSUER = "CN=Fabrikam TLS RSA CA 2024, O=Fabrikam Trust Services, C=US";
  // As Windows writes it (S= for the state), like the connector's setting (E3).
  const SUBJECT = "CN=mail.contoso.com, O=Contoso Ltd, L=Redmond, S=WA, C=US";
  // The renewal is domain-validated: its subject is the host name alone.
  const NEW_SUBJECT = "CN=mail.contoso.com";

  it("S3, E3, E6: STARTTLS is not advertised, 12014 (Error) names the TlsCertificateName, the renewal's subject differs", async () => {
    const result = await runs.demo;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("");
    const out = result.stdout;
    expect(out).toContain("Inbound STARTTLS certificate selection, 2016 edition");
    expect(out).toContain(
      "STARTTLS is not advertised in the EHLO response: no store certificate has the TlsCertificateName's issuer and subject (S3, E3); 12014 is logged.",
    );
    expect(out).toContain(
      `Name looked for: <I>${WANTED_ISSUER}<S>CN=mail.contoso.com, O=Contoso Ltd, L=Redmond, S=WA, C=US\n  from the Receive connector's TlsCertificateName (S2, E3)`,
    );
    expect(out).toMatch(
      /12014 Error CannotLoadSTARTTLSCertificateFromStore \(S3\)\n.*domain name <I>CN=Fabrikam TLS RSA CA 2024.*connector EX01\\Default Frontend EX01 with a FQDN parameter of mail\.contoso\.com/,
    );
    expect(out).toMatch(
      /mail\.contoso\.com, autodiscover\.contoso\.com.*S3: its subject is not the TlsCertificateName's/,
    );
    expect(out).toContain(`wanted  issuer  ${WANTED_ISSUER}\n          subject ${SUBJECT}`);
    expect(out).toContain(
      `issuer  ${WANTED_ISSUER}  [same]\n          subject ${NEW_SUBJECT}  [DIFFERS]\n          its TlsCertificateName: <I>${WANTED_ISSUER}<S>${NEW_SUBJECT}`,
    );
    // The renewal is named, with the command that would name it on the connector.
    expect(out).toContain(
      `Set-ReceiveConnector "EX01\\Default Frontend EX01" -TlsCertificateName "<I>${WANTED_ISSUER}<S>${NEW_SUBJECT}"`,
    );
  });

  it("--json: the decision carries process, lookedFor, advertiseStartTls and each certificate's S3 verdict", async () => {
    const output = json(await runs.demoJson);
    expect(output).toMatchObject({ direction: "inbound", process: "starttls", edition: "2016" });
    const { decision } = output;
    expect(decision).toMatchObject({
      process: "starttls",
      outcome: "no-certificate",
      reason: "no-matching-certificate",
      advertiseStartTls: false,
      advertiseAnonymousTls: null,
      negotiateStartTls: null,
      lookedFor: { source: "tlsCertificateName", issuer: WANTED_ISSUER, subject: SUBJECT },
      certificateUsed: null,
    });
    expect(decision.events.map((e) => [e.id, e.level, e.rule])).toEqual([[12014, "Error", "S3"]]);
    const renewed = decision.certificates[2]!;
    expect(renewed.exclusion).toMatchObject({
      rule: "S3",
      code: "tls-certificate-name-mismatch",
      expected: decision.lookedFor?.name,
      actual: `<I>${WANTED_ISSUER}<S>${NEW_SUBJECT}`,
      message: "its subject is not the TlsCertificateName's (E3)",
    });
    expect(renewed.differs).toEqual(["subject"]);
    expect(decision.certificates[0]!.differs).toEqual(["issuer", "subject"]);
  });

  it("S11: the hybrid Send connector names the same certificate: the session fails with 454 4.7.5", async () => {
    const result = await runs.demoOutbound;
    expect(result.code).toBe(1);
    const { decision } = json(result);
    expect(decision).toMatchObject({
      direction: "outbound",
      outcome: "session-fails",
      negotiateStartTls: false,
      advertiseStartTls: null,
      reply:
        "454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found.",
      reason: "no-matching-certificate",
    });
  });

  it("E3: --edition 2007 refuses the Receive connector's TlsCertificateName (and only the connector it reads)", async () => {
    const result = await runs.demo2007;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "receiveConnector.TlsCertificateName: the 2007 edition has no TlsCertificateName (E3)",
    );
    expect(result.stderr).not.toContain("sendConnector.TlsCertificateName");
    expectNoStack(result);
  });

  it("without --starttls the STARTTLS demo lacks what anonymous TLS reads, and the message says which flag", async () => {
    const result = await runs.demoAnonymous;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("use --starttls or --starttls-outbound");
  });
});

describe("STARTTLS of a snapshot's connectors (S1–S10)", () => {
  it("S2, S4, S6: the Fqdn is looked for; v1 and a certificate without SMTP are not eligible (2007); the valid PKI one is presented", async () => {
    const result = await runs.frontEnd;
    expect(result.code).toBe(0);
    const { decision, edition } = json(result);
    expect(edition).toBe("2007");
    expect(decision).toMatchObject({
      outcome: "selected",
      advertiseStartTls: true,
      certificateUsed: fixture("leaf-rsa").thumbprint,
      basis: "pki",
      expired: false,
      smtpEnabled: true,
      lookedFor: { name: "mail.contoso.com", source: "connector-fqdn", issuer: null },
    });
    expect(decision.events.map((e) => e.id)).toEqual([]);
    const [leaf, self, v1, ec] = decision.certificates;
    expect(leaf).toMatchObject({
      status: "eligible",
      rank: 1,
      used: true,
      match: { source: "subject-cn", domainListEntry: "mail.contoso.com" },
      trust: { kind: "pki" },
    });
    expect(self).toMatchObject({ status: "eligible", rank: 2, used: false });
    expect(v1!.exclusion).toMatchObject({ rule: "S4", code: "version-1" });
    expect(ec!.exclusion).toMatchObject({ rule: "S4", code: "smtp-not-enabled" });
  });

  it("E4: --edition 2016 lets the newer certificate without SMTP be chosen, and marks it", async () => {
    const { decision, edition } = json(await runs.frontEnd2016);
    expect(edition).toBe("2016");
    expect(decision).toMatchObject({
      edition: "2016",
      certificateUsed: fixture("leaf-ec").thumbprint,
      smtpEnabled: false,
    });
    expect(decision.certificates[3]).toMatchObject({ status: "eligible", rank: 1 });
  });

  it("S6, A21, A3: --revocation hard without CRLs leaves no valid PKI certificate, so the self-signed one is presented; --profile reaches STARTTLS", async () => {
    const { decision, validation } = json(await runs.hardRevocation);
    expect(validation).toMatchObject({ profile: "strict", revocationMode: "hard" });
    expect(decision).toMatchObject({
      certificateUsed: fixture("self-signed").thumbprint,
      basis: "self-signed",
    });
    expect(decision.certificates[0]!.trust).toMatchObject({
      kind: "untrusted",
      code: "revocation-unknown",
    });
  });

  it("--inbound --starttls is inbound STARTTLS; the table gives rank, trust and the S4 criterion", async () => {
    const result = await runs.frontEndText;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("STARTTLS: advertised");
    expect(result.stdout).toMatch(/valid PKI\s+eligible, rank 1 \(S6\), chosen/);
    expect(result.stdout).toContain("S4 (version-1)");
    expect(result.stdout).toContain("S4 (smtp-not-enabled)");
  });

  it("S10: the Send connector's Fqdn is on no certificate: STARTTLS is negotiated without a client certificate, exit 1", async () => {
    const text = await runs.outbound;
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      "STARTTLS is still negotiated, without a client certificate (S10): no store certificate carries relay.contoso.com (S3); 12014 is logged.",
    );
    expect(text.stdout).toContain("12014 Warning"); // E6: the 2007 level
    const { decision } = json(await runs.outboundJson);
    expect(decision).toMatchObject({
      outcome: "no-certificate",
      negotiateStartTls: true,
      reply: null,
      lookedFor: { name: "relay.contoso.com", source: "connector-fqdn" },
    });
    expect(decision.certificates[0]!.exclusion).toMatchObject({
      rule: "S3",
      code: "no-matching-name",
    });
  });

  it("S1: a Receive connector without Tls does not advertise STARTTLS; nothing is looked for", async () => {
    const result = await runs.closed;
    expect(result.code).toBe(1);
    const { decision } = json(result);
    expect(decision).toMatchObject({
      outcome: "not-attempted",
      failedConditions: ["S1"],
      advertiseStartTls: false,
      lookedFor: null,
      certificates: [],
    });
  });

  it("--without on STARTTLS: before and after, the certificate presented changes, STARTTLS stays advertised", async () => {
    const result = await runs.without;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("STARTTLS advertised: yes (unchanged)");
    expect(result.stdout).toContain(
      `Certificate used: ${fixture("leaf-rsa").thumbprint} -> ${fixture("self-signed").thumbprint}`,
    );
    expect(result.stdout).not.toContain("Best candidate");
  });
});

describe("the 2016 edition of anonymous TLS (E1, E2)", () => {
  it("E2: --edition 2016 on an Edge server ends after the expiry check: no ranking, no 1037", async () => {
    const { decision, edition } = json(await runs.edge2016);
    expect(edition).toBe("2016");
    expect(decision).toMatchObject({
      process: "anonymous-tls",
      outcome: "selected",
      certificateUsed: fixture("self-signed").thumbprint,
      bestCandidate: null,
      thumbprintMatches: true,
      events: [],
    });
    expect(decision.steps.map((s) => s.step)).not.toContain("ranking");
    expect((await runs.edge2016Text).stdout).toContain(
      "the 2016 edition ends after the expiry check (E2)",
    );
  });

  it("E1: a HubTransport role with --edition 2016 is bad input that names the 2016 roles", async () => {
    const result = await runs.hub2016;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'role: expected "Mailbox" or "EdgeTransport" in the 2016 edition, got "HubTransport"',
    );
    expectNoStack(result);
  });
});

describe("bad STARTTLS input: exit 2, the field or flag named, no stack trace", () => {
  const cases: [keyof ReturnType<typeof start>, RegExp][] = [
    ["bothSides", /--starttls-outbound is the sending side: it cannot go with --starttls/],
    ["inboundOutbound", /--starttls-outbound is the sending side: it cannot go with --inbound/],
    ["editionFlag", /--edition must be 2007 or 2016, got "2019"/],
    ["badFqdn", /receiveConnector\.fqdn: "mail\.\.contoso\.com" is not a host name/],
    ["fqdnNumber", /sendConnector\.Fqdn: expected a host name as text, got a number/],
    [
      "badName",
      /receiveConnector\.TlsCertificateName: "CN=mail\.contoso\.com" is not a TlsCertificateName/,
    ],
    ["noServer", /server: required for STARTTLS/],
    ["badEdition", /edition: expected "2007" \(Exchange 2007, 2010\) or "2016"/],
  ];
  it.each(cases)("%s", async (name, message) => {
    const result = await runs[name];
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expectNoStack(result);
  });
});

it("the STARTTLS demo is valid per the shipped snapshot schema", () => {
  assertValid(validateSnapshot, JSON.parse(readFileSync(STARTTLS_DEMO, "utf8")));
});

describe("the README", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  /** The lines of the console block that starts with `$ <command>`, without npm's own lines. */
  const transcript = (command: string) => {
    const start = readme.indexOf(`\`\`\`console\n$ ${command}\n`);
    expect(start, command).toBeGreaterThan(0);
    const body = readme.slice(readme.indexOf("\n", start) + 1, readme.indexOf("\n```", start + 4));
    return body
      .split("\n")
      .slice(1)
      .filter((line) => !line.startsWith("> "));
  };

  it("its `npm run demo:starttls` transcript is what the command prints, line for line (S3, E3, 12014)", async () => {
    const shown = transcript("npm run demo:starttls");
    expect(shown.join("\n")).toContain("12014 Error");
    expect((await runs.demo).stdout.trimEnd().split("\n")).toEqual(shown.slice(1));
  });

  it("its `npm run demo` transcript is what the command prints, line for line", async () => {
    const shown = transcript("npm run demo");
    expect((await runs.anonymousDemo).stdout.trimEnd().split("\n")).toEqual(shown.slice(1));
  });

  it('its "What differs in 2016" table has one row per E rule, E1 to E6 in order', () => {
    const start = readme.indexOf("### What differs in 2016");
    const table = readme.slice(start, readme.indexOf("\n## ", start));
    const rows = table.split("\n").filter((line) => /^\| E\d/.test(line));
    expect(rows.map((row) => row.slice(2, 4))).toEqual(["E1", "E2", "E3", "E4", "E5", "E6"]);
  });

  it("--help lists the STARTTLS and edition flags", async () => {
    const help = await runs.help;
    for (const flag of ["--starttls ", "--starttls-outbound", "--edition <edition>"]) {
      expect(help.stdout).toContain(flag);
    }
  });
});
