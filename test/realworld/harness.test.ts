// The real-world corpus harness's own parsing of OpenSSL's output (test/realworld/corpus.ts):
// if these were wrong, corpus.test.ts would compare against the wrong values.
import { describe, expect, it } from "vitest";

import { escapeLikeOpenssl, parseOpensslTime } from "./corpus.js";

describe("realworld harness: OpenSSL's printed forms", () => {
  it.each([
    ["Mar 11 00:00:00 2023 GMT", "2023-03-11T00:00:00.000Z"],
    ["Jan  1 09:05:07 1950 GMT", "1950-01-01T09:05:07.000Z"],
    ["Dec 31 23:59:59 9999 GMT", "9999-12-31T23:59:59.000Z"],
    ["Jun  1 12:00:00.5 2020 GMT", "2020-06-01T12:00:00.500Z"],
    // Year 1: Date.UTC would make it 1901.
    ["Jan  1 00:00:00 1 GMT", "0001-01-01T00:00:00.000Z"],
  ])("reads %s", (text, iso) => {
    expect(new Date(parseOpensslTime(text)).toISOString()).toBe(iso);
  });

  it.each(["Bad time value", "Mar 11 00:00:00 2023", "2023-03-11T00:00:00Z", ""])(
    "has no time for %j",
    (text) => {
      expect(parseOpensslTime(text)).toBeNaN();
    },
  );

  it.each([
    ["plain", "plain"],
    ["We heart UTF8!\u2122", "We heart UTF8!\u2122"],
    ["a\u0000b", "a\\00b"],
    ["tab\there\n", "tab\\09here\\0A"],
    ["del\u007f", "del\\7F"],
    ["back\\slash", "back\\\\slash"],
    ["comma, plus+ <>", "comma, plus+ <>"],
  ])("escapes %j as OpenSSL's esc_ctrl does", (value, printed) => {
    expect(escapeLikeOpenssl(value)).toBe(printed);
  });
});
