// The JSON projection of STARTTLS decisions (output.ts) in-process: every STARTTLS outcome gives
// a decision the shipped output schema accepts, with the fields of the other process null, and
// what-if changes count a STARTTLS flip as a change (S1, S3, S6, S10, S11, E3).

import { readFileSync } from "node:fs";
import { join } from "node:path";
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
  type EventId,
  type Exclusion,
  type Outcome,
  type RuleId,
  type Selection,
  type StartTlsNoCertificateReason,
  type StepName,
  selectInboundStartTlsCert,
  selectOutboundStartTlsCert,
} from "../../src/index.js";
import type { NoCertificateReason } from "../../src/types.js";
import { entry, fixture, memoryStore, NOW, SERVER, storeOf } from "../support/fixtures.js";
import { assertValid, validateOutput } from "./schemas.js";
import { ROOT } from "./support.js";

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

  it("A22, S8: a chosen certificate not yet valid, or expired, is flagged; the other flag is false", async () => {
    const choose = async (name: string) =>
      validOutput(
        await selectInboundStartTlsCert({
          ...pki,
          receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
          store: storeOf(name),
        }),
      );
    expect(await choose("not-yet-valid")).toMatchObject({
      outcome: "selected",
      basis: "self-signed",
      notYetValid: true,
      expired: false,
    });
    expect(await choose("expired")).toMatchObject({ notYetValid: false, expired: true });
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

// The schema is JSON, the unions are TypeScript: each list below must name every member of its
// union (a Record over it does not compile otherwise), and the schema must list the same values,
// so a step, event, outcome or reason added to the library cannot make `--json` fail its schema.
describe("the output schema lists what the library can produce", () => {
  const schema = JSON.parse(
    readFileSync(join(ROOT, "src", "cli", "output.schema.json"), "utf8"),
  ) as {
    $defs: Record<
      string,
      { properties: Record<string, Record<string, unknown>> } & Record<string, unknown>
    >;
  };
  const keys = (record: Record<string | number, true>) => Object.keys(record).sort();
  const sorted = (values: unknown) => (values as (string | number)[]).map(String).sort();

  it("every step name (StepName)", () => {
    const steps: Record<StepName, true> = {
      "role-gate": true,
      "receive-connector-gate": true,
      "certificate-name": true,
      "store-search": true,
      "session-fails": true,
      "directory-lookup": true,
      "store-lookup": true,
      expiry: true,
      "domain-list": true,
      eligibility: true,
      ranking: true,
      "thumbprint-match": true,
    };
    expect(sorted(schema.$defs.step!.properties.step!.enum)).toEqual(keys(steps));
  });

  it("every event id (EventId) and outcome (Outcome)", () => {
    const events: Record<EventId, true> = {
      1037: true,
      12012: true,
      12013: true,
      12014: true,
      12015: true,
      12016: true,
      12017: true,
      12018: true,
    };
    expect(sorted(schema.$defs.event!.properties.id!.enum)).toEqual(keys(events));
    const outcomes: Record<Outcome, true> = {
      "not-attempted": true,
      "no-certificate": true,
      selected: true,
      "session-fails": true,
    };
    expect(sorted(schema.$defs.outcome!.enum)).toEqual(keys(outcomes));
  });

  it("every no-certificate reason, exclusion rule, and rule id the pattern must accept", () => {
    const reasons: Record<NoCertificateReason | StartTlsNoCertificateReason, true> = {
      "directory-unreadable": true,
      "directory-empty": true,
      "not-in-store": true,
      "no-private-key": true,
      "no-matching-certificate": true,
      "no-eligible-certificate": true,
      "no-usable-certificate": true,
      "store-unreadable": true,
    };
    const reason = schema.$defs.decision!.properties.reason!.oneOf as { enum?: string[] }[];
    expect(sorted(reason[0]!.enum)).toEqual(keys(reasons));
    const rules: Record<Exclusion["rule"], true> = {
      parse: true,
      R10a: true,
      R10b: true,
      R10c: true,
      R10d: true,
      S3: true,
      S4: true,
    };
    const exclusion = schema.$defs.certificate!.properties.exclusion!.oneOf as {
      properties?: { rule: { enum: string[] } };
    }[];
    expect(sorted(exclusion[1]!.properties!.rule.enum)).toEqual(keys(rules));
    const ids: Record<RuleId, true> = Object.fromEntries(
      (
        "R1 R1a R1b R2 R2a R2b R3 R4 R5 R6 R7 R8 R9 R10 R10a R10b R10c R10d R11 R12 R13 R14 R15 " +
        "I1 I2 I3 I4 S1 S2 S3 S4 S5 S6 S7 S8 S9 S10 S11 E1 E2 E3 E4 E5 E6"
      )
        .split(" ")
        .map((id) => [id, true]),
    ) as Record<RuleId, true>;
    const pattern = new RegExp(
      (schema.$defs.step!.properties.rules!.items as { pattern: string }).pattern,
    );
    for (const id of Object.keys(ids)) expect(pattern.test(id), id).toBe(true);
  });
});
