// `scripts/node --import tsx bench/cpu-profile.ts DIR|FILE… [--top N]`: summarise V8 CPU profiles written
// by a bench console started with BENCH_CPU_PROF=DIR. Prints self time per function and per script, and
// the longest stretches in which the event loop never went idle (what stalls health checks), each with
// the functions that spent its time.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
type Profile = z.infer<typeof profileSchema>;

const IDLE = new Set(["(idle)", "(program)", "(garbage collector)"]);

function shortUrl(url: string): string {
  if (!url) return "(native)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split("/");
    return `node_modules/${rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const chunks = url.indexOf(".next/");
  return chunks >= 0 ? url.slice(chunks) : url.replace(/^file:\/\//, "");
}

function table(title: string, totals: Map<string, number>, all: number, top: number): void {
  console.log(`\n${title}`);
  for (const [k, v] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${(v / 1000).toFixed(0).padStart(7)} ms  ${((100 * v) / all).toFixed(1).padStart(5)} %  ${k}`);
  }
}

function summarise(p: Profile, top: number): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const perFunction = new Map<string, number>();
  const perScript = new Map<string, number>();
  let busy = 0;
  let all = 0;
  // A stretch: consecutive samples outside idle; its length is how long the loop could answer nothing.
  const stretches: { start: number; length: number; fns: Map<string, number> }[] = [];
  let current: { start: number; length: number; fns: Map<string, number> } | undefined;
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    t += p.timeDeltas[i] ?? 0;
    const node = byId.get(p.samples[i] ?? -1);
    if (!node) continue;
    const name = node.callFrame.functionName || "(anonymous)";
    all += dt;
    if (IDLE.has(name)) {
      if (name === "(idle)" && current) {
        stretches.push(current);
        current = undefined;
      }
      if (name !== "(idle)") {
        perFunction.set(name, (perFunction.get(name) ?? 0) + dt);
        // Garbage collection and V8's own work block the loop too: they lengthen a stretch, never end it.
        if (current) {
          current.length += dt;
          current.fns.set(name, (current.fns.get(name) ?? 0) + dt);
        }
      }
      continue;
    }
    busy += dt;
    const key = `${name}  ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    perFunction.set(key, (perFunction.get(key) ?? 0) + dt);
    const script = shortUrl(node.callFrame.url);
    perScript.set(script, (perScript.get(script) ?? 0) + dt);
    current ??= { start: t, length: 0, fns: new Map() };
    current.length += dt;
    current.fns.set(key, (current.fns.get(key) ?? 0) + dt);
  }
  if (current) stretches.push(current);
  console.log(`${((p.endTime - p.startTime) / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s on the CPU in JavaScript and native calls`);
  table("Self time per function", perFunction, all, top);
  table("Self time per script", perScript, all, top);
  console.log("\nLongest stretches without an idle sample");
  for (const s of stretches.sort((a, b) => b.length - a.length).slice(0, Math.min(top, 10))) {
    const what = [...s.fns].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ${(v / 1000).toFixed(0)} ms`);
    console.log(`  ${(s.length / 1000).toFixed(0).padStart(6)} ms at +${((s.start - p.startTime) / 1e6).toFixed(1)} s: ${what.join("; ")}`);
  }
}

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) || 25 : 25;
if (!args.length) {
  console.error("Usage: scripts/node --import tsx bench/cpu-profile.ts DIR|FILE.cpuprofile… [--top N]");
  process.exit(2);
}
for (const arg of args) {
  const files = (await stat(arg)).isDirectory() ? (await readdir(arg)).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(arg, f)) : [arg];
  for (const file of files) {
    console.log(`\n== ${file}`);
    summarise(profileSchema.parse(JSON.parse(await readFile(file, "utf8"))), top);
  }
}
