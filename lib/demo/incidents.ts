/**
 * The demo environment's incidents: what `npm run demo` shows with no cluster or Alertmanager.
 * Each entry is the alert as Alertmanager would carry it; lib/demo/evidence builds the pod, logs and
 * events behind it, so the alert list and the cluster reader always agree.
 */

export const DEMO_CLUSTER = "demo";
export const DEMO_NAMESPACE = "ml-serving";
const RUNBOOK = "https://runbooks.acme.internal/ml-serving";
const PROMETHEUS = "http://prometheus.monitoring.svc:9090/graph?g0.tab=1&g0.expr=";

export type DemoScenario =
  | "oom-killed"
  | "image-pull"
  | "unschedulable-gpu"
  | "liveness-slow-load"
  | "hf-unauthorized"
  | "cpu-throttling"
  | "kv-cache-memory"
  | "cuda-oom";

export interface DemoIncident {
  scenario: DemoScenario;
  /** Alertmanager fingerprint: 16 lowercase hex characters, stable across runs. */
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** How long before "now" the alert started firing. */
  startedMinutesAgo: number;
  generatorURL: string;
}

function alert(
  scenario: DemoScenario,
  fingerprint: string,
  startedMinutesAgo: number,
  labels: Record<string, string>,
  annotations: { summary: string; description: string; runbook: string },
  expr: string,
): DemoIncident {
  return {
    scenario,
    fingerprint,
    startedMinutesAgo,
    labels: { cluster: DEMO_CLUSTER, namespace: DEMO_NAMESPACE, ...labels },
    annotations: {
      summary: annotations.summary,
      description: annotations.description,
      runbook_url: `${RUNBOOK}/${annotations.runbook}`,
    },
    generatorURL: PROMETHEUS + encodeURIComponent(expr),
  };
}

export const demoIncidents: readonly DemoIncident[] = [
  alert(
    "oom-killed",
    "3f9a1c7e52d4b860",
    14,
    {
      alertname: "ModelPodOOMKilled",
      severity: "critical",
      pod: "llm-chat-vllm-7d9f8b6c5d-x2kqp",
      container: "vllm",
      model: "meta-llama-3.1-8b-instruct",
      model_version: "2024-07-23",
      team: "llm-platform",
    },
    {
      summary: "Model pod ml-serving/llm-chat-vllm-7d9f8b6c5d-x2kqp was OOMKilled",
      description:
        "Container vllm in pod llm-chat-vllm-7d9f8b6c5d-x2kqp was terminated with reason OOMKilled (exit code 137) 3 times in the last hour.",
      runbook: "model-pod-oomkilled",
    },
    'kube_pod_container_status_last_terminated_reason{namespace=~"ml-serving",reason="OOMKilled"} == 1',
  ),
  alert(
    "image-pull",
    "a41be07d9c3f2e15",
    9,
    {
      alertname: "ModelPodNotRunning",
      severity: "critical",
      pod: "fraud-scorer-triton-6b8c9d7f4-qwz4t",
      container: "triton",
      model: "fraud-scorer",
      model_version: "v2.4.1",
      team: "risk-ml",
    },
    {
      summary: "Model pod ml-serving/fraud-scorer-triton-6b8c9d7f4-qwz4t is not running",
      description: "Pod fraud-scorer-triton-6b8c9d7f4-qwz4t has been in phase Pending (container waiting: ImagePullBackOff) for more than 5 minutes.",
      runbook: "model-pod-not-running",
    },
    'kube_pod_container_status_waiting_reason{namespace=~"ml-serving",reason=~"ImagePullBackOff|ErrImagePull|CrashLoopBackOff|CreateContainerConfigError"} == 1',
  ),
  alert(
    "unschedulable-gpu",
    "c6eadffa33fcdf37",
    22,
    {
      alertname: "ModelPodNotRunning",
      severity: "critical",
      pod: "embeddings-bge-m3-5f6d8c9b7-h7rtn",
      container: "tei",
      model: "bge-m3",
      model_version: "1.0",
      team: "search",
    },
    {
      summary: "Model pod ml-serving/embeddings-bge-m3-5f6d8c9b7-h7rtn is not running",
      description: "Pod embeddings-bge-m3-5f6d8c9b7-h7rtn has been in phase Pending for more than 5 minutes.",
      runbook: "model-pod-not-running",
    },
    'kube_pod_status_phase{namespace=~"ml-serving",phase=~"Pending|Unknown|Failed"} == 1',
  ),
  alert(
    "liveness-slow-load",
    "5d02e8b7a96c4f31",
    31,
    {
      alertname: "ModelPodFrequentRestarts",
      severity: "warning",
      pod: "whisper-asr-large-v3-84c7b9d5f6-m9zpl",
      container: "asr",
      model: "whisper-large-v3",
      model_version: "3.0",
      team: "speech",
    },
    {
      summary: "Model pod ml-serving/whisper-asr-large-v3-84c7b9d5f6-m9zpl restarts frequently",
      description: "Container asr in pod whisper-asr-large-v3-84c7b9d5f6-m9zpl restarted 6 times in the last 30 minutes.",
      runbook: "model-pod-frequent-restarts",
    },
    'increase(kube_pod_container_status_restarts_total{namespace=~"ml-serving"}[30m]) > 3',
  ),
  alert(
    "hf-unauthorized",
    "e7b3940a1d6c25f8",
    47,
    {
      alertname: "ModelPodFrequentRestarts",
      severity: "warning",
      pod: "summarizer-mistral-7b-7c9f6d5b8-2xkvd",
      container: "server",
      model: "mistral-7b-instruct-v0.3",
      model_version: "v0.3",
      team: "llm-platform",
    },
    {
      summary: "Model pod ml-serving/summarizer-mistral-7b-7c9f6d5b8-2xkvd restarts frequently",
      description: "Container server in pod summarizer-mistral-7b-7c9f6d5b8-2xkvd restarted 9 times in the last 30 minutes (CrashLoopBackOff).",
      runbook: "model-pod-frequent-restarts",
    },
    'increase(kube_pod_container_status_restarts_total{namespace=~"ml-serving"}[30m]) > 3',
  ),
  alert(
    "cpu-throttling",
    "0b8d6f2c4e1a9357",
    18,
    {
      alertname: "ModelHighCPUUsage",
      severity: "warning",
      pod: "reranker-api-69d8f7c5b4-tq6ws",
      container: "reranker",
      model: "bge-reranker-v2-m3",
      model_version: "2.0",
      team: "search",
    },
    {
      summary: "Model pod ml-serving/reranker-api-69d8f7c5b4-tq6ws uses 97% of its CPU limit",
      description:
        "Container reranker in pod reranker-api-69d8f7c5b4-tq6ws has used more than 90% of its CPU limit for 15 minutes; 68% of CFS periods were throttled.",
      runbook: "model-high-cpu-usage",
    },
    'sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{namespace=~"ml-serving",container!=""}[5m])) / sum by (namespace, pod, container) (kube_pod_container_resource_limits{resource="cpu"}) > 0.9',
  ),
  alert(
    "kv-cache-memory",
    "9c4e2a7b13f05d68",
    2,
    {
      alertname: "ModelHighMemoryUsage",
      severity: "warning",
      pod: "code-assist-7b-5c7d9b8f6b-lp4nx",
      container: "server",
      model: "qwen2.5-coder-7b-instruct",
      model_version: "2.5",
      team: "dev-productivity",
    },
    {
      summary: "Model pod ml-serving/code-assist-7b-5c7d9b8f6b-lp4nx uses 93% of its memory limit",
      description:
        "Container server in pod code-assist-7b-5c7d9b8f6b-lp4nx has a working set above 90% of its memory limit (29.2 GiB of 32 GiB).",
      runbook: "model-high-memory-usage",
    },
    'sum by (namespace, pod, container) (container_memory_working_set_bytes{namespace=~"ml-serving",container!=""}) / sum by (namespace, pod, container) (kube_pod_container_resource_limits{resource="memory"}) > 0.9',
  ),
  alert(
    "cuda-oom",
    "6a1f5c8e0d7b2943",
    38,
    {
      alertname: "ModelPodFrequentRestarts",
      severity: "warning",
      pod: "image-gen-sdxl-6f4b8c7d9-wd5js",
      container: "sdxl",
      model: "stable-diffusion-xl-base-1.0",
      model_version: "1.0",
      team: "creative-ml",
    },
    {
      summary: "Model pod ml-serving/image-gen-sdxl-6f4b8c7d9-wd5js restarts frequently",
      description: "Container sdxl in pod image-gen-sdxl-6f4b8c7d9-wd5js restarted 4 times in the last 30 minutes.",
      runbook: "model-pod-frequent-restarts",
    },
    'increase(kube_pod_container_status_restarts_total{namespace=~"ml-serving"}[30m]) > 3',
  ),
];

/** The demo incident with this fingerprint, if any. */
export function findDemoIncident(fingerprint: string): DemoIncident | undefined {
  return demoIncidents.find((i) => i.fingerprint === fingerprint);
}
