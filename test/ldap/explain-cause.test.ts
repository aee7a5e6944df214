// Issue 17, item 3: an unreadable directory (R4) is explained in the directory's own words (which
// account cannot read what, and what to do), in the headline, on one line. Needs no server.
import { describe, expect, test } from "vitest";
import { LdapDirectoryError } from "../../src/adapters/ldap/index.js";
import { explainSelection, selectOutboundAnonymousTlsCert } from "../../src/index.js";
import type { Directory } from "../../src/types.js";

const DN =
  "CN=EDGE07,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=com";

function select(directory: Directory) {
  return selectOutboundAnonymousTlsCert({
    role: "EdgeTransport",
    sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:--;1"] },
    server: {
      fqdn: "edge07.contoso.com",
      hostName: "EDGE07",
      physicalFqdn: "edge07.contoso.com",
      physicalHostName: "EDGE07",
    },
    directory,
    store: { list: () => [] },
  });
}

describe("the explanation's headline carries the directory's cause (R4)", () => {
  test("R4: ERR_LDAP_ACCESS: the account, the DN and what to grant, on the outcome line", async () => {
    const message = `the account CN=reader,CN=Users,DC=contoso,DC=com cannot read msExchServerInternalTLSCert on ${DN}: grant Read on the object and the attribute, or run as an account that can`;
    const selection = await select({
      readInternalTransportCertificate: () => {
        throw new LdapDirectoryError("ERR_LDAP_ACCESS", "search", message);
      },
    });
    expect(selection).toMatchObject({ outcome: "no-certificate", reason: "directory-unreadable" });
    const headline = explainSelection(selection).split("\n")[1];
    expect(headline).toBe(
      `No certificate: directory-unreadable: ${message}. X-ANONYMOUSTLS is not used.`,
    );
  });

  test("R4: a multi-line cause is folded onto one line; a null value (directory-empty) adds nothing", async () => {
    const unreadable = await select({
      readInternalTransportCertificate: () => {
        throw new Error("Socket error. Message type: SearchRequest (0x63)\nread ECONNRESET");
      },
    });
    expect(explainSelection(unreadable).split("\n")[1]).toBe(
      "No certificate: directory-unreadable: Socket error. Message type: SearchRequest (0x63) read ECONNRESET. X-ANONYMOUSTLS is not used.",
    );
    const empty = await select({ readInternalTransportCertificate: async () => null });
    expect(explainSelection(empty).split("\n")[1]).toBe(
      "No certificate: directory-empty. X-ANONYMOUSTLS is not used.",
    );
  });

  test("R4: a cause whose message getter throws does not break the explanation", async () => {
    const hostile = new Error("x");
    Object.defineProperty(hostile, "message", {
      get() {
        throw new Error("no");
      },
    });
    const selection = await select({
      readInternalTransportCertificate: () => {
        throw hostile;
      },
    });
    expect(selection).toMatchObject({ outcome: "no-certificate", reason: "directory-unreadable" });
    expect(() => explainSelection(selection)).not.toThrow();
    expect(explainSelection(selection).split("\n")[1]).toBe(
      "No certificate: directory-unreadable. X-ANONYMOUSTLS is not used.",
    );
  });
});
