// The plugin's .ini checks, in process: what Haraka's config system can hand over (strings,
// numbers, booleans, arrays from `key[]=`, nothing at all) is either a setting or a named problem,
// never an exception of another kind.
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { HarakaConfigError, parseHarakaIni } from "../../src/adapters/haraka/config.js";

const FOLDER = "/etc/haraka/config";
const parse = (main: unknown) => parseHarakaIni("exchange_anonymous_tls.ini", main, FOLDER);

function problemsOf(main: unknown): readonly string[] {
  try {
    parse(main);
  } catch (error) {
    expect(error).toBeInstanceOf(HarakaConfigError);
    expect((error as HarakaConfigError).code).toBe("ERR_HARAKA_CONFIG");
    return (error as HarakaConfigError).problems;
  }
  throw new Error("no problem reported");
}

describe("parseHarakaIni", () => {
  it("resolves relative paths from Haraka's config folder and parses every setting", () => {
    expect(
      parse({
        snapshot: "exchange/snapshot.json",
        store: "/var/lib/certs",
        auth_mechanism: "Tls, ExchangeServer",
        edition: 2016,
        at: "2025-06-15T12:00:00Z",
        handshake_timeout: "2.5",
        min_version: "TLSv1.3",
      }),
    ).toEqual({
      snapshot: join(FOLDER, "exchange/snapshot.json"),
      store: "/var/lib/certs",
      authMechanism: "Tls, ExchangeServer",
      edition: "2016",
      at: new Date("2025-06-15T12:00:00Z"),
      handshakeTimeout: 2.5,
      minVersion: "TLSv1.3",
    });
  });

  it("a folder store with the directory's thumbprint is enough", () => {
    expect(parse({ store: "certs", directory: "AB".repeat(20) })).toEqual({
      store: join(FOLDER, "certs"),
      directory: "AB".repeat(20),
    });
  });

  it.each([undefined, null, "text", 42, []])(
    "no [main] section at all (%s): names what is needed",
    (main) => {
      expect(problemsOf(main)).toEqual(["needs snapshot=<file.json> or store=<folder>"]);
    },
  );

  it("lists every problem at once", () => {
    expect(
      problemsOf({
        store: ["a", "b"],
        snapshot: "s.json",
        directory: "AB",
        edition: "2013",
        at: "yesterday",
        handshake_timeout: "Infinity",
        min_version: "TLSv1",
        colour: "blue",
        __proto__: "x",
      }),
    ).toEqual([
      "colour: unknown setting",
      "store: not a single value",
      "directory is for store without snapshot (the snapshot has a directory)",
      'edition: "2013" is neither 2007 nor 2016',
      'at: "yesterday" is not a date',
      'handshake_timeout: "Infinity" is not a number of seconds in (0, 3600]',
      'min_version: "TLSv1" is neither TLSv1.2 nor TLSv1.3',
    ]);
  });

  it("never lowers the TLS floor below 1.2, never accepts a zero or negative timeout", () => {
    expect(problemsOf({ store: "c", directory: "x", min_version: "TLSv1.1" })).toHaveLength(1);
    expect(problemsOf({ store: "c", directory: "x", handshake_timeout: 0 })).toHaveLength(1);
    expect(problemsOf({ store: "c", directory: "x", handshake_timeout: "-3" })).toHaveLength(1);
  });
});
