// S3: search the local computer store for the certificates that carry the name looked for. A
// host name matches as the anonymous selection's domain list does (A2, A5, A7: CNs and SAN DNS
// names, whole names, case-insensitive, wildcards only on request); a TlsCertificateName matches
// a certificate whose issuer and subject equal its names as distinguished names (E3). A store
// that cannot be listed finds nothing, and the cause is kept (as A16 reads R6).
import type { CertStore, Exclusion, TraceStep } from "../../types.js";
import { certificateNames, findNameMatch, type NameMatch } from "../../x509/dns-name.js";
import type { StartTlsInput } from "../options.js";
import { describeCause } from "../run.js";
import {
  type CertificateParser,
  listStore,
  type PrivateKeyChecker,
  type StoreCertificate,
  type StoreSnapshot,
  snapshotStore,
} from "../store.js";
import {
  type TlsCertificateNameMatch,
  tlsCertificateNameDifferences,
  windowsName,
} from "../tls-certificate-name.js";

export interface NameSearchVerdict {
  readonly certificate: StoreCertificate;
  /** How it carries the name, or null when it does not. */
  readonly match: NameMatch | TlsCertificateNameMatch | null;
  /** Why it does not (S3), when it does not. */
  readonly exclusion: Exclusion | null;
}

export type StoreSearch =
  | {
      readonly ok: true;
      readonly snapshot: StoreSnapshot;
      readonly verdicts: readonly NameSearchVerdict[];
      readonly matching: readonly NameSearchVerdict[];
      readonly trace: TraceStep;
    }
  | { readonly ok: false; readonly cause: unknown; readonly trace: TraceStep };

function searchOne(input: StartTlsInput, candidate: StoreCertificate): NameSearchVerdict {
  const { certificate } = candidate;
  const wanted = input.certificateName;
  if (wanted !== null) {
    const differs = tlsCertificateNameDifferences(wanted, certificate);
    if (differs.length === 0) {
      return {
        certificate: candidate,
        match: {
          source: "tls-certificate-name",
          issuer: windowsName(certificate.issuer),
          subject: windowsName(certificate.subject),
        },
        exclusion: null,
      };
    }
    return {
      certificate: candidate,
      match: null,
      exclusion: {
        rule: "S3",
        code: "tls-certificate-name-mismatch",
        message: `its ${differs.join(" and ")} ${differs.length === 1 ? "is" : "are"} not the TlsCertificateName's (E3)`,
        differs,
        expected: wanted.text,
        // As Windows prints it, so that it compares with the setting by eye, and pastes.
        actual: `<I>${windowsName(certificate.issuer)}<S>${windowsName(certificate.subject)}`,
      },
    };
  }
  const names = certificateNames(certificate);
  const match =
    input.hostName === null
      ? null
      : findNameMatch(names, [input.hostName], { wildcardNames: input.wildcardNames });
  if (match !== null) return { certificate: candidate, match, exclusion: null };
  return {
    certificate: candidate,
    match: null,
    exclusion: {
      rule: "S3",
      code: "no-matching-name",
      message: `it does not carry ${input.lookedFor.name}`,
      expected: input.lookedFor.name,
      actual: names.map((n) => n.value).join(", ") || "(no names)",
    },
  };
}

export async function searchStore(
  input: StartTlsInput,
  store: CertStore,
  caches: { readonly parse?: CertificateParser; readonly checkKey?: PrivateKeyChecker },
): Promise<StoreSearch> {
  let snapshot: StoreSnapshot;
  try {
    snapshot = snapshotStore(await listStore(store, input.signal), caches.parse, caches.checkKey);
  } catch (error) {
    const cause = describeCause(error);
    return {
      ok: false,
      cause: error,
      trace: {
        step: "store-search",
        rules: ["S3"],
        status: "failed",
        summary: `the certificate store cannot be read (${cause}), so no certificate carries ${input.lookedFor.name}; 12014 is logged`,
        data: { name: input.lookedFor.name, reason: "store-unreadable", cause },
      },
    };
  }
  const verdicts = snapshot.certificates.map((candidate) => searchOne(input, candidate));
  const matching = verdicts.filter((v) => v.match !== null);
  return {
    ok: true,
    snapshot,
    verdicts,
    matching,
    trace: {
      step: "store-search",
      rules: input.certificateName === null ? ["S3"] : ["S3", "E3"],
      status: matching.length === 0 ? "failed" : "passed",
      summary:
        matching.length === 0
          ? `none of the store's ${snapshot.certificates.length} readable certificates carries ${input.lookedFor.name}; 12014 is logged`
          : `${matching.length} of ${snapshot.certificates.length} readable certificates carry ${input.lookedFor.name}`,
      data: {
        name: input.lookedFor.name,
        matching: matching.map((v) => v.certificate.certificate.thumbprint),
        storeSize: snapshot.size,
      },
    },
  };
}
