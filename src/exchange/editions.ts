// What Exchange 2016, 2019 and Subscription Edition change (E1–E6), in one place. The steps and
// processes never test `edition === …`: they read the switches of the edition's rules below, so
// this table is the whole answer to "what does 2016 change?".
//
// Q: why switches rather than two copies of each process?
// A: the editions share every step; they differ in a gate's conditions (E1), where one process
//    ends (E2), which connector setting names the certificate (E3), whether one eligibility
//    condition gates (E4), and the levels of three events (E6). Two copies would let a fix reach
//    one edition and not the other.
import type { Edition, Event12014, Event12015, Event12017, Role } from "../types.js";

export interface EditionRules {
  readonly edition: Edition;
  /** E1: the roles that run the outbound anonymous selection. */
  readonly outboundRoles: readonly Role[];
  /**
   * E2: after the expiry step (R7) the outbound anonymous process goes on to the domain list,
   * eligibility, ranking and the 1037 comparison (2007), or ends with the directory's
   * certificate (2016).
   */
  readonly anonymousRankingAfterExpiry: boolean;
  /** E3 (S2, S11): a connector's TlsCertificateName names the STARTTLS certificate. */
  readonly tlsCertificateName: boolean;
  /**
   * E4 (S4): a certificate without SMTP enabled is not eligible (2007); in 2016 it still is,
   * and the decision marks the choice.
   */
  readonly smtpFlagGatesEligibility: boolean;
  /**
   * S11: a Send connector's TlsCertificateName that resolves to no usable certificate fails the
   * session (2016 only: 2007 has no such setting).
   */
  readonly sendConnectorNameFailsSession: boolean;
  /** E6: the levels of the events whose level changed. */
  readonly levels: {
    readonly 12014: Event12014["level"];
    readonly 12015: Event12015["level"];
    readonly 12017: Event12017["level"];
  };
}

const EDITION_2007: EditionRules = Object.freeze({
  edition: "2007",
  outboundRoles: Object.freeze(["HubTransport", "EdgeTransport"] as const),
  anonymousRankingAfterExpiry: true,
  tlsCertificateName: false,
  smtpFlagGatesEligibility: true,
  sendConnectorNameFailsSession: false,
  // Exchange 2007's own event page lists 12014 as a Warning.
  levels: Object.freeze({ 12014: "Warning", 12015: "Warning", 12017: "Warning" }),
} as const);

const EDITION_2016: EditionRules = Object.freeze({
  edition: "2016",
  // E1: the Hub Transport role is gone; the Mailbox server sends to the Edge.
  outboundRoles: Object.freeze(["Mailbox", "EdgeTransport"] as const),
  // E2
  anonymousRankingAfterExpiry: false,
  // E3, S11
  tlsCertificateName: true,
  // E4
  smtpFlagGatesEligibility: false,
  sendConnectorNameFailsSession: true,
  // E6
  levels: Object.freeze({ 12014: "Error", 12015: "Information", 12017: "Information" }),
} as const);

/** The rules of each edition. */
export const EDITIONS: Readonly<Record<Edition, EditionRules>> = Object.freeze({
  "2007": EDITION_2007,
  "2016": EDITION_2016,
});

/** The editions, in order; 2007 is the default. */
export const EDITION_NAMES: readonly Edition[] = Object.freeze(["2007", "2016"] as const);
