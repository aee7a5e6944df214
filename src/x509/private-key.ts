// R10b/A9 ask whether a private key is *associated* with the certificate. When the store hands
// us the key itself we can do better than trust a flag: a key that does not belong to the
// certificate (or does not parse) cannot complete a TLS handshake, so it counts as no key.
import { createPrivateKey, createPublicKey } from "node:crypto";

import type { ParsedCertificate } from "./certificate.js";

export type PrivateKeyStatus =
  | { readonly usable: true; readonly checked: boolean }
  | {
      readonly usable: false;
      readonly reason: "no-private-key" | "private-key-unreadable" | "private-key-mismatch";
      readonly detail: string;
    };

export function privateKeyStatus(
  certificate: ParsedCertificate,
  hasPrivateKey: boolean,
  privateKey: string | undefined,
): PrivateKeyStatus {
  if (!hasPrivateKey) {
    return {
      usable: false,
      reason: "no-private-key",
      detail: "the store has no private key for it",
    };
  }
  if (privateKey === undefined) return { usable: true, checked: false };
  let derived: ReturnType<typeof createPublicKey>;
  try {
    derived = createPublicKey(createPrivateKey(privateKey));
  } catch (error) {
    return {
      usable: false,
      reason: "private-key-unreadable",
      detail: `the private key does not parse: ${(error as Error).message}`,
    };
  }
  try {
    const own = createPublicKey({
      key: Buffer.from(certificate.spki),
      format: "der",
      type: "spki",
    });
    // Compare types first: KeyObject#equals on keys of different types (RSA vs EC, say) returns
    // false but leaves "different key types" on OpenSSL's per-thread error queue, and the next
    // createPrivateKey() anywhere in the process (the next entry, another selection) then fails
    // with it: one mismatched key would make a good key "unreadable" (Node 20).
    if (own.asymmetricKeyType === derived.asymmetricKeyType && own.equals(derived))
      return { usable: true, checked: true };
  } catch {
    // A public key Node cannot load cannot be matched: fall through to mismatch.
  }
  return {
    usable: false,
    reason: "private-key-mismatch",
    detail: "the private key does not belong to this certificate",
  };
}
