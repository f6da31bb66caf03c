import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { z } from "zod";

// Generous bounds: RE2 takes milliseconds for the whole batch; a backtracking engine takes minutes per pattern.
const RUNS = 200;
const PER_MATCH_MS = 2_000;
const BATCH_MS = 10_000;
// Includes starting Node with tsx on a loaded machine; only reached when matching never finishes.
const DEADLINE_MS = 45_000;

const resultSchema = z.object({ runs: z.number().int(), totalMs: z.number(), maxMs: z.number(), slowest: z.string() });

/** Runs test/alerts/redos-child.ts (the fast-check property) and returns its report, or why it failed. */
function runProperty(): Promise<{ code: number | null; timedOut: boolean; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/alerts/redos-child.ts", String(RUNS), String(PER_MATCH_MS)], {
    cwd: process.cwd(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, DEADLINE_MS);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, stdout, stderr });
    }),
  );
}

describe("regex matchers under pathological patterns", () => {
  it("match generated nested quantifiers and overlapping alternations in linear time", { timeout: DEADLINE_MS + 15_000 }, async () => {
    const r = await runProperty();
    expect(r.timedOut, `matching did not finish within ${DEADLINE_MS / 1000} s: the engine backtracks exponentially`).toBe(false);
    expect(r.code, `the property failed:\n${r.stderr}`).toBe(0);
    const report = resultSchema.parse(JSON.parse(r.stdout.trim().split("\n").pop() ?? ""));
    expect(report.runs).toBe(RUNS);
    expect(report.totalMs, `slowest: ${report.slowest} (${report.maxMs} ms)`).toBeLessThan(BATCH_MS);
  });
});
