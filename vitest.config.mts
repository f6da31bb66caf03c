import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";
import { assertProjectNode } from "./scripts/node-version.mjs";

assertProjectNode("vitest", "scripts/node node_modules/.bin/vitest run [files], or npm run test:unit -- [files]");

export default defineConfig({
  resolve: {
    alias: {
      "@": fileURLToPath(new URL(".", import.meta.url)),
      "server-only": fileURLToPath(new URL("./test/server-only-stub.ts", import.meta.url)),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // A private PostgreSQL cluster for the run (Debian's server), removed at the end.
    globalSetup: ["./test/global-setup.ts"],
  },
});
