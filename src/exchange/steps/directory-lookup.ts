// Step 3 (R3–R5; I2 on the receiving side): read msExchServerInternalTLSCert. A read that throws,
// rejects, is aborted, or returns something that is not one of the attribute's three forms is
// "cannot be read"; null, empty or blank is "null" (A15). Either way X-ANONYMOUSTLS is not
// advertised, and only at transport start-up is 12012 logged (R5).

import type { Directory, Phase } from "../../types.js";
import type { ParsedCertificate } from "../../x509/certificate.js";
import type { Thumbprint } from "../../x509/thumbprint.js";
import { type DirectoryValueForm, decodeDirectoryValue } from "../directory-value.js";
import { event12012 } from "../events.js";
import { describeCause, type SelectionRun } from "../run.js";
import { raceAbort } from "../store.js";

export interface DirectoryRules {
  readonly lookup: "R3" | "I2";
  readonly event: "R5" | "I2";
}

export type DirectoryLookup =
  | {
      readonly ok: true;
      readonly thumbprint: Thumbprint;
      readonly form: DirectoryValueForm;
      readonly certificate: ParsedCertificate | undefined;
    }
  | {
      readonly ok: false;
      readonly reason: "directory-unreadable" | "directory-empty";
      readonly cause?: unknown;
    };

export async function lookUpDirectory(
  run: SelectionRun,
  directory: Directory,
  options: {
    readonly phase: Phase;
    readonly signal: AbortSignal | undefined;
    readonly rules: DirectoryRules;
  },
): Promise<DirectoryLookup> {
  const { phase, signal, rules } = options;
  let result: DirectoryLookup;
  try {
    const read = Promise.resolve().then(() =>
      directory.readInternalTransportCertificate(signal === undefined ? undefined : { signal }),
    );
    const decoded = decodeDirectoryValue(await raceAbort(read, signal));
    result =
      decoded.kind === "value"
        ? {
            ok: true,
            thumbprint: decoded.thumbprint,
            form: decoded.form,
            certificate: decoded.certificate,
          }
        : decoded.kind === "empty"
          ? { ok: false, reason: "directory-empty" }
          : { ok: false, reason: "directory-unreadable", cause: decoded.cause };
  } catch (error) {
    result = { ok: false, reason: "directory-unreadable", cause: error };
  }

  if (result.ok) {
    run.step({
      step: "directory-lookup",
      rules: [rules.lookup],
      status: "passed",
      summary: `msExchServerInternalTLSCert names ${result.thumbprint} (given as ${result.form})`,
      data: { thumbprint: result.thumbprint, form: result.form },
    });
    return result;
  }
  const cause = result.cause === undefined ? undefined : describeCause(result.cause);
  const logged = phase === "startup";
  run.step({
    step: "directory-lookup",
    // R4 is the sending side's rule; inbound, I2 covers both the lookup and its event.
    rules: [
      rules.lookup,
      ...(rules.lookup === "R3" ? (["R4"] as const) : []),
      ...(logged && rules.event !== rules.lookup ? [rules.event] : []),
    ],
    status: "failed",
    summary:
      (result.reason === "directory-empty"
        ? "msExchServerInternalTLSCert is null or empty"
        : `msExchServerInternalTLSCert cannot be read${cause === undefined ? "" : ` (${cause})`}`) +
      `; X-ANONYMOUSTLS is not advertised${logged ? " and 12012 is logged (transport start-up)" : " (no event during a session)"}`,
    data: { reason: result.reason, phase, ...(cause === undefined ? {} : { cause }) },
  });
  if (logged) run.emit(event12012(rules.event, result.reason, cause));
  return result;
}
