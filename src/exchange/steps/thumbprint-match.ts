// Step 9 (R14, R15; A1, A8): compare the best candidate with the directory's thumbprint. A
// mismatch logs 1037 but does not make X-AnonymousTLS fail. Which certificate is then used is
// A1: by default the directory's (the one receivers trust through the directory and the Edge
// subscription); callers may ask for the best candidate instead. No candidate at all is a
// mismatch too (A8), and then only the directory's certificate is left to use.

import type { ThumbprintMismatchPolicy } from "../../types.js";
import type { Thumbprint } from "../../x509/thumbprint.js";
import { event1037 } from "../events.js";
import type { SelectionRun } from "../run.js";

export interface ThumbprintMatch {
  readonly matches: boolean;
  /** The certificate used for X-AnonymousTLS. */
  readonly used: Thumbprint;
}

export function matchThumbprint(
  run: SelectionRun,
  directoryThumbprint: Thumbprint,
  best: Thumbprint | null,
  policy: ThumbprintMismatchPolicy,
): ThumbprintMatch {
  if (best === directoryThumbprint) {
    run.step({
      step: "thumbprint-match",
      rules: ["R14"],
      status: "passed",
      summary: `the best candidate is the directory's certificate ${directoryThumbprint}; it is used for X-AnonymousTLS`,
      data: {
        directoryThumbprint,
        bestCandidate: best,
        matches: true,
        used: directoryThumbprint,
        policy,
      },
    });
    return { matches: true, used: directoryThumbprint };
  }
  const used = policy === "use-best-candidate" && best !== null ? best : directoryThumbprint;
  run.step({
    step: "thumbprint-match",
    rules: ["R14", "R15"],
    status: "warning",
    summary:
      (best === null
        ? "no eligible certificate, so nothing matches the directory's (A8)"
        : `the best candidate ${best} is not the directory's certificate ${directoryThumbprint}`) +
      `; 1037 is logged and X-AnonymousTLS still works with ${used}` +
      (used === directoryThumbprint
        ? " (the directory's certificate, A1)"
        : " (the best candidate, as asked)"),
    data: { directoryThumbprint, bestCandidate: best, matches: false, used, policy },
  });
  run.emit(event1037(directoryThumbprint, best));
  return { matches: false, used };
}
