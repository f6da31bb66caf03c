import { describe, expect, it } from "vitest";
import { runAnalysis } from "@/lib/analysis/pipeline";
import { createDemoClusterReaders } from "@/lib/demo/cluster";
import { demoAlert } from "@/lib/demo/alerts";
import { demoIncidents, type DemoScenario } from "@/lib/demo/incidents";
import { createDemoVitals, demoVitals } from "@/lib/demo/vitals";
import { readMetrics } from "@/lib/prometheus/reading";
import { bundleMetricsSchema } from "@/lib/prometheus/schema";
import { parseValue } from "@/lib/prometheus/stats";

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);

function incident(s: DemoScenario) {
  const i = demoIncidents.find((x) => x.scenario === s);
  if (!i) throw new Error(s);
  return i;
}

function read(s: DemoScenario, nowMs = NOW) {
  const i = incident(s);
  const r = demoVitals(i, { namespace: i.labels.namespace ?? "", pod: i.labels.pod ?? "", container: i.labels.container }, nowMs);
  if (!r.metrics) throw new Error(`no metrics for ${s}`);
  return bundleMetricsSchema.parse(r.metrics);
}

async function analyze(s: DemoScenario) {
  const a = demoAlert(incident(s));
  const target = { cluster: "demo", namespace: a.labels.namespace ?? "", pod: a.labels.pod ?? "", container: a.labels.container };
  return runAnalysis(
    { target, alert: { labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, generatorURL: a.generatorURL } },
    { readers: createDemoClusterReaders(), vitals: createDemoVitals(), budgetTokens: 4000 },
    { offline: true },
  );
}

describe("the demo's series", () => {
  it("every incident has a metrics part in Prometheus's matrix shape, deterministic for one now", () => {
    for (const i of demoIncidents) {
      const m = read(i.scenario);
      expect(m.source).toBe("demo");
      expect(m.series.length).toBeGreaterThan(0);
      for (const s of m.series) {
        for (const [t, v] of s.values) {
          expect(t % m.stepSeconds).toBe(0);
          expect(Number.isFinite(parseValue(v))).toBe(true);
        }
      }
      expect(read(i.scenario)).toEqual(m);
    }
  });

  it("the memory incident climbs toward its limit and the reading projects when it gets there", () => {
    const r = readMetrics(read("kv-cache-memory"));
    const mem = r.series.find((s) => s.id === "memory_working_set");
    expect(mem?.trend?.direction).toBe("rising");
    expect(mem?.fractionOfLimit).toBeGreaterThan(0.9);
    expect(mem?.limitReachedAt).toBeDefined();
  });

  it("the CPU incident is throttled at its limit while requests waiting rise", () => {
    const r = readMetrics(read("cpu-throttling"));
    expect(r.findings.some((f) => f.kind === "cpu_limit_too_low")).toBe(true);
    const waiting = r.series.find((s) => s.id === "requests_waiting");
    expect(waiting?.min?.v).toBe(0);
    expect(waiting?.now?.v).toBeGreaterThanOrEqual(30);
    expect((waiting?.max?.t ?? 0) - (waiting?.min?.t ?? 0)).toBeGreaterThan(0);
  });

  it("the OOM incident saw-tooths up to its limit with a restart after each peak", () => {
    const r = readMetrics(read("oom-killed"));
    expect(r.findings.filter((f) => f.kind === "oom_at_limit").length).toBe(3);
  });

  it("the GPU incident's memory reaches the card's size", () => {
    const gpu = readMetrics(read("cuda-oom")).series.find((s) => s.id === "gpu_memory_used");
    expect((gpu?.max?.v ?? 0) / (gpu?.limit ?? Infinity)).toBeGreaterThan(0.99);
  });

  it("a pending pod has only kube-state-metrics series; the rest is absent", () => {
    const i = incident("unschedulable-gpu");
    const r = demoVitals(i, { namespace: i.labels.namespace ?? "", pod: i.labels.pod ?? "" }, NOW);
    expect(r.metrics?.series.map((s) => s.id).sort()).toEqual(["alert_expr", "cpu_request", "memory_limit", "memory_request"]);
    expect(r.absent).toContain("memory_working_set");
  });
});

describe("the demo's offline reports", () => {
  it("the CPU incident: cpu_throttling first, with metric evidence grounding verified", async () => {
    const { report } = await analyze("cpu-throttling");
    const top = report.hypotheses[0];
    expect(top?.category).toBe("cpu_throttling");
    expect(top?.evidence.some((e) => e.source === "metrics" && e.verified && /the limit is too low/.test(e.text))).toBe(true);
    expect(report.immediateActions.some((a) => a.command?.includes("--limits=cpu="))).toBe(true);
  });

  it("the memory incident: memory_leak first, with the projection as verified metric evidence", async () => {
    const { report, markdown } = await analyze("kv-cache-memory");
    const top = report.hypotheses[0];
    expect(top?.category).toBe("memory_leak");
    expect(top?.evidence.some((e) => e.source === "metrics" && e.verified && /reaches its 32 GiB limit in about \d+ min/.test(e.text))).toBe(true);
    expect(report.immediateActions.some((a) => /--limits=memory=\d+Gi/.test(a.command ?? ""))).toBe(true);
    expect(markdown).not.toMatch(/No known failure signature/);
  });
});
