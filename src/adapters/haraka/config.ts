// The plugin's inputs from Haraka's config system: `config/exchange_anonymous_tls.ini` (the
// plugin's name + ".ini"). Q&A:
// Q: what does the .ini name?
// A: what `exchange-anonymous-tls serve` takes: a snapshot JSON (the Receive connector,
//    msExchServerInternalTLSCert, trust anchors, the store) and/or a folder store (certificates with
//    their keys as <stem>.key, read again at every EHLO, so a renewal is picked up without a
//    restart), the directory's thumbprint when there is no snapshot, the AuthMechanism (I1), the
//    edition (E5) and a pinned evaluation time (A4).
// Q: relative paths?
// A: from Haraka's config folder ($HARAKA/config, where the .ini is), else the working directory.
// Q: and a bad .ini?
// A: every problem is listed in one HarakaConfigError (code ERR_HARAKA_CONFIG) thrown from
//    `register`, so Haraka refuses to start with a message that says what to fix, rather than
//    running without X-ANONYMOUSTLS and nobody noticing.
import { isAbsolute, join, resolve } from "node:path";

import type { Edition } from "../../types.js";

/** The `[main]` section of the .ini, as Haraka's config system hands it over (strings). */
export interface HarakaIni {
  readonly snapshot?: string;
  readonly store?: string;
  readonly directory?: string;
  readonly auth_mechanism?: string;
  readonly edition?: string;
  readonly at?: string;
  readonly handshake_timeout?: string;
  readonly min_version?: string;
}

/** The .ini checked: paths absolute, numbers parsed. */
export interface HarakaSettings {
  readonly snapshot?: string;
  readonly store?: string;
  readonly directory?: string;
  readonly authMechanism?: string;
  readonly edition?: Edition;
  readonly at?: Date;
  /** Seconds. */
  readonly handshakeTimeout?: number;
  readonly minVersion?: "TLSv1.2" | "TLSv1.3";
}

/**
 * The plugin's .ini cannot be used; `problems` lists every reason. Not an AnonymousTlsError: its
 * code belongs to this integration, not to the library's ErrorCode union.
 */
export class HarakaConfigError extends Error {
  readonly code = "ERR_HARAKA_CONFIG" as const;

  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: ${problems.join("; ")}`);
    this.name = "HarakaConfigError";
  }
}

const KEYS = [
  "snapshot",
  "store",
  "directory",
  "auth_mechanism",
  "edition",
  "at",
  "handshake_timeout",
  "min_version",
] as const;

/** Haraka's config folder: relative paths in the .ini start there. */
export function harakaConfigFolder(): string {
  const root = process.env.HARAKA;
  return root !== undefined && root.length > 0 ? join(root, "config") : process.cwd();
}

/** Checks the `[main]` section (an unknown value of Haraka's config system, read defensively). */
export function parseHarakaIni(file: string, main: unknown, folder: string): HarakaSettings {
  const problems: string[] = [];
  const record: Record<string, unknown> =
    typeof main === "object" && main !== null && !Array.isArray(main)
      ? (main as Record<string, unknown>)
      : {};
  const text = (key: (typeof KEYS)[number]): string | undefined => {
    // Own keys only: an inherited `at` or `store` (Array.prototype.at…) is not a setting.
    const value = Object.hasOwn(record, key) ? record[key] : undefined;
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      problems.push(`${key}: not a single value`);
      return undefined;
    }
    return String(value).trim();
  };
  for (const key of Object.keys(record)) {
    if (!(KEYS as readonly string[]).includes(key)) problems.push(`${key}: unknown setting`);
  }
  const path = (value: string | undefined) =>
    value === undefined ? undefined : isAbsolute(value) ? value : resolve(folder, value);

  const snapshot = path(text("snapshot"));
  const store = path(text("store"));
  const directory = text("directory");
  const authMechanism = text("auth_mechanism");
  if (snapshot === undefined && store === undefined) {
    problems.push("needs snapshot=<file.json> or store=<folder>");
  }
  if (snapshot === undefined && store !== undefined && directory === undefined) {
    problems.push(
      "store without snapshot needs directory=<thumbprint> (msExchServerInternalTLSCert)",
    );
  }
  if (snapshot !== undefined && directory !== undefined) {
    problems.push("directory is for store without snapshot (the snapshot has a directory)");
  }

  let edition: Edition | undefined;
  const editionText = text("edition");
  if (editionText !== undefined) {
    if (editionText === "2007" || editionText === "2016") edition = editionText;
    else problems.push(`edition: "${editionText}" is neither 2007 nor 2016`);
  }

  let at: Date | undefined;
  const atText = text("at");
  if (atText !== undefined) {
    const parsed = new Date(atText);
    if (Number.isNaN(parsed.getTime())) problems.push(`at: "${atText}" is not a date`);
    else at = parsed;
  }

  let handshakeTimeout: number | undefined;
  const timeoutText = text("handshake_timeout");
  if (timeoutText !== undefined) {
    const seconds = Number(timeoutText);
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
      problems.push(`handshake_timeout: "${timeoutText}" is not a number of seconds in (0, 3600]`);
    } else handshakeTimeout = seconds;
  }

  let minVersion: "TLSv1.2" | "TLSv1.3" | undefined;
  const versionText = text("min_version");
  if (versionText !== undefined) {
    // Never below TLS 1.2: that floor is the integration's (issue 14), not a setting.
    if (versionText === "TLSv1.2" || versionText === "TLSv1.3") minVersion = versionText;
    else problems.push(`min_version: "${versionText}" is neither TLSv1.2 nor TLSv1.3`);
  }

  if (problems.length > 0) throw new HarakaConfigError(file, problems);
  return {
    ...(snapshot === undefined ? {} : { snapshot }),
    ...(store === undefined ? {} : { store }),
    ...(directory === undefined ? {} : { directory }),
    ...(authMechanism === undefined ? {} : { authMechanism }),
    ...(edition === undefined ? {} : { edition }),
    ...(at === undefined ? {} : { at }),
    ...(handshakeTimeout === undefined ? {} : { handshakeTimeout }),
    ...(minVersion === undefined ? {} : { minVersion }),
  };
}
