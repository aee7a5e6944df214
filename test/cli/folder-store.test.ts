// The folder store as a library CertStore: what it lists, and what the selection makes of it,
// in particular a key file that does not belong to its certificate (R10b, A9).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { createFolderStore, FolderStoreError } from "../../src/adapters/folder-store.js";
import { selectOutboundAnonymousTlsCert } from "../../src/index.js";
import { parseCertificate } from "../../src/x509/certificate.js";
import { forgeCrl, REASON, toCrlPem } from "../revocation/crl-forge.js";
import { edgeOptions, fixture, NOW, staticDirectory } from "../support/fixtures.js";
import { copyFixture, tempDir, writeJson } from "./support.js";

function folderWith(setup: (dir: string) => void): string {
  const dir = tempDir("folder");
  setup(dir);
  return dir;
}

describe("createFolderStore", () => {
  it("lists certificate files in name order: PEM as text, DER as bytes, keys beside them", async () => {
    const dir = folderWith((d) => {
      copyFixture(d, "self-signed", "b-edge.pem", { from: "self-signed", as: "b-edge.key" });
      writeFileSync(join(d, "a-leaf.CER"), fixture("leaf-rsa").der);
      copyFixture(d, "leaf-ec", "c-leaf.crt");
      writeFileSync(join(d, "notes.txt"), "not a certificate file name");
      mkdirSync(join(d, "sub.pem"));
    });
    const entries = await createFolderStore(dir).list();
    expect(entries.map((e) => e.file)).toEqual(["a-leaf.CER", "b-edge.pem", "c-leaf.crt"]);
    expect(entries[0]!.certificate).toBeInstanceOf(Uint8Array);
    expect(typeof entries[1]!.certificate).toBe("string");
    expect(entries.map((e) => [e.hasPrivateKey, e.keyFile ?? null, e.services])).toEqual([
      [false, null, ["SMTP"]],
      [true, "b-edge.key", ["SMTP"]],
      [false, null, ["SMTP"]],
    ]);
    expect(entries[1]!.privateKey).toBe(fixture("self-signed").keyPem);
  });

  it("the manifest sets services and HasPrivateKey (PowerShell or camelCase names); $ keys are notes", async () => {
    const dir = folderWith((d) => {
      copyFixture(d, "leaf-rsa", "leaf.pem");
      copyFixture(d, "self-signed", "edge.pem", { from: "self-signed", as: "edge.key" });
      writeJson(d, "store.json", {
        $comment: "exported from EDGE01",
        "leaf.pem": { Services: "IIS, SMTP", HasPrivateKey: true },
        "edge.pem": { services: ["IMAP"], hasPrivateKey: false },
      });
    });
    const entries = await createFolderStore(dir, { defaultServices: ["None"] }).list();
    expect(entries.map((e) => [e.file, e.services, e.hasPrivateKey])).toEqual([
      ["edge.pem", ["IMAP"], false],
      ["leaf.pem", ["IIS", "SMTP"], true],
    ]);
  });

  it.each([
    [
      "a folder that does not exist",
      (_d: string) => {},
      "missing",
      /cannot list .*: no such file or directory/,
    ],
    [
      "a manifest that is not JSON",
      (d: string) => writeFileSync(join(d, "store.json"), "{"),
      ".",
      /store\.json: not JSON/,
    ],
    [
      "a manifest naming a file that is not there",
      (d: string) => writeJson(d, "store.json", { "edge.pem": {} }),
      ".",
      /edge\.pem: no such file in the folder/,
    ],
    [
      "a manifest with a wrong type",
      (d: string) => {
        copyFixture(d, "leaf-rsa", "leaf.pem");
        writeJson(d, "store.json", { "leaf.pem": { hasPrivateKey: "yes" } });
      },
      ".",
      /leaf\.pem\.hasPrivateKey: expected true or false/,
    ],
  ])("%s: list() throws FolderStoreError", async (_name, setup, sub, message) => {
    const dir = folderWith(setup);
    const store = createFolderStore(join(dir, sub));
    const error = await store.list().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FolderStoreError);
    expect((error as FolderStoreError).code).toBe("ERR_FOLDER_STORE");
    expect((error as Error).message).toMatch(message);
  });
});

describe("a selection over a folder store", () => {
  it("R10b: a key file that belongs to another certificate means no private key, and says so", async () => {
    const dir = folderWith((d) => {
      copyFixture(d, "self-signed", "edge.pem", { from: "self-signed", as: "edge.key" });
      copyFixture(d, "self-signed-newest", "renewed.pem", { from: "leaf-rsa", as: "renewed.key" });
    });
    const selection = await selectOutboundAnonymousTlsCert({
      ...edgeOptions(),
      directory: staticDirectory(fixture("self-signed").thumbprint),
      store: createFolderStore(dir),
    });
    expect(selection.outcome).toBe("selected");
    const renewed = selection.certificates.find(
      (c) => c.thumbprint === fixture("self-signed-newest").thumbprint,
    );
    expect(renewed).toMatchObject({
      status: "excluded",
      exclusion: { rule: "R10b", code: "private-key-mismatch" },
    });
    // With the right key the same certificate would have been the best candidate.
    const edge = selection.certificates.find(
      (c) => c.thumbprint === fixture("self-signed").thumbprint,
    );
    expect(edge).toMatchObject({ status: "eligible", best: true });
  });

  it("a file that is not a certificate is listed as unreadable, not hidden", async () => {
    const dir = folderWith((d) => {
      copyFixture(d, "self-signed", "edge.pem");
      writeFileSync(
        join(d, "broken.pem"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      );
    });
    const selection = await selectOutboundAnonymousTlsCert({
      ...edgeOptions(),
      directory: staticDirectory(fixture("self-signed").thumbprint),
      store: createFolderStore(dir, { manifest: "none.json" }),
    });
    expect(selection.certificates[0]).toMatchObject({ status: "unreadable" });
  });

  it("A16: a folder that cannot be read is a store that cannot be read (12013, cause kept)", async () => {
    const selection = await selectOutboundAnonymousTlsCert({
      ...edgeOptions(),
      directory: staticDirectory(fixture("self-signed").thumbprint),
      store: createFolderStore(join(tempDir("gone"), "missing")),
    });
    expect(selection).toMatchObject({ outcome: "no-certificate", reason: "not-in-store" });
    expect(selection.events.map((e) => e.id)).toEqual([12013]);
    expect(selection.outcome === "no-certificate" && selection.cause).toBeInstanceOf(
      FolderStoreError,
    );
  });
});

describe("A21: a folder's *.crl files", () => {
  const DAY = 86_400_000;
  const interRsaCrl = (listed: readonly string[]) =>
    forgeCrl({
      issuer: [
        ["O", "Contoso Test PKI"],
        ["CN", "Contoso Issuing CA (RSA)"],
      ],
      signer: "rsa-2",
      thisUpdate: new Date(NOW.getTime() - DAY),
      nextUpdate: new Date(NOW.getTime() + DAY),
      crlNumber: 8,
      entries: listed.map((name) => ({
        serial: parseCertificate(fixture(name).der).serialNumber,
        reason: REASON.keyCompromise,
      })),
    });

  it("crls() lists them in name order, PEM as text and DER as bytes; list() ignores them", async () => {
    const dir = folderWith((d) => {
      copyFixture(d, "self-signed", "edge.pem");
      writeFileSync(join(d, "b-issuing.CRL"), interRsaCrl([]));
      writeFileSync(join(d, "a-root.crl"), toCrlPem(interRsaCrl([])));
      writeFileSync(join(d, "notes.txt"), "not a CRL file name");
    });
    const store = createFolderStore(dir);
    const crls = await store.crls();
    expect(crls.map((c) => c.file)).toEqual(["a-root.crl", "b-issuing.CRL"]);
    expect(typeof crls[0]!.crl).toBe("string");
    expect(crls[1]!.crl).toBeInstanceOf(Uint8Array);
    expect((await store.list()).map((e) => e.file)).toEqual(["edge.pem"]);
    await expect(createFolderStore(join(dir, "missing")).crls()).rejects.toThrow(FolderStoreError);
  });

  it("passed as crls, a revoked CA-issued certificate is not valid PKI: the self-signed one ranks first (R13)", async () => {
    const dir = folderWith((d) => {
      copyFixture(d, "self-signed", "edge.pem", { from: "self-signed", as: "edge.key" });
      copyFixture(d, "leaf-rsa", "mail.pem", { from: "leaf-rsa", as: "mail.key" });
      writeFileSync(join(d, "issuing.crl"), interRsaCrl(["leaf-rsa"]));
    });
    const store = createFolderStore(dir);
    const options = {
      ...edgeOptions(),
      directory: staticDirectory(fixture("self-signed").thumbprint),
      store,
      trustAnchors: [fixture("root-rsa").der],
      intermediates: [fixture("inter-rsa").der],
    };
    const without = await selectOutboundAnonymousTlsCert(options);
    expect(without.outcome === "selected" && without.bestCandidate).toBe(
      fixture("leaf-rsa").thumbprint,
    );
    const withCrls = await selectOutboundAnonymousTlsCert({
      ...options,
      crls: (await store.crls()).map((c) => c.crl),
    });
    expect(withCrls.outcome === "selected" && withCrls.bestCandidate).toBe(
      fixture("self-signed").thumbprint,
    );
    expect(withCrls.events.map((e) => e.id)).not.toContain(1037);
  });
});
