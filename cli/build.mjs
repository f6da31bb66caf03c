// Builds the `triage` CLI ahead of time: cli/main.ts and the lib/ modules it uses, bundled by esbuild into
// dist/cli/ (main.mjs plus one chunk per lazily imported command), so a call starts in plain Node instead of
// compiling TypeScript. Run by `npm ci` (the prepare script), `npm run build`, and cli/bin.mjs when a
// source is newer than the bundle. `node cli/build.mjs` builds it by hand.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const OUT_DIR = join(ROOT, "dist", "cli");
export const ENTRY = join(OUT_DIR, "main.mjs");
const META = join(OUT_DIR, "inputs.json");

// Native or heavy packages stay in node_modules, loaded by the commands that need them (analyze,
// bundle); everything else (zod, yaml, our lib/) is bundled, so `--help` reads one small file.
const EXTERNAL = ["better-sqlite3", "pg", "@kubernetes/client-node", "@google/genai", "@octokit/rest", "pino", "kysely", "prom-client", "next"];

// server-only throws outside a React server bundle; the CLI is a plain Node process.
const emptyServerOnly = {
  name: "server-only-empty",
  setup(build) {
    build.onResolve({ filter: /^server-only$/ }, () => ({ path: "server-only", namespace: "empty" }));
    build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "", loader: "js" }));
  },
};

// zod's namespace export keeps all of its ~50 message locales (half of its size) in any bundle; the CLI
// speaks English only (zod's default), so the bundle carries only that one. z.locales.xx is undefined.
const englishZodOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      loader: "js",
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * Whether dist/cli holds a bundle built from the sources as they are now: every input it was built from
 * still exists and none changed since.
 */
export function isFresh() {
  let meta;
  try {
    meta = JSON.parse(readFileSync(META, "utf8"));
    statSync(ENTRY);
  } catch {
    return false;
  }
  if (!meta || typeof meta.builtAt !== "number" || !Array.isArray(meta.inputs)) return false;
  try {
    return meta.inputs.every((f) => typeof f === "string" && statSync(join(ROOT, f)).mtimeMs <= meta.builtAt);
  } catch {
    return false;
  }
}

/**
 * Bundle the CLI into dist/cli. Builds in a private folder and renames it into place, so a concurrent
 * call never runs a half-written bundle.
 * @throws when esbuild is missing or the sources do not compile; `quiet` leaves the reporting to the caller.
 */
export async function buildCli({ quiet = false } = {}) {
  const { build } = await import("esbuild");
  const startedAt = Date.now();
  const tmp = join(ROOT, "dist", `.cli-${process.pid}-${startedAt}`);
  mkdirSync(dirname(tmp), { recursive: true });
  try {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: { main: "cli/main.ts" },
      outdir: tmp,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      outExtension: { ".js": ".mjs" },
      chunkNames: "chunks/[name]-[hash]",
      tsconfig: "tsconfig.json",
      external: EXTERNAL,
      plugins: [emptyServerOnly, englishZodOnly],
      // Bundled CommonJS packages call require(); ESM output has none of its own.
      banner: { js: 'import { createRequire as __triageRequire } from "node:module"; const require = __triageRequire(import.meta.url);' },
      metafile: true,
      legalComments: "none",
      logLevel: quiet ? "silent" : "error",
    });
    const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.includes("node_modules/") && !f.includes(":"));
    // Sources edited while the build ran count as newer than it: the next call rebuilds.
    writeFileSync(join(tmp, "inputs.json"), JSON.stringify({ builtAt: startedAt, inputs: [...inputs, "cli/build.mjs", "package.json"] }));
    // A concurrent call may have put a fresh bundle in place meanwhile: keep it (it may be running).
    if (isFresh()) return ENTRY;
    rmSync(OUT_DIR, { recursive: true, force: true });
    try {
      renameSync(tmp, OUT_DIR);
    } catch (e) {
      // Another process put its bundle in place between our rm and rename: use that one.
      if (!(e && typeof e === "object" && "code" in e && (e.code === "ENOTEMPTY" || e.code === "EEXIST"))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return ENTRY;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const t0 = performance.now();
  await buildCli();
  console.log(`triage CLI bundled into ${OUT_DIR} in ${Math.round(performance.now() - t0)} ms`);
}
