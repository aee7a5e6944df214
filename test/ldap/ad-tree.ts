// What the Samba AD suite provisions: AD's schema extended with msExchServerInternalTLSCert (an
// octet string, R3) on an Exchange-server class, Exchange's configuration tree under
// CN=Configuration, server objects holding a serialized-certificate blob, a DER certificate or
// nothing, and the permission cases that decide R4 in a real directory: a non-admin reader granted
// Read on the attribute, an attribute-level deny ACE, an object-level deny ACE, a search base the
// reader may not read, and confidentiality (searchFlags 128) for everyone else.
//
// The schema OIDs are under 1.3.6.1.4.1.32473, the enterprise number RFC 5612 reserves for
// documentation: they cannot clash with Exchange's real OIDs, which this file does not reuse.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import type { SambaConfig } from "../support/samba.js";
import { CONFIGURATION, SECOND_SERVERS, SERVERS, SUFFIX } from "./exchange-tree.js";

export { CONFIGURATION, SECOND_SERVERS, SERVERS, SUFFIX };

const fixture = (name: string): Uint8Array =>
  new Uint8Array(
    readFileSync(fileURLToPath(new URL(`../fixtures/directory/${name}`, import.meta.url))),
  );

/** A Windows serialized-certificate blob (R3's usual form). */
export const BLOB = fixture("serialized.bin");
/** A plain DER certificate. */
export const DER = fixture("certificate.der");

export const REALM = "CONTOSO.COM";
export const DOMAIN = "CONTOSO";
export const HOST = "dc01";
export const ADMIN_DN = `CN=Administrator,CN=Users,${SUFFIX}`;
export const ADMIN_PASSWORD = "Admin-Secret-1";
/** Granted Read (and, the attribute being confidential, Control Access) on the attribute. */
export const READER_DN = `CN=reader,CN=Users,${SUFFIX}`;
export const READER_UPN = "reader@contoso.com";
export const READER_PASSWORD = "Reader-Secret-1";
/** An ordinary authenticated account: may read the tree, not the confidential attribute. */
export const OTHER_DN = `CN=other,CN=Users,${SUFFIX}`;
export const OTHER_PASSWORD = "Other-Secret-1";

/** A branch the reader may not read at all (object-level deny on its Servers container). */
export const HIDDEN_SERVERS = `CN=Servers,CN=Hidden Administrative Group,CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,${CONFIGURATION}`;

const ADMIN_GROUPS = `CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,${CONFIGURATION}`;

export const serverDN = (name: string, parent = SERVERS): string => `CN=${name},${parent}`;

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

function container(dn: string): string {
  const cn = /^CN=([^,]+)/.exec(dn)?.[1] ?? "";
  return `dn: ${dn}\nobjectClass: container\ncn: ${cn}\n`;
}

function server(name: string, parent: string, value?: Uint8Array): string {
  return [
    `dn: ${serverDN(name, parent)}`,
    "objectClass: msExchExchangeServer",
    `cn: ${name}`,
    ...(value === undefined ? [] : [`msExchServerInternalTLSCert:: ${b64(value)}`]),
    "",
  ].join("\n");
}

const SCHEMA_ATTRIBUTE = `dn: CN=ms-Exch-Server-Internal-TLS-Cert,@SCHEMA@
objectClass: top
objectClass: attributeSchema
cn: ms-Exch-Server-Internal-TLS-Cert
attributeID: 1.3.6.1.4.1.32473.1.1
attributeSyntax: 2.5.5.10
oMSyntax: 4
isSingleValued: TRUE
lDAPDisplayName: msExchServerInternalTLSCert
searchFlags: 128
`;

// Authenticated Users may read server objects (as in an Exchange organization); what they may not
// read is the confidential attribute, which the reader is granted below.
const SCHEMA_CLASS = `dn: CN=ms-Exch-Exchange-Server,@SCHEMA@
objectClass: top
objectClass: classSchema
cn: ms-Exch-Exchange-Server
governsID: 1.3.6.1.4.1.32473.2.1
lDAPDisplayName: msExchExchangeServer
subClassOf: top
objectClassCategory: 1
rDNAttID: cn
possSuperiors: container
mayContain: msExchServerInternalTLSCert
defaultObjectCategory: CN=ms-Exch-Exchange-Server,@SCHEMA@
defaultSecurityDescriptor: D:(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;DA)(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;SY)(A;;RPLCLORC;;;AU)
`;

// ACEs in SDDL. @GUID@ is the attribute's schemaIDGUID, @SID:x@ an account's SID.
// RP = Read Property, CR = Control Access (what a confidential attribute also needs), CI = inherit
// to children, OA/OD = object-specific allow/deny (on the attribute only), D = deny on the object.
const GRANT_READER = "(OA;CI;RPCR;@GUID@;;@SID:reader@)";

export const SAMBA_CONFIG: SambaConfig = {
  realm: REALM,
  domain: DOMAIN,
  hostName: HOST,
  adminPassword: ADMIN_PASSWORD,
  schema: [SCHEMA_ATTRIBUTE, SCHEMA_CLASS],
  attribute: "msExchServerInternalTLSCert",
  users: [
    { name: "reader", password: READER_PASSWORD },
    { name: "other", password: OTHER_PASSWORD },
  ],
  steps: [
    {
      ldif: [
        `CN=Microsoft Exchange,CN=Services,${CONFIGURATION}`,
        `CN=First Organization,CN=Microsoft Exchange,CN=Services,${CONFIGURATION}`,
        ADMIN_GROUPS,
        `CN=Exchange Administrative Group (FYDIBOHF23SPDLT),${ADMIN_GROUPS}`,
        SERVERS,
        `CN=Second Administrative Group,${ADMIN_GROUPS}`,
        SECOND_SERVERS,
        `CN=Hidden Administrative Group,${ADMIN_GROUPS}`,
        HIDDEN_SERVERS,
      ]
        .map(container)
        .join("\n"),
    },
    { dn: SERVERS, ace: GRANT_READER },
    { dn: SECOND_SERVERS, ace: GRANT_READER },
    { dn: HIDDEN_SERVERS, ace: GRANT_READER },
    {
      ldif: [
        server("EDGE01", SERVERS, BLOB),
        server("EDGE02", SERVERS, DER),
        server("EDGE03", SERVERS),
        server("EDGE06", SERVERS, DER),
        server("EDGE07", SERVERS, DER),
        server("DUP", SERVERS, DER),
        server("DUP", SECOND_SERVERS, BLOB),
        server("EDGE08", HIDDEN_SERVERS, DER),
      ].join("\n"),
    },
    // EDGE06: a deny ACE on the attribute alone (the object stays readable).
    { dn: serverDN("EDGE06"), ace: "(OD;;RPCR;@GUID@;;@SID:reader@)" },
    // EDGE07: a deny ACE on every property of the object.
    { dn: serverDN("EDGE07"), ace: "(D;;RP;;;@SID:reader@)" },
    // The hidden branch: its Servers container and what is under it cannot be read by the reader.
    { dn: HIDDEN_SERVERS, ace: "(D;CI;RP;;;@SID:reader@)" },
    // An inherited deny comes after the class's explicit Allow for Authenticated Users (canonical
    // ACL order), so the server object under it needs its own.
    { dn: serverDN("EDGE08", HIDDEN_SERVERS), ace: "(D;;RP;;;@SID:reader@)" },
  ],
};
