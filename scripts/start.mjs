// `npm start`: validate the configuration, refuse an unauthenticated console on a non-loopback address,
// then serve the production build on HOST:PORT (default 127.0.0.1:3000).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { tsImport } from "tsx/esm/api";

const { loadConfig, ConfigError, assertSafeToServe } = await tsImport("../lib/config.ts", import.meta.url);
let config;
try {
  config = loadConfig();
  assertSafeToServe(config);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`Refusing to start. ${e.message}`);
    process.exit(2);
  }
  throw e;
}
if (!existsSync(new URL("../.next/BUILD_ID", import.meta.url))) {
  console.error("No production build found: run `npm run build` first (npm run demo does both).");
  process.exit(2);
}
console.log(`Incident Triage Console${config.demo ? " (demo environment)" : ""} on http://${config.host}:${config.port}`);
const peer = new URL("./peer-address.mjs", import.meta.url).href;
const nextBin = new URL("../node_modules/next/dist/bin/next", import.meta.url).pathname;
const child = spawn(process.execPath, [nextBin, "start", "-H", config.host, "-p", String(config.port)], {
  stdio: "inherit",
  // Any worker Next forks gets the peer-address hook too.
  env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${peer}`.trim() },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
