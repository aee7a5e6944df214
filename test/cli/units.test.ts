// The small rules the command applies before any selection runs: which dates `--at` and
// `evaluatedAt` accept, and when output is coloured.
import { describe, expect, it } from "vitest";

import { parseAt, parseInstant } from "../../src/cli/dates.js";
import { useColor } from "../../src/cli/run.js";

describe("dates", () => {
  it.each([
    ["2027-01-15", "2027-01-15T00:00:00.000Z"],
    ["2027-01-15T09:30:00Z", "2027-01-15T09:30:00.000Z"],
    ["2027-01-15T09:30Z", "2027-01-15T09:30:00.000Z"],
    ["2027-01-15T09:30:00+01:00", "2027-01-15T08:30:00.000Z"],
    ["2027-01-15 09:30:00.123-0500", "2027-01-15T14:30:00.123Z"],
    ["2028-02-29", "2028-02-29T00:00:00.000Z"],
  ])("%s is %s", (text, iso) => {
    const parsed = parseInstant(text);
    expect(parsed.ok && parsed.date.toISOString()).toBe(iso);
  });

  it.each([
    ["2027-01-15T09:30", "no zone: local time would depend on the machine"],
    ["2027-02-29", "no such day"],
    ["2027-13-01", "no such month"],
    ["2027-01-15T25:00Z", "no such hour"],
    ["15/01/2027", "ambiguous order"],
    ["tomorrow", "words"],
    ["", "empty"],
  ])("%s is refused (%s)", (text) => {
    expect(parseInstant(text).ok).toBe(false);
  });

  it("--at +Nd and -Nd count days from the base time", () => {
    const base = new Date("2026-11-02T08:30:00Z");
    const later = parseAt("+30d", base);
    const earlier = parseAt("-1d", base);
    expect(later.ok && later.date.toISOString()).toBe("2026-12-02T08:30:00.000Z");
    expect(earlier.ok && earlier.date.toISOString()).toBe("2026-11-01T08:30:00.000Z");
    expect(parseAt("+30", base).ok).toBe(false);
  });
});

describe("colour", () => {
  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ NO_COLOR: "1" }, true, false],
    [{ NO_COLOR: "" }, true, true], // no-color.org: only a non-empty value counts
    [{ FORCE_COLOR: "1" }, false, true],
    [{ FORCE_COLOR: "0" }, true, true],
    [{ FORCE_COLOR: "0" }, false, false],
    [{ FORCE_COLOR: "1", NO_COLOR: "1" }, true, false],
  ])("env %j, terminal %s: colour %s", (env, isTTY, expected) => {
    expect(useColor({ env, isTTY })).toBe(expected);
  });
});
