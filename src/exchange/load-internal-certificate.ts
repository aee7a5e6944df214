// Steps 3–5, which both ends of a session run the same way: the directory lookup (R3–R5 / I2),
// the store lookup (R6, A9, A16 / I3) and the expiry check (R7 / I4). The outbound pipeline goes
// on to steps 6–9; the inbound one stops here.
import type { NoCertificate } from "../types.js";
import type { Thumbprint } from "../x509/thumbprint.js";
import type { CommonInput } from "./options.js";
import type { SelectionRun } from "./run.js";
import { lookUpDirectory } from "./steps/directory-lookup.js";
import { checkExpiry, internalCertificateExpiry } from "./steps/expiry.js";
import { lookUpStore } from "./steps/store-lookup.js";
import type {
  CertificateParser,
  PrivateKeyChecker,
  StoreCertificate,
  StoreSnapshot,
} from "./store.js";
import { buildVerdicts } from "./verdicts.js";

/** What the prepared selector lends a selection so that parsing is not repeated per session. */
export interface SelectionCaches {
  readonly parse?: CertificateParser;
  readonly checkKey?: PrivateKeyChecker;
}

export type LoadedCertificate =
  | { readonly ok: false; readonly selection: NoCertificate }
  | {
      readonly ok: true;
      readonly directoryThumbprint: Thumbprint;
      readonly found: StoreCertificate;
      readonly snapshot: StoreSnapshot;
    };

const RULES = {
  outbound: { lookup: "R3", event: "R5", store: "R6", expiry: "R7" },
  inbound: { lookup: "I2", event: "I2", store: "I3", expiry: "I4" },
} as const;

export async function loadInternalTransportCertificate(
  run: SelectionRun,
  input: CommonInput,
  caches: SelectionCaches,
): Promise<LoadedCertificate> {
  const rules = RULES[run.direction];
  // Step 3: R3–R5 (I2)
  const directory = await lookUpDirectory(run, input.directory, {
    phase: input.phase,
    signal: input.signal,
    rules: { lookup: rules.lookup, event: rules.event },
  });
  if (!directory.ok)
    return { ok: false, selection: run.noCertificate(directory.reason, null, directory.cause) };

  // Step 4: R6, A9, A16 (I3)
  const store = await lookUpStore(run, input.store, directory.thumbprint, {
    signal: input.signal,
    rule: rules.store,
    ...caches,
  });
  if (!store.ok) {
    if (store.snapshot !== null)
      run.setCertificates(buildVerdicts(store.snapshot, run.now, directory.thumbprint));
    return {
      ok: false,
      selection: run.noCertificate(store.reason, directory.thumbprint, store.cause),
    };
  }

  // Step 5: R7 (I4) – a warning at most, never a stop.
  checkExpiry(run, store.found.certificate, {
    report: internalCertificateExpiry(rules.expiry, input.edition),
    expiryWarning: input.expiryWarning,
  });
  return {
    ok: true,
    directoryThumbprint: directory.thumbprint,
    found: store.found,
    snapshot: store.snapshot,
  };
}
