import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { groundReport, parseQuote } from "@/lib/analysis/grounding";
import { reportSchema, type Hypothesis, type Report, type ReportEvidence } from "@/lib/analysis/types";
import { evidenceBundleSchema } from "@/lib/cluster/bundle";
import { oomBundle } from "@/test/analysis/gemini-fixture";
import { loadIncident } from "@/test/fixtures/incidents";

function report(hypotheses: { title: string; evidence: Partial<ReportEvidence>[] }[]): Report {
  return reportSchema.parse({
    source: "gemini",
    model: "gemini-3.8-flash",
    summary: "s",
    impact: "i",
    immediateActions: [],
    prevention: [],
    generatedAt: "2026-11-20T10:00:00Z",
    hypotheses: hypotheses.map((h) => ({ title: h.title, likelihood: "medium", evidence: h.evidence.map((e) => ({ text: "", ...e })) })),
  });
}

function groundOne(e: Partial<ReportEvidence>, bundle = oomBundle()): ReportEvidence | undefined {
  return groundReport(report([{ title: "h", evidence: [e] }]), bundle).hypotheses[0]?.evidence[0];
}

describe("groundReport", () => {
  test("a verbatim log quote is verified with its source and line", () => {
    expect(groundOne({ source: "previousLogs", line: 12, text: "Killed" })).toMatchObject({ source: "previousLogs", line: 12, verified: true });
  });

  test("a copied line-number prefix is ignored and gives the line", () => {
    expect(groundOne({ text: "  8| INFO 11-20 09:41:31 [model_runner.py:1067] Loading model weights took 14.9888 GB" })).toMatchObject({
      source: "previousLogs",
      line: 8,
      text: "INFO 11-20 09:41:31 [model_runner.py:1067] Loading model weights took 14.9888 GB",
      verified: true,
    });
  });

  test("whitespace differences, surrounding quotes and ellipses do not matter", () => {
    expect(groundOne({ text: "Loading   model weights\n   took 14.9888 GB" })?.verified).toBe(true);
    expect(groundOne({ text: '"…Starting to load model meta-llama/Llama-3.1-8B-Instruct..."' })?.verified).toBe(true);
    expect(groundOne({ text: "“Memory profiling results: total_gpu_memory=23.68GiB”" })?.verified).toBe(true);
  });

  test("an ellipsis in the middle needs both parts, in order", () => {
    expect(groundOne({ text: "vLLM API server … 0.6.3" })?.verified).toBe(true);
    expect(groundOne({ text: "Back-off restarting … Pulled" })?.verified).toBe(false);
  });

  test("a wrong line or source is corrected from where the quote really is", () => {
    expect(groundOne({ source: "logs", line: 3, text: "Killed" })).toMatchObject({ source: "previousLogs", line: 12, verified: true });
  });

  test("status quotes are found in the summary and the pod JSON; event quotes in events", () => {
    expect(groundOne({ source: "status", text: "terminated OOMKilled exitCode=137" })).toMatchObject({ source: "status", verified: true });
    expect(groundOne({ source: "status", text: '"reason":"OOMKilled"' })).toMatchObject({ text: '"reason":"OOMKilled"', verified: true });
    expect(groundOne({ source: "status", text: "restartCount: 7" })?.verified).toBe(true);
    const ev = groundOne({ source: "events", line: 4, text: "Back-off restarting failed container vllm" });
    expect(ev).toMatchObject({ source: "events", verified: true });
    expect(ev?.line).toBeUndefined();
  });

  test("made-up and trivial quotes stay unverified", () => {
    expect(groundOne({ source: "logs", line: 40, text: "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB" })).toMatchObject({
      source: "logs",
      line: 40,
      verified: false,
    });
    expect(groundOne({ text: "ok" })?.verified).toBe(false);
    expect(groundOne({ text: '"…"' })?.verified).toBe(false);
  });

  test("a quote the model marked verified is re-checked", () => {
    expect(groundOne({ text: "this line was never logged", verified: true })?.verified).toBe(false);
  });

  test("hypotheses without verified evidence rank below those with some, otherwise stable", () => {
    const r = groundReport(
      report([
        { title: "A invented", evidence: [{ text: "segfault in libcuda.so.1" }] },
        { title: "B verified", evidence: [{ text: "Killed" }] },
        { title: "C nothing", evidence: [] },
        { title: "D verified", evidence: [{ text: "invented line" }, { text: "OOMKilled" }] },
      ]),
      oomBundle(),
    );
    expect(r.hypotheses.map((h: Hypothesis) => h.title)).toEqual(["B verified", "D verified", "A invented", "C nothing"]);
  });

  test("of repeated lines, the one nearest the claimed line is reported", () => {
    const bundle = evidenceBundleSchema.parse({
      alert: { labels: {} },
      logs: Array.from({ length: 50 }, (_, i) => (i % 10 === 0 ? "WARN cache miss storm" : `INFO step ${i}`)).join("\n"),
    });
    expect(groundOne({ text: "cache miss storm", line: 33 }, bundle)?.line).toBe(31);
    expect(groundOne({ text: "cache miss storm" }, bundle)?.line).toBe(1);
  });

  test("2 MB of logs: quotes near the end are found with the right line", () => {
    const lines = Array.from({ length: 35_000 }, (_, i) => `2026-11-20T10:00:${String(i % 60).padStart(2, "0")}Z INFO request id=${i} served in ${i % 97} ms`);
    lines.push("RuntimeError: CUDA error: an illegal memory access was encountered");
    const logs = lines.join("\n");
    expect(logs.length).toBeGreaterThan(2_000_000);
    const bundle = evidenceBundleSchema.parse({ alert: { labels: {} }, logs });
    const r = groundReport(
      report([
        {
          title: "h",
          evidence: [
            { text: "an illegal memory access was encountered" },
            { text: "request id=34999 served in" },
            ...Array.from({ length: 18 }, (_, i) => ({ text: `never logged ${i}` })),
          ],
        },
      ]),
      bundle,
    );
    const ev = r.hypotheses[0]?.evidence ?? [];
    expect(ev[0]).toMatchObject({ verified: true, line: 35_001 });
    expect(ev[1]).toMatchObject({ verified: true, line: 35_000 });
    expect(ev.slice(2).some((e) => e.verified)).toBe(false);
  });

  test("property: any substring of a log line is verified at that line", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 60 }), { minLength: 1, maxLength: 30 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (lines, li, a, b) => {
          const idx = li % lines.length;
          const line = lines[idx] ?? "";
          const from = Math.min(a, b) % (line.length + 1);
          const to = from + (Math.max(a, b) % (line.length - from + 1));
          const quote = line.slice(from, to);
          fc.pre(parseQuote(quote) !== undefined);
          const bundle = evidenceBundleSchema.parse({ alert: { labels: {} }, logs: lines.join("\n") });
          const e = groundOne({ source: "logs", line: idx + 1, text: quote }, bundle);
          return e?.verified === true && e.line === idx + 1;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("grounding the changes and neighbourhood sources", () => {
  const rollout = () => loadIncident("bad-rollout-max-model-len");

  test("a quote of the revision diff's summary is verified as source changes", () => {
    expect(groundOne({ source: "changes", text: "revision 7, 7 min before the alert: --max-model-len 8192 → 32768" }, rollout())).toMatchObject({ source: "changes", verified: true });
    // Part of a line, and without a source: still found, and the source is filled in.
    expect(groundOne({ text: "--max-model-len 8192 → 32768" }, rollout())).toMatchObject({ source: "changes", verified: true });
  });

  test("a change the diff does not show is flagged, whatever source it claims", () => {
    expect(groundOne({ source: "changes", text: "revision 7, 7 min before the alert: --max-model-len 8192 → 65536" }, rollout())?.verified).toBe(false);
    expect(groundOne({ source: "changes", text: "image vllm/vllm-openai:v0.6.3 → v0.6.4" }, rollout())?.verified).toBe(false);
    // The diff's wording is what the summary says, not what the model might paraphrase.
    expect(groundOne({ source: "changes", text: "max_model_len was raised to 32768" }, rollout())?.verified).toBe(false);
  });

  test("neighbourhood quotes are checked against the sibling, node and HPA lines", () => {
    const b = loadIncident("node-memory-pressure-one-replica");
    expect(groundOne({ source: "neighbourhood", text: "replicas: 1 of 4 pods of deployment/embedder is failing" }, b)).toMatchObject({ source: "neighbourhood", verified: true });
    expect(groundOne({ source: "neighbourhood", text: "MemoryPressure=True (KubeletHasInsufficientMemory: kubelet has insufficient memory available)" }, b)?.verified).toBe(true);
    expect(groundOne({ source: "neighbourhood", text: "replicas: 4 of 4 pods of deployment/embedder are failing" }, b)?.verified).toBe(false);
    expect(groundOne({ source: "neighbourhood", text: "DiskPressure=True" }, b)?.verified).toBe(false);
  });

  test("a bundle without a workload has nothing to quote from either source", () => {
    expect(groundOne({ source: "changes", text: "revision 7, 7 min before the alert" })?.verified).toBe(false);
    expect(groundOne({ source: "neighbourhood", text: "replicas: 1 of 1" })?.verified).toBe(false);
  });
});
