// `npm run bench [name…]`: run every bench/*.bench.ts module (or only those named) one after another.
// Each module exports `name` and `run()`, and prints its own figures; there is no pass/fail.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

interface BenchModule {
  name: string;
  run: () => Promise<void>;
}

function isBench(m: unknown): m is BenchModule {
  return typeof m === "object" && m !== null && "name" in m && typeof m.name === "string" && "run" in m && typeof m.run === "function";
}

const wanted = process.argv.slice(2);
const files = (await readdir(import.meta.dirname)).filter((f) => f.endsWith(".bench.ts")).sort();
const known: string[] = [];
let ran = 0;
for (const file of files) {
  const mod: unknown = await import(pathToFileURL(join(import.meta.dirname, file)).href);
  if (!isBench(mod)) {
    console.error(`${file}: does not export name and run(); skipped`);
    process.exitCode = 1;
    continue;
  }
  known.push(mod.name);
  if (wanted.length && !wanted.includes(mod.name) && !wanted.includes(file.replace(/\.bench\.ts$/, ""))) continue;
  console.log(`\n== ${mod.name} (${file})`);
  const t0 = performance.now();
  try {
    await mod.run();
    console.log(`== ${mod.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    console.error(`== ${mod.name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  }
  ran++;
}
if (ran === 0) {
  console.error(`No benchmark matched ${wanted.join(", ") || "(none found)"}; available: ${known.join(", ") || "none"}`);
  process.exitCode = 1;
}
