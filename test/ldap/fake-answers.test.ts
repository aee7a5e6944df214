// R4 (review findings on issue 17): what the adapter says about answers a real directory can
// give but slapd and Samba are hard to make give on demand, from a scripted LDAP server on
// loopback: an entry whose objectClass an ACL hides while the attribute is readable (the value is
// read, never "cannot be read"), and a reply that is not LDAP on a live connection (an operation
// error, not a lost connection).
import { createServer, type Server, type Socket } from "node:net";

import { afterEach, describe, expect, it } from "vitest";

import { LdapDirectory, LdapDirectoryError } from "../../src/adapters/ldap/index.js";

const SERVER_DN = "CN=EDGE01,CN=Servers,DC=contoso,DC=com";

function tlv(tag: number, content: Uint8Array | readonly number[]): number[] {
  const bytes = [...content];
  const length =
    bytes.length < 0x80
      ? [bytes.length]
      : bytes.length < 0x100
        ? [0x81, bytes.length]
        : [0x82, bytes.length >> 8, bytes.length & 0xff];
  return [tag, ...length, ...bytes];
}
const octets = (text: string | Uint8Array) =>
  tlv(0x04, typeof text === "string" ? Buffer.from(text, "utf8") : text);
const message = (id: number, op: number[]) => Buffer.from(tlv(0x30, [...tlv(0x02, [id]), ...op]));
const resultDone = (tag: number) => tlv(tag, [...tlv(0x0a, [0]), ...octets(""), ...octets("")]);

/** A searchResEntry for SERVER_DN with the given attributes (name → values). */
function entry(attributes: Record<string, readonly (string | Uint8Array)[]>): number[] {
  const list = Object.entries(attributes).flatMap(([name, values]) =>
    tlv(0x30, [
      ...octets(name),
      ...tlv(
        0x31,
        values.flatMap((value) => octets(value)),
      ),
    ]),
  );
  return tlv(0x64, [...octets(SERVER_DN), ...tlv(0x30, list)]);
}

/** The message id and protocol-op tag of one LDAPMessage at the start of `data`. */
function header(data: Buffer): { id: number; op: number } {
  let at = 1;
  const first = data[at]!;
  at += first < 0x80 ? 1 : 1 + (first & 0x7f);
  const idLength = data[at + 1]!;
  let id = 0;
  for (let i = 0; i < idLength; i++) id = id * 256 + data[at + 2 + i]!;
  return { id, op: data[at + 2 + idLength]! };
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server that accepts the bind and answers every search with `answer(id)`. */
async function scripted(answer: (id: number) => Buffer[]): Promise<number> {
  server = createServer((socket: Socket) => {
    socket.on("data", (data) => {
      const { id, op } = header(data);
      if (op === 0x60) socket.write(message(id, resultDone(0x61)));
      else if (op === 0x63) for (const part of answer(id)) socket.write(part);
      else if (op === 0x42) socket.end();
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

const directory = (port: number) =>
  new LdapDirectory({
    url: `ldap://127.0.0.1:${port}`,
    bindDN: "cn=reader",
    password: "secret",
    serverDN: SERVER_DN,
    timeout: 5_000,
  });

describe("R4: what an answer means", () => {
  it("an entry with the attribute but no objectClass (an ACL hiding objectClass): the value is read", async () => {
    const value = Buffer.from("0123456789ABCDEF0123456789ABCDEF01234567", "ascii");
    const port = await scripted((id) => [
      message(id, entry({ msExchServerInternalTLSCert: [value] })),
      message(id, resultDone(0x65)),
    ]);
    const read = await directory(port).readInternalTransportCertificate();
    expect(read).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(read as Uint8Array).equals(value)).toBe(true);
  });

  it("an entry with neither the attribute nor objectClass is 'cannot be read' (ERR_LDAP_ACCESS), on one line", async () => {
    const port = await scripted((id) => [message(id, entry({})), message(id, resultDone(0x65))]);
    const error = await directory(port)
      .readInternalTransportCertificate()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LdapDirectoryError);
    expect(error).toMatchObject({ code: "ERR_LDAP_ACCESS", phase: "search" });
    expect((error as Error).message).not.toContain("\n");
  });

  it("a reply that is not LDAP on a live connection is ERR_LDAP_OPERATION, not a lost connection", async () => {
    const port = await scripted((id) => [message(id, [0x7f, 0x00])]);
    const error = await directory(port)
      .readInternalTransportCertificate()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LdapDirectoryError);
    expect((error as LdapDirectoryError).code).toBe("ERR_LDAP_OPERATION");
    expect((error as Error).message).not.toContain("\n");
  });
});
