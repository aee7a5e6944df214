// End to end: the outbound selection (R2 gate → R3 directory → R6 store → R8–R14) on an Edge
// server, with the directory read over LDAP from a real slapd instead of an in-memory fake.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LdapDirectory, LdapDirectoryError } from "../../src/adapters/ldap/index.js";
import {
  type OutboundSelectionOptions,
  type Selection,
  selectOutboundAnonymousTlsCert,
} from "../../src/index.js";
import {
  type Slapd,
  type SlapdInstallation,
  slapdOrMissing,
  startSlapd,
} from "../support/slapd.js";
import {
  buildExchangeTree,
  dnOf,
  type ExchangeTree,
  NOW,
  READER_DN,
  READER_PASSWORD,
  SERVERS,
  thumbprint,
} from "./exchange-tree.js";
import { eventually, type SilentServer, silentServer } from "./tcp.js";

const found = slapdOrMissing();
const installation: SlapdInstallation | undefined = "missing" in found ? undefined : found;

describe.runIf(installation === undefined && process.env["CI"] === "true")("slapd", () => {
  test("is installed (CI=true: the end-to-end LDAP tests must run)", () => {
    expect.fail(`slapd is required in CI: ${"missing" in found ? found.missing : ""}`);
  });
});

describe.skipIf(installation === undefined)(
  "selectOutboundAnonymousTlsCert with an LdapDirectory",
  () => {
    let tree: ExchangeTree;
    let slapd: Slapd | undefined;
    let silent: SilentServer | undefined;

    beforeAll(async () => {
      tree = await buildExchangeTree();
      slapd = await startSlapd(installation!, tree.slapd);
      silent = await silentServer();
    }, 120_000);
    afterAll(async () => {
      await silent?.close();
      await slapd?.stop();
    });

    const reader = { bindDN: READER_DN, password: READER_PASSWORD } as const;

    function edge(
      name: "EDGE01" | "EDGE02",
      directory: LdapDirectory,
      extra: Partial<OutboundSelectionOptions> = {},
    ): Promise<Selection> {
      const fqdn = `${name.toLowerCase()}.contoso.com`;
      const der = name === "EDGE01" ? tree.edge01Der : tree.edge02Der;
      return selectOutboundAnonymousTlsCert({
        role: "EdgeTransport",
        sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:--;1"] },
        server: { fqdn, hostName: name, physicalFqdn: fqdn, physicalHostName: name },
        directory,
        store: { list: () => [{ certificate: der, hasPrivateKey: true, services: ["SMTP"] }] },
        now: NOW,
        ...extra,
      });
    }

    test("R3–R14: EDGE01's serialized-cert blob, found by name → its certificate is selected", async () => {
      const directory = new LdapDirectory({
        url: slapd!.url,
        ...reader,
        serverName: "EDGE01",
        baseDN: SERVERS,
      });
      const selection = await edge("EDGE01", directory);
      expect(selection).toMatchObject({
        outcome: "selected",
        advertiseAnonymousTls: true,
        thumbprint: thumbprint(tree.edge01Der),
        directoryThumbprint: thumbprint(tree.edge01Der),
        thumbprintMatches: true,
        events: [],
      });
    });

    test("R3–R14: EDGE02's plain DER, by DN → selected", async () => {
      const directory = new LdapDirectory({ url: slapd!.url, ...reader, serverDN: dnOf("EDGE02") });
      const selection = await edge("EDGE02", directory);
      expect(selection).toMatchObject({
        outcome: "selected",
        thumbprint: thumbprint(tree.edge02Der),
      });
    });

    test("R4/R5: EDGE03 has no attribute → directory-empty; 12012 at start-up", async () => {
      const directory = new LdapDirectory({ url: slapd!.url, ...reader, serverDN: dnOf("EDGE03") });
      expect(await edge("EDGE01", directory)).toMatchObject({
        outcome: "no-certificate",
        reason: "directory-empty",
        advertiseAnonymousTls: false,
        events: [],
      });
      const atStartup = await edge("EDGE01", directory, { phase: "startup" });
      expect(atStartup).toMatchObject({ outcome: "no-certificate", reason: "directory-empty" });
      expect(atStartup.events).toMatchObject([{ id: 12012, data: { reason: "directory-empty" } }]);
    });

    test("R4/R5: a wrong DN → directory-unreadable, the LDAP error kept as cause; 12012 at start-up", async () => {
      const directory = new LdapDirectory({ url: slapd!.url, ...reader, serverDN: dnOf("EDGE99") });
      const selection = await edge("EDGE01", directory, { phase: "startup" });
      expect(selection).toMatchObject({
        outcome: "no-certificate",
        reason: "directory-unreadable",
      });
      const cause = selection.outcome === "no-certificate" ? selection.cause : undefined;
      expect(cause).toBeInstanceOf(LdapDirectoryError);
      expect(cause).toMatchObject({ code: "ERR_LDAP_NO_SUCH_OBJECT" });
      expect(selection.events).toMatchObject([
        { id: 12012, data: { reason: "directory-unreadable" } },
      ]);
    });

    test("R4: bad credentials → directory-unreadable with ERR_LDAP_BIND", async () => {
      const directory = new LdapDirectory({
        url: slapd!.url,
        bindDN: READER_DN,
        password: "wrong",
        serverDN: dnOf("EDGE01"),
      });
      const selection = await edge("EDGE01", directory);
      expect(selection).toMatchObject({
        outcome: "no-certificate",
        reason: "directory-unreadable",
        cause: { code: "ERR_LDAP_BIND" },
      });
    });

    test("R4: the selection's signal reaches the LDAP read: aborted → directory-unreadable, socket closed", async () => {
      const directory = new LdapDirectory({
        url: `ldap://127.0.0.1:${silent!.port}`,
        serverDN: dnOf("EDGE01"),
        timeout: 60_000,
      });
      const controller = new AbortController();
      const before = silent!.received;
      const selection = edge("EDGE01", directory, { signal: controller.signal });
      await eventually(() => silent!.received > before);
      controller.abort();
      expect(await selection).toMatchObject({
        outcome: "no-certificate",
        reason: "directory-unreadable",
      });
      await eventually(() => silent!.closed === silent!.accepted);
    });
  },
);
