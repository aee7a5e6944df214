import { createSecureContext } from "node:tls";

import { describe, expect, it } from "vitest";
import { toTlsOptions } from "../../src/adapters/tls.js";
import {
  type InboundSelectionOptions,
  NoPrivateKeyError,
  NotSelectedError,
  type Selection,
  selectInboundAnonymousTlsCert,
  selectOutboundAnonymousTlsCert,
} from "../../src/index.js";
import {
  directoryFor,
  edgeOptions,
  entry,
  fixture,
  memoryStore,
  NOW,
  staticDirectory,
} from "../support/fixtures.js";

function inbound(overrides: Partial<InboundSelectionOptions> = {}): Promise<Selection> {
  return selectInboundAnonymousTlsCert({
    receiveConnector: { authMechanism: "Tls, ExchangeServer" },
    directory: directoryFor("self-signed"),
    store: memoryStore([entry("self-signed", { withKey: true })]),
    now: NOW,
    ...overrides,
  });
}

const pem = (name: string) => fixture(name).pem.trim();

describe("toTlsOptions: the chain, leaf first, PEMs joined with a newline", () => {
  it("A3: a valid PKI certificate sends its intermediate, never the trust anchor", async () => {
    const selection = await inbound({
      directory: directoryFor("leaf-rsa"),
      store: memoryStore([entry("leaf-rsa", { withKey: true })]),
      trustAnchors: [fixture("root-rsa").der],
      intermediates: [fixture("inter-rsa").der],
    });
    const options = toTlsOptions(selection);
    expect(options.cert).toBe(`${pem("leaf-rsa")}\n${pem("inter-rsa")}`);
    expect(options.cert).not.toContain(pem("root-rsa"));
    expect(options.key).toBe(fixture("leaf-rsa").keyPem);
  });

  it("R12: the outbound path of an ECDSA leaf is leaf-ec then inter-ec", async () => {
    const selection = await selectOutboundAnonymousTlsCert({
      ...edgeOptions(),
      directory: directoryFor("leaf-ec"),
      store: memoryStore([entry("leaf-ec", { withKey: true })]),
      trustAnchors: [fixture("root-ec").der],
      intermediates: [fixture("inter-ec").der],
    });
    expect(toTlsOptions(selection).cert).toBe(`${pem("leaf-ec")}\n${pem("inter-ec")}`);
  });

  it("A6: a self-signed certificate is the whole chain", async () => {
    const options = toTlsOptions(await inbound());
    expect(options.cert).toBe(pem("self-signed"));
    expect(options.cert.endsWith("-----END CERTIFICATE-----")).toBe(true);
  });

  it("A3: without trust anchors a CA-issued leaf is sent alone", async () => {
    const selection = await inbound({
      directory: directoryFor("leaf-rsa"),
      store: memoryStore([entry("leaf-rsa", { withKey: true })]),
    });
    expect(toTlsOptions(selection).cert).toBe(pem("leaf-rsa"));
  });

  it("R7/I4: an expired directory certificate still gives TLS options", async () => {
    const selection = await inbound({
      directory: directoryFor("expired"),
      store: memoryStore([entry("expired", { withKey: true })]),
    });
    expect(selection.events.map((e) => e.id)).toEqual([12015]);
    expect(toTlsOptions(selection).cert).toBe(pem("expired"));
  });

  it("a PEM store entry gives the same chain as a DER one", async () => {
    const selection = await inbound({
      store: memoryStore([
        entry("self-signed", { withKey: true, certificate: fixture("self-signed").pem }),
      ]),
    });
    expect(toTlsOptions(selection).cert).toBe(pem("self-signed"));
  });

  it("what it returns is what Node's tls takes (the key matches the leaf)", async () => {
    const selection = await inbound({
      directory: directoryFor("leaf-rsa"),
      store: memoryStore([entry("leaf-rsa", { withKey: true })]),
      trustAnchors: [fixture("root-rsa").der],
      intermediates: [fixture("inter-rsa").der],
    });
    expect(() => createSecureContext(toTlsOptions(selection))).not.toThrow();
  });

  it("minVersion is TLSv1.2 unless asked otherwise", async () => {
    const selection = await inbound();
    expect(toTlsOptions(selection).minVersion).toBe("TLSv1.2");
    expect(toTlsOptions(selection, { minVersion: "TLSv1.3" }).minVersion).toBe("TLSv1.3");
  });
});

describe("toTlsOptions: errors by code", () => {
  const cases: {
    name: string;
    selection: () => Promise<Selection>;
    code: string;
    type: typeof NotSelectedError | typeof NoPrivateKeyError;
  }[] = [
    {
      name: "I1: not attempted (no ExchangeServer) is ERR_NOT_SELECTED",
      selection: () => inbound({ receiveConnector: { authMechanism: "Tls" } }),
      code: "ERR_NOT_SELECTED",
      type: NotSelectedError,
    },
    {
      name: "I2: a null directory value is ERR_NOT_SELECTED",
      selection: () => inbound({ directory: staticDirectory(null) }),
      code: "ERR_NOT_SELECTED",
      type: NotSelectedError,
    },
    {
      name: "I3: 12013 (not in the store) is ERR_NOT_SELECTED",
      selection: () => inbound({ directory: directoryFor("leaf-rsa") }),
      code: "ERR_NOT_SELECTED",
      type: NotSelectedError,
    },
    {
      name: "A9: a store entry without key material is ERR_NO_PRIVATE_KEY",
      selection: () => inbound({ store: memoryStore([entry("self-signed")]) }),
      code: "ERR_NO_PRIVATE_KEY",
      type: NoPrivateKeyError,
    },
    {
      // The selection itself already drops a key that does not parse (12013): build the
      // selected value by hand, as a caller holding an old one might.
      name: "A9: an empty private key is ERR_NO_PRIVATE_KEY",
      selection: async () => {
        const selected = await inbound();
        if (selected.outcome !== "selected") throw new Error("fixture not selected");
        return { ...selected, entry: { ...selected.entry, privateKey: " \n" } };
      },
      code: "ERR_NO_PRIVATE_KEY",
      type: NoPrivateKeyError,
    },
  ];
  for (const { name, selection, code, type } of cases) {
    it(name, async () => {
      const value = await selection();
      let caught: unknown;
      try {
        toTlsOptions(value);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(type);
      expect(caught).toMatchObject({ code, name: type.name });
    });
  }

  it("A9: hasPrivateKey false never reaches toTlsOptions as selected (12013)", async () => {
    const selection = await inbound({
      store: memoryStore([entry("self-signed", { withKey: true, hasPrivateKey: false })]),
    });
    expect(selection.outcome).toBe("no-certificate");
    expect(() => toTlsOptions(selection)).toThrow(
      expect.objectContaining({ code: "ERR_NOT_SELECTED" }),
    );
  });
});
