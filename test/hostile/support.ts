// Helpers the hostile-input tests share: forged certificates as store entries, a canonical view
// of a selection for comparing runs (permutation, concurrency, snapshot), and hostile fakes.
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";

import {
  type AnonymousTlsSelection,
  type CertificateVerdict,
  type OutboundSelectionOptions,
  type Selection,
  type StoreEntry,
  selectOutboundAnonymousTlsCert,
} from "../../src/index.js";
import { edgeOptions, NOW } from "../support/fixtures.js";
import { type CertSpec, forgeCertificate, type KeyName, poolKey } from "../support/forge.js";

const DAY = 86_400_000;

export interface Forged {
  readonly der: Uint8Array;
  readonly thumbprint: string;
  readonly keyPem: string;
  /** A store entry with its private key flag set and SMTP enabled. */
  readonly entry: StoreEntry;
}

/** A self-signed certificate valid around NOW (key p256-1 unless given), as a store entry. */
export async function forgeEntry(
  spec: Partial<CertSpec> & { readonly subject?: CertSpec["subject"] },
): Promise<Forged> {
  const key: KeyName = spec.key ?? "p256-1";
  const der = await forgeCertificate({
    subject: [["O", "Hostile Input Tests"]],
    notBefore: new Date(NOW.getTime() - 30 * DAY),
    notAfter: new Date(NOW.getTime() + 365 * DAY),
    ...spec,
    key,
  });
  const thumbprint = new X509Certificate(der).fingerprint.replace(/:/g, "");
  return {
    der,
    thumbprint,
    keyPem: poolKey(key).privateKeyPem,
    entry: { certificate: der, hasPrivateKey: true, services: ["SMTP"] },
  };
}

/** Edge options with a passing gate, NOW, and the given directory and store. */
export function outbound(
  overrides: Partial<OutboundSelectionOptions> &
    Pick<OutboundSelectionOptions, "directory" | "store">,
): Promise<AnonymousTlsSelection> {
  return selectOutboundAnonymousTlsCert({ ...edgeOptions(), ...overrides });
}

/**
 * A verdict without its store position, as JSON, so that verdict sets compare across orders
 * (a duplicate's message names the position of the copy used: that position is left out too).
 */
export function verdictKey(verdict: CertificateVerdict): string {
  const { index: _index, ...rest } = verdict;
  return JSON.stringify(rest).replace(/position \d+/g, "position #");
}

/**
 * What must not depend on the order of the store, on concurrency, or on later mutation: the
 * outcome and its reason, the certificate used, the best candidate, the events and the
 * per-certificate verdicts (as a multiset, positions left out).
 */
export function canonical(selection: Selection): unknown {
  // STARTTLS results (S1–S11) have no directory or best candidate; the rest is the same.
  const anonymous = selection.process === "anonymous-tls" ? selection : null;
  return {
    outcome: selection.outcome,
    advertise:
      anonymous?.advertiseAnonymousTls ??
      ("advertiseStartTls" in selection
        ? selection.advertiseStartTls
        : "negotiateStartTls" in selection
          ? selection.negotiateStartTls
          : null),
    reason: "reason" in selection ? selection.reason : null,
    failed: selection.outcome === "not-attempted" ? selection.failed : null,
    directoryThumbprint:
      anonymous === null || anonymous.outcome === "not-attempted"
        ? null
        : anonymous.directoryThumbprint,
    thumbprint: selection.outcome === "selected" ? selection.thumbprint : null,
    bestCandidate: anonymous?.outcome === "selected" ? anonymous.bestCandidate : null,
    thumbprintMatches: anonymous?.outcome === "selected" ? anonymous.thumbprintMatches : null,
    events: JSON.stringify(selection.events),
    verdicts: selection.certificates.map(verdictKey).sort(),
  };
}

/** Independently of the library: does this PEM private key belong to this certificate? */
export function keyBelongsTo(certificate: StoreEntry["certificate"], keyPem: string): boolean {
  try {
    const cert = new X509Certificate(
      typeof certificate === "string" ? certificate : Buffer.from(certificate),
    );
    return cert.publicKey.equals(createPublicKey(createPrivateKey(keyPem)));
  } catch {
    return false;
  }
}

/** A small deterministic PRNG (mulberry32) for seeded corpora outside fast-check. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `bytes` with bit `bit` (0 = most significant bit of byte 0) flipped. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[bit >> 3]! ^= 0x80 >> (bit & 7);
  return copy;
}

/** A host name of exactly `length` characters: labels of 63 octets and a shorter last one. */
export function longName(length: number): string {
  const labels: string[] = [];
  let left = length;
  let letter = 0;
  const label = (size: number) => String.fromCharCode(97 + (letter++ % 26)).repeat(size);
  while (left > 63) {
    // Never leave a separator with nothing after it: 64 left is 62 + "." + 1.
    const size = left === 64 ? 62 : 63;
    labels.push(label(size));
    left -= size + 1;
  }
  labels.push(label(left));
  return labels.join(".");
}
