import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { freePort } from "../test/helpers/alertmanager";

/**
 * Runs the production build (`next start`) with a given environment on a free loopback port.
 * Shared by the e2e global setup, specs that need a differently configured console, and the benchmark.
 */

// CONSOLE_APP_DIR runs a build made in another checkout (e.g. a snapshot while the tree is mid-change).
const ROOT = process.env.CONSOLE_APP_DIR ? resolve(process.env.CONSOLE_APP_DIR) : resolve(import.meta.dirname, "..");
const NEXT_BIN = join(ROOT, "node_modules/next/dist/bin/next");
// As scripts/start.mjs does: stamp each request with its TCP peer, so AUTH_MODE=proxy and AUTH_MODE=none
// judge the real connection (a console without it would trust whatever a client claims).
const PEER_HOOK = pathToFileURL(join(ROOT, "scripts/peer-address.mjs")).href;

export interface RunningConsole {
  url: string;
  /** stdout+stderr so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

// Settings from the developer's shell must not leak into a test console: each test says what it wants.
const CONSOLE_VARS = /^(DEMO|ALERTMANAGER_|KUBECONFIG|CLUSTER_CONTEXTS|GEMINI_|GITHUB_|DATABASE_URL|WEBHOOK_|AUTO_|AUTH_|METRICS_|CONSOLE_URL|HOST|PORT)/;

/**
 * Start a console from the existing production build; resolves once it answers HTTP. `port` fixes the
 * port in advance (an Alertmanager whose webhook points at the console must know it before it starts).
 */
export async function startConsole(env: Record<string, string> = {}, options: { port?: number } = {}): Promise<RunningConsole> {
  if (!existsSync(join(ROOT, ".next/BUILD_ID"))) {
    throw new Error("No production build: run `npm run build` before the e2e tests (npm test does).");
  }
  const dataDir = await mkdtemp(join(tmpdir(), "console-e2e-"));
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const base = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !CONSOLE_VARS.test(k)));
  const child = spawn(process.execPath, [NEXT_BIN, "start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: ROOT,
    env: {
      ...base,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      LOG_LEVEL: "warn",
      DATABASE_URL: `file:${join(dataDir, "t.sqlite")}`,
      HOST: "127.0.0.1",
      PORT: String(port),
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${PEER_HOOK}`.trim(),
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
      throw new Error(`console exited with ${child.exitCode} before answering:\n${out}`);
    }
    try {
      // Any HTTP answer means the server is up; the health route may belong to a feature not yet built.
      await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      return { url, output: () => out, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await stop();
  throw new Error(`console at ${url} did not answer within 60 s:\n${out}`);
}
