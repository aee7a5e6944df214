// SMTP replies as the sending side of an anonymous-TLS session reads them (RFC 5321 §4.2).
// Q: can a reply arrive split across TCP packets, or several replies in one packet?
// A: yes, both. The parser is fed chunks and returns whole replies; the rest waits in its buffer.
// Q: line endings?  A: RFC 5321 says CRLF. A bare LF also ends a line (servers in the field send
//    it, and accepting it cannot merge two lines into one); a CR alone does not.
// Q: what is malformed?  A: a line that is not three digits (first 2–5) followed by a space, a
//    hyphen or nothing; a continuation line whose code differs from the first line's; a line or a
//    reply beyond the limits below (a server that never ends a line must not grow our memory).
// Q: EHLO keywords?  A: RFC 5321 §4.1.1.1: the first line is the domain (and a greeting), every
//    further line is a keyword and its parameters. Keywords compare case-insensitively, so the
//    map is keyed by the upper-case keyword.

/** One SMTP reply: its code and the text of each line (without the code and separator). */
export interface SmtpReply {
  /** The three-digit reply code, e.g. 250. */
  readonly code: number;
  /** The text of each line, in order. */
  readonly lines: readonly string[];
}

/** The parsed 250 reply to EHLO. */
export interface EhloReply {
  /** The domain the server names itself with (first word of the first line). */
  readonly domain: string;
  /** Keyword (upper case) → its parameters, e.g. "SIZE" → ["10240000"], "X-ANONYMOUSTLS" → []. */
  readonly keywords: ReadonlyMap<string, readonly string[]>;
}

/** A reply that no SMTP server may send; `line` is the offending text (truncated). */
export class SmtpReplySyntaxError extends Error {
  /** Thrown by {@link SmtpReplyParser}. */
  constructor(
    message: string,
    /** The offending line (truncated). */
    readonly line: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** RFC 5321 §4.5.3.1.5 allows 512 octets a reply line; leave room for lax servers. */
export const MAX_REPLY_LINE_LENGTH = 4096;
/** More lines than any EHLO response carries. */
export const MAX_REPLY_LINES = 512;

const REPLY_LINE = /^([2-5][0-9][0-9])([ -]|$)(.*)$/s;

/**
 * Incremental reply parser: `push` a chunk, get back the replies it completed. Keeps the partial
 * line and the lines of an unfinished multi-line reply between calls. Throws
 * {@link SmtpReplySyntaxError}; after that the parser is unusable (the stream is out of sync).
 */
export class SmtpReplyParser {
  #buffer = "";
  #code: number | null = null;
  #lines: string[] = [];

  /**
   * Feeds the next chunk of the stream; returns the replies it completed, in order (often none).
   */
  push(chunk: Uint8Array | string): SmtpReply[] {
    // latin1 keeps one character per octet, so the length limit counts octets; reply text is
    // ASCII (RFC 5321) and a UTF-8 greeting only needs to survive as an opaque string.
    this.#buffer += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
    const replies: SmtpReply[] = [];
    let newline = this.#buffer.indexOf("\n");
    while (newline !== -1) {
      const raw = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + 1);
      const reply = this.#line(raw.endsWith("\r") ? raw.slice(0, -1) : raw);
      if (reply !== null) replies.push(reply);
      newline = this.#buffer.indexOf("\n");
    }
    if (this.#buffer.length > MAX_REPLY_LINE_LENGTH) {
      throw new SmtpReplySyntaxError(
        `reply line longer than ${MAX_REPLY_LINE_LENGTH} octets`,
        this.#buffer.slice(0, 80),
      );
    }
    return replies;
  }

  /**
   * What was received but is not part of a returned reply: the lines of an unfinished multi-line
   * reply (rebuilt with CRLF) and a partial line. Empty between replies of a well-behaved server.
   */
  get pending(): string {
    const code = this.#code;
    const lines = code === null ? "" : this.#lines.map((line) => `${code}-${line}\r\n`).join("");
    return lines + this.#buffer;
  }

  #line(line: string): SmtpReply | null {
    if (line.length > MAX_REPLY_LINE_LENGTH) {
      throw new SmtpReplySyntaxError(
        `reply line longer than ${MAX_REPLY_LINE_LENGTH} octets`,
        line.slice(0, 80),
      );
    }
    const match = REPLY_LINE.exec(line);
    if (match === null) {
      throw new SmtpReplySyntaxError("not an SMTP reply line", line.slice(0, 80));
    }
    const code = Number(match[1]);
    if (this.#code !== null && code !== this.#code) {
      throw new SmtpReplySyntaxError(
        `reply code ${code} inside a multi-line ${this.#code} reply`,
        line.slice(0, 80),
      );
    }
    this.#code = code;
    this.#lines.push(match[3] ?? "");
    if (this.#lines.length > MAX_REPLY_LINES) {
      throw new SmtpReplySyntaxError(`reply longer than ${MAX_REPLY_LINES} lines`, line);
    }
    if (match[2] === "-") return null;
    const reply: SmtpReply = { code, lines: Object.freeze(this.#lines) };
    this.#code = null;
    this.#lines = [];
    return reply;
  }
}

/**
 * The domain and keywords of a 250 EHLO reply. Throws {@link SmtpReplySyntaxError} for a reply
 * that is not 250 or a keyword that RFC 5321 would not allow (`ehlo-keyword = (ALPHA / DIGIT)
 * *(ALPHA / DIGIT / "-")`); a later duplicate of a keyword is ignored.
 */
export function parseEhloReply(reply: SmtpReply): EhloReply {
  if (reply.code !== 250) {
    throw new SmtpReplySyntaxError(`EHLO reply code ${reply.code}, not 250`, String(reply.code));
  }
  const [first = "", ...rest] = reply.lines;
  const keywords = new Map<string, readonly string[]>();
  for (const line of rest) {
    // An empty continuation line carries no keyword; lax servers send one, nothing is lost.
    if (line.trim() === "") continue;
    const [keyword = "", ...params] = line.trim().split(/\s+/);
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(keyword)) {
      throw new SmtpReplySyntaxError("not an EHLO keyword", line.slice(0, 80));
    }
    const name = keyword.toUpperCase();
    if (!keywords.has(name)) keywords.set(name, Object.freeze(params));
  }
  return { domain: first.trim().split(/\s+/)[0] ?? "", keywords };
}
