// A21 in the selection (issue 16, items 1, 2 and 4): caller-supplied CRLs decide "valid PKI" for
// the ranking (R12/R13), so a revoked CA-issued certificate drops out, the self-signed one ranks
// first, and the thumbprint match (R14/R15, event 1037) follows. Every case is run through the
// plain function and a prepared selector (createSelector), which must agree.
import { beforeAll, describe, expect, it } from "vitest";
import { createSelector, type SelectorOptions } from "../../src/exchange/selector.js";
import {
  type AnonymousTlsSelection,
  type CertificateVerdict,
  explainSelection,
  type OutboundSelectionOptions,
  selectInboundAnonymousTlsCert,
  selectOutboundAnonymousTlsCert,
  type TrustVerdict,
} from "../../src/index.js";
import { parseCertificate } from "../../src/x509/certificate.js";
import { DAY, directoryFor, edgeOptions, fixture, NOW, storeOf } from "../support/fixtures.js";
import { forgeCrl, REASON, toCrlPem } from "./crl-forge.js";

const ROOT_EC = [
  ["O", "Contoso Test PKI"],
  ["CN", "Contoso Root CA (ECDSA)"],
] as const;
const INTER_EC = [
  ["O", "Contoso Test PKI"],
  ["CN", "Contoso Issuing CA (ECDSA)"],
] as const;

const anchors = [fixture("root-rsa").der, fixture("root-ec").der];
const intermediates = [fixture("inter-rsa").der, fixture("inter-ec").der];
const serial = (name: string) => parseCertificate(fixture(name).der).serialNumber;
const REVOKED_AT = new Date(NOW.getTime() - 3 * DAY);

/** inter-ec's CRL (signed by p256-1), listing the given fixtures. */
function interEcCrl(listed: readonly string[], options: { nextUpdate?: Date } = {}): Uint8Array {
  return forgeCrl({
    issuer: INTER_EC,
    signer: "p256-1",
    thisUpdate: new Date(NOW.getTime() - DAY),
    nextUpdate: options.nextUpdate ?? new Date(NOW.getTime() + 7 * DAY),
    crlNumber: 7,
    entries: listed.map((name) => ({
      serial: serial(name),
      date: REVOKED_AT,
      reason: REASON.keyCompromise,
    })),
  });
}

/** root-ec's CRL (signed by p384-1), listing the given fixtures. */
function rootEcCrl(listed: readonly string[]): Uint8Array {
  return forgeCrl({
    issuer: ROOT_EC,
    signer: "p384-1",
    thisUpdate: new Date(NOW.getTime() - DAY),
    nextUpdate: new Date(NOW.getTime() + 30 * DAY),
    crlNumber: 2,
    entries: listed.map((name) => ({ serial: serial(name), date: REVOKED_AT, reason: 2 })),
  });
}

type Revocation = Pick<SelectorOptions, "crls" | "revocationMode">;

/** The plain function and a prepared selector on the same input; they must agree. */
async function both(
  store: readonly string[],
  directory: string,
  revocation: Revocation,
  now: Date = NOW,
): Promise<AnonymousTlsSelection> {
  const options: OutboundSelectionOptions = {
    ...edgeOptions(),
    directory: directoryFor(directory),
    store: storeOf(...store),
    trustAnchors: anchors,
    intermediates,
    now,
    ...revocation,
  };
  const plain = await selectOutboundAnonymousTlsCert(options);
  const { store: storeOption, trustAnchors, intermediates: pool, ...session } = options;
  const { crls, revocationMode, ...rest } = session;
  const selector = createSelector({
    store: storeOption,
    trustAnchors: trustAnchors!,
    intermediates: pool!,
    ...(crls === undefined ? {} : { crls }),
    ...(revocationMode === undefined ? {} : { revocationMode }),
  });
  const prepared = await selector.selectOutbound(rest);
  expect(prepared).toEqual(plain);
  return plain;
}

function verdictOf(selection: AnonymousTlsSelection, name: string): CertificateVerdict {
  const found = selection.certificates.find((c) => c.thumbprint === fixture(name).thumbprint);
  if (found === undefined) throw new Error(`no verdict for ${name}`);
  return found;
}

function trustOf(selection: AnonymousTlsSelection, name: string): TrustVerdict {
  const verdict = verdictOf(selection, name);
  if (verdict.status !== "eligible" || verdict.trust === null) {
    throw new Error(`${name} was not judged`);
  }
  return verdict.trust;
}

const best = (selection: AnonymousTlsSelection) =>
  selection.outcome === "selected" ? selection.bestCandidate : null;
const ids = (selection: AnonymousTlsSelection) => selection.events.map((event) => event.id);

beforeAll(() => {
  // Warm the fixtures (file reads) outside the timed tests.
  for (const name of ["leaf-ec", "inter-ec", "self-signed", "leaf-rsa"]) fixture(name);
});

describe("A21 + R12/R13: a revoked CA-issued certificate is not valid PKI", () => {
  it("without CRLs the CA-issued certificate is the best candidate (R12), no revocation field", async () => {
    const selection = await both(["leaf-ec", "self-signed"], "self-signed", {});
    expect(best(selection)).toBe(fixture("leaf-ec").thumbprint);
    expect(ids(selection)).toEqual([1037]); // R15: the directory names the self-signed one
    const trust = trustOf(selection, "leaf-ec");
    expect(trust.kind).toBe("pki");
    expect("revocation" in trust).toBe(false);
  });

  it("a CRL listing the leaf: it drops out, the self-signed one ranks first (R13), 1037 goes", async () => {
    const selection = await both(["leaf-ec", "self-signed"], "self-signed", {
      crls: [interEcCrl(["leaf-ec"])],
    });
    expect(best(selection)).toBe(fixture("self-signed").thumbprint);
    expect(ids(selection)).toEqual([]); // R14: best candidate = directory's certificate
    const trust = trustOf(selection, "leaf-ec");
    if (trust.kind !== "untrusted") throw new Error("expected untrusted");
    expect(trust.code).toBe("revoked");
    expect(trust.revocation).toHaveLength(2); // leaf and inter-ec, not the anchor
    const [leaf, inter] = trust.revocation!;
    expect(leaf).toMatchObject({
      certificate: fixture("leaf-ec").thumbprint,
      status: "revoked",
      reasonCode: REASON.keyCompromise,
      reason: "keyCompromise",
      crlNumber: "7",
      crlIssuer: "CN=Contoso Issuing CA (ECDSA), O=Contoso Test PKI",
    });
    expect(leaf!.revocationDate?.getTime()).toBe(REVOKED_AT.getTime());
    // Soft mode: root-ec published no CRL, so inter-ec's status is unknown, not a failure.
    expect(inter).toMatchObject({ certificate: fixture("inter-ec").thumbprint, status: "unknown" });
  });

  it("the same CRL when the directory names the CA-issued leaf: 1037 appears (R15)", async () => {
    const selection = await both(["leaf-ec", "self-signed"], "leaf-ec", {
      crls: [toCrlPem(interEcCrl(["leaf-ec"]))], // PEM text works as DER does
    });
    expect(best(selection)).toBe(fixture("self-signed").thumbprint);
    expect(ids(selection)).toEqual([1037]);
    // A1 default: the directory's certificate is still the one used.
    expect(selection.outcome === "selected" && selection.thumbprint).toBe(
      fixture("leaf-ec").thumbprint,
    );
  });

  it("a revoked intermediate (root's CRL) takes its leaf out too", async () => {
    const selection = await both(["leaf-ec", "self-signed"], "self-signed", {
      crls: [interEcCrl([]), rootEcCrl(["inter-ec"])],
    });
    expect(best(selection)).toBe(fixture("self-signed").thumbprint);
    const trust = trustOf(selection, "leaf-ec");
    if (trust.kind !== "untrusted") throw new Error("expected untrusted");
    expect(trust.code).toBe("revoked");
    expect(trust.revocation!.map((s) => s.status)).toEqual(["good", "revoked"]);
    expect(trust.revocation![1]).toMatchObject({
      certificate: fixture("inter-ec").thumbprint,
      reason: "cACompromise",
      crlNumber: "2",
    });
  });

  it("another chain's CRL does not touch this one: leaf-ec stays valid PKI with 'good' statuses", async () => {
    const selection = await both(["leaf-ec", "leaf-rsa", "self-signed"], "leaf-ec", {
      crls: [interEcCrl(["leaf-rsa"]), rootEcCrl([])], // leaf-rsa's serial, but inter-ec's CRL
      revocationMode: "hard",
    });
    expect(best(selection)).toBe(fixture("leaf-ec").thumbprint);
    const trust = trustOf(selection, "leaf-ec");
    if (trust.kind !== "pki") throw new Error("expected pki");
    expect(trust.revocation!.map((s) => s.status)).toEqual(["good", "good"]);
    expect(trust.revocation![0]!.crl).toMatch(/^[0-9A-F]{64}$/);
  });
});

describe("A21: soft vs hard mode without a usable CRL", () => {
  it("soft mode, no CRL: still valid PKI, every status unknown, said in the verdict", async () => {
    const selection = await both(["leaf-ec", "self-signed"], "leaf-ec", {
      revocationMode: "soft",
    });
    expect(best(selection)).toBe(fixture("leaf-ec").thumbprint);
    const trust = trustOf(selection, "leaf-ec");
    if (trust.kind !== "pki") throw new Error("expected pki");
    expect(trust.revocation!.map((s) => s.status)).toEqual(["unknown", "unknown"]);
    expect(trust.revocation![0]!.detail).toMatch(/no CRL from .*Issuing CA \(ECDSA\)/);
  });

  it("hard mode, no CRL (Exchange's RevocationCheckFailure): not valid PKI, self-signed first", async () => {
    const selection = await both(["leaf-ec", "self-signed"], "leaf-ec", {
      revocationMode: "hard",
    });
    expect(best(selection)).toBe(fixture("self-signed").thumbprint);
    expect(ids(selection)).toEqual([1037]);
    const trust = trustOf(selection, "leaf-ec");
    if (trust.kind !== "untrusted") throw new Error("expected untrusted");
    expect(trust.code).toBe("revocation-unknown");
    expect(trust.revocation!.map((s) => s.status)).toEqual(["unknown", "unknown"]);
  });

  it("hard mode with an expired CRL is the same as none; while it is current, the leaf is good", async () => {
    const crls = [interEcCrl([], { nextUpdate: new Date(NOW.getTime() + DAY) }), rootEcCrl([])];
    const current = await both(["leaf-ec", "self-signed"], "leaf-ec", {
      crls,
      revocationMode: "hard",
    });
    expect(best(current)).toBe(fixture("leaf-ec").thumbprint);
    // nextUpdate is inclusive (A4 reading, as for certificates): still current at it.
    const atEnd = await both(
      ["leaf-ec", "self-signed"],
      "leaf-ec",
      { crls, revocationMode: "hard" },
      new Date(NOW.getTime() + DAY),
    );
    expect(best(atEnd)).toBe(fixture("leaf-ec").thumbprint);
    const after = await both(
      ["leaf-ec", "self-signed"],
      "leaf-ec",
      { crls, revocationMode: "hard" },
      new Date(NOW.getTime() + DAY + 1),
    );
    expect(best(after)).toBe(fixture("self-signed").thumbprint);
    const trust = trustOf(after, "leaf-ec");
    expect(trust.kind === "untrusted" && trust.code).toBe("revocation-unknown");
    expect(trust.kind === "untrusted" && trust.revocation![0]!.detail).toMatch(/expired/);
  });

  it("a prepared selector crosses the CRL's nextUpdate between sessions as the plain function does", async () => {
    const crls = [interEcCrl([], { nextUpdate: new Date(NOW.getTime() + DAY) }), rootEcCrl([])];
    const selector = createSelector({
      store: storeOf("leaf-ec", "self-signed"),
      trustAnchors: anchors,
      intermediates,
      crls,
      revocationMode: "hard",
    });
    const session = edgeOptions();
    const times = [0, DAY, DAY + 1, DAY, 0].map((offset) => new Date(NOW.getTime() + offset));
    const bests: (string | null)[] = [];
    for (const now of times) {
      const prepared = await selector.selectOutbound({
        ...session,
        directory: directoryFor("leaf-ec"),
        now,
      });
      const plain = await selectOutboundAnonymousTlsCert({
        ...edgeOptions(),
        directory: directoryFor("leaf-ec"),
        store: storeOf("leaf-ec", "self-signed"),
        trustAnchors: anchors,
        intermediates,
        crls,
        revocationMode: "hard",
        now,
      });
      expect(prepared).toEqual(plain);
      bests.push(best(prepared));
    }
    const ec = fixture("leaf-ec").thumbprint;
    const self = fixture("self-signed").thumbprint;
    expect(bests).toEqual([ec, ec, self, ec, ec]);
  });
});

describe("A21: misuse and unreadable CRLs", () => {
  const base = () => ({
    ...edgeOptions(),
    directory: directoryFor("leaf-ec"),
    store: storeOf("leaf-ec"),
    trustAnchors: anchors,
    intermediates,
  });

  it("wrong types are TypeError (misuse), on the functions and on createSelector", async () => {
    await expect(
      selectOutboundAnonymousTlsCert({ ...base(), crls: "x" as unknown as string[] }),
    ).rejects.toThrow(TypeError);
    await expect(
      selectOutboundAnonymousTlsCert({ ...base(), crls: [42 as unknown as string] }),
    ).rejects.toThrow(TypeError);
    await expect(
      selectOutboundAnonymousTlsCert({ ...base(), revocationMode: "strict" as "hard" }),
    ).rejects.toThrow(/revocationMode/);
    expect(() =>
      createSelector({ store: storeOf("leaf-ec"), revocationMode: "off" as "soft" }),
    ).toThrow(TypeError);
    expect(() =>
      createSelector({ store: storeOf("leaf-ec"), crls: {} as unknown as string[] }),
    ).toThrow(TypeError);
  });

  it("a session may not pass crls or revocationMode to a prepared selector (per selector)", async () => {
    const selector = createSelector({ store: storeOf("leaf-ec") });
    const { store: _store, trustAnchors: _anchors, intermediates: _pool, ...session } = base();
    await expect(
      selector.selectOutbound({ ...session, crls: [] } as unknown as Parameters<
        typeof selector.selectOutbound
      >[0]),
    ).rejects.toThrow(/crls is prepared by createSelector/);
    await expect(
      selector.selectInbound({
        directory: directoryFor("leaf-ec"),
        receiveConnector: { authMechanism: "ExchangeServer" },
        revocationMode: "hard",
      } as unknown as Parameters<typeof selector.selectInbound>[0]),
    ).rejects.toThrow(/revocationMode is prepared/);
  });

  it("a CRL that does not parse is not misuse: ignored, reported on the verdict, others used", async () => {
    const selection = await both(["leaf-ec", "self-signed"], "self-signed", {
      crls: [Uint8Array.of(0x30, 0x03, 0x02, 0x01), interEcCrl(["leaf-ec"]), "not a CRL"],
    });
    expect(best(selection)).toBe(fixture("self-signed").thumbprint);
    const trust = trustOf(selection, "leaf-ec");
    if (trust.kind !== "untrusted") throw new Error("expected untrusted");
    expect(trust.code).toBe("revoked");
    expect(trust.ignoredCrls!.map((crl) => [crl.input, crl.failure])).toEqual([
      [0, expect.any(String)],
      [2, "empty"],
    ]);
  });
});

describe("A21: inbound sends the chain only of a valid, unrevoked path", () => {
  it("a revoked directory certificate is still used (I2–I4 do not rank), sent without its chain", async () => {
    const options = {
      directory: directoryFor("leaf-ec"),
      store: storeOf("leaf-ec"),
      receiveConnector: { authMechanism: "ExchangeServer" },
      trustAnchors: anchors,
      intermediates,
      now: NOW,
    };
    const clean = await selectInboundAnonymousTlsCert(options);
    const revoked = await selectInboundAnonymousTlsCert({
      ...options,
      crls: [interEcCrl(["leaf-ec"])],
    });
    expect(clean.outcome === "selected" && clean.chain.length).toBe(2);
    expect(revoked.outcome === "selected" && revoked.chain.length).toBe(1);
    const { store, trustAnchors, intermediates: pool, ...session } = options;
    const selector = createSelector({
      store,
      trustAnchors,
      intermediates: pool,
      crls: [interEcCrl(["leaf-ec"])],
    });
    expect(await selector.selectInbound(session)).toEqual(revoked);
  });
});

describe("A21, issue 16 item 2: the explanation shows each certificate's status and its CRL", () => {
  it("revoked leaf, unknown CA (soft mode)", async () => {
    const selection = await both(["leaf-ec", "self-signed"], "self-signed", {
      crls: [interEcCrl(["leaf-ec"]), "garbage"],
    });
    const text = explainSelection(selection);
    const leaf = fixture("leaf-ec").thumbprint;
    const inter = fixture("inter-ec").thumbprint;
    expect(text).toContain("Revocation (A21, the supplied CRLs):");
    expect(text).toContain(`neither (revoked)`);
    expect(text).toContain(
      `    ${leaf} revoked (keyCompromise, since ${REVOKED_AT.toISOString().slice(0, 10)}) by the CRL #7 of CN=Contoso Issuing CA (ECDSA), O=Contoso Test PKI`,
    );
    expect(text).toMatch(
      new RegExp(
        `    ${inter} unknown \\(no CRL from .*Contoso Root CA \\(ECDSA\\).* was supplied\\)`,
      ),
    );
    expect(text).toContain("  ignored CRL (input 1): empty: ");
  });

  it("good statuses name the CRL; without CRLs there is no revocation section", async () => {
    const good = await both(["leaf-ec"], "leaf-ec", { crls: [interEcCrl([]), rootEcCrl([])] });
    const text = explainSelection(good);
    expect(text).toContain(
      `    ${fixture("leaf-ec").thumbprint} good by the CRL #7 of CN=Contoso Issuing CA (ECDSA), O=Contoso Test PKI`,
    );
    expect(text).toContain(
      `    ${fixture("inter-ec").thumbprint} good by the CRL #2 of CN=Contoso Root CA (ECDSA), O=Contoso Test PKI`,
    );
    const none = await both(["leaf-ec"], "leaf-ec", {});
    expect(explainSelection(none)).not.toContain("Revocation");
  });
});
