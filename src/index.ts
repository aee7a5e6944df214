/**
 * Exchange Server 2007's choice of certificate for anonymous TLS (X-ANONYMOUSTLS) between
 * transport servers, reproduced rule by rule (the ids are explained in docs/rules.md): the
 * outbound and inbound selections and their explanation, the certification-path validator behind
 * "valid PKI", a prepared selector for every session, a folder-backed store, and the helpers that
 * put the selected certificate on a TLS socket.
 *
 * @packageDocumentation
 */
// The public surface: an explicit list, no `export *` (STYLE). Internals under src/lib stay out.

export {
  AnonymousTlsError,
  type CertificateParseFailure,
  type ErrorCode,
  InvalidCertificateError,
  InvalidSettingError,
  InvalidThumbprintError,
  NoPrivateKeyError,
  NotSelectedError,
  type SettingField,
  SmtpSessionError,
  type SmtpSessionErrorCode,
} from "./errors.js";
export { type ExplainOptions, explainSelection } from "./explain.js";
export {
  createFolderStore,
  type FolderCrl,
  type FolderStore,
  type FolderStoreEntry,
  FolderStoreError,
  type FolderStoreOptions,
} from "./folder-store.js";
export {
  type HostName,
  type HostNameProblem,
  type NameMatch,
  type NameSource,
  parseHostName,
} from "./lib/dns-name.js";
export { parseThumbprint, type Thumbprint, thumbprintOf } from "./lib/thumbprint.js";
export {
  type DistinguishedName,
  type DistinguishedNameAttribute,
  type ParseTlsCertificateNameOptions,
  parseTlsCertificateName,
  type TlsCertificateName,
  type TlsCertificateNameField,
} from "./lib/tls-certificate-name.js";
export {
  AUTH_MECHANISMS,
  type AuthMechanism,
  DELIVERY_TYPES,
  type DeliveryType,
  SMART_HOST_AUTH_MECHANISMS,
  type SmartHostAuthMechanism,
} from "./lib/vocabulary.js";
export { selectInboundAnonymousTlsCert } from "./select-inbound.js";
export { selectOutboundAnonymousTlsCert } from "./select-outbound.js";
export {
  createSelector,
  type PreparedInboundOptions,
  type PreparedOutboundOptions,
  type Selector,
  type SelectorOptions,
  type SelectorStats,
} from "./selector.js";
export {
  type EhloReply,
  parseEhloReply,
  type SmtpReply,
  SmtpReplyParser,
  SmtpReplySyntaxError,
} from "./smtp-reply.js";
export {
  ANONYMOUS_TLS_KEYWORD,
  type AnonymousTlsNegotiation,
  type AnonymousTlsNotUsed,
  type AnonymousTlsUsed,
  type NegotiateOptions,
  type NotUsedReason,
  negotiateAnonymousTls,
  type PeerCertificate,
  peerCertificateChain,
  type SelectionTlsOptions,
  type SmtpCommandOptions,
  smtpCommand,
  type ToTlsOptionsOptions,
  toTlsOptions,
} from "./tls.js";
export type {
  CertificateFacts,
  CertificateInput,
  CertificateVerdict,
  CertStore,
  CommonSelectionOptions,
  Directory,
  DirectoryValue,
  Event1037,
  Event12012,
  Event12013,
  Event12015,
  Event12017,
  EventId,
  ExchangeEvent,
  Exclusion,
  ExpiryWarning,
  GateCondition,
  InboundSelectionOptions,
  NoCertificate,
  NoCertificateReason,
  NotAttempted,
  OutboundSelectionOptions,
  Outcome,
  Phase,
  ReceiveConnector,
  Role,
  RuleId,
  Selected,
  Selection,
  SendConnector,
  ServerNames,
  StepName,
  StoreEntry,
  ThumbprintMismatchPolicy,
  TimeStatus,
  TraceStep,
  TrustVerdict,
} from "./types.js";
export {
  type CertificateRevocationListInput,
  type CertificateRevocationStatus,
  type CrlParseFailure,
  type IgnoredCrl,
  type PathNameSources,
  type PathValidation,
  type PathValidationFailure,
  type PathValidationFailureCode,
  type RevocationMode,
  type RevocationStatus,
  type ValidateCertificatePathOptions,
  type ValidationProfile,
  validateCertificatePath,
} from "./validate-path.js";
