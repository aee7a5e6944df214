/**
 * Exchange's choices of SMTP TLS certificate, reproduced rule by rule (the ids are explained in
 * docs/rules.md), in the 2007 and the 2016/2019/SE editions: anonymous TLS (X-ANONYMOUSTLS)
 * between transport servers, outbound and inbound, and STARTTLS, inbound and outbound; their
 * explanation, the certification-path validator behind
 * "valid PKI", a prepared selector for every session, a folder-backed store, and the helpers that
 * put the selected certificate on a TLS socket.
 *
 * @packageDocumentation
 */
// The public surface: an explicit list, no `export *` (STYLE). Internals (src/x509, src/exchange, src/adapters) stay out.

export {
  createFolderStore,
  type FolderCrl,
  type FolderStore,
  type FolderStoreEntry,
  FolderStoreError,
  type FolderStoreOptions,
} from "./adapters/folder-store.js";
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
} from "./adapters/tls.js";
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
export { type ExplainOptions, explainSelection } from "./exchange/explain.js";
export { selectInboundAnonymousTlsCert } from "./exchange/inbound-anonymous.js";
export { selectInboundStartTlsCert } from "./exchange/inbound-starttls.js";
export { selectOutboundAnonymousTlsCert } from "./exchange/outbound-anonymous.js";
export {
  selectOutboundStartTlsCert,
  TLS_CERTIFICATE_NAME_NOT_FOUND_REPLY,
} from "./exchange/outbound-starttls.js";
export {
  createSelector,
  type PreparedInboundOptions,
  type PreparedInboundStartTlsOptions,
  type PreparedOutboundOptions,
  type PreparedOutboundStartTlsOptions,
  type Selector,
  type SelectorOptions,
  type SelectorStats,
} from "./exchange/selector.js";
export {
  type EhloReply,
  parseEhloReply,
  type SmtpReply,
  SmtpReplyParser,
  SmtpReplySyntaxError,
} from "./exchange/smtp-reply.js";
export {
  type DistinguishedName,
  type DistinguishedNameAttribute,
  type ParseTlsCertificateNameOptions,
  parseTlsCertificateName,
  type TlsCertificateName,
  type TlsCertificateNameField,
  type TlsCertificateNameMatch,
} from "./exchange/tls-certificate-name.js";
export {
  AUTH_MECHANISMS,
  type AuthMechanism,
  DELIVERY_TYPES,
  type DeliveryType,
  SMART_HOST_AUTH_MECHANISMS,
  type SmartHostAuthMechanism,
} from "./exchange/vocabulary.js";
export type {
  AnonymousTlsSelection,
  CertificateFacts,
  CertificateInput,
  CertificateVerdict,
  CertStore,
  CommonSelectionOptions,
  ConnectorCertificateSettings,
  Directory,
  DirectoryValue,
  Edition,
  Event1037,
  Event12012,
  Event12013,
  Event12014,
  Event12015,
  Event12016,
  Event12017,
  Event12018,
  EventId,
  EventLevel,
  ExchangeEvent,
  Exclusion,
  ExpiryWarning,
  GateCondition,
  InboundSelectionOptions,
  InboundStartTlsNoCertificate,
  InboundStartTlsSelected,
  InboundStartTlsSelection,
  InboundStartTlsSelectionOptions,
  LookedFor,
  NoCertificate,
  NoCertificateReason,
  NotAttempted,
  OutboundSelectionOptions,
  OutboundStartTlsNoCertificate,
  OutboundStartTlsSelected,
  OutboundStartTlsSelection,
  OutboundStartTlsSelectionOptions,
  OutboundStartTlsSessionFails,
  Outcome,
  Phase,
  ReceiveConnector,
  Role,
  RuleId,
  Selected,
  Selection,
  SelectionSettings,
  SendConnector,
  ServerNames,
  StartTlsNoCertificateReason,
  StartTlsNotAttempted,
  StartTlsSelection,
  StartTlsSelectionSettings,
  StepName,
  StoreEntry,
  ThumbprintMismatchPolicy,
  TimeStatus,
  TraceStep,
  TrustVerdict,
} from "./types.js";
export {
  type HostName,
  type HostNameProblem,
  type NameMatch,
  type NameSource,
  parseHostName,
} from "./x509/dns-name.js";
export { parseThumbprint, type Thumbprint, thumbprintOf } from "./x509/thumbprint.js";
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
} from "./x509/validate-path.js";
