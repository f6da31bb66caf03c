import type { OmSeries } from "@/test/helpers/prometheus";

/**
 * Series a real cluster would have exported over the last four hours, one pod per scenario, with the
 * exporters' real names and labels (wire-facts-2 §3): cAdvisor through the kubelet (with the pod cgroup
 * and pause container series a query must filter out), kube-state-metrics, dcgm-exporter behind the
 * Helm chart's ServiceMonitor (exported_pod), vLLM. Backfilled into Debian's Prometheus by the tests.
 */

export const NS = "ml";
export const SCRAPE_SECONDS = 60;
export const HISTORY_SECONDS = 4 * 3600;
const GiB = 2 ** 30;
const MiB = 2 ** 20;

export const PODS = {
  leak: "llm-leak-0",
  load: "llm-load-0",
  oom: "llm-oom-0",
  cpu: "llm-cpu-0",
  two: "llm-two-0",
  gaps: "llm-gaps-0",
  bare: "llm-bare-0",
  gpu: "llm-gpu-0",
} as const;

/** Scrape times, oldest first, as seconds before `now`. */
function agos(): number[] {
  const out: number[] = [];
  for (let ago = HISTORY_SECONDS; ago >= 0; ago -= SCRAPE_SECONDS) out.push(ago);
  return out;
}

type Value = number | string | undefined;

function gauge(now: number, name: string, labels: Record<string, string>, f: (ago: number) => Value): OmSeries {
  const samples: Array<[number, number | string]> = [];
  for (const ago of agos()) {
    const v = f(ago);
    if (v !== undefined) samples.push([now - ago, v]);
  }
  return { name, type: "gauge", labels, samples };
}

/** A counter growing at `rate(ago)` per second; `resetAt(ago)` true restarts it from zero (a new container). */
function counter(now: number, name: string, labels: Record<string, string>, rate: (ago: number) => number, resetAt?: (ago: number) => boolean): OmSeries {
  const samples: Array<[number, number]> = [];
  let v = 1000;
  for (const ago of agos()) {
    if (resetAt?.(ago)) v = 0;
    v += rate(ago) * SCRAPE_SECONDS;
    samples.push([now - ago, Math.round(v * 1000) / 1000]);
  }
  return { name, type: "counter", labels, samples };
}

interface CadvisorSpec {
  memory: (ago: number) => Value;
  cpuCores?: (ago: number) => number;
  throttled?: (ago: number) => number;
  cpuResetAt?: (ago: number) => boolean;
  specMemoryLimit?: number;
}

function cadvisor(now: number, pod: string, container: string, spec: CadvisorSpec): OmSeries[] {
  const labels = {
    namespace: NS,
    pod,
    container,
    image: `registry.example/ml/${container}:1.4.2`,
    id: `/kubepods/burstable/pod-${pod}/${container}`,
    name: `k8s_${container}_${pod}`,
  };
  const podCgroup = { namespace: NS, pod, container: "", image: "", id: `/kubepods/burstable/pod-${pod}`, name: "" };
  const pause = { namespace: NS, pod, container: "POD", image: "registry.k8s.io/pause:3.9", id: `/kubepods/burstable/pod-${pod}/pause`, name: `k8s_POD_${pod}` };
  const cores = spec.cpuCores ?? (() => 0.5);
  const periods = 10;
  const out = [
    gauge(now, "container_memory_working_set_bytes", labels, spec.memory),
    // The pod's cgroup holds every container (and more): a query that forgets container!="" doubles memory.
    gauge(now, "container_memory_working_set_bytes", podCgroup, (ago) => {
      const v = spec.memory(ago);
      return typeof v === "number" ? v * 2 + GiB : v;
    }),
    gauge(now, "container_memory_working_set_bytes", pause, () => 700 * 1024),
    counter(now, "container_cpu_usage_seconds_total", { ...labels, cpu: "total" }, cores, spec.cpuResetAt),
    counter(now, "container_cpu_usage_seconds_total", { ...podCgroup, cpu: "total" }, (ago) => cores(ago) + 3),
    counter(now, "container_cpu_cfs_periods_total", labels, () => periods, spec.cpuResetAt),
    counter(now, "container_cpu_cfs_throttled_periods_total", labels, (ago) => periods * (spec.throttled?.(ago) ?? 0), spec.cpuResetAt),
  ];
  if (spec.specMemoryLimit !== undefined) out.push(gauge(now, "container_spec_memory_limit_bytes", labels, () => spec.specMemoryLimit));
  return out;
}

interface KsmSpec {
  memoryLimit?: number;
  memoryRequest?: number;
  cpuLimit?: number;
  cpuRequest?: number;
  restarts?: (ago: number) => number;
}

function ksm(now: number, pod: string, container: string, spec: KsmSpec): OmSeries[] {
  const base = { namespace: NS, pod, uid: `uid-${pod}`, container, node: "gke-gpu-pool-1" };
  const out: OmSeries[] = [];
  const res = (name: string, resource: string, unit: string, v: number | undefined) => {
    if (v !== undefined) out.push(gauge(now, name, { ...base, resource, unit }, () => v));
  };
  res("kube_pod_container_resource_limits", "memory", "byte", spec.memoryLimit);
  res("kube_pod_container_resource_requests", "memory", "byte", spec.memoryRequest);
  res("kube_pod_container_resource_limits", "cpu", "core", spec.cpuLimit);
  res("kube_pod_container_resource_requests", "cpu", "core", spec.cpuRequest);
  out.push(gauge(now, "kube_pod_container_status_restarts_total", base, spec.restarts ?? (() => 0)));
  return out;
}

function vllm(now: number, pod: string, spec: { rate: (ago: number) => number; running?: (ago: number) => number; kv?: (ago: number) => Value }): OmSeries[] {
  const labels = { namespace: NS, pod, model_name: "meta-llama/Llama-3.1-8B-Instruct", engine: "0" };
  return [
    counter(now, "vllm:request_success_total", { ...labels, finished_reason: "stop" }, spec.rate),
    gauge(now, "vllm:num_requests_running", labels, spec.running ?? ((ago) => Math.round(spec.rate(ago) * 2))),
    gauge(now, "vllm:num_requests_waiting", labels, () => 0),
    gauge(now, "vllm:kv_cache_usage_perc", labels, spec.kv ?? (() => 0.4)),
  ];
}

/** A leaking vLLM pod's full set (cAdvisor, kube-state-metrics, vLLM) under any name: for benchmarks. */
export function leakingPod(now: number, namespace: string, pod: string, container: string): OmSeries[] {
  const rename = (s: OmSeries): OmSeries => ({
    ...s,
    labels: { ...s.labels, namespace, pod, ...(s.labels.container && s.labels.container !== "POD" ? { container } : {}) },
  });
  return allScenarios(now)
    .filter((s) => s.labels.pod === PODS.leak)
    .map(rename);
}

/** Every scenario's series, for one backfill. `now` is unix seconds. */
export function allScenarios(now: number): OmSeries[] {
  const H = 3600;
  // Leak: 24 GiB four hours ago, +1.5 GiB/h, traffic flat at 5 req/s.
  const leak = [
    ...cadvisor(now, PODS.leak, "vllm", { memory: (ago) => 24 * GiB + 1.5 * GiB * ((HISTORY_SECONDS - ago) / H), cpuCores: () => 1 }),
    ...ksm(now, PODS.leak, "vllm", { memoryLimit: 32 * GiB, memoryRequest: 16 * GiB, cpuLimit: 4, cpuRequest: 2 }),
    ...vllm(now, PODS.leak, { rate: (ago) => 5 + 0.05 * Math.sin(ago / 600) }),
  ];
  // Load: traffic 2 -> 10 req/s, memory 10 GiB + 1 GiB per req/s.
  const loadRate = (ago: number) => 2 + 8 * ((HISTORY_SECONDS - ago) / HISTORY_SECONDS);
  const load = [
    ...cadvisor(now, PODS.load, "vllm", { memory: (ago) => 10 * GiB + loadRate(ago) * GiB, cpuCores: (ago) => 0.2 * loadRate(ago) }),
    ...ksm(now, PODS.load, "vllm", { memoryLimit: 32 * GiB, memoryRequest: 16 * GiB, cpuLimit: 4, cpuRequest: 2 }),
    ...vllm(now, PODS.load, { rate: loadRate }),
  ];
  // OOM: a 50-minute saw-tooth from 8 GiB up to the 16 GiB limit; each peak ends in a restart.
  const cycle = 50 * 60;
  const phase = (ago: number) => (HISTORY_SECONDS - ago) % cycle;
  const oom = [
    ...cadvisor(now, PODS.oom, "vllm", { memory: (ago) => 8 * GiB + (7.95 * GiB * phase(ago)) / (cycle - 60), cpuCores: () => 1 }),
    ...ksm(now, PODS.oom, "vllm", {
      memoryLimit: 16 * GiB,
      memoryRequest: 12 * GiB,
      cpuLimit: 4,
      restarts: (ago) => Math.floor((HISTORY_SECONDS - ago) / cycle),
    }),
  ];
  // CPU: pinned at its 2-core limit, throttled in 45 % of periods.
  const cpu = [
    ...cadvisor(now, PODS.cpu, "reranker", { memory: () => 3 * GiB, cpuCores: (ago) => 1.95 + 0.03 * Math.sin(ago / 300), throttled: () => 0.45 }),
    ...ksm(now, PODS.cpu, "reranker", { memoryLimit: 8 * GiB, cpuLimit: 2, cpuRequest: 1 }),
  ];
  // Two containers in one pod.
  const two = [
    ...cadvisor(now, PODS.two, "server", { memory: () => 6 * GiB, cpuCores: () => 1.5 }),
    ...ksm(now, PODS.two, "server", { memoryLimit: 8 * GiB, cpuLimit: 2 }),
    ...cadvisor(now, PODS.two, "proxy", { memory: () => 200 * MiB, cpuCores: () => 0.1 }),
    ...ksm(now, PODS.two, "proxy", { memoryLimit: 256 * MiB, cpuLimit: 0.5 }),
  ];
  // Gaps and NaN: no memory samples 100-60 minutes ago; the KV cache reports NaN for 20 minutes; the CPU
  // counter restarts from zero 90 minutes ago (a new container).
  const gaps = [
    ...cadvisor(now, PODS.gaps, "server", {
      memory: (ago) => (ago <= 100 * 60 && ago > 60 * 60 ? undefined : 5 * GiB),
      cpuCores: () => 1,
      cpuResetAt: (ago) => ago === 90 * 60,
    }),
    ...ksm(now, PODS.gaps, "server", { memoryLimit: 8 * GiB, cpuLimit: 2 }),
    ...vllm(now, PODS.gaps, { rate: () => 3, kv: (ago) => (ago <= 40 * 60 && ago > 20 * 60 ? "NaN" : 0.5) }),
  ];
  // Bare: only the kubelet's cAdvisor, which reports "no limit" as 0.
  const bare = cadvisor(now, PODS.bare, "app", { memory: () => 2 * GiB, cpuCores: () => 0.3, specMemoryLimit: 0 });
  // GPU: dcgm-exporter through the Helm ServiceMonitor (the workload is exported_pod), 80 GiB card, Xid 79.
  const dcgmLabels = {
    gpu: "0",
    UUID: "GPU-5fb3c2a1-0d4e-4b1f-9c2a-7e8f6a5b4c3d",
    device: "nvidia0",
    modelName: "NVIDIA A100-SXM4-80GB",
    Hostname: "gke-gpu-pool-1",
    namespace: "gpu-operator",
    pod: "nvidia-dcgm-exporter-7xk2p",
    exported_namespace: NS,
    exported_pod: PODS.gpu,
    exported_container: "sdxl",
  };
  const fbUsed = (ago: number) => Math.min(81000, 60000 + 21000 * ((HISTORY_SECONDS - ago) / HISTORY_SECONDS));
  const gpu = [
    ...cadvisor(now, PODS.gpu, "sdxl", { memory: () => 12 * GiB, cpuCores: () => 2 }),
    ...ksm(now, PODS.gpu, "sdxl", { memoryLimit: 32 * GiB, cpuLimit: 8 }),
    gauge(now, "DCGM_FI_DEV_FB_USED", dcgmLabels, fbUsed),
    gauge(now, "DCGM_FI_DEV_FB_FREE", dcgmLabels, (ago) => 81920 - fbUsed(ago)),
    gauge(now, "DCGM_FI_DEV_GPU_UTIL", dcgmLabels, () => 97),
    gauge(now, "DCGM_FI_DEV_XID_ERRORS", dcgmLabels, (ago) => (ago <= 30 * 60 ? 79 : 0)),
  ];
  // Two series that differ only in their name: `{__name__=~"dup_a|dup_b"} * 1` is an execution error.
  const dup = [gauge(now, "dup_a", { x: "1" }, () => 1), gauge(now, "dup_b", { x: "1" }, () => 2)];
  return [...leak, ...load, ...oom, ...cpu, ...two, ...gaps, ...bare, ...gpu, ...dup];
}

/** Label values that would break a query pasted together without escaping, backfilled as real series. */
export const NASTY_VALUES = ['x"} or vector(1) #', "back\\slash\\", "two\nlines", 'quote"', "\\\"}", "ünïcödé ✓"];

export function nastySeries(now: number): OmSeries[] {
  return NASTY_VALUES.map((v, i) => gauge(now, "nasty_label_test", { v }, () => i + 1));
}
