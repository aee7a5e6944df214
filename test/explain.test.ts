import { describe, expect, it } from "vitest";

import {
  explainSelection,
  selectInboundAnonymousTlsCert,
  selectOutboundAnonymousTlsCert,
} from "../src/index.js";
import {
  directoryFor,
  edgeOptions,
  entry,
  fixture,
  memoryStore,
  NOW,
  staticDirectory,
  storeOf,
} from "./support/fixtures.js";

describe("explainSelection", () => {
  it("shows the outcome, the events with their messages, and every store certificate with its rank or rule", async () => {
    const store = memoryStore([
      entry("self-signed"),
      entry("self-signed-newest"),
      entry("v1"),
      entry("evil"),
      entry("leaf-ec", { services: ["IIS"] }),
      { certificate: new Uint8Array([1, 2, 3]), hasPrivateKey: true, services: ["SMTP"] },
    ]);
    const selection = await selectOutboundAnonymousTlsCert({
      ...edgeOptions(),
      directory: directoryFor("self-signed"),
      store,
    });
    const text = explainSelection(selection);

    expect(text).toContain(`Certificate ${fixture("self-signed").thumbprint} is used`);
    expect(text).toContain(`the best candidate is ${fixture("self-signed-newest").thumbprint}`);
    expect(text).toContain("1037 Warning");
    expect(text).toContain("X-ANONYMOUSTLS: used");
    for (const name of ["self-signed", "self-signed-newest", "v1", "evil", "leaf-ec"]) {
      expect(text).toContain(fixture(name).thumbprint);
    }
    const line = (name: string) =>
      text.split("\n").find((l) => /^ {2}\d+ /.test(l) && l.includes(fixture(name).thumbprint))!;
    expect(line("self-signed-newest")).toMatch(/eligible, rank 1 \(best\)/);
    expect(line("self-signed")).toMatch(/\[directory, USED\].*eligible, rank 2/);
    expect(line("v1")).toContain("R10a");
    expect(line("evil")).toContain("R10c");
    expect(line("leaf-ec")).toContain("R10d");
    expect(text).toMatch(/5\s+\(not a certificate\).*unreadable \(der-malformed\)/);
    // every step is listed with its rules
    for (const step of selection.trace) expect(text).toContain(`[${step.rules.join(",")}]`);
    expect(text).not.toContain("\u001b[");
  });

  it("colours only when asked", async () => {
    const selection = await selectOutboundAnonymousTlsCert({
      ...edgeOptions(),
      directory: staticDirectory(null),
      store: storeOf("self-signed"),
    });
    expect(explainSelection(selection, { color: true })).toContain("\u001b[");
    expect(explainSelection(selection)).toContain("the store was not read");
  });

  it("explains the receiving side and a closed gate", async () => {
    const selection = await selectInboundAnonymousTlsCert({
      receiveConnector: { authMechanism: "Tls" },
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed"),
      now: NOW,
    });
    const text = explainSelection(selection);
    expect(text).toContain("Inbound");
    expect(text).toContain("I1 not met");
    expect(text).toContain("X-ANONYMOUSTLS: not advertised");
  });

  it("explains 12013 and still lists the store", async () => {
    const selection = await selectOutboundAnonymousTlsCert({
      ...edgeOptions(),
      directory: directoryFor("leaf-rsa"),
      store: storeOf("self-signed"),
    });
    const text = explainSelection(selection);
    expect(text).toContain("No certificate: not-in-store");
    expect(text).toContain("12013 Error");
    expect(text).toContain(fixture("leaf-rsa").thumbprint);
    expect(text).toContain("not evaluated");
  });
});
