import { describe, expect, it } from "vitest";

import {
  MAX_REPLY_LINE_LENGTH,
  MAX_REPLY_LINES,
  parseEhloReply,
  type SmtpReply,
  SmtpReplyParser,
  SmtpReplySyntaxError,
} from "../../src/exchange/smtp-reply.js";

const EHLO =
  "250-hub01.contoso.com Hello [127.0.0.1]\r\n" +
  "250-SIZE 10485760\r\n" +
  "250-PIPELINING\r\n" +
  "250-STARTTLS\r\n" +
  "250-x-anonymoustls\r\n" +
  "250 8BITMIME\r\n";

function parseAll(...chunks: string[]): SmtpReply[] {
  const parser = new SmtpReplyParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
}

describe("SmtpReplyParser", () => {
  it("a single-line reply", () => {
    expect(parseAll("220 hub01 ESMTP\r\n")).toEqual([{ code: 220, lines: ["hub01 ESMTP"] }]);
  });

  it("a multi-line reply is one reply", () => {
    const [reply] = parseAll(EHLO);
    expect(reply?.code).toBe(250);
    expect(reply?.lines).toHaveLength(6);
  });

  it("the same replies at every split point of the byte stream (TCP packets)", () => {
    const stream = `220 hub01 ESMTP\r\n${EHLO}220 go ahead\r\n`;
    const whole = parseAll(stream);
    expect(whole).toHaveLength(3);
    for (let split = 0; split <= stream.length; split++) {
      expect(parseAll(stream.slice(0, split), stream.slice(split))).toEqual(whole);
    }
    expect(parseAll(...stream.split(""))).toEqual(whole);
  });

  it("several replies in one chunk", () => {
    expect(parseAll("250 ok\r\n221 bye\r\n").map((r) => r.code)).toEqual([250, 221]);
  });

  it("a bare LF ends a line; a bare code is a complete line", () => {
    expect(parseAll("250-a\n250\n")).toEqual([{ code: 250, lines: ["a", ""] }]);
  });

  it("keeps a partial line and unfinished continuation lines as pending", () => {
    const parser = new SmtpReplyParser();
    expect(parser.push("250-a\r\n250-b\r\n25")).toEqual([]);
    expect(parser.pending).toBe("250-a\r\n250-b\r\n25");
    expect(parser.push("0 c\r\n")).toEqual([{ code: 250, lines: ["a", "b", "c"] }]);
    expect(parser.pending).toBe("");
  });

  const malformed: [string, string][] = [
    ["not a reply line", "hello\r\n"],
    ["a code outside 2xx–5xx", "199 no\r\n"],
    ["a code outside 2xx–5xx (6xx)", "600 no\r\n"],
    ["a code without its separator", "250x\r\n"],
    ["a code that changes inside a multi-line reply", "250-a\r\n251 b\r\n"],
    ["a line longer than the limit", `250 ${"x".repeat(MAX_REPLY_LINE_LENGTH)}\r\n`],
    ["a line that never ends", "250 ".padEnd(MAX_REPLY_LINE_LENGTH + 10, "x")],
    ["more lines than the limit", "250-x\r\n".repeat(MAX_REPLY_LINES + 1)],
  ];
  for (const [name, text] of malformed) {
    it(`rejects ${name}`, () => {
      expect(() => parseAll(text)).toThrow(SmtpReplySyntaxError);
    });
  }
});

describe("parseEhloReply (RFC 5321 §4.1.1.1)", () => {
  it("the domain, and keywords in upper case with their parameters", () => {
    const [reply] = parseAll(EHLO);
    const ehlo = parseEhloReply(reply!);
    expect(ehlo.domain).toBe("hub01.contoso.com");
    expect([...ehlo.keywords.keys()]).toEqual([
      "SIZE",
      "PIPELINING",
      "STARTTLS",
      "X-ANONYMOUSTLS",
      "8BITMIME",
    ]);
    expect(ehlo.keywords.get("SIZE")).toEqual(["10485760"]);
    expect(ehlo.keywords.get("X-ANONYMOUSTLS")).toEqual([]);
  });

  it("a one-line reply has no keywords", () => {
    expect(parseEhloReply({ code: 250, lines: ["hub01"] }).keywords.size).toBe(0);
  });

  it("skips empty lines and keeps the first of a repeated keyword", () => {
    const ehlo = parseEhloReply({ code: 250, lines: ["hub01", "", "SIZE 1", "size 2"] });
    expect([...ehlo.keywords]).toEqual([["SIZE", ["1"]]]);
  });

  it("rejects a reply that is not 250, and a keyword RFC 5321 does not allow", () => {
    expect(() => parseEhloReply({ code: 502, lines: ["no"] })).toThrow(SmtpReplySyntaxError);
    expect(() => parseEhloReply({ code: 250, lines: ["hub01", "-X"] })).toThrow(
      SmtpReplySyntaxError,
    );
    expect(() => parseEhloReply({ code: 250, lines: ["hub01", "X_Y"] })).toThrow(
      SmtpReplySyntaxError,
    );
  });
});
