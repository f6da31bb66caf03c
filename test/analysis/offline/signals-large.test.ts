import { describe, expect, it } from "vitest";
import { diagnose } from "@/lib/analysis/offline/diagnose";
import { detectSignals } from "@/lib/analysis/offline/signals";
import { loadIncident } from "../../fixtures/incidents";

/** 100,000 lines of a busy model server with one CUDA OOM traceback buried near the end. */
function bigLog(buriedAt: number): string {
  const out: string[] = [];
  for (let i = 1; i <= 100_000; i++) {
    if (i === buriedAt) {
      out.push("Traceback (most recent call last):");
      out.push('  File "/app/server.py", line 88, in generate');
      out.push("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 23.65 GiB of which 1.23 GiB is free.");
      i += 2;
      continue;
    }
    out.push(`2026-11-20T09:${String(Math.floor(i / 6000) % 60).padStart(2, "0")}:00.${String(i % 1000).padStart(3, "0")}Z INFO:     10.52.${i % 255}.${(i * 7) % 255}:${40000 + (i % 20000)} - "POST /v1/completions HTTP/1.1" 200 OK`);
  }
  return out.join("\n") + "\n";
}

describe("large logs", () => {
  it("finds the one cause in 100,000 lines and cites its exact line", () => {
    const base = loadIncident("gpu-oom-pytorch");
    const buried = 99_950;
    const bundle = { ...base, previousLogs: bigLog(buried) };
    const { hypotheses } = diagnose(bundle);
    expect(hypotheses[0]?.category).toBe("gpu_oom");
    const cite = hypotheses[0]?.evidence.find((e) => e.source === "previousLogs");
    expect(cite?.line).toBe(buried + 2);
    expect(bundle.previousLogs.split("\n")[buried + 1]).toContain(cite?.text ?? "<none>");
  });

  it("aggregates a repeated line into one signal with a few citations", () => {
    const base = loadIncident("readiness-feature-db-down");
    const line = 'WARNING recsys.features: feature fetch failed: connection to server at "feature-db" (10.96.12.4), port 5432 failed: Connection refused';
    const logs = Array.from({ length: 100_000 }, () => line).join("\n");
    const signals = detectSignals({ ...base, logs });
    const dep = signals.filter((s) => s.category === "dependency_unreachable");
    expect(dep).toHaveLength(1);
    expect(dep[0]?.evidence.length).toBeLessThanOrEqual(3);
    expect(dep[0]?.title).toContain("100000 lines");
    expect(dep[0]?.title).toContain("feature-db:5432");
  });

  it("handles empty, missing and odd inputs without throwing", () => {
    const base = loadIncident("healthy-unknown");
    for (const variant of [
      { ...base, logs: "", previousLogs: undefined },
      { ...base, pod: null, events: [], logs: undefined },
      { ...base, pod: { kind: "Pod", status: "weird", spec: [] }, events: [{ reason: 5, message: null }] },
      { ...base, logs: "\n\n\r\n" + "x".repeat(200_000) },
    ]) {
      const d = diagnose(variant);
      expect(d.hypotheses.length).toBeGreaterThan(0);
      expect(d.hypotheses.length).toBeLessThanOrEqual(3);
    }
  });
});
