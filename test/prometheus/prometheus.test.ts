import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { evidenceBundleSchema } from "@/lib/cluster/bundle";
import { gatherEvidence } from "@/lib/cluster/gather";
import type { ClusterReaders } from "@/lib/cluster/reader";
import { runAnalysis } from "@/lib/analysis/pipeline";
import { parseConfig } from "@/lib/config";
import { isAppError } from "@/lib/errors";
import { createPrometheusClient, prometheusFailureKind } from "@/lib/prometheus/client";
import { matcher, promqlString, selector } from "@/lib/prometheus/promql";
import { readMetrics } from "@/lib/prometheus/reading";
import { bundleMetricsSchema, type BundleMetrics } from "@/lib/prometheus/schema";
import { createPrometheusVitals, readVitals, vitalsWindow, type VitalsResult } from "@/lib/prometheus/vitals";
import { deadPort } from "@/test/helpers/alertmanager";
import { startPrometheus, startProxy, type RunningPrometheus } from "@/test/helpers/prometheus";
import { allScenarios, NASTY_VALUES, nastySeries, NS, PODS } from "./scenarios";

const now = Math.floor(Date.now() / 1000);
const startsAt = new Date((now - 14 * 60) * 1000).toISOString();
const window = vitalsWindow({ nowMs: now * 1000, hours: 3, startsAt });
let prom: RunningPrometheus;

beforeAll(async () => {
  prom = await startPrometheus([...allScenarios(now), ...nastySeries(now)]);
});
afterAll(async () => {
  await prom?.stop();
});

const client = (over: Partial<Parameters<typeof createPrometheusClient>[0]> = {}) =>
  createPrometheusClient({ url: prom.url, timeoutMs: 10_000, ...over });

async function vitalsOf(pod: string, container?: string, alertExpr?: string): Promise<VitalsResult> {
  return readVitals(client(), { namespace: NS, pod, ...(container ? { container } : {}) }, window, { alertExpr });
}

function metricsOf(r: VitalsResult): BundleMetrics {
  if (!r.metrics) throw new Error(`no metrics: ${JSON.stringify(r.errors)}`);
  return bundleMetricsSchema.parse(r.metrics);
}

const kinds = (m: BundleMetrics, context = {}) => readMetrics(m, context).findings.map((f) => f.kind);

describe("reading a pod's vitals from a real Prometheus", () => {
  it("reads the container's series in Prometheus's matrix form, pod cgroup and pause container filtered out", async () => {
    const r = await vitalsOf(PODS.leak, "vllm");
    expect(r.errors).toEqual([]);
    const m = metricsOf(r);
    expect(m.source).toBe(prom.url);
    expect((m.end - m.start) / m.stepSeconds).toBeLessThanOrEqual(300);
    const mem = m.series.filter((s) => s.id === "memory_working_set");
    expect(mem).toHaveLength(1);
    expect(mem[0]?.labels).toEqual({ namespace: NS, pod: PODS.leak, container: "vllm" });
    expect(mem[0]?.unit).toBe("bytes");
    const last = mem[0]?.values.at(-1);
    expect(typeof last?.[0]).toBe("number");
    expect(typeof last?.[1]).toBe("string");
    // 24 GiB + 1.5 GiB/h over four hours: 30 GiB, not the pod cgroup's 61 GiB.
    expect(Number(last?.[1]) / 2 ** 30).toBeCloseTo(30, 0);
    const ids = new Set(m.series.map((s) => s.id));
    for (const id of ["memory_limit", "memory_request", "cpu_usage", "cpu_limit", "cpu_request", "cpu_throttled_ratio", "restarts", "requests_running", "requests_waiting", "kv_cache_usage", "request_rate"] as const) {
      expect(ids.has(id), id).toBe(true);
    }
    expect(Number(m.series.find((s) => s.id === "cpu_usage")?.values.at(-1)?.[1])).toBeCloseTo(1, 1);
    expect(Number(m.series.find((s) => s.id === "request_rate")?.values.at(-1)?.[1])).toBeCloseTo(5, 0);
    // No GPU for this pod: absent, not invented.
    expect(r.absent).toEqual(expect.arrayContaining(["gpu_memory_used", "gpu_memory_free", "gpu_util", "gpu_xid"]));
    expect(ids.has("gpu_memory_used")).toBe(false);
  });

  it("tells a leak (memory rising, traffic flat) and projects the time to the limit", async () => {
    const m = metricsOf(await vitalsOf(PODS.leak, "vllm"));
    const reading = readMetrics(m);
    expect(kinds(m)).toContain("memory_leak");
    expect(kinds(m)).not.toContain("load_growth");
    const level = reading.findings.find((f) => f.kind === "level" && f.id === "memory_working_set")?.line;
    expect(level).toMatch(/^memory working set 30 GiB of 32 GiB limit \(94%\), rising 1\.5 GiB\/h since \d\d:\d\d; request 16 GiB; min 2\d(\.\d)? GiB, max 30 GiB$/);
    const projection = reading.findings.find((f) => f.kind === "projection" && f.id === "memory_working_set");
    // 2 GiB to go at 1.5 GiB/h: 80 minutes.
    expect(projection?.line).toMatch(/reaches its 32 GiB limit in about (79|80|81) min/);
  });

  it("tells load (memory rising with the request rate) from a leak", async () => {
    const m = metricsOf(await vitalsOf(PODS.load, "vllm"));
    expect(kinds(m)).toContain("load_growth");
    expect(kinds(m)).not.toContain("memory_leak");
    expect(readMetrics(m).lines.find((l) => l.includes(": load"))).toMatch(/with request rate \(\d+(\.\d+)? req\/s to \d+(\.\d+)? req\/s, correlation (0\.9\d|1\.00)\): load$/);
  });

  it("finds memory at the limit just before each restart (OOM kills)", async () => {
    const m = metricsOf(await vitalsOf(PODS.oom, "vllm"));
    const reading = readMetrics(m);
    const ooms = reading.findings.filter((f) => f.kind === "oom_at_limit");
    // 50-minute cycles over a 3 h 14 min window: three or four restarts.
    expect(ooms.length).toBeGreaterThanOrEqual(3);
    expect(reading.findings.some((f) => f.kind === "restart_below_limit")).toBe(false);
    for (const f of ooms) expect(f.line).toMatch(/^restart at \d\d:\d\d with memory working set at 15\.\d GiB of 16 GiB limit \((99|100)%\) just before: an OOM kill$/);
    expect(reading.findings.find((f) => f.kind === "restarts")?.line).toMatch(/^restarts: [34] in the window, at /);
    // The saw-tooth's drops are step changes, and the trend is fitted since the last restart.
    expect(reading.findings.filter((f) => f.kind === "step" && f.id === "memory_working_set").length).toBeGreaterThanOrEqual(2);
  });

  it("says the CPU limit is too low when throttled at the limit while the node has room", async () => {
    const m = metricsOf(await vitalsOf(PODS.cpu));
    const reading = readMetrics(m, { nodeCpuFreeCores: 6 });
    const f = reading.findings.find((x) => x.kind === "cpu_limit_too_low");
    expect(f?.line).toMatch(/^CPU throttled in 45% of periods at 1\.9\d cores of 2 cores limit on average \(9\d%\) while the node has 6 cores free: the limit is too low$/);
    expect(reading.lines).toContain("CPU throttled in 45% of periods now, mean 45%, max 45%");
    expect(readMetrics(m, { nodeCpuFreeCores: 0.2 }).findings.find((x) => x.kind === "cpu_limit_too_low")?.line).toMatch(/the node is busy too$/);
  });

  it("reads both containers of a pod as separate series", async () => {
    const m = metricsOf(await vitalsOf(PODS.two));
    const mem = m.series.filter((s) => s.id === "memory_working_set");
    expect(mem.map((s) => s.labels.container).sort()).toEqual(["proxy", "server"]);
    const lines = readMetrics(m).lines;
    expect(lines).toContain("memory working set (container server) 6 GiB of 8 GiB limit (75%), flat");
    expect(lines).toContain("memory working set (container proxy) 200 MiB of 256 MiB limit (78%), flat");
    expect(lines).toContain("CPU (container server) not throttled in the window");
  });

  it("keeps NaN and gaps as Prometheus sends them and reads around them; a counter reset is no CPU spike", async () => {
    const m = metricsOf(await vitalsOf(PODS.gaps, "server"));
    const kv = m.series.find((s) => s.id === "kv_cache_usage");
    expect(kv?.values.some(([, v]) => v === "NaN")).toBe(true);
    const mem = m.series.find((s) => s.id === "memory_working_set");
    const times = mem?.values.map(([t]) => t) ?? [];
    const widest = Math.max(...times.slice(1).map((t, i) => t - (times[i] ?? t)));
    expect(widest).toBeGreaterThan(30 * 60);
    const reading = readMetrics(m);
    expect(reading.lines.find((l) => l.startsWith("gaps in "))).toMatch(/memory working set \(3\d min missing\).*NaN\/Inf samples left out \(KV-cache usage\)/);
    expect(reading.lines).toContain("KV-cache usage 50%, flat");
    const cpu = reading.series.find((s) => s.id === "cpu_usage");
    expect(cpu?.max?.v).toBeLessThan(1.1);
    expect(cpu?.min?.v).toBeGreaterThan(0.9);
  });

  it("reports what is not exported as absent, and ignores cAdvisor's 0 'no limit'", async () => {
    const r = await vitalsOf(PODS.bare);
    expect(r.errors).toEqual([]);
    const m = metricsOf(r);
    expect(m.series.map((s) => s.id).sort()).toEqual(["cpu_throttled_ratio", "cpu_usage", "memory_working_set"]);
    expect(r.absent).toContain("memory_limit");
    const lines = readMetrics(m).lines;
    expect(lines).toContain("memory working set 2 GiB, flat");
    expect(lines).toContain("no kube-state-metrics series for this pod (limits, requests, restarts): kube-state-metrics is not installed or not scraped");
    expect(lines).toContain("no GPU series for this pod: it has no GPU, or dcgm-exporter does not map GPUs to pods");
    expect(lines).toContain("no model-server series for this pod: it exports no vLLM, TGI or Triton metrics, or Prometheus does not scrape them");
  });

  it("reads dcgm-exporter's MiB as bytes through exported_pod, and the Xid error", async () => {
    const m = metricsOf(await vitalsOf(PODS.gpu, "sdxl"));
    const used = m.series.find((s) => s.id === "gpu_memory_used");
    expect(used?.labels).toEqual({ gpu: "0", UUID: "GPU-5fb3c2a1-0d4e-4b1f-9c2a-7e8f6a5b4c3d", modelName: "NVIDIA A100-SXM4-80GB" });
    // dcgm-exporter's MiB, times 2^20: 60,000 MiB rising to 81,000 MiB now.
    const lastMiB = Number(used?.values.at(-1)?.[1]) / 2 ** 20;
    expect(lastMiB).toBeGreaterThan(80_800);
    expect(lastMiB).toBeLessThanOrEqual(81_000);
    const lines = readMetrics(m).lines;
    expect(lines.find((l) => l.startsWith("GPU memory used "))).toMatch(/^GPU memory used 79(\.1)? GiB of 80 GiB \(99%\), rising 5\.1 GiB\/h since /);
    expect(lines.some((l) => /^GPU Xid error 79 reported at \d\d:\d\d$/.test(l))).toBe(true);
    expect(lines).toContain("GPU utilisation 97%, flat");
  });

  it("charts the alert's own expression for this pod only", async () => {
    const expr = 'container_memory_working_set_bytes{container!="",container!="POD"} / on(namespace, pod, container) kube_pod_container_resource_limits{resource="memory"} > 0.5';
    const m = metricsOf(await vitalsOf(PODS.leak, "vllm", expr));
    const alert = m.series.filter((s) => s.id === "alert_expr");
    expect(alert).toHaveLength(1);
    expect(alert[0]?.labels).toMatchObject({ namespace: NS, pod: PODS.leak, container: "vllm" });
    expect(alert[0]?.unit).toBe("ratio");
    expect(alert[0]?.query).toBe(expr);
  });
});

describe("the Prometheus client against a real server", () => {
  it("escapes label values: each backfilled nasty value matches exactly its own series", async () => {
    for (const [i, v] of NASTY_VALUES.entries()) {
      const r = await client().query(selector("nasty_label_test", [matcher("v", v)]), { time: now });
      expect(r.series.map((s) => s.metric.v)).toEqual([v]);
      expect(r.series[0]?.value[1]).toBe(String(i + 1));
    }
  });

  it("property: any label value survives PromQL's parser unchanged (no breaking out of the string)", async () => {
    const unit = fc.oneof(
      fc.constantFrom("\\", '"', "\n", "\r", "\t", "}", "{", ",", "=", "~", "'", "`", " or ", "#", "\u0000", "\u2028"),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
    );
    // label_replace expands $1 in its replacement, so $ is left out of this one property.
    const value = fc.string({ unit, minLength: 1, maxLength: 12 }).filter((s) => !s.includes("$"));
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        const r = await client().query(`label_replace(vector(1), "echo", ${promqlString(v)}, "", "")`, { time: now });
        expect(r.series).toHaveLength(1);
        expect(r.series[0]?.metric.echo).toBe(v);
      }),
      { numRuns: 60 },
    );
  });

  it("bad_data: a malformed query is named as a query bug", async () => {
    const e = await client().queryRange({ query: "sum(", start: window.start, end: window.end, stepSeconds: 60 }).catch((x: unknown) => x);
    expect(prometheusFailureKind(e)).toBe("bad_data");
    expect(isAppError(e) && e.message).toMatch(/rejected a query as malformed \(1:5: parse error: unclosed left parenthesis\)/);
    expect(isAppError(e) && e.hint).toMatch(/report it with the query/);
  });

  it("execution: an evaluation error says the series cannot be combined", async () => {
    const e = await client().queryRange({ query: '{__name__=~"dup_a|dup_b"} * 1', start: window.start, end: window.end, stepSeconds: 60 }).catch((x: unknown) => x);
    expect(prometheusFailureKind(e)).toBe("execution");
    expect(isAppError(e) && e.message).toContain("vector cannot contain metrics with the same labelset");
  });

  it("too many points: Prometheus's 11,000-point limit is recognised", async () => {
    const e = await client().queryRange({ query: "dup_a", start: now - 4 * 3600, end: now, stepSeconds: 1 }).catch((x: unknown) => x);
    expect(prometheusFailureKind(e)).toBe("too_many_points");
    expect(isAppError(e) && e.hint).toMatch(/METRICS_WINDOW_HOURS/);
  });

  it("too many samples: Prometheus's --query.max-samples is named with the setting to lower", async () => {
    const small = await startPrometheus(allScenarios(now).filter((x) => x.labels.pod === PODS.bare), { args: ["--query.max-samples=50"] });
    try {
      const r = await readVitals(createPrometheusClient({ url: small.url, timeoutMs: 10_000 }), { namespace: NS, pod: PODS.bare }, window);
      expect(r.errors.map((e) => e.code)).toContain("too_many_samples");
      expect(r.errors.find((e) => e.code === "too_many_samples")?.message).toMatch(
        /\(memory_working_set.*\): Prometheus at .* would load too many samples for a query \(query processing would load too many samples into memory in query execution\) \(lower METRICS_WINDOW_HOURS, or raise Prometheus's --query.max-samples\)$/,
      );
    } finally {
      await small.stop();
    }
  });

  it("a malformed alert expression fails alone; the other series are read", async () => {
    const r = await vitalsOf(PODS.leak, "vllm", "rate(oops[");
    expect(r.metrics?.series.some((s) => s.id === "memory_working_set")).toBe(true);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ part: "metrics", code: "bad_data" });
    expect(r.errors[0]?.message).toMatch(/^metrics could not be read \(alert_expr\): Prometheus at .* rejected a query as malformed/);
  });
});

describe("an unreachable, slow or locked Prometheus", () => {
  it("down: one failure sentence naming PROMETHEUS_URL, and no metrics part", async () => {
    const url = `http://127.0.0.1:${await deadPort()}`;
    const r = await readVitals(createPrometheusClient({ url, timeoutMs: 5000 }), { namespace: NS, pod: PODS.leak }, window);
    expect(r.metrics).toBeUndefined();
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ part: "metrics", code: "unreachable" });
    expect(r.errors[0]?.message).toMatch(new RegExp(`^metrics could not be read: cannot reach Prometheus at ${url} \\(.*ECONNREFUSED.*\\) \\(check PROMETHEUS_URL`));
  });

  it("slow: each query stops at PROMETHEUS_TIMEOUT_MS and the sentence says what to raise", async () => {
    const proxy = await startProxy(prom.url, { delayMs: 3000 });
    try {
      const t0 = Date.now();
      const r = await readVitals(createPrometheusClient({ url: proxy.url, timeoutMs: 300 }), { namespace: NS, pod: PODS.leak }, window);
      expect(Date.now() - t0).toBeLessThan(2900);
      expect(r.metrics).toBeUndefined();
      expect(r.errors).toEqual([
        { part: "metrics", code: "timeout", message: `metrics could not be read: Prometheus at ${proxy.url} did not answer within 300 ms (raise PROMETHEUS_TIMEOUT_MS, or lower METRICS_WINDOW_HOURS so each query reads less)` },
      ]);
    } finally {
      await proxy.close();
    }
  });

  it("credentials go to a configured Prometheus, never to one found through generatorURL", async () => {
    const proxy = await startProxy(prom.url, { requireAuthorization: "Bearer s3cret-token" });
    try {
      const target = { namespace: NS, pod: PODS.cpu };
      const alert = { labels: { alertname: "ModelHighCPUUsage" }, startsAt, generatorURL: `${proxy.url}/graph?g0.expr=up&g0.tab=1` };
      const configured = createPrometheusVitals(parseConfig({ PROMETHEUS_URL: proxy.url, PROMETHEUS_BEARER_TOKEN: "s3cret-token" }).prometheus);
      const ok = await configured.read(target, alert);
      expect(ok?.errors).toEqual([]);
      expect(ok?.metrics?.series.some((s) => s.id === "cpu_usage")).toBe(true);

      proxy.authorizations.length = 0;
      const derived = createPrometheusVitals(parseConfig({ PROMETHEUS_BEARER_TOKEN: "s3cret-token" }).prometheus);
      const refused = await derived.read(target, alert);
      // One attempt, not one per series: the first refusal stops the rest.
      expect(proxy.authorizations).toEqual([undefined]);
      expect(refused?.errors).toHaveLength(1);
      expect(refused?.errors[0]?.code).toBe("unauthorized");
      expect(refused?.errors[0]?.message).toMatch(/credentials are never sent to a Prometheus found through an alert's generatorURL: set PROMETHEUS_URL/);

      const noCredentials = createPrometheusVitals(parseConfig({ PROMETHEUS_URL: proxy.url }).prometheus);
      expect((await noCredentials.read(target, alert))?.errors[0]?.message).toMatch(/refused the request \(401: Unauthorized\).*set PROMETHEUS_BEARER_TOKEN or PROMETHEUS_BASIC_AUTH/);
    } finally {
      await proxy.close();
    }
  });
});

describe("the metrics part in the evidence bundle", () => {
  const target = { cluster: "prod", namespace: NS, pod: PODS.leak, container: "vllm" };
  const gathered = { target, events: [], logs: "INFO ready\n", container: "vllm", errors: [], gatheredAt: new Date(now * 1000).toISOString() };
  const readers: ClusterReaders = { forCluster: () => ({ gather: () => Promise.resolve(gathered) }) };
  const alert = { labels: { alertname: "ModelHighMemoryUsage", cluster: "prod", namespace: NS, pod: PODS.leak, container: "vllm" }, startsAt };

  it("is gathered beside the cluster reads from the cluster's Prometheus, and the pipeline analyzes it", async () => {
    const vitals = createPrometheusVitals(parseConfig({ PROMETHEUS_URL: `prod=${prom.url},http://127.0.0.1:1` }).prometheus);
    const bundle = evidenceBundleSchema.parse(await gatherEvidence(readers, target, alert, { vitals }));
    expect(bundle.logs).toBe("INFO ready\n");
    expect(bundle.metrics?.source).toBe(prom.url);
    expect(bundle.metrics?.series.some((s) => s.id === "memory_working_set")).toBe(true);
    expect(bundle.errors).toEqual([]);
    const result = await runAnalysis({ target, alert: bundle.alert, bundle }, { budgetTokens: 2000 }, { offline: true });
    expect(result.bundle.metrics?.series.length).toBe(bundle.metrics?.series.length);
  });

  it("without a Prometheus the bundle has no metrics part, as before", async () => {
    const bundle = await gatherEvidence(readers, target, alert, { vitals: createPrometheusVitals(parseConfig({}).prometheus) });
    expect("metrics" in bundle).toBe(false);
    expect(bundle.errors).toEqual([]);
  });

  it("a Prometheus that is down fails only the metrics part", async () => {
    const vitals = createPrometheusVitals(parseConfig({ PROMETHEUS_URL: `http://127.0.0.1:${await deadPort()}` }).prometheus);
    const bundle = evidenceBundleSchema.parse(await gatherEvidence(readers, target, alert, { vitals }));
    expect(bundle.logs).toBe("INFO ready\n");
    expect(bundle.metrics).toBeUndefined();
    expect(bundle.errors.map((e) => `${e.part} ${String(e.code)}`)).toEqual(["metrics unreachable"]);
  });

  it("an alert from a cluster PROMETHEUS_URL does not name gets a sentence saying what to add", async () => {
    const vitals = createPrometheusVitals(parseConfig({ PROMETHEUS_URL: `staging=${prom.url}` }).prometheus);
    const bundle = await gatherEvidence(readers, target, alert, { vitals });
    expect(bundle.errors).toEqual([
      { part: "metrics", code: "not_configured", message: 'no Prometheus for cluster "prod": add prod=<url> to PROMETHEUS_URL (it names staging), or an entry without cluster= for every other cluster' },
    ]);
  });
});
