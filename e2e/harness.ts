import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { freePort } from "../test/helpers/alertmanager";

/**
 * Runs the production build the supported way (`npm start`: scripts/start.mjs, Next's standalone server
 * with the peer-address preload) with a given environment on a free loopback port. Shared by the e2e
 * global setup, specs that need a differently configured console, and the benchmark. `how` starts it the
 * other ways, for the tests that show those refuse or stay closed.
 */

// CONSOLE_APP_DIR runs a build made in another checkout (e.g. a snapshot while the tree is mid-change).
const ROOT = process.env.CONSOLE_APP_DIR ? resolve(process.env.CONSOLE_APP_DIR) : resolve(import.meta.dirname, "..");
const STANDALONE = join(ROOT, ".next/standalone");
const PEER_HOOK = pathToFileURL(join(ROOT, "scripts/peer-address.mjs")).href;

/**
 * npm-start: scripts/start.mjs. image: what the Dockerfile runs (node --import preload server.js).
 * bare: `node .next/standalone/server.js` as Next's start-up warning suggests, without the preload.
 */
export type StartHow = "npm-start" | "image" | "bare";

function commandFor(how: StartHow): { args: string[]; cwd: string } {
  if (how === "npm-start") return { args: [join(ROOT, "scripts/start.mjs")], cwd: ROOT };
  const server = join(STANDALONE, "server.js");
  return how === "image" ? { args: ["--import", PEER_HOOK, server], cwd: STANDALONE } : { args: [server], cwd: STANDALONE };
}

export interface RunningConsole {
  url: string;
  /** stdout+stderr so far, for failure messages. */
  output(): string;
  /** Send a signal to the process and wait until it exits (SIGKILL: a crash, no drain); stop() then only cleans up. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Freeze the process (SIGSTOP: it holds its connections but does nothing) or let it run again (SIGCONT). */
  pause(frozen: boolean): void;
  stop(): Promise<void>;
}

// Settings from the developer's shell must not leak into a test console: each test says what it wants.
const CONSOLE_VARS = /^(DEMO|ALERTMANAGER_|KUBECONFIG|CLUSTER_|RETENTION_|GEMINI_|GITHUB_|DATABASE_URL|WEBHOOK_|AUTO_|AUTH_|METRICS_|PROMETHEUS_|CONSOLE_URL|HOST|PORT|TRIAGE_)/;

/**
 * Start a console from the existing production build; resolves once it answers HTTP. `port` fixes the
 * port in advance (an Alertmanager whose webhook points at the console must know it before it starts).
 */
export async function startConsole(env: Record<string, string> = {}, options: { port?: number; how?: StartHow } = {}): Promise<RunningConsole> {
  if (!existsSync(join(STANDALONE, "server.js"))) {
    throw new Error("No production build: run `npm run build` before the e2e tests (npm test does).");
  }
  const dataDir = await mkdtemp(join(tmpdir(), "console-e2e-"));
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const base = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !CONSOLE_VARS.test(k)));
  const { args, cwd } = commandFor(options.how ?? "npm-start");
  const child = spawn(process.execPath, args, {
    cwd,
    env: {
      ...base,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      LOG_LEVEL: "warn",
      DATABASE_URL: `file:${join(dataDir, "t.sqlite")}`,
      HOST: "127.0.0.1",
      // What server.js binds (start.mjs sets it from HOST).
      HOSTNAME: "127.0.0.1",
      PORT: String(port),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const append = (b: Buffer) => {
    out = (out + b.toString()).slice(-50_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      await stop();
      // freePort closes the port before the console binds it: another server can take it in between.
      // Then try again on another port, unless the caller fixed the port.
      if (options.port === undefined && /EADDRINUSE/.test(out)) return startConsole(env, options);
      throw new Error(`console exited with ${child.exitCode} before answering:\n${out}`);
    }
    try {
      // The console's own answer (JSON), not that of another server that took the port in the meantime.
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (!(res.headers.get("content-type") ?? "").includes("json")) throw new Error(`not the console at ${url}`);
      const kill = async (signal: NodeJS.Signals) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        await exited;
      };
      const pause = (frozen: boolean) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(frozen ? "SIGSTOP" : "SIGCONT");
      };
      return { url, output: () => out, kill, pause, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await stop();
  throw new Error(`console at ${url} did not answer within 60 s:\n${out}`);
}

/**
 * Start a console that is expected to refuse to start; resolves with its exit code and output, or with
 * code null if it is still running after timeoutMs (then it is stopped).
 */
export async function expectRefusal(env: Record<string, string>, how: StartHow, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), "console-e2e-"));
  const port = await freePort();
  const base = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !CONSOLE_VARS.test(k)));
  const { args, cwd } = commandFor(how);
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...base, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", LOG_LEVEL: "warn", DATABASE_URL: `file:${join(dataDir, "t.sqlite")}`, HOST: "127.0.0.1", HOSTNAME: "127.0.0.1", PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((r) => {
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      r(null);
    }, timeoutMs);
    child.once("exit", (c) => {
      clearTimeout(t);
      r(c);
    });
  });
  await rm(dataDir, { recursive: true, force: true });
  return { code, output: out };
}
