import type { NextConfig } from "next";
import { loadConfig } from "./lib/config";
import { assertProjectNode } from "./scripts/node-version.mjs";

assertProjectNode("next", "scripts/node node_modules/.bin/next build (or dev), or npm run build");

// Validate the environment at build and start, so a bad setting fails here and not on the third request.
loadConfig();

const nextConfig: NextConfig = {
  output: "standalone",
  poweredByHeader: false,
  serverExternalPackages: ["better-sqlite3", "@kubernetes/client-node", "pino", "pg-boss"],
};

export default nextConfig;
