// Step 4 (R6, A9, A16; I3 on the receiving side): find the directory's certificate in the local
// computer store. "Found" means present *with* a usable private key (A9), since a certificate
// without one cannot be loaded for TLS; either miss logs 12013. A store that cannot be listed
// means the certificate is not found (A16), and the cause is kept.

import type { CertStore } from "../../types.js";
import type { Thumbprint } from "../../x509/thumbprint.js";
import { event12013 } from "../events.js";
import { describeCause, type SelectionRun } from "../run.js";
import {
  type CertificateParser,
  listStore,
  type PrivateKeyChecker,
  type StoreCertificate,
  type StoreSnapshot,
  snapshotStore,
} from "../store.js";

export type StoreLookup =
  | { readonly ok: true; readonly found: StoreCertificate; readonly snapshot: StoreSnapshot }
  | {
      readonly ok: false;
      readonly reason: "not-in-store" | "no-private-key";
      readonly snapshot: StoreSnapshot | null;
      readonly cause?: unknown;
    };

export interface StoreLookupOptions {
  readonly signal: AbortSignal | undefined;
  readonly rule: "R6" | "I3";
  readonly parse?: CertificateParser;
  readonly checkKey?: PrivateKeyChecker;
}

export async function lookUpStore(
  run: SelectionRun,
  store: CertStore,
  thumbprint: Thumbprint,
  options: StoreLookupOptions,
): Promise<StoreLookup> {
  const { rule } = options;
  let snapshot: StoreSnapshot;
  try {
    snapshot = snapshotStore(
      await listStore(store, options.signal),
      options.parse,
      options.checkKey,
    );
  } catch (error) {
    const cause = describeCause(error);
    run.step({
      step: "store-lookup",
      rules: [rule],
      status: "failed",
      summary: `the certificate store cannot be read (${cause}), so ${thumbprint} is not found (A16); 12013 is logged`,
      data: { thumbprint, reason: "not-in-store", cause },
    });
    run.emit(event12013(rule, thumbprint, "not-in-store"));
    return { ok: false, reason: "not-in-store", snapshot: null, cause: error };
  }

  const found = snapshot.find(thumbprint);
  if (found?.privateKey.usable) {
    run.step({
      step: "store-lookup",
      rules: [rule],
      status: "passed",
      summary: `${thumbprint} is in the store (position ${found.index}) with a private key`,
      data: { thumbprint, index: found.index, storeSize: snapshot.size },
    });
    return { ok: true, found, snapshot };
  }
  const reason = found === undefined ? "not-in-store" : "no-private-key";
  const detail =
    found === undefined || found.privateKey.usable ? undefined : found.privateKey.detail;
  run.step({
    step: "store-lookup",
    rules: [rule],
    status: "failed",
    summary:
      found === undefined
        ? `no certificate with thumbprint ${thumbprint} among the store's ${snapshot.size} entries; 12013 is logged`
        : `${thumbprint} is in the store but cannot be loaded: ${detail} (A9); 12013 is logged`,
    data: {
      thumbprint,
      reason,
      storeSize: snapshot.size,
      ...(detail === undefined ? {} : { detail }),
    },
  });
  run.emit(event12013(rule, thumbprint, reason));
  return { ok: false, reason, snapshot };
}
