import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { main } from "@/cli/main";
import { runAnalysis } from "@/lib/analysis/pipeline";
import { estimateTokens } from "@/lib/analysis/tokens";
import { oomBundle } from "@/test/analysis/gemini-fixture";

/** `triage reduce` prints the logs exactly as the analysis condenses them for Gemini, within the budget. */

const reduceSchema = z.strictObject({ text: z.string(), tokens: z.number().int(), keptLines: z.number().int(), totalLines: z.number().int() });

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "triage-reduce-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), stdin: async () => "" });
  return { code, out, err };
}

function writeBundle(name: string, data: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(data));
  return p;
}

describe("triage reduce", () => {
  it("prints what the pipeline sends Gemini: the same budget split between current and previous logs", async () => {
    const bundle = oomBundle();
    expect(bundle.logs).toBeDefined();
    expect(bundle.previousLogs).toBeDefined();
    const input = writeBundle("both.json", bundle);
    for (const budget of [150, 300, 8000]) {
      const r = await run(["reduce", "--input", input, "--json", "--budget-tokens", String(budget)]);
      expect(r.code).toBe(0);
      const printed = reduceSchema.parse(JSON.parse(r.out));
      const { condensed } = await runAnalysis({ alert: bundle.alert, bundle }, { budgetTokens: budget }, { offline: true });
      const prev = condensed.previousLogs;
      const logs = condensed.logs;
      expect(printed.text).toBe(`### previous container logs\n${prev?.text}\n### current logs\n${logs?.text}`);
      expect(printed.tokens).toBe((prev?.tokens ?? 0) + (logs?.tokens ?? 0));
      expect(printed.tokens).toBeLessThanOrEqual(budget);
      expect(estimateTokens(prev?.text ?? "") + estimateTokens(logs?.text ?? "")).toBeLessThanOrEqual(budget);
    }
  });

  it("never returns more than the budget, and says on stderr when even the cited lines do not fit", async () => {
    const dump = "the allocator state dump ".repeat(40);
    const logs = ["INFO starting", ...Array.from({ length: 30 }, (_, i) => `torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate ${i}.00 GiB; ${dump}`), "INFO done"].join("\n");
    const input = writeBundle("long-proof.json", { alert: { labels: { alertname: "ModelPodOOMKilled" } }, logs });

    const tight = await run(["reduce", "--input", input, "--json", "--budget-tokens", "100"]);
    expect(tight.code).toBe(0);
    const printed = reduceSchema.parse(JSON.parse(tight.out));
    expect(printed.tokens).toBeLessThanOrEqual(100);
    expect(estimateTokens(printed.text)).toBeLessThanOrEqual(100);
    expect(tight.err).toMatch(/^triage reduce: the lines the signals cite do not fit in 100 tokens: \d+ of \d+ were left out \(raise --budget-tokens to keep them all\)\n$/);

    const roomy = await run(["reduce", "--input", input, "--json", "--budget-tokens", "20000"]);
    expect(roomy.code).toBe(0);
    expect(roomy.err).toBe("");
    expect(reduceSchema.parse(JSON.parse(roomy.out)).keptLines).toBe(32);
  });

  it("keeps a cited line that fits within a tight budget, without a warning", async () => {
    const dump = "the allocator state dump ".repeat(10);
    const logs = [...Array.from({ length: 200 }, (_, i) => `INFO request ${i} served in 12 ms`), `torch.cuda.OutOfMemoryError: CUDA out of memory. ${dump}`, "INFO done"].join("\n");
    const input = writeBundle("some-proof.json", { alert: { labels: {} }, logs });
    const r = await run(["reduce", "--input", input, "--json", "--budget-tokens", "100"]);
    expect(r.code).toBe(0);
    const printed = reduceSchema.parse(JSON.parse(r.out));
    expect(printed.tokens).toBeLessThanOrEqual(100);
    expect(printed.text).toContain("201| torch.cuda.OutOfMemoryError");
    expect(r.err).toBe("");
  });
});
