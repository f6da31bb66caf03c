// `npm start`: the one supported way to run a build outside the image. Loads .env files as Next would,
// validates the configuration, refuses an unauthenticated console on a non-loopback address, then runs
// Next's standalone server (.next/standalone/server.js, what the image runs) with the peer-address preload
// on HOST:PORT (default 127.0.0.1:3000). `--dev` runs `next dev` with the same preload instead.
import { spawn } from "node:child_process";
import { existsSync, lstatSync, symlinkSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import nextEnv from "@next/env";
import { tsImport } from "tsx/esm/api";

const dev = process.argv.includes("--dev");
const root = fileURLToPath(new URL("..", import.meta.url));
// server.js reads no .env file of its own: load them here, so the check and the server see the same settings.
nextEnv.loadEnvConfig(root, dev, { info: () => {}, error: console.error });

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

const standalone = join(root, ".next/standalone");
const server = join(standalone, "server.js");
if (!dev && !existsSync(server)) {
  console.error("No production build found: run `npm run build` first (npm run demo does both).");
  process.exit(2);
}

/** Link a build folder into the standalone tree (Next's docs: it serves .next/static and public from there). */
function link(target, path) {
  if (!existsSync(join(root, target))) return;
  try {
    lstatSync(path);
  } catch {
    try {
      symlinkSync(relative(dirname(path), join(root, target)), path);
    } catch (e) {
      // Another `npm start` of the same build linked it first.
      if (e.code !== "EEXIST") throw e;
    }
  }
}

const env = { ...process.env };
// server.js changes into .next/standalone: a relative SQLite path must keep meaning what it meant here.
const dbPath = env.DATABASE_URL?.startsWith("file:") && !env.DATABASE_URL.startsWith("file://") ? env.DATABASE_URL.slice(5) : undefined;
if (dbPath && !isAbsolute(dbPath)) env.DATABASE_URL = `file:${resolve(dbPath)}`;
if (env.KUBECONFIG && !isAbsolute(env.KUBECONFIG)) env.KUBECONFIG = resolve(env.KUBECONFIG);

const preload = new URL("./peer-address.mjs", import.meta.url).href;
let args;
if (dev) {
  // next dev serves from a child process: NODE_OPTIONS gives it the preload too.
  env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} --import ${preload}`.trim();
  args = [join(root, "node_modules/next/dist/bin/next"), "dev", "-H", config.host, "-p", String(config.port)];
} else {
  link(".next/static", join(standalone, ".next/static"));
  link("public", join(standalone, "public"));
  // server.js binds HOSTNAME (0.0.0.0 if unset), not HOST; the preload reports the address really bound.
  Object.assign(env, { NODE_ENV: "production", HOSTNAME: config.host, PORT: String(config.port) });
  args = ["--import", preload, server];
}
console.log(`Incident Triage Console${config.demo ? " (demo environment)" : ""} on http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}`);
const child = spawn(process.execPath, args, { stdio: "inherit", env });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
