// Hostile input to the STARTTLS selections: junk stores, hostile connector names and
// TlsCertificateNames. Outcomes are values; only misuse rejects, and then with a typed error
// (TypeError, or InvalidSettingError with a stable code), before the store is read. And the
// store's order never changes the decision (S6 with A11).
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  InvalidSettingError,
  type StoreEntry,
  selectInboundStartTlsCert,
  selectOutboundStartTlsCert,
} from "../../src/index.js";
import { cleanStoreEntries, permute, sortKeys, storeEntries } from "../hostile/arbitraries.js";
import { canonical } from "../hostile/support.js";
import { NOW, SERVER } from "../support/fixtures.js";

/** CI runs 150 from a fixed seed; `npm run fuzz` sets FUZZ_RUNS and FUZZ_SEED (random). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED ?? "20261202";
const seeded = SEED === "random" ? {} : { seed: Number(SEED) };

/** Names people paste, and names meant to hurt: empty, huge, control characters, lookalikes. */
const hostileName = fc.oneof(
  fc.constantFrom(
    "mail.contoso.com",
    "MAIL.CONTOSO.COM.",
    "*.contoso.com",
    "evilcontoso.com",
    "mail.contoso.com.evil.net",
    "mail.contoso.com\u0000.evil.net",
    "xn--mal-contoso-9db.com",
    "",
    "   ",
    "a".repeat(70_000),
  ),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
);

const hostileTlsName = fc.oneof(
  fc.constantFrom(
    "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com",
    "<I><S>",
    '<I>CN="unterminated<S>CN=x',
    `<I>${"CN=a, ".repeat(5_000)}CN=b<S>CN=c`,
    "<S>CN=x<I>CN=y",
  ),
  fc.string({ maxLength: 120 }).map((s) => `<I>${s}`),
  fc.string({ maxLength: 120 }),
);

const allowedMisuse = (error: unknown): boolean =>
  error instanceof TypeError ||
  (error instanceof InvalidSettingError &&
    ["ERR_INVALID_FQDN", "ERR_INVALID_TLS_CERTIFICATE_NAME", "ERR_INVALID_AUTH_MECHANISM"].includes(
      error.code,
    ));

describe("hostile STARTTLS input", () => {
  it("junk stores and hostile names: an outcome value or a typed misuse, never anything else", async () => {
    await fc.assert(
      fc.asyncProperty(
        storeEntries,
        hostileName,
        fc.option(hostileTlsName, { nil: null }),
        hostileName,
        fc.constantFrom("2007" as const, "2016" as const),
        fc.boolean(),
        async (entries, fqdn, tlsCertificateName, physicalFqdn, edition, inbound) => {
          let listed = 0;
          const store = {
            list: () => {
              listed += 1;
              return entries as StoreEntry[];
            },
          };
          const connector = { fqdn, tlsCertificateName, name: fqdn.slice(0, 40) };
          const common = {
            server: { physicalFqdn },
            store,
            now: NOW,
            edition,
            wildcardNames: true,
          };
          try {
            const result = inbound
              ? await selectInboundStartTlsCert({
                  ...common,
                  receiveConnector: { authMechanism: "Tls", ...connector },
                })
              : await selectOutboundStartTlsCert({ ...common, sendConnector: connector });
            expect(["not-attempted", "no-certificate", "selected", "session-fails"]).toContain(
              result.outcome,
            );
            expect(result.certificates.length).toBe(listed === 0 ? 0 : entries.length);
            if (result.outcome === "selected") {
              expect(result.thumbprint).toMatch(/^[0-9A-F]{40}$/);
              expect(result.entry.hasPrivateKey).toBe(true);
            }
          } catch (error) {
            if (!allowedMisuse(error)) throw error;
            // Misuse is found before any I/O.
            expect(listed).toBe(0);
          }
        },
      ),
      { numRuns: RUNS, ...seeded },
    );
  }, 600_000);

  it("S6/A11: the store's order never changes the decision", async () => {
    await fc.assert(
      fc.asyncProperty(cleanStoreEntries, sortKeys, async (entries, keys) => {
        const run = (listed: readonly StoreEntry[]) =>
          selectInboundStartTlsCert({
            receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
            server: SERVER,
            store: { list: () => listed },
            now: NOW,
          });
        const a = await run(entries);
        const b = await run(permute(entries, keys));
        expect(b.outcome === "selected" ? b.thumbprint : b.outcome).toEqual(
          a.outcome === "selected" ? a.thumbprint : a.outcome,
        );
        expect(canonical(b)).toEqual(canonical(a));
      }),
      { numRuns: RUNS, ...seeded },
    );
  }, 600_000);
});
