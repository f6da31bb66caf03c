import { targetFromLabels } from "@/lib/alerts/types";
import { gatherEvidence } from "@/lib/cluster/gather";
import { createKubeClusterReaders } from "@/lib/cluster/kube";
import { parseConfig } from "@/lib/config";
import { demoIncidents } from "@/lib/demo/incidents";
import { readMetrics, renderMetricsSummary } from "@/lib/prometheus/reading";
import type { BundleMetrics, MetricsSeries, SeriesId, SeriesUnit } from "@/lib/prometheus/schema";
import { createPrometheusVitals } from "@/lib/prometheus/vitals";
import { startFakeKube } from "../test/fakes/kube-server";
import { startPrometheus } from "../test/helpers/prometheus";
import { leakingPod } from "../test/prometheus/scenarios";
import { QUICK } from "./helpers";

export const name = "prometheus";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function stats(times: number[]): string {
  const s = [...times].sort((a, b) => a - b);
  return `p50 ${percentile(s, 50).toFixed(2)} ms  p95 ${percentile(s, 95).toFixed(2)} ms  max ${(s.at(-1) ?? NaN).toFixed(2)} ms`;
}

/** 20 series of 360 points: two containers' memory, limits, CPU and throttling, restarts, a GPU, the model server. */
function twentySeries(): BundleMetrics {
  const start = Math.floor(Date.now() / 1000) - 6 * 3600;
  const step = 60;
  const mk = (id: SeriesId, unit: SeriesUnit, f: (i: number) => number, labels: Record<string, string> = {}): MetricsSeries => ({
    id,
    unit,
    query: id,
    labels,
    values: Array.from({ length: 360 }, (_, i): [number, string] => [start + i * step, i % 97 === 5 ? "NaN" : String(f(i))]),
  });
  const GiB = 2 ** 30;
  const series: MetricsSeries[] = [];
  for (const container of ["server", "proxy"]) {
    const c = { container };
    series.push(
      mk("memory_working_set", "bytes", (i) => (8 + (i % 120) / 20 + Math.sin(i)) * GiB, c),
      mk("memory_limit", "bytes", () => 16 * GiB, c),
      mk("memory_request", "bytes", () => 8 * GiB, c),
      mk("cpu_usage", "cores", (i) => 1.8 + 0.1 * Math.sin(i / 7), c),
      mk("cpu_limit", "cores", () => 2, c),
      mk("cpu_throttled_ratio", "ratio", (i) => 0.3 + 0.05 * Math.cos(i), c),
      mk("restarts", "count", (i) => Math.floor(i / 120), c),
    );
  }
  const gpu = { gpu: "0", UUID: "GPU-1" };
  series.push(
    mk("gpu_memory_used", "bytes", (i) => (70 + i / 60) * GiB, gpu),
    mk("gpu_memory_free", "bytes", (i) => (10 - i / 60) * GiB, gpu),
    mk("requests_waiting", "requests", (i) => 10 + (i % 30)),
    mk("kv_cache_usage", "ratio", (i) => 0.5 + i / 800),
    mk("request_rate", "requests", (i) => 5 + Math.sin(i / 10)),
    mk("requests_running", "requests", (i) => 20 + (i % 7)),
    mk("gpu_util", "percent", () => 95),
    mk("request_errors", "requests", () => 0.1),
  );
  return { source: "bench", start, end: start + 359 * step, stepSeconds: step, series: series.slice(0, 20) };
}

export async function run(): Promise<void> {
  const metrics = twentySeries();
  const runs = QUICK ? 20 : 300;
  const times: number[] = [];
  const cpu: number[] = [];
  let lines = 0;
  for (let i = 0; i < runs + 30; i++) {
    // CPU time beside wall time: on a shared machine the wall clock also counts other processes' turns.
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = readMetrics(metrics);
    renderMetricsSummary(r);
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (i >= 30) {
      times.push(ms);
      cpu.push((c.user + c.system) / 1000);
    }
    lines = r.lines.length;
  }
  console.log(`read and summarise ${metrics.series.length} series x 360 points (${lines} lines), x${runs}`);
  console.log(`wall ${stats(times)}; CPU ${stats(cpu)}  (target p50 < 5 ms)`);

  const now = Math.floor(Date.now() / 1000);
  const incident = demoIncidents.find((i) => i.scenario === "oom-killed");
  const target = incident && targetFromLabels(incident.labels);
  if (!incident || !target) throw new Error("demo incident oom-killed is missing");
  const prom = await startPrometheus(leakingPod(now, target.namespace, target.pod, target.container ?? "vllm"));
  const fake = await startFakeKube();
  try {
    const readers = createKubeClusterReaders({
      kubeconfig: fake.writeKubeconfig(),
      clusterContexts: { demo: "fake" },
      timeoutMs: 10_000,
      tailLines: 1000,
      limitBytes: 2 * 1024 * 1024,
    });
    const vitals = createPrometheusVitals(parseConfig({ PROMETHEUS_URL: prom.url }).prometheus);
    const alert = { labels: incident.labels, startsAt: new Date((now - 14 * 60) * 1000).toISOString() };
    const n = QUICK ? 10 : 60;
    const part: number[] = [];
    const withMetrics: number[] = [];
    const without: number[] = [];
    let seriesCount = 0;
    for (let i = 0; i < n + 5; i++) {
      let t0 = performance.now();
      const v = await vitals.read(target, alert);
      const tPart = performance.now() - t0;
      if (!v?.metrics || v.errors.length) throw new Error(`metrics part failed: ${JSON.stringify(v?.errors)}`);
      seriesCount = v.metrics.series.length;
      t0 = performance.now();
      await gatherEvidence(readers, target, alert);
      const tWithout = performance.now() - t0;
      t0 = performance.now();
      const b = await gatherEvidence(readers, target, alert, { vitals });
      const tWith = performance.now() - t0;
      if (!b.metrics) throw new Error("gather lost the metrics part");
      if (i >= 5) {
        part.push(tPart);
        without.push(tWithout);
        withMetrics.push(tWith);
      }
    }
    const p50 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
    console.log(`metrics part alone (17 queries, ${seriesCount} series, real Prometheus over 4 h of backfilled series), x${n}`);
    console.log(`${stats(part)}  (target p50 < 100 ms)`);
    console.log(`gather without metrics: ${stats(without)}`);
    console.log(`gather with metrics in parallel: ${stats(withMetrics)}; adds ${(p50(withMetrics) - p50(without)).toFixed(1)} ms at p50`);
  } finally {
    await fake.close();
    await prom.stop();
  }
}
