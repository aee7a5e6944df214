import { describe, expect, it } from "vitest";

import { PathValidator } from "../../src/x509/path/validator.js";
import { intermediate, leaf, NOW, root, WINDOW } from "../support/chains.js";

const R = { name: "Root CA", key: "rsa-1" } as const;
const I = { name: "Issuing CA", key: "p256-1" } as const;
const L = { name: "mail.contoso.com", key: "p256-2" } as const;

describe("PathValidator basics (A3)", () => {
  it("A3: leaf ← intermediate ← root is valid", async () => {
    const r = await root(R);
    const i = await intermediate(I, R);
    const l = await leaf(L, I);
    const result = await new PathValidator({ trustAnchors: [r], intermediates: [i] }).validate(
      l,
      NOW,
    );
    expect(result.status).toBe("valid");
    if (result.status === "valid")
      expect(result.path.map((c) => c.thumbprint)).toEqual([l, i, r].map((c) => c.thumbprint));
  });

  it("A13: an expired trust anchor invalidates the path", async () => {
    const r = await root(R, WINDOW.expired);
    const i = await intermediate(I, R);
    const l = await leaf(L, I);
    const result = await new PathValidator({ trustAnchors: [r], intermediates: [i] }).validate(
      l,
      NOW,
    );
    expect(result).toMatchObject({
      status: "invalid",
      reason: { code: "expired", certificate: r.thumbprint },
    });
  });
});
