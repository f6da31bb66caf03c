/**
 * Shared by the benchmarks that need a running console: a production build made in a private copy of
 * the tree (so `npm run bench` never touches the checkout's .next, which the tests and other people
 * build into), a launcher for consoles from that build, a counting delay gate in front of the fake
 * Gemini, and the percentile arithmetic.
 */
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, symlink } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { freePort } from "../test/helpers/alertmanager";

const run = promisify(execFile);

/** BENCH_QUICK=1 shrinks every benchmark to a smoke run. */
export const QUICK = process.env.BENCH_QUICK === "1";

/** The Chromium flags of playwright.config.ts: without the networking ones Chromium floods the closed network. */
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

const REPO = resolve(import.meta.dirname, "..");
const BUILDS = join(tmpdir(), "triage-bench-app");
// Not part of the app: leaving them out keeps the build's typecheck off other people's half-written tests.
const EXCLUDE = new Set(["node_modules", ".next", "dist", ".git", "test", "e2e", "bench", "test-results", "playwright-report", ".tmp", "data", "tsconfig.tsbuildinfo"]);

/** The p-th percentile (nearest rank) of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/** p50/p95/p99/max of some durations. */
export function summarize(values: readonly number[]): { n: number; p50: number; p95: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s.at(-1) ?? Number.NaN };
}

/** Milliseconds for a figure line. */
export function ms(v: number, digits = 0): string {
  return `${v.toFixed(digits)} ms`;
}

async function sourceFiles(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (!rel && EXCLUDE.has(e.name)) continue;
    if (e.name === "node_modules" || e.name.endsWith(".sqlite") || e.name.startsWith(".env")) continue;
    if (e.isDirectory()) out.push(...(await sourceFiles(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

/** A hash of everything the build reads, so an unchanged tree reuses its build. */
async function sourceHash(): Promise<string> {
  const h = createHash("sha256");
  for (const f of await sourceFiles(REPO)) h.update(f).update("\0").update(await readFile(join(REPO, f))).update("\0");
  return h.digest("hex").slice(0, 12);
}

let building: Promise<string> | undefined;

/**
 * The folder of a production build of the current tree, made once per process in a copy under the
 * temp folder and reused while the sources hash the same. CONSOLE_APP_DIR names a ready build instead.
 * @throws Error with the build output when `next build` fails in the copy.
 */
export function ensureAppBuild(): Promise<string> {
  building ??= (async () => {
    const given = process.env.CONSOLE_APP_DIR;
    if (given) {
      const dir = resolve(given);
      if (!existsSync(join(dir, ".next/BUILD_ID"))) throw new Error(`CONSOLE_APP_DIR=${dir} has no .next/BUILD_ID: run npm run build there first.`);
      return dir;
    }
    const hash = await sourceHash();
    const dir = join(BUILDS, hash);
    if (existsSync(join(dir, ".next/BUILD_ID"))) {
      console.log(`(console build ${hash} reused from ${dir})`);
      return dir;
    }
    // Older builds of other source states are stale; each is a few hundred MB of hard links and .next.
    await rm(BUILDS, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const t0 = performance.now();
    const excludes = [...EXCLUDE].map((e) => `--exclude=./${e}`);
    await run("bash", ["-c", `tar -C "$1" ${excludes.join(" ")} -cf - . | tar -C "$2" -xf -`, "copy", REPO, dir]);
    // Hard links, not a symlink: Turbopack refuses a node_modules that resolves outside the project.
    await run("cp", ["-al", join(REPO, "node_modules"), join(dir, "node_modules")]);
    try {
      await run(process.execPath, [join(dir, "node_modules/next/dist/bin/next"), "build"], {
        cwd: dir,
        env: buildEnv(),
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (e) {
      const out = e && typeof e === "object" && "stdout" in e ? `${String(e.stdout)}\n${"stderr" in e ? String(e.stderr) : ""}` : String(e);
      await rm(dir, { recursive: true, force: true });
      throw new Error(`next build failed in the bench copy ${dir}:\n${out.slice(-4000)}`);
    }
    console.log(`(console build ${hash} made in ${dir} in ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    return dir;
  })();
  return building;
}

// Settings from the developer's shell must not leak into a bench console: each bench says what it wants.
const CONSOLE_VARS = /^(DEMO|ALERTMANAGER_|KUBECONFIG|CLUSTER_|RETENTION_|GEMINI_|GITHUB_|DATABASE_URL|WEBHOOK_|AUTO_|AUTH_|METRICS_|PROMETHEUS_|CONSOLE_URL|HOST|PORT|RATE_LIMIT|ANALYSIS_|LOG_)/;

function buildEnv(): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !CONSOLE_VARS.test(e[0])));
  // The bench alerts' generatorURL names a Prometheus that does not exist here: no metrics part.
  return { ...base, PROMETHEUS_URL: "none", NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" };
}

export interface BenchConsole {
  url: string;
  /** The SQLite file; it outlives stop() so the store can be inspected afterwards. */
  databaseFile: string;
  output(): string;
  /** Stop the server (SIGTERM, then SIGKILL after 10 s); the data folder stays until dispose(). */
  stop(): Promise<void>;
  /** stop() and remove the data folder. */
  dispose(): Promise<void>;
}

/**
 * Start the bench build's standalone server, as the image does, on a free loopback port with exactly this console
 * environment; resolves once it answers HTTP.
 * @throws Error with the server output when it exits or does not answer within 60 s.
 */
export async function startBenchConsole(env: Record<string, string>): Promise<BenchConsole> {
  const appDir = await ensureAppBuild();
  const dataDir = await mkdtemp(join(tmpdir(), "triage-bench-data-"));
  const databaseFile = join(dataDir, "bench.sqlite");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // BENCH_CPU_PROF=dir: the server writes a V8 CPU profile there when it exits (read it with bench/cpu-profile.ts).
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", resolve(process.env.BENCH_CPU_PROF)] : [];
  // What the image runs (the peer-address preload and the standalone server): without the preload the auth gate stays closed.
  const standalone = join(appDir, ".next/standalone");
  for (const [target, path] of [[".next/static", ".next/static"], ["public", "public"]] as const) {
    // The standalone server serves pages' assets from its own tree, as npm start links them.
    if (existsSync(join(appDir, target)) && !existsSync(join(standalone, path))) await symlink(join(appDir, target), join(standalone, path)).catch(() => {});
  }
  const preload = pathToFileURL(join(appDir, "scripts/peer-address.mjs")).href;
  const child = spawn(process.execPath, [...profile, "--import", preload, join(standalone, "server.js")], {
    cwd: standalone,
    env: { ...buildEnv(), LOG_LEVEL: "warn", DATABASE_URL: `file:${databaseFile}`, HOST: "127.0.0.1", HOSTNAME: "127.0.0.1", PORT: String(port), ...env },
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
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    }
  };
  const dispose = async () => {
    await stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      await dispose();
      throw new Error(`bench console exited with ${child.exitCode} before answering:\n${out}`);
    }
    try {
      await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      return { url, databaseFile, output: () => out, stop, dispose };
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await dispose();
  throw new Error(`bench console at ${url} did not answer within 60 s:\n${out}`);
}

export interface GeminiGate {
  url: string;
  /** Requests inside the gate right now (waiting, forwarded or streaming back). */
  inFlight(): number;
  /** The most requests that were inside at once since the last reset. */
  maxInFlight(): number;
  total(): number;
  reset(): void;
  /** Hold every request until release(): a model that does not answer, so the worker sits idle. */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

/**
 * A loopback gate in front of the fake Gemini: holds each request for `delayMs` (a model that takes
 * its time) and counts how many the console has open at once, which is what GEMINI_CONCURRENCY bounds.
 * The bytes pass through untouched, so the console still speaks to the fake's real wire format.
 */
export async function startGeminiGate(upstream: string, delayMs: number): Promise<GeminiGate> {
  const target = new URL(upstream);
  let inside = 0;
  let max = 0;
  let total = 0;
  let held: (() => void)[] | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    inside++;
    total++;
    max = Math.max(max, inside);
    let left = false;
    const leave = () => {
      if (!left) {
        left = true;
        inside--;
      }
    };
    res.once("close", leave);
    const body: Buffer[] = [];
    req.on("data", (d: Buffer) => body.push(d));
    req.on("end", () => {
      const forward = () => {
        const up = httpRequest(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
          (upRes) => {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            upRes.pipe(res);
          },
        );
        up.on("error", (e) => {
          if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { code: 502, message: `gate: ${e.message}`, status: "UNAVAILABLE" } }));
        });
        up.end(Buffer.concat(body));
      };
      if (held) held.push(() => setTimeout(forward, delayMs));
      else setTimeout(forward, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("Gemini gate did not get a TCP port");
  return {
    url: `http://127.0.0.1:${addr.port}`,
    inFlight: () => inside,
    maxInFlight: () => max,
    total: () => total,
    reset: () => {
      max = inside;
      total = 0;
    },
    hold: () => {
      held ??= [];
    },
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const go of waiting) go();
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
