// The package's public surface, imported the way users import it: every name the README
// documents must be reachable from the entry point (a missing export once went unnoticed because
// other tests imported modules directly).
import { describe, expect, it } from "vitest";
import * as ldap from "../src/adapters/ldap/index.js";
import * as api from "../src/index.js";

describe("public API", () => {
  it.each([
    "selectOutboundAnonymousTlsCert",
    "selectInboundAnonymousTlsCert",
    "explainSelection",
    "parseThumbprint",
    "parseTlsCertificateName",
    "thumbprintOf",
    "parseHostName",
    "validateCertificatePath",
    "toTlsOptions",
    "negotiateAnonymousTls",
    "createSelector",
    "createFolderStore",
    "AnonymousTlsError",
    "InvalidSettingError",
    "InvalidThumbprintError",
    "InvalidCertificateError",
    "NotSelectedError",
    "NoPrivateKeyError",
    "SmtpSessionError",
    "FolderStoreError",
  ])("exports %s", (name) => {
    expect(typeof (api as Record<string, unknown>)[name]).toBe("function");
  });

  it("exports the LDAP adapter from its own entry point only", () => {
    expect(typeof ldap.LdapDirectory).toBe("function");
    expect("LdapDirectory" in api).toBe(false);
  });

  it("every error class extends AnonymousTlsError and carries a stable code", () => {
    const errors = [
      new api.InvalidThumbprintError("x", "x"),
      new api.NotSelectedError("x"),
      new api.NoPrivateKeyError("x"),
      new api.SmtpSessionError("ERR_SMTP_CLOSED", "x"),
      new api.FolderStoreError("x", "/tmp"),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(api.AnonymousTlsError);
      expect(error.code).toMatch(/^ERR_[A-Z_]+$/);
      expect(error.name).toBe(error.constructor.name);
    }
  });
});
