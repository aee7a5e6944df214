import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // examples/ imports the package by its own names, as a user does. Tests run before any build
    // (CI: `npm test`, then `npm run build`), so the names go to the sources, as tsconfig.json's
    // "paths" sends them for tsc and tsx; a package self-reference would find no dist/.
    alias: [
      { find: /^exchange-anonymous-tls$/, replacement: source("./src/index.ts") },
      {
        find: /^exchange-anonymous-tls\/ldap$/,
        replacement: source("./src/adapters/ldap/index.ts"),
      },
      {
        find: /^exchange-anonymous-tls\/smtp-server$/,
        replacement: source("./src/adapters/smtp-server/index.ts"),
      },
      {
        find: /^exchange-anonymous-tls\/haraka$/,
        replacement: source("./src/adapters/haraka/index.ts"),
      },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "tsconfig.check.json" },
  },
});
