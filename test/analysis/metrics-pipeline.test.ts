import { afterAll, beforeAll, expect, it } from "vitest";
import { runAnalysis } from "@/lib/analysis/pipeline";
import type { ClusterReaders } from "@/lib/cluster/reader";
import { parseConfig } from "@/lib/config";
import { createPrometheusVitals } from "@/lib/prometheus/vitals";
import { startPrometheus, type RunningPrometheus } from "@/test/helpers/prometheus";
import { allScenarios, NS, PODS } from "@/test/prometheus/scenarios";

/** The whole pipeline against Debian's real Prometheus, backfilled with an OOM saw-tooth. */

const now = Math.floor(Date.now() / 1000);
let prom: RunningPrometheus;

beforeAll(async () => {
  prom = await startPrometheus(allScenarios(now).filter((s) => s.labels.pod === PODS.oom || s.labels.exported_pod === PODS.oom));
}, 60_000);
afterAll(async () => {
  await prom?.stop();
});

it("an OOM saw-tooth read from Prometheus yields oom_killed with verified metric evidence, pod status aside", async () => {
  const target = { cluster: "prod", namespace: NS, pod: PODS.oom, container: "vllm" };
  // The cluster says nothing about the kill (no pod object, quiet logs): the metrics alone must tell.
  const gathered = { target, events: [], logs: "INFO serving\n", container: "vllm", errors: [] };
  const readers: ClusterReaders = { forCluster: () => ({ gather: () => Promise.resolve(gathered) }) };
  const alert = { labels: { alertname: "ModelPodFrequentRestarts", cluster: "prod", namespace: NS, pod: PODS.oom, container: "vllm" }, annotations: {}, startsAt: new Date((now - 600) * 1000).toISOString() };
  const vitals = createPrometheusVitals(parseConfig({ PROMETHEUS_URL: prom.url }).prometheus);
  const steps: string[] = [];
  const { report, bundle } = await runAnalysis({ target, alert }, { readers, vitals, budgetTokens: 2000 }, { offline: true, onProgress: (e) => e.step === "metrics" && steps.push(e.status) });
  expect(steps).toEqual(["started", "done"]);
  expect(bundle.metrics?.source).toBe(prom.url);
  const top = report.hypotheses[0];
  expect(top?.category).toBe("oom_killed");
  const ooms = top?.evidence.filter((e) => e.source === "metrics" && e.verified && /^restart at \d\d:\d\d with memory working set at 15\.\d GiB of 16 GiB limit \(\d+%\) just before: an OOM kill$/.test(e.text)) ?? [];
  expect(ooms.length).toBeGreaterThanOrEqual(2);
  expect(report.immediateActions.some((a) => a.command?.includes("--limits=memory=20Gi"))).toBe(true);
}, 60_000);
