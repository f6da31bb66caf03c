import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * Make sure the production build (`next build`, what e2e/harness.ts starts) exists and is newer than the
 * sources it is built from, building it otherwise: a test of the built server must not pass or fail on a
 * build of other code. With CONSOLE_APP_DIR (a build made in another checkout, as the harness allows) the
 * build is used as it is.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const INPUTS = ["app", "lib", "components", "proxy.ts", "instrumentation.ts", "instrumentation-node.ts", "next.config.ts", "package-lock.json", "tsconfig.json"];
// As e2e/harness.ts: settings from the developer's shell must not reach the build (next.config.ts validates them).
const CONSOLE_VARS = /^(DEMO|ALERTMANAGER_|KUBECONFIG|CLUSTER_|RETENTION_|GEMINI_|GITHUB_|DATABASE_URL|WEBHOOK_|AUTO_|AUTH_|METRICS_|PROMETHEUS_|CONSOLE_URL|HOST|PORT)/;

function newestMtime(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Why the build must be made (missing, or older than a source), or undefined when it is current. */
export function buildOutdated(): string | undefined {
  const id = join(ROOT, ".next/BUILD_ID");
  if (!existsSync(id)) return "no production build";
  const built = statSync(id).mtimeMs;
  const stale = INPUTS.find((p) => newestMtime(join(ROOT, p)) > built);
  return stale ? `${stale} changed after the last build` : undefined;
}

/** Build with `next build` when buildOutdated() says so. @throws Error with the build's output when it fails. */
export async function ensureProductionBuild(): Promise<void> {
  if (process.env.CONSOLE_APP_DIR) return;
  const why = buildOutdated();
  if (!why) return;
  console.log(`${why}: running next build (1-3 minutes)`);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !CONSOLE_VARS.test(k)));
  const child = spawn(process.execPath, [join(ROOT, "node_modules/next/dist/bin/next"), "build"], {
    cwd: ROOT,
    // vitest sets NODE_ENV=test; the build must see what `npx next build` sees.
    env: { ...env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out = (out + b.toString()).slice(-20_000)));
  child.stderr.on("data", (b: Buffer) => (out = (out + b.toString()).slice(-20_000)));
  const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  if (code !== 0) throw new Error(`next build failed (exit ${code}):\n${out}`);
}
