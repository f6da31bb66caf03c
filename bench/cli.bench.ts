import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { QUICK } from "./helpers";
import { buildLog } from "./reduce.bench";

export const name = "cli";

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "cli", "bin.mjs");
const RUNS = QUICK ? 3 : 11;
const TIME = "/usr/bin/time";
const FIXTURE = join(ROOT, "test", "fixtures", "incidents", "oom-killed-embedder.json");
const SECRET_TEXT = "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl\nHF_TOKEN=hf_abcdefghijklmnopqrstuvwxyzABCDEF\nplain line\n";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface Sample {
  wallMs: number;
  /** User plus system CPU time: what the start-up costs, whatever else the machine is running. */
  cpuMs: number;
  rssMb: number;
}

/** Run node with args once, through /usr/bin/time when present (CPU time, peak RSS); throws when it fails. */
function sample(args: string[], input?: string): Sample {
  const timed = existsSync(TIME);
  const t0 = performance.now();
  const r = timed
    ? spawnSync(TIME, ["-f", "%U %S %M", process.execPath, ...args], { cwd: ROOT, input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
    : spawnSync(process.execPath, args, { cwd: ROOT, input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${String(r.status)}: ${r.stderr.slice(0, 500)}`);
  const m = timed ? /([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr) : null;
  return { wallMs, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, rssMb: m ? Number(m[3]) / 1024 : NaN };
}

function line(label: string, samples: Sample[], target?: string): void {
  const wall = samples.map((x) => x.wallMs);
  const cpu = median(samples.map((x) => x.cpuMs));
  const rss = Math.max(...samples.map((x) => x.rssMb));
  console.log(
    `${label.padEnd(40)} median ${median(wall).toFixed(0)} ms (min ${Math.min(...wall).toFixed(0)}, max ${Math.max(...wall).toFixed(0)}, ${wall.length} runs), CPU ${Number.isNaN(cpu) ? "n/a" : `${cpu.toFixed(0)} ms`}, RSS ${Number.isNaN(rss) ? "n/a" : `${rss.toFixed(0)} MB`}${target ? `  target ${target}` : ""}`,
  );
}

/** Start-up of `triage --help`, `diagnose` and `redact` from the bundle, and the peak RSS of `reduce` on a 100,000-line log. */
export async function run(): Promise<void> {
  // The first call builds dist/cli when it is missing or stale; it is not measured.
  sample([BIN, "--version"]);
  const runs = (args: string[], input?: string, n = RUNS) => Array.from({ length: n }, () => sample(args, input));

  line("node -e 0 (Node itself)", runs(["-e", "0"]));
  line("triage --help", runs([BIN, "--help"]), "< 200 ms");
  line("triage diagnose (one incident)", runs([BIN, "diagnose", "--input", FIXTURE, "--json"]), "< 400 ms");
  line("triage redact (3 lines on stdin)", runs([BIN, "redact"], SECRET_TEXT));
  const tsx = "const { tsImport } = await import('tsx/esm/api'); const m = await tsImport('./cli/main.ts', import.meta.url); process.exitCode = await m.main(['--help'], { out() {}, err() {}, stdin: async () => '' });";
  line("--help through tsx (before the bundle)", runs(["--input-type=module", "-e", tsx], undefined, QUICK ? 1 : 3));

  const dir = mkdtempSync(join(tmpdir(), "triage-cli-bench-"));
  try {
    const bundle = join(dir, "big.json");
    writeFileSync(bundle, JSON.stringify({ alert: { labels: { alertname: "ModelPodOOMKilled", namespace: "ml-serving", pod: "vllm-0" } }, logs: buildLog() }));
    line("triage reduce (100,000 lines, 8 MB)", runs([BIN, "reduce", "--input", bundle, "--json"], undefined, QUICK ? 1 : 3), "RSS < 150 MB");
    if (!existsSync(TIME)) console.log(`CPU time and RSS not measured: ${TIME} is missing (apt-get install time)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
