// One verdict per store entry, in store order, from whatever steps ran: unreadable and
// duplicate entries, then eligibility (R10) and ranking (R11–R13) where they were reached.
import type { CertificateVerdict, StoreEntry } from "../types.js";
import type { Eligibility } from "./steps/eligibility.js";
import type { Ranking } from "./steps/ranking.js";
import { certificateFacts, type StoreSnapshot, unreadableFacts } from "./store.js";

export function buildVerdicts(
  snapshot: StoreSnapshot,
  now: Date,
  directoryThumbprint: string | null,
  eligibility?: Eligibility,
  ranking?: Ranking,
): CertificateVerdict[] {
  const verdicts: CertificateVerdict[] = [];
  for (const reject of snapshot.rejects) {
    const facts =
      reject.certificate === undefined
        ? unreadableFacts(reject.index, reject.entry)
        : certificateFacts(
            reject.index,
            reject.entry as StoreEntry,
            reject.certificate,
            now,
            directoryThumbprint,
          );
    verdicts.push(
      reject.certificate === undefined
        ? { ...facts, status: "unreadable", exclusion: reject.exclusion }
        : { ...facts, status: "excluded", exclusion: reject.exclusion },
    );
  }
  const ranks = new Map(ranking?.ranked.map((r) => [r.verdict.certificate.index, r]) ?? []);
  const eligibilityByIndex = new Map(
    eligibility?.verdicts.map((v) => [v.certificate.index, v]) ?? [],
  );
  for (const candidate of snapshot.certificates) {
    const facts = certificateFacts(
      candidate.index,
      candidate.entry,
      candidate.certificate,
      now,
      directoryThumbprint,
    );
    const verdict = eligibilityByIndex.get(candidate.index);
    const ranked = ranks.get(candidate.index);
    if (verdict === undefined) {
      verdicts.push({ ...facts, status: "not-evaluated" });
    } else if (!verdict.eligible) {
      verdicts.push({ ...facts, status: "excluded", exclusion: verdict.exclusion });
    } else {
      verdicts.push({
        ...facts,
        status: "eligible",
        match: verdict.match,
        rank: ranked?.rank ?? 0,
        trust: ranked?.trust ?? null,
        best: ranking !== undefined && ranking.best !== null && ranking.best === ranked,
      });
    }
  }
  return verdicts.sort((a, b) => a.index - b.index);
}
