import { evidenceBundleSchema, type EvidenceBundle } from "@/lib/cluster/bundle";

/**
 * A realistic, unredacted evidence bundle: a vLLM pod OOMKilled on load, with secrets planted in its
 * logs, events and annotations so tests can check that nothing unredacted reaches Gemini.
 */

export const SECRETS = {
  hfToken: "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
  jwt: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
  awsSecret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  dbPassword: "S3cr3tPassw0rd",
} as const;

export const NS = "ml-serving";
export const POD = "llm-chat-vllm-7d9f8b6c5d-x2kqp";
export const CONTAINER = "vllm";

const previousLogs = [
  "INFO 11-20 09:41:02 [api_server.py:1024] vLLM API server version 0.6.3",
  `INFO 11-20 09:41:02 [api_server.py:1025] args: model=meta-llama/Llama-3.1-8B-Instruct HF_TOKEN=${SECRETS.hfToken}`,
  "INFO 11-20 09:41:03 [config.py:1005] max_model_len=32768 gpu_memory_utilization=0.95",
  `DEBUG 11-20 09:41:03 [client.py:88] request headers: Authorization: Bearer ${SECRETS.jwt}`,
  `INFO 11-20 09:41:04 [store.py:12] connecting to postgresql://feast:${SECRETS.dbPassword}@feature-store.db:5432/features`,
  "INFO 11-20 09:41:05 [model_runner.py:1056] Starting to load model meta-llama/Llama-3.1-8B-Instruct...",
  "INFO 11-20 09:41:09 [weight_utils.py:243] Using model weights format ['*.safetensors']",
  "INFO 11-20 09:41:31 [model_runner.py:1067] Loading model weights took 14.9888 GB",
  "INFO 11-20 09:41:33 [worker.py:232] Memory profiling results: total_gpu_memory=23.68GiB initial_memory_usage=15.29GiB",
  "INFO 11-20 09:41:34 [gpu_executor.py:122] # GPU blocks: 2037, # CPU blocks: 2048",
  "INFO 11-20 09:41:35 [cpu_swap.py:40] Allocating 16.0 GiB of pinned host memory for the swap space",
  "Killed",
].join("\n");

const logs = [
  "INFO 11-20 09:47:12 [api_server.py:1024] vLLM API server version 0.6.3",
  `INFO 11-20 09:47:12 [api_server.py:1025] args: model=meta-llama/Llama-3.1-8B-Instruct aws_secret_access_key=${SECRETS.awsSecret}`,
  "INFO 11-20 09:47:14 [model_runner.py:1056] Starting to load model meta-llama/Llama-3.1-8B-Instruct...",
  "INFO 11-20 09:47:20 [weight_utils.py:243] Using model weights format ['*.safetensors']",
].join("\n");

/** The raw bundle as gatherEvidence would return it (before redaction). */
export function oomBundle(): EvidenceBundle {
  return evidenceBundleSchema.parse({
    alert: {
      labels: {
        alertname: "ModelPodOOMKilled",
        severity: "critical",
        cluster: "prod-eu",
        namespace: NS,
        pod: POD,
        container: CONTAINER,
        model: "meta-llama-3.1-8b-instruct",
      },
      annotations: {
        summary: `Model pod ${NS}/${POD} was OOMKilled`,
        description: "Container vllm was terminated with reason OOMKilled (exit code 137) 3 times in the last hour.",
      },
      fingerprint: "3f9a1c7e52d4b860",
      startsAt: "2026-11-20T09:44:03.157Z",
    },
    target: { cluster: "prod-eu", namespace: NS, pod: POD, container: CONTAINER },
    container: CONTAINER,
    pod: {
      kind: "Pod",
      apiVersion: "v1",
      metadata: {
        name: POD,
        namespace: NS,
        labels: { app: "llm-chat-vllm", "pod-template-hash": "7d9f8b6c5d" },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "llm-chat-vllm-7d9f8b6c5d", controller: true, uid: "0b1c" }],
      },
      spec: {
        nodeName: "gpu-node-3",
        containers: [
          {
            name: CONTAINER,
            image: "vllm/vllm-openai:v0.6.3",
            resources: { requests: { cpu: "4", memory: "16Gi", "nvidia.com/gpu": "1" }, limits: { memory: "16Gi", "nvidia.com/gpu": "1" } },
            livenessProbe: { httpGet: { path: "/health", port: 8000 }, initialDelaySeconds: 30, periodSeconds: 10, failureThreshold: 3 },
            readinessProbe: { httpGet: { path: "/v1/models", port: 8000 }, periodSeconds: 5 },
          },
        ],
      },
      status: {
        phase: "Running",
        qosClass: "Burstable",
        startTime: "2026-11-20T09:20:00Z",
        conditions: [
          { type: "Ready", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [vllm]" },
          { type: "PodScheduled", status: "True" },
        ],
        containerStatuses: [
          {
            name: CONTAINER,
            image: "vllm/vllm-openai:v0.6.3",
            ready: false,
            started: false,
            restartCount: 7,
            state: { waiting: { reason: "CrashLoopBackOff", message: `back-off 5m0s restarting failed container=vllm pod=${POD}_${NS}(5f0c)` } },
            lastState: {
              terminated: { exitCode: 137, reason: "OOMKilled", startedAt: "2026-11-20T09:41:01Z", finishedAt: "2026-11-20T09:41:36Z", containerID: "containerd://abc" },
            },
          },
        ],
      },
    },
    events: [
      {
        metadata: { name: `${POD}.1`, namespace: NS, creationTimestamp: "2026-11-20T09:30:10Z" },
        involvedObject: { kind: "Pod", namespace: NS, name: POD, fieldPath: "spec.containers{vllm}" },
        reason: "Pulled",
        message: 'Container image "vllm/vllm-openai:v0.6.3" already present on machine',
        type: "Normal",
        count: 8,
        lastTimestamp: "2026-11-20T09:47:11Z",
      },
      {
        metadata: { name: `${POD}.2`, namespace: NS, creationTimestamp: "2026-11-20T09:30:40Z" },
        involvedObject: { kind: "Pod", namespace: NS, name: POD, fieldPath: "spec.containers{vllm}" },
        reason: "BackOff",
        message: `Back-off restarting failed container vllm in pod ${POD}_${NS}(5f0c)`,
        type: "Warning",
        count: 12,
        lastTimestamp: "2026-11-20T09:46:40Z",
      },
    ],
    logs,
    previousLogs,
    tailLines: 1000,
    errors: [],
    gatheredAt: "2026-11-20T09:48:00Z",
  });
}
