import { matcher, selector } from "@/lib/prometheus/promql";
import { METRICS_LIMITS, type SeriesId, type SeriesUnit } from "@/lib/prometheus/schema";

/**
 * What the console asks Prometheus about one pod, with the exporters' real metric names (see
 * wire-facts-2 §3): cAdvisor (kubelet) for usage, kube-state-metrics for limits, requests and restarts,
 * dcgm-exporter for GPUs, and the model server's own metrics (vLLM, TGI, Triton, joined with `or`, so
 * whichever the pod exports answers). Every label value from the alert is escaped by `matcher`.
 */

/** The exporter a series depends on: what to install when it is absent. */
export type SeriesSource = "cadvisor" | "kube-state-metrics" | "dcgm-exporter" | "model-server" | "alert";

export interface SeriesQuery {
  id: SeriesId;
  unit: SeriesUnit;
  query: string;
  source: SeriesSource;
}

export interface VitalsTarget {
  namespace: string;
  pod: string;
  /** Without it every container of the pod is read, one series each. */
  container?: string;
}

/** Human names of the series, used by the reading's sentences and the charts' legends. */
export const SERIES_LABELS: Record<SeriesId, string> = {
  memory_working_set: "memory working set",
  memory_limit: "memory limit",
  memory_request: "memory request",
  cpu_usage: "CPU usage",
  cpu_limit: "CPU limit",
  cpu_request: "CPU request",
  cpu_throttled_ratio: "CPU throttling",
  restarts: "restarts",
  gpu_memory_used: "GPU memory used",
  gpu_memory_free: "GPU memory free",
  gpu_util: "GPU utilisation",
  gpu_xid: "GPU Xid error",
  requests_running: "requests running",
  requests_waiting: "requests waiting",
  kv_cache_usage: "KV-cache usage",
  request_rate: "request rate",
  request_errors: "request errors",
  alert_expr: "alert expression",
};

/** The rate() window for a step: at least 5 minutes (several scrapes), and never shorter than two steps. */
export function rateWindow(stepSeconds: number): string {
  return `${Math.max(300, Math.ceil(2 * stepSeconds))}s`;
}

const BY_CONTAINER = "namespace, pod, container";
const BY_POD = "namespace, pod";
const BY_GPU = "gpu, UUID, modelName";

/** The PromQL of every series for `target`, in SERIES_IDS order (alert_expr last, only when known). */
export function vitalsQueries(target: VitalsTarget, options: { stepSeconds: number; alertExpr?: string }): SeriesQuery[] {
  const pod = [matcher("namespace", target.namespace), matcher("pod", target.pod)];
  // cAdvisor also exports the pod's own cgroup (container="") and the pause container (container="POD").
  const cadvisor = target.container
    ? [...pod, matcher("container", target.container)]
    : [...pod, matcher("container", "", "!="), matcher("container", "POD", "!="), matcher("image", "", "!=")];
  const ksm = target.container ? [...pod, matcher("container", target.container)] : pod;
  const ksmResource = (resource: string) => [...ksm, matcher("resource", resource)];
  // dcgm-exporter behind the Helm chart's ServiceMonitor (honorLabels false) names the workload exported_pod.
  const gpuPod = [matcher("namespace", target.namespace), matcher("pod", target.pod)];
  const gpuExported = [matcher("exported_namespace", target.namespace), matcher("exported_pod", target.pod)];
  const dcgm = (metric: string) => `max by (${BY_GPU}) (${selector(metric, gpuPod)} or ${selector(metric, gpuExported)})`;
  const w = rateWindow(options.stepSeconds);
  const rate = (metric: string, by: string, extra: string[] = [], base = pod) =>
    `sum by (${by}) (rate(${selector(metric, [...base, ...extra])}[${w}]))`;
  const gauge = (agg: "sum" | "max", metric: string, by: string, base = pod) => `${agg} by (${by}) (${selector(metric, base)})`;

  const queries: SeriesQuery[] = [
    {
      id: "memory_working_set",
      unit: "bytes",
      source: "cadvisor",
      query: gauge("max", "container_memory_working_set_bytes", BY_CONTAINER, cadvisor),
    },
    {
      id: "memory_limit",
      unit: "bytes",
      source: "kube-state-metrics",
      // cAdvisor's spec limit stands in without kube-state-metrics; 0 and ~2^63 mean "no limit".
      query: `${gauge("max", "kube_pod_container_resource_limits", BY_CONTAINER, ksmResource("memory"))} or max by (${BY_CONTAINER}) (${selector("container_spec_memory_limit_bytes", cadvisor)} > 0 < 4e18)`,
    },
    {
      id: "memory_request",
      unit: "bytes",
      source: "kube-state-metrics",
      query: gauge("max", "kube_pod_container_resource_requests", BY_CONTAINER, ksmResource("memory")),
    },
    { id: "cpu_usage", unit: "cores", source: "cadvisor", query: rate("container_cpu_usage_seconds_total", BY_CONTAINER, [], cadvisor) },
    {
      id: "cpu_limit",
      unit: "cores",
      source: "kube-state-metrics",
      query: gauge("max", "kube_pod_container_resource_limits", BY_CONTAINER, ksmResource("cpu")),
    },
    {
      id: "cpu_request",
      unit: "cores",
      source: "kube-state-metrics",
      query: gauge("max", "kube_pod_container_resource_requests", BY_CONTAINER, ksmResource("cpu")),
    },
    {
      id: "cpu_throttled_ratio",
      unit: "ratio",
      source: "cadvisor",
      query: `${rate("container_cpu_cfs_throttled_periods_total", BY_CONTAINER, [], cadvisor)} / ${rate("container_cpu_cfs_periods_total", BY_CONTAINER, [], cadvisor)}`,
    },
    {
      id: "restarts",
      unit: "count",
      source: "kube-state-metrics",
      query: gauge("max", "kube_pod_container_status_restarts_total", BY_CONTAINER, ksm),
    },
    {
      id: "gpu_memory_used",
      unit: "bytes",
      source: "dcgm-exporter",
      // dcgm-exporter reports framebuffer memory in MiB; Triton's own GPU metrics are bytes.
      query: `${dcgm("DCGM_FI_DEV_FB_USED")} * 1048576 or max by (gpu_uuid) (${selector("nv_gpu_memory_used_bytes", pod)})`,
    },
    {
      id: "gpu_memory_free",
      unit: "bytes",
      source: "dcgm-exporter",
      query: `${dcgm("DCGM_FI_DEV_FB_FREE")} * 1048576 or max by (gpu_uuid) (${selector("nv_gpu_memory_total_bytes", pod)} - ${selector("nv_gpu_memory_used_bytes", pod)})`,
    },
    {
      id: "gpu_util",
      unit: "percent",
      source: "dcgm-exporter",
      query: `${dcgm("DCGM_FI_DEV_GPU_UTIL")} or max by (gpu_uuid) (${selector("nv_gpu_utilization", pod)}) * 100`,
    },
    // A gauge holding the last Xid error code seen (0: none), not a count of errors.
    { id: "gpu_xid", unit: "count", source: "dcgm-exporter", query: dcgm("DCGM_FI_DEV_XID_ERRORS") },
    {
      id: "requests_running",
      unit: "requests",
      source: "model-server",
      query: `${gauge("sum", "vllm:num_requests_running", BY_POD)} or ${gauge("sum", "tgi_batch_current_size", BY_POD)}`,
    },
    {
      id: "requests_waiting",
      unit: "requests",
      source: "model-server",
      query: `${gauge("sum", "vllm:num_requests_waiting", BY_POD)} or ${gauge("sum", "tgi_queue_size", BY_POD)} or ${gauge("sum", "nv_inference_pending_request_count", BY_POD)}`,
    },
    {
      id: "kv_cache_usage",
      unit: "ratio",
      source: "model-server",
      // Renamed in vLLM 0.9.2, the old name removed in 0.12.
      query: `${gauge("max", "vllm:kv_cache_usage_perc", BY_POD)} or ${gauge("max", "vllm:gpu_cache_usage_perc", BY_POD)}`,
    },
    {
      id: "request_rate",
      unit: "requests",
      source: "model-server",
      query: `${rate("vllm:request_success_total", BY_POD)} or ${rate("tgi_request_count", BY_POD)} or (${rate("nv_inference_request_success", BY_POD)} + ${rate("nv_inference_request_failure", BY_POD)})`,
    },
    {
      id: "request_errors",
      unit: "requests",
      source: "model-server",
      query: `${rate("vllm:request_success_total", BY_POD, [matcher("finished_reason", "abort")])} or ${rate("tgi_request_failure", BY_POD)} or ${rate("nv_inference_request_failure", BY_POD)}`,
    },
  ];
  const expr = options.alertExpr?.trim();
  if (expr && expr.length <= METRICS_LIMITS.queryLength) {
    queries.push({ id: "alert_expr", unit: guessExprUnit(expr), source: "alert", query: expr });
  }
  return queries;
}

/**
 * The unit of an alert's own expression, guessed from the metrics it names (its rule does not say):
 * a quotient is a ratio (percent when scaled by 100), otherwise the unit of the metric it reads.
 */
export function guessExprUnit(expr: string): SeriesUnit {
  const e = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const divides = /[^/]\/[^/]/.test(e);
  if (divides && /\*\s*100\b|\b100\s*\*/.test(e)) return "percent";
  if (divides) return "ratio";
  if (/DCGM_FI_DEV_GPU_UTIL|_perc\b|percent/.test(e)) return "percent";
  if (/_bytes\b|DCGM_FI_DEV_FB_/.test(e)) return "bytes";
  if (/cpu_usage_seconds_total/.test(e)) return "cores";
  if (/_seconds(_total|_sum|_bucket)?\b/.test(e)) return "seconds";
  if (/vllm:|tgi_|nv_inference_/.test(e)) return "requests";
  return "count";
}

/** The expression a rule fired on: `g0.expr` of the alert's generatorURL (Prometheus's graph link). */
export function alertExpression(generatorURL: string | undefined): string | undefined {
  const url = parseHttpUrl(generatorURL);
  const expr = url?.searchParams.get("g0.expr")?.trim();
  return expr && expr.length <= METRICS_LIMITS.queryLength ? expr : undefined;
}

/**
 * The base URL of the Prometheus that evaluated the rule, from its generatorURL
 * (`http://prometheus:9090/graph?g0.expr=...`, or under a route prefix `/prom/graph`).
 */
export function prometheusFromGeneratorURL(generatorURL: string | undefined): string | undefined {
  const url = parseHttpUrl(generatorURL);
  if (!url) return undefined;
  const prefix = url.pathname.replace(/\/graph\/?$/, "").replace(/\/+$/, "");
  return `${url.origin}${prefix}`;
}

function parseHttpUrl(s: string | undefined): URL | undefined {
  if (!s || s.length > 16_384) return undefined;
  try {
    const url = new URL(s);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}
