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

/** Wall time of one child process, in milliseconds; throws when it fails. */
function timed(args: string[], input?: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const elapsed = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${String(r.status)}: ${r.stderr.slice(0, 500)}`);
  return elapsed;
}

function line(label: string, times: number[], target?: string): void {
  console.log(`${label.padEnd(40)} median ${median(times).toFixed(0)} ms (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}, ${times.length} runs)${target ? `  target ${target}` : ""}`);
}

/** Start-up of `triage --help`, `diagnose` and `redact` from the bundle, and the peak RSS of `reduce` on a 100,000-line log. */
export async function run(): Promise<void> {
  // The first call builds dist/cli when it is missing or stale; it is not measured.
  timed([BIN, "--version"]);
  const runs = (args: string[], input?: string, n = RUNS) => Array.from({ length: n }, () => timed(args, input));

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
    if (!existsSync(TIME)) {
      console.log(`triage reduce (100,000 lines): peak RSS not measured: ${TIME} is missing (apt-get install time)`);
      return;
    }
    const help = spawnSync(TIME, ["-f", "%M", process.execPath, BIN, "--help"], { cwd: ROOT, encoding: "utf8" });
    console.log(`${"triage --help peak RSS".padEnd(40)} ${(Number(/(\d+)\s*$/.exec(help.stderr)?.[1]) / 1024).toFixed(0)} MB`);
    const rss: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < (QUICK ? 1 : 3); i++) {
      const t0 = performance.now();
      const r = spawnSync(TIME, ["-f", "%M", process.execPath, BIN, "reduce", "--input", bundle, "--json"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
      wall.push(performance.now() - t0);
      const kb = Number(/(\d+)\s*$/.exec(r.stderr)?.[1]);
      if (r.status !== 0 || !Number.isFinite(kb)) throw new Error(`triage reduce failed (${String(r.status)}): ${r.stderr.slice(0, 500)}`);
      rss.push(kb / 1024);
    }
    console.log(`triage reduce (100,000 lines, 8 MB) peak RSS median ${median(rss).toFixed(0)} MB (max ${Math.max(...rss).toFixed(0)} MB), ${median(wall).toFixed(0)} ms  target < 150 MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
