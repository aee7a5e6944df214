// Does a CRL cover a certificate (A21; RFC 5280 §6.3.3 (b), (d))? The certificate's
// cRLDistributionPoints against the CRL's issuer and issuingDistributionPoint.
//
// Q: a certificate without cRLDistributionPoints?
// A: it has one implicit distribution point: no name, all reasons, CRLs issued by its issuer.
//    Such a point matches only a CRL whose issuingDistributionPoint names no distribution point
//    (OpenSSL's crl_crldp_check does the same): a partitioned CRL is for the certificates that
//    point at it.
// Q: an indirect CRL (issued by someone other than the certificate's issuer)?
// A: only when the certificate's distribution point names that issuer in cRLIssuer *and* the
//    CRL says indirectCRL (RFC 5280 §6.3.3 (b)(1)); the entry must then name the certificate's
//    issuer (certificateIssuer, §5.3.3), which the CRL index takes care of.
import type { ParsedCertificate } from "../certificate.js";
import { DerError, readChildren, readTlv } from "../der.js";
import { KEY_USAGE, profileOf } from "../path/extensions.js";
import { type GeneralName, readGeneralNames } from "../path/general-names.js";
import {
  ALL_REASONS,
  CRL_OID,
  type ParsedCrl,
  readDistributionPointName,
  readReasonFlags,
} from "./crl.js";
import { anyNameMatches, directoryKeys, issuerKeyOf } from "./names.js";

/** One DistributionPoint of a certificate (RFC 5280 §4.2.1.13). */
export interface DistributionPoint {
  /** distributionPoint names (full form), or undefined. */
  readonly names: readonly GeneralName[] | undefined;
  /** ReasonFlags mask, or undefined (all reasons). */
  readonly reasons: number | undefined;
  /** cRLIssuer names, or undefined (the certificate's issuer issues the CRL). */
  readonly crlIssuer: readonly GeneralName[] | undefined;
  /** The directoryName keys of `crlIssuer` (empty without one), read once with the point. */
  readonly crlIssuerKeys: readonly string[];
}

const IMPLICIT: readonly DistributionPoint[] = [
  { names: undefined, reasons: undefined, crlIssuer: undefined, crlIssuerKeys: [] },
];

const points = new WeakMap<ParsedCertificate, readonly DistributionPoint[] | string>();

/** The certificate's distribution points, or a string saying why they cannot be read. */
export function distributionPointsOf(
  certificate: ParsedCertificate,
): readonly DistributionPoint[] | string {
  let result = points.get(certificate);
  if (result === undefined) {
    const raw = certificate.extensions.get(CRL_OID.cRLDistributionPoints);
    if (raw === undefined) result = IMPLICIT;
    else {
      try {
        result = readDistributionPoints(raw.value, issuerKeyOf(certificate));
      } catch (error) {
        result = `cRLDistributionPoints cannot be decoded: ${(error as Error).message}`;
      }
    }
    points.set(certificate, result);
  }
  return result;
}

function readDistributionPoints(value: Uint8Array, issuerKey: string): DistributionPoint[] {
  const outer = readTlv(value, 0);
  if (outer.tag !== 0x30 || outer.end !== value.length) throw new DerError("not a SEQUENCE");
  const list = readChildren(value, outer).map((point) => {
    if (point.tag !== 0x30) throw new DerError("DistributionPoint is not a SEQUENCE");
    let nameField: ReturnType<typeof readTlv> | undefined;
    let reasons: number | undefined;
    let crlIssuer: GeneralName[] | undefined;
    let last = -1;
    for (const field of readChildren(value, point)) {
      const number = field.tag & 0x1f;
      if ((field.tag & 0xc0) !== 0x80 || number > 2 || number <= last) {
        throw new DerError(`unexpected field tag 0x${field.tag.toString(16)}`);
      }
      last = number;
      if (number === 0) nameField = field;
      else if (number === 1) reasons = readReasonFlags(value, field);
      else {
        crlIssuer = readGeneralNames(value.subarray(field.contentStart, field.end), true);
        if (crlIssuer.length === 0) throw new DerError("empty cRLIssuer");
      }
    }
    // RFC 5280 §4.2.1.13: a nameRelativeToCRLIssuer is relative to the cRLIssuer when there is
    // one (its directoryName), otherwise to the certificate's issuer.
    const crlIssuerKeys = crlIssuer === undefined ? [] : directoryKeys(crlIssuer);
    let names: readonly GeneralName[] | undefined;
    if (nameField !== undefined) {
      const base = crlIssuer === undefined ? issuerKey : crlIssuerKeys[0];
      names = readDistributionPointName(value, nameField, base).names;
    }
    // §4.2.1.13: a point holds a distributionPoint or a cRLIssuer (or both).
    if (names === undefined && crlIssuer === undefined) {
      throw new DerError("DistributionPoint with neither distributionPoint nor cRLIssuer");
    }
    return { names, reasons, crlIssuer, crlIssuerKeys };
  });
  if (list.length === 0) throw new DerError("empty cRLDistributionPoints");
  return list;
}

export type ScopeCheck =
  | { readonly ok: true; readonly reasons: number }
  | { readonly ok: false; readonly why: string };

/** RFC 5280 §6.3.3 (b)(1), (b)(2) and (d): is `crl` for `certificate`, through `point`? */
export function checkScope(
  crl: ParsedCrl,
  point: DistributionPoint,
  certificate: ParsedCertificate,
): ScopeCheck {
  const idp = crl.issuingDistributionPoint;
  // (b)(1): the CRL issuer.
  if (point.crlIssuer !== undefined) {
    if (!point.crlIssuerKeys.includes(crl.issuerKey)) {
      return { ok: false, why: "not issued by the distribution point's cRLIssuer" };
    }
    if (crl.issuerKey !== issuerKeyOf(certificate) && idp?.indirectCRL !== true) {
      return { ok: false, why: "issued by the cRLIssuer but not an indirect CRL" };
    }
  } else if (crl.issuerKey !== issuerKeyOf(certificate)) {
    return { ok: false, why: "not issued by the certificate's issuer" };
  }
  if (idp !== undefined) {
    // (b)(2)(i): distribution point names.
    if (idp.names !== undefined) {
      const theirs = point.names ?? point.crlIssuer;
      if (theirs === undefined || !anyNameMatches(idp.names.names, theirs)) {
        return { ok: false, why: "its issuingDistributionPoint is another distribution point" };
      }
    }
    const ca = profileOf(certificate).basicConstraints?.ca === true;
    // (b)(2)(ii)–(iv): the only… flags.
    if (idp.onlyContainsUserCerts && ca) {
      return { ok: false, why: "it covers end-entity certificates only" };
    }
    if (idp.onlyContainsCACerts && !ca) return { ok: false, why: "it covers CA certificates only" };
    if (idp.onlyContainsAttributeCerts) {
      return { ok: false, why: "it covers attribute certificates only" };
    }
  }
  // (d): the reasons this CRL can vouch for through this point.
  const reasons =
    (idp?.onlySomeReasons ?? ALL_REASONS) & (point.reasons ?? ALL_REASONS) & ALL_REASONS;
  return { ok: true, reasons };
}

/** keyUsage allows cRLSign when present (RFC 5280 §6.3.3 (f), §4.2.1.3). */
export function mayIssueCrls(certificate: ParsedCertificate): boolean {
  const profile = profileOf(certificate);
  if (profile.problem !== undefined) return false;
  const usage = profile.keyUsage;
  return usage === undefined || (usage & KEY_USAGE.cRLSign) !== 0;
}
