// examples/anonymous-tls-server as a user runs it (`npm run example:anonymous-tls`: tsx, from the
// repository's root, where tsconfig.json's "paths" send the package's names to the sources, so
// no build is needed). The example must stay a thin user of the package: its modules import the
// package's public names and Node's built-ins only, never ../../src or the test fixtures, and its
// certificates are the plain files in its certs/ folder. Both ends must see each other's selected
// certificate (thumbprints checked against node:crypto's SHA-1 of those files).
import { execFile } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as published from "exchange-anonymous-tls/smtp-server";
import { describe, expect, it } from "vitest";

import * as sources from "../../src/adapters/smtp-server/index.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const EXAMPLE = join(REPO, "examples", "anonymous-tls-server");

const thumbprintOf = (file: string) =>
  new X509Certificate(readFileSync(join(EXAMPLE, "certs", file))).fingerprint.replaceAll(":", "");

function runExample(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", join(EXAMPLE, "demo.ts")],
      { cwd: REPO, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : (error as { code?: unknown }).code;
        resolve({ code: typeof code === "number" ? code : 1, stdout, stderr });
      },
    );
  });
}

describe("examples/anonymous-tls-server", () => {
  it("imports only the package's public names and Node's built-ins", () => {
    const modules = readdirSync(EXAMPLE).filter((name) => name.endsWith(".ts"));
    expect(modules).toEqual(expect.arrayContaining(["demo.ts", "server.ts"]));
    for (const name of modules) {
      const source = readFileSync(join(EXAMPLE, name), "utf8");
      const specifiers = [...source.matchAll(/\bfrom\s+"([^"]+)"|\bimport\s*\(\s*"([^"]+)"/g)].map(
        (m) => m[1] ?? m[2],
      );
      expect(specifiers.length, name).toBeGreaterThan(0);
      for (const specifier of specifiers) {
        expect(specifier, `${name} imports ${specifier}`).toMatch(
          /^(node:[a-z/_]+|exchange-anonymous-tls(\/smtp-server|\/ldap)?)$/,
        );
      }
    }
  });

  it("the package's names are its sources here, as for tsx: no build is needed (CI tests before it builds)", () => {
    // vitest.config.ts's alias; a self-reference would load dist/ (another module instance).
    expect(published.createAnonymousTlsServer).toBe(sources.createAnonymousTlsServer);
  });

  it("ships its certificates with their keys as plain files (each key is its certificate's)", () => {
    for (const host of ["hub01", "edge01"]) {
      const certificate = new X509Certificate(
        readFileSync(join(EXAMPLE, "certs", host, `${host}.pem`)),
      );
      const key = readFileSync(join(EXAMPLE, "certs", host, `${host}.key`), "utf8");
      expect(certificate.checkPrivateKey(createPrivateKey(key)), host).toBe(true);
    }
  });

  it("runs: each side selects its certificate and sees the other's (npm run example:anonymous-tls)", async () => {
    const ran = await runExample();
    expect(ran.stderr).toBe("");
    expect(ran.code).toBe(0);
    const hub01 = thumbprintOf("hub01/hub01.pem");
    const edge01 = thumbprintOf("edge01/edge01.pem");
    const lines = ran.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^receiver {2}listening on 127\.0\.0\.1:\d+$/);
    expect(lines.slice(1)).toEqual([
      `receiver  selected ${hub01} (hub01), sends hub01 → inter-rsa, events: none`,
      `receiver  STARTTLS ${hub01} (hub01), sends hub01 → inter-rsa, events: none`,
      `sender    selected ${edge01} (edge01), sends edge01 → inter-ec, events: none`,
      "sender    EHLO keywords: PIPELINING 8BITMIME SMTPUTF8 STARTTLS X-ANONYMOUSTLS",
      `sender    X-ANONYMOUSTLS → 220, TLSv1.3; receiver presented ${hub01} (hub01) → ${thumbprintOf("ca/inter-rsa.pem")} (inter-rsa)`,
      "sender    receiver's certificate is its selected one: true",
      "sender    EHLO inside TLS: 250 PIPELINING 8BITMIME SMTPUTF8",
      `receiver  sender presented ${edge01} (edge01) → ${thumbprintOf("ca/inter-ec.pem")} (inter-ec)`,
      "receiver  sender's certificate is its selected one: true",
    ]);
  });
});
