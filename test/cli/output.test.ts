// The JSON projection of STARTTLS decisions (output.ts) in-process: every STARTTLS outcome gives
// a decision the shipped output schema accepts, with the fields of the other process null, and
// what-if changes count a STARTTLS flip as a change (S1, S3, S6, S10, S11, E3).
import { describe, expect, it } from "vitest";

import {
  changesBetween,
  type JsonDecision,
  type JsonOutput,
  jsonDecision,
  jsonValidation,
  OUTPUT_VERSION,
} from "../../src/cli/output.js";
import {
  type Selection,
  selectInboundStartTlsCert,
  selectOutboundStartTlsCert,
} from "../../src/index.js";
import { entry, fixture, memoryStore, NOW, SERVER, storeOf } from "../support/fixtures.js";
import { assertValid, validateOutput } from "./schemas.js";

const pki = {
  server: { physicalFqdn: SERVER.physicalFqdn },
  now: NOW,
  trustAnchors: [fixture("root-rsa").der],
  intermediates: [fixture("inter-rsa").der],
};
// leaf-rsa as PowerShell prints it (E3).
const LEAF_RSA =
  "<I>CN=Contoso Issuing CA (RSA), O=Contoso Test PKI<S>CN=mail.contoso.com, O=Contoso";

/** A whole `--json` output around one decision, checked against the shipped schema. */
function validOutput(selection: Selection): JsonDecision {
  const decision = jsonDecision(
    selection,
    selection.certificates.map((c) => `store[${c.index}]`),
  );
  const output: JsonOutput = {
    version: OUTPUT_VERSION,
    snapshot: "snapshot.json",
    description: null,
    direction: selection.direction,
    process: selection.process,
    edition: selection.edition,
    whatIf: null,
    decision,
    validation: jsonValidation("rfc5280", null, []),
    exitCode: selection.outcome === "selected" ? 0 : 1,
  };
  assertValid(validateOutput, JSON.parse(JSON.stringify(output)));
  return decision;
}

describe("jsonDecision for STARTTLS", () => {
  it("E3, S6: a TlsCertificateName match has issuer and subject, no host-name fields; the selection its basis", async () => {
    const decision = validOutput(
      await selectInboundStartTlsCert({
        ...pki,
        edition: "2016",
        receiveConnector: { authMechanism: "Tls", tlsCertificateName: LEAF_RSA },
        store: storeOf("leaf-rsa", "self-signed"),
      }),
    );
    expect(decision).toMatchObject({
      process: "starttls",
      outcome: "selected",
      advertiseStartTls: true,
      advertiseAnonymousTls: null,
      basis: "pki",
      smtpEnabled: true,
      expired: false,
      directoryThumbprint: null,
      lookedFor: {
        source: "tlsCertificateName",
        issuer: "CN=Contoso Issuing CA (RSA), O=Contoso Test PKI",
        subject: "CN=mail.contoso.com, O=Contoso",
      },
    });
    expect(decision.certificates[0]).toMatchObject({
      used: true,
      differs: null,
      match: {
        source: "tls-certificate-name",
        certificateName: null,
        domainListEntry: null,
        issuer: "CN=Contoso Issuing CA (RSA), O=Contoso Test PKI",
        subject: "CN=mail.contoso.com, O=Contoso",
      },
    });
    expect(decision.certificates[1]).toMatchObject({
      status: "excluded",
      differs: ["issuer", "subject"],
      exclusion: { rule: "S3", code: "tls-certificate-name-mismatch", expected: LEAF_RSA },
    });
  });

  it("S11: session-fails carries the reply and negotiateStartTls false", async () => {
    const decision = validOutput(
      await selectOutboundStartTlsCert({
        ...pki,
        edition: "2016",
        sendConnector: { tlsCertificateName: "<I>CN=Old CA<S>CN=mail.contoso.com" },
        store: storeOf("leaf-rsa"),
      }),
    );
    expect(decision).toMatchObject({
      outcome: "session-fails",
      negotiateStartTls: false,
      advertiseStartTls: null,
      reason: "no-matching-certificate",
    });
    expect(decision.reply).toMatch(/^454 4\.7\.5 /);
  });

  it("S3: a store that cannot be listed gives the cause; S1: not-attempted has no lookedFor", async () => {
    const unreadable = validOutput(
      await selectOutboundStartTlsCert({
        ...pki,
        sendConnector: {},
        store: {
          list() {
            throw new Error("access denied");
          },
        },
      }),
    );
    expect(unreadable).toMatchObject({
      outcome: "no-certificate",
      reason: "store-unreadable",
      negotiateStartTls: true,
      lookedFor: { source: "physical-fqdn", name: SERVER.physicalFqdn },
    });
    expect(unreadable.cause).toContain("access denied");
    const closed = validOutput(
      await selectInboundStartTlsCert({
        ...pki,
        receiveConnector: { authMechanism: "None" },
        store: storeOf("leaf-rsa"),
      }),
    );
    expect(closed).toMatchObject({ failedConditions: ["S1"], lookedFor: null, reason: null });
  });

  it("changesBetween: STARTTLS no longer advertised is a change, even with no event difference", async () => {
    const inbound = (store: ReturnType<typeof memoryStore>) =>
      selectInboundStartTlsCert({
        ...pki,
        receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
        store,
      });
    const before = validOutput(await inbound(memoryStore([entry("leaf-rsa")])));
    const after = validOutput(await inbound(memoryStore([entry("v1")])));
    const changes = changesBetween(before, after);
    expect(changes).toMatchObject({
      changed: true,
      advertiseStartTls: { before: true, after: false },
      negotiateStartTls: { before: null, after: null },
      advertiseAnonymousTls: { before: null, after: null },
      eventsRaised: [12014],
    });
  });
});
