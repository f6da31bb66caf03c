import { DEMO_NAMESPACE, demoIncidents, type DemoIncident, type DemoScenario } from "@/lib/demo/incidents";
import {
  clock,
  conditions,
  eventJson,
  httpProbe,
  podJson,
  replicaSetOf,
  rng,
  uid,
  type ContainerSpec,
  type EventInput,
  type Json,
} from "@/lib/demo/k8s-objects";
import { cpuThrottlingLogs, cudaOomLogs, hfUnauthorizedLogs, kvCacheLogs, oomKilledLogs, slowLoadLogs } from "@/lib/demo/logs";
import { CPU_NODE, demoNodes, GPU_NODE_A, GPU_NODE_B, GPU_NODE_C } from "@/lib/demo/nodes";
import { buildDemoWorkload } from "@/lib/demo/workloads";

/**
 * The demo cluster's state behind the demo alerts: for each incident the v1 Pod, its containers' current
 * and previous logs, and the core/v1 Events of the pod and its ReplicaSet and Deployment, all timed
 * relative to `now`. Both the demo ClusterReader and the test fake API server serve this.
 */

export type ContainerLogs = Record<string, { current?: string; previous?: string }>;

export interface DemoPod {
  namespace: string;
  name: string;
  pod: Json;
  logs: ContainerLogs;
}

export interface DemoClusterState {
  pods: DemoPod[];
  events: Json[];
  /** The pods' neighbourhood (lib/demo/workloads, lib/demo/nodes): Deployments, ReplicaSets, HPAs and Nodes. */
  objects?: Json[];
}

const GPU_SELECTOR = { "cloud.google.com/gke-accelerator": "nvidia-l4" };

type Clock = ReturnType<typeof clock>;

interface Built {
  pod: Json;
  logs: ContainerLogs;
  events: Array<Omit<EventInput, "namespace" | "kind" | "name" | "uid"> & { on?: "ReplicaSet" | "Deployment" }>;
}

function running(name: string, image: string, c: Clock, o: { startedAgo: number; restarts?: number; ready?: boolean; last?: Json }): Json {
  return {
    name,
    state: { running: { startedAt: c.rfc(o.startedAgo) } },
    ...(o.last ? { lastState: { terminated: o.last } } : { lastState: {} }),
    ready: o.ready ?? true,
    restartCount: o.restarts ?? 0,
    image,
    imageID: `${image.split(":")[0]}@sha256:${"4f2a9c1e7b3d5f8a0c6e2b9d4a1f7c3e5b8d0a2c4e6f8b1d3a5c7e9f0b2d4a6c".slice(0, 64)}`,
    containerID: `containerd://${"9c1e4b7a2d5f8c0e3a6b9d2f5c8e1a4b7d0f3c6e9a2b5d8f1c4e7a0b3d6f9c2e".slice(0, 64)}`,
    started: true,
  };
}

function terminated(c: Clock, exitCode: number, reason: string, startedAgo: number, finishedAgo: number): Json {
  return {
    exitCode,
    reason,
    startedAt: c.rfc(startedAgo),
    finishedAt: c.rfc(finishedAgo),
    containerID: "containerd://5e2a8c1f4b7d0e3a6c9f2b5d8e1a4c7f0b3e6d9a2c5f8b1e4d7a0c3f6b9e2d5a",
  };
}

const lifecycle = (container: string, image: string, count: number, firstAgo: number, lastAgo: number, host: string) =>
  [
    { type: "Normal" as const, reason: "Pulled", message: `Container image "${image}" already present on machine`, component: "kubelet", host, count, firstSecondsAgo: firstAgo, lastSecondsAgo: lastAgo, fieldPath: `spec.containers{${container}}` },
    { type: "Normal" as const, reason: "Created", message: `Created container: ${container}`, component: "kubelet", host, count, firstSecondsAgo: firstAgo, lastSecondsAgo: lastAgo, fieldPath: `spec.containers{${container}}` },
    { type: "Normal" as const, reason: "Started", message: `Started container ${container}`, component: "kubelet", host, count, firstSecondsAgo: firstAgo, lastSecondsAgo: lastAgo, fieldPath: `spec.containers{${container}}` },
  ];

const scheduled = (name: string, host: string, ago: number) => ({
  type: "Normal" as const,
  reason: "Scheduled",
  message: `Successfully assigned ${DEMO_NAMESPACE}/${name} to ${host}`,
  component: "default-scheduler",
  host: "control-plane",
  series: true,
  firstSecondsAgo: ago,
});

const ownerEvents = (name: string, ago: number, replicas: string): Built["events"] => [
  { on: "ReplicaSet", type: "Normal", reason: "SuccessfulCreate", message: `Created pod: ${name}`, component: "replicaset-controller", firstSecondsAgo: ago },
  { on: "Deployment", type: "Normal", reason: "ScalingReplicaSet", message: `Scaled up replica set ${replicaSetOf(name)} to ${replicas}`, component: "deployment-controller", firstSecondsAgo: ago + 1 },
];

const fluentBit: ContainerSpec = {
  name: "fluent-bit",
  image: "cr.fluentbit.io/fluent/fluent-bit:3.1.9",
  requests: { cpu: "50m", memory: "64Mi" },
  limits: { memory: "128Mi" },
  volumeMounts: [{ name: "vllm-logs", mountPath: "/var/log/vllm", readOnly: true }],
};

function build(incident: DemoIncident, c: Clock, podUid: string, rsUid: string): Built {
  const name = incident.labels.pod ?? "";
  const base = { namespace: DEMO_NAMESPACE, name, uid: podUid, replicaSetUid: rsUid, labels: { model: incident.labels.model ?? "", team: incident.labels.team ?? "" } };
  const backoff = (container: string, count: number, firstAgo: number, lastAgo: number, host: string) => ({
    type: "Warning" as const,
    reason: "BackOff",
    message: `Back-off restarting failed container ${container} in pod ${name}_${DEMO_NAMESPACE}(${podUid})`,
    component: "kubelet",
    host,
    count,
    firstSecondsAgo: firstAgo,
    lastSecondsAgo: lastAgo,
    fieldPath: `spec.containers{${container}}`,
  });

  switch (incident.scenario) {
    case "oom-killed": {
      const image = "vllm/vllm-openai:v0.6.3.post1";
      // Created by revision 7's rollout (lib/demo/workloads), 6 minutes before the alert.
      const created = 1190;
      const ip = "10.0.3.7";
      const vllm: ContainerSpec = {
        name: "vllm",
        image,
        args: ["--model", "/models/meta-llama-3.1-8b-instruct", "--served-model-name", "meta-llama-3.1-8b-instruct", "--max-model-len", "32768", "--gpu-memory-utilization", "0.92", "--swap-space", "16"],
        port: 8000,
        requests: { cpu: "4", memory: "24Gi", "nvidia.com/gpu": "1" },
        limits: { cpu: "8", memory: "24Gi", "nvidia.com/gpu": "1" },
        livenessProbe: httpProbe("/health", 8000, { initialDelaySeconds: 180, periodSeconds: 15, timeoutSeconds: 5 }),
        readinessProbe: httpProbe("/health", 8000, { periodSeconds: 5 }),
        volumeMounts: [{ name: "models", mountPath: "/models", readOnly: true }, { name: "vllm-logs", mountPath: "/var/log/vllm" }],
      };
      return {
        pod: podJson(
          {
            ...base,
            app: "llm-chat-vllm",
            createdSecondsAgo: created,
            nodeName: GPU_NODE_A,
            hostIP: "10.128.0.41",
            podIP: ip,
            containers: [vllm, fluentBit],
            nodeSelector: GPU_SELECTOR,
            gpu: true,
            volumes: [{ name: "models", persistentVolumeClaim: { claimName: "llm-models", readOnly: true } }, { name: "vllm-logs", emptyDir: {} }],
            phase: "Running",
            conditions: conditions(c, created, true, [], 170),
            containerStatuses: [
              running("fluent-bit", fluentBit.image, c, { startedAgo: created - 5 }),
              running("vllm", image, c, { startedAgo: 240, restarts: 3, last: terminated(c, 137, "OOMKilled", 1140, 250) }),
            ],
            qosClass: "Burstable",
          },
          c,
        ),
        logs: oomKilledLogs(c.at(1140), c.at(240)),
        events: [
          scheduled(name, GPU_NODE_A, created),
          ...lifecycle("vllm", image, 4, created - 4, 240, GPU_NODE_A),
          { type: "Warning", reason: "Unhealthy", message: `Readiness probe failed: Get "http://${ip}:8000/health": dial tcp ${ip}:8000: connect: connection refused`, component: "kubelet", host: GPU_NODE_A, count: 38, firstSecondsAgo: created - 6, lastSecondsAgo: 176, fieldPath: "spec.containers{vllm}" },
          backoff("vllm", 2, 1150, 1145, GPU_NODE_A),
          ...ownerEvents(name, created + 2, "1 from 0"),
        ],
      };
    }
    case "image-pull": {
      const image = "registry.acme.internal/ml/fraud-scorer-triton:v2.4.1";
      const created = 570;
      const triton: ContainerSpec = {
        name: "triton",
        image,
        args: ["tritonserver", "--model-repository=/models", "--strict-model-config=false", "--log-verbose=0"],
        port: 8000,
        requests: { cpu: "2", memory: "8Gi", "nvidia.com/gpu": "1" },
        limits: { memory: "8Gi", "nvidia.com/gpu": "1" },
        livenessProbe: httpProbe("/v2/health/live", 8000, { initialDelaySeconds: 30 }),
        readinessProbe: httpProbe("/v2/health/ready", 8000, { periodSeconds: 5 }),
      };
      const fail = `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`;
      return {
        pod: podJson(
          {
            ...base,
            app: "fraud-scorer-triton",
            createdSecondsAgo: created,
            nodeName: GPU_NODE_B,
            hostIP: "10.128.0.42",
            podIP: "10.0.4.31",
            containers: [triton],
            nodeSelector: GPU_SELECTOR,
            gpu: true,
            phase: "Pending",
            conditions: conditions(c, created, false, ["triton"], created - 1),
            containerStatuses: [
              {
                name: "triton",
                state: { waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${image}"` } },
                lastState: {},
                ready: false,
                restartCount: 0,
                image,
                imageID: "",
                started: false,
              },
            ],
            qosClass: "Burstable",
          },
          c,
        ),
        logs: {},
        events: [
          scheduled(name, GPU_NODE_B, created),
          { type: "Normal", reason: "Pulling", message: `Pulling image "${image}"`, component: "kubelet", host: GPU_NODE_B, count: 6, firstSecondsAgo: created - 1, lastSecondsAgo: 95, fieldPath: "spec.containers{triton}" },
          { type: "Warning", reason: "Failed", message: fail, component: "kubelet", host: GPU_NODE_B, count: 6, firstSecondsAgo: created - 2, lastSecondsAgo: 94, fieldPath: "spec.containers{triton}" },
          { type: "Warning", reason: "Failed", message: "Error: ErrImagePull", component: "kubelet", host: GPU_NODE_B, count: 6, firstSecondsAgo: created - 2, lastSecondsAgo: 94, fieldPath: "spec.containers{triton}" },
          { type: "Normal", reason: "BackOff", message: `Back-off pulling image "${image}"`, component: "kubelet", host: GPU_NODE_B, count: 31, firstSecondsAgo: created - 3, lastSecondsAgo: 12, fieldPath: "spec.containers{triton}" },
          { type: "Warning", reason: "Failed", message: "Error: ImagePullBackOff", component: "kubelet", host: GPU_NODE_B, count: 31, firstSecondsAgo: created - 3, lastSecondsAgo: 12, fieldPath: "spec.containers{triton}" },
          ...ownerEvents(name, created + 1, "1"),
        ],
      };
    }
    case "unschedulable-gpu": {
      const created = 1380;
      const message = "0/4 nodes are available: 4 Insufficient nvidia.com/gpu. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.";
      const tei: ContainerSpec = {
        name: "tei",
        image: "ghcr.io/huggingface/text-embeddings-inference:89-1.5",
        args: ["--model-id", "BAAI/bge-m3", "--max-batch-tokens", "16384", "--port", "8080"],
        port: 8080,
        requests: { cpu: "2", memory: "6Gi", "nvidia.com/gpu": "1" },
        limits: { memory: "6Gi", "nvidia.com/gpu": "1" },
        readinessProbe: httpProbe("/health", 8080, { periodSeconds: 5 }),
      };
      return {
        pod: podJson(
          {
            ...base,
            app: "embeddings-bge-m3",
            createdSecondsAgo: created,
            containers: [tei],
            nodeSelector: GPU_SELECTOR,
            gpu: true,
            phase: "Pending",
            conditions: [{ type: "PodScheduled", status: "False", lastProbeTime: null, lastTransitionTime: c.rfc(created), reason: "Unschedulable", message }],
            qosClass: "Burstable",
          },
          c,
        ),
        logs: {},
        events: [
          { type: "Warning", reason: "FailedScheduling", message, component: "default-scheduler", series: true, count: 19, firstSecondsAgo: created, lastSecondsAgo: 64 },
          { type: "Normal", reason: "NotTriggerScaleUp", message: "pod didn't trigger scale-up: 1 max node group size reached, 2 node(s) didn't match Pod's node affinity/selector", component: "cluster-autoscaler", count: 132, firstSecondsAgo: created - 10, lastSecondsAgo: 20 },
          ...ownerEvents(name, created + 1, "2 from 1"),
        ],
      };
    }
    case "liveness-slow-load": {
      const image = "registry.acme.internal/speech/whisper-asr:2.3.1";
      const created = 2400;
      const ip = "10.0.3.9";
      const asr: ContainerSpec = {
        name: "asr",
        image,
        port: 8000,
        env: [{ name: "HF_HUB_OFFLINE", value: "1" }, { name: "MODEL_DIR", value: "/mnt/models/whisper-large-v3" }],
        requests: { cpu: "4", memory: "16Gi", "nvidia.com/gpu": "1" },
        limits: { memory: "16Gi", "nvidia.com/gpu": "1" },
        livenessProbe: httpProbe("/health", 8000, { initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 }),
        readinessProbe: httpProbe("/health", 8000, { periodSeconds: 5, timeoutSeconds: 1 }),
        volumeMounts: [{ name: "models-nfs", mountPath: "/mnt/models", readOnly: true }],
      };
      const exporter: ContainerSpec = { name: "metrics-exporter", image: "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.8-3.6.0-ubuntu22.04", port: 9400, requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } };
      const probe = `Get "http://${ip}:8000/health": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
      return {
        pod: podJson(
          {
            ...base,
            app: "whisper-asr-large-v3",
            createdSecondsAgo: created,
            nodeName: GPU_NODE_B,
            hostIP: "10.128.0.42",
            podIP: ip,
            containers: [asr, exporter],
            nodeSelector: GPU_SELECTOR,
            gpu: true,
            volumes: [{ name: "models-nfs", nfs: { server: "10.20.0.2", path: "/models", readOnly: true } }],
            phase: "Running",
            conditions: conditions(c, created, false, ["asr"], 110),
            containerStatuses: [
              running("asr", image, c, { startedAgo: 45, restarts: 6, ready: false, last: terminated(c, 137, "Error", 175, 110) }),
              running("metrics-exporter", exporter.image, c, { startedAgo: created - 4 }),
            ],
            qosClass: "Burstable",
          },
          c,
        ),
        logs: slowLoadLogs(c.at(175), c.at(45)),
        events: [
          scheduled(name, GPU_NODE_B, created),
          ...lifecycle("asr", image, 7, created - 3, 45, GPU_NODE_B),
          { type: "Warning", reason: "Unhealthy", message: `Liveness probe failed: ${probe}`, component: "kubelet", host: GPU_NODE_B, count: 18, firstSecondsAgo: created - 40, lastSecondsAgo: 140, fieldPath: "spec.containers{asr}" },
          { type: "Warning", reason: "Unhealthy", message: `Readiness probe failed: ${probe}`, component: "kubelet", host: GPU_NODE_B, count: 71, firstSecondsAgo: created - 9, lastSecondsAgo: 5, fieldPath: "spec.containers{asr}" },
          { type: "Normal", reason: "Killing", message: "Container asr failed liveness probe, will be restarted", component: "kubelet", host: GPU_NODE_B, count: 6, firstSecondsAgo: created - 60, lastSecondsAgo: 140, fieldPath: "spec.containers{asr}" },
          backoff("asr", 11, created - 400, 60, GPU_NODE_B),
          ...ownerEvents(name, created + 1, "1"),
        ],
      };
    }
    case "hf-unauthorized": {
      const image = "registry.acme.internal/llm/summarizer:1.8.0";
      const created = 3000;
      const server: ContainerSpec = {
        name: "server",
        image,
        port: 8000,
        env: [
          { name: "MODEL_ID", value: "mistralai/Mistral-7B-Instruct-v0.3" },
          { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "token" } } },
          { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "summarizer-db", key: "url" } } },
        ],
        requests: { cpu: "4", memory: "24Gi", "nvidia.com/gpu": "1" },
        limits: { memory: "24Gi", "nvidia.com/gpu": "1" },
        livenessProbe: httpProbe("/healthz", 8000, { initialDelaySeconds: 120 }),
        readinessProbe: httpProbe("/healthz", 8000, { periodSeconds: 5 }),
      };
      return {
        pod: podJson(
          {
            ...base,
            app: "summarizer-mistral-7b",
            createdSecondsAgo: created,
            nodeName: GPU_NODE_A,
            hostIP: "10.128.0.41",
            podIP: "10.0.3.12",
            containers: [server],
            nodeSelector: GPU_SELECTOR,
            gpu: true,
            phase: "Running",
            conditions: conditions(c, created, false, ["server"], created - 10),
            containerStatuses: [
              {
                name: "server",
                state: { waiting: { reason: "CrashLoopBackOff", message: `back-off 5m0s restarting failed container=server pod=${name}_${DEMO_NAMESPACE}(${podUid})` } },
                lastState: { terminated: terminated(c, 1, "Error", 95, 87) },
                ready: false,
                restartCount: 9,
                image,
                imageID: `registry.acme.internal/llm/summarizer@sha256:0d5b3f7a9c1e2b4d6f8a0c2e4b6d8f1a3c5e7b9d2f4a6c8e0b1d3f5a7c9e2b4d`,
                containerID: "containerd://5e2a8c1f4b7d0e3a6c9f2b5d8e1a4c7f0b3e6d9a2c5f8b1e4d7a0c3f6b9e2d5a",
                started: false,
              },
            ],
            qosClass: "Burstable",
          },
          c,
        ),
        logs: hfUnauthorizedLogs(c.at(95)),
        events: [
          ...lifecycle("server", image, 10, created - 3, 95, GPU_NODE_A),
          backoff("server", 214, created - 60, 4, GPU_NODE_A),
          ...ownerEvents(name, created + 1, "1"),
        ],
      };
    }
    case "cpu-throttling": {
      const image = "registry.acme.internal/search/reranker-api:0.9.4";
      const created = 1860;
      const ip = "10.0.5.14";
      const reranker: ContainerSpec = {
        name: "reranker",
        image,
        port: 8080,
        env: [{ name: "MODEL_ID", value: "BAAI/bge-reranker-v2-m3" }, { name: "DEVICE", value: "cpu" }, { name: "OTEL_SERVICE_NAME", value: "reranker-api" }],
        requests: { cpu: "2", memory: "4Gi" },
        limits: { cpu: "2", memory: "4Gi" },
        livenessProbe: httpProbe("/live", 8080, { initialDelaySeconds: 20 }),
        readinessProbe: httpProbe("/ready", 8080, { periodSeconds: 5 }),
      };
      return {
        pod: podJson(
          {
            ...base,
            app: "reranker-api",
            createdSecondsAgo: created,
            nodeName: CPU_NODE,
            hostIP: "10.128.0.57",
            podIP: ip,
            containers: [reranker],
            phase: "Running",
            conditions: conditions(c, created, true, [], 30),
            containerStatuses: [running("reranker", image, c, { startedAgo: created - 3 })],
            qosClass: "Guaranteed",
          },
          c,
        ),
        logs: cpuThrottlingLogs(c.at(created - 3), 30),
        events: [
          { type: "Warning", reason: "Unhealthy", message: `Readiness probe failed: Get "http://${ip}:8080/ready": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, component: "kubelet", host: CPU_NODE, count: 14, firstSecondsAgo: 900, lastSecondsAgo: 35, fieldPath: "spec.containers{reranker}" },
          ...ownerEvents(name, created + 1, "3 from 2"),
        ],
      };
    }
    case "kv-cache-memory": {
      const image = "registry.acme.internal/devprod/code-assist:3.2.0";
      const created = 5500;
      const server: ContainerSpec = {
        name: "server",
        image,
        port: 8000,
        requests: { cpu: "4", memory: "32Gi", "nvidia.com/gpu": "1" },
        limits: { memory: "32Gi", "nvidia.com/gpu": "1" },
        livenessProbe: httpProbe("/healthz", 8000, { initialDelaySeconds: 90 }),
        readinessProbe: httpProbe("/healthz", 8000, { periodSeconds: 10 }),
      };
      return {
        pod: podJson(
          {
            ...base,
            app: "code-assist-7b",
            createdSecondsAgo: created,
            // The node under memory pressure (lib/demo/nodes).
            nodeName: GPU_NODE_C,
            hostIP: "10.128.0.43",
            podIP: "10.0.3.15",
            containers: [server],
            nodeSelector: GPU_SELECTOR,
            gpu: true,
            phase: "Running",
            conditions: conditions(c, created, true, [], created - 95),
            containerStatuses: [running("server", image, c, { startedAgo: created - 4 })],
            qosClass: "Burstable",
          },
          c,
        ),
        logs: kvCacheLogs(c.at(created - 4), 90),
        // Events expire after an hour (kube-apiserver --event-ttl): this long-running pod has none left.
        events: [],
      };
    }
    case "cuda-oom": {
      const image = "registry.acme.internal/creative/image-gen-sdxl:1.4.2";
      const created = 2700;
      const ip = "10.0.4.8";
      const sdxl: ContainerSpec = {
        name: "sdxl",
        image,
        port: 7860,
        env: [{ name: "MAX_BATCH", value: "4" }, { name: "AWS_REGION", value: "eu-west-1" }],
        requests: { cpu: "4", memory: "20Gi", "nvidia.com/gpu": "1" },
        limits: { memory: "20Gi", "nvidia.com/gpu": "1" },
        livenessProbe: httpProbe("/health", 7860, { initialDelaySeconds: 60 }),
        readinessProbe: httpProbe("/health", 7860, { periodSeconds: 5 }),
      };
      const nginx: ContainerSpec = { name: "nginx-cache", image: "nginx:1.27.2-alpine", port: 8080, requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } };
      return {
        pod: podJson(
          {
            ...base,
            app: "image-gen-sdxl",
            createdSecondsAgo: created,
            nodeName: GPU_NODE_B,
            hostIP: "10.128.0.42",
            podIP: ip,
            containers: [nginx, sdxl],
            nodeSelector: GPU_SELECTOR,
            gpu: true,
            phase: "Running",
            conditions: conditions(c, created, true, [], 180),
            containerStatuses: [
              running("nginx-cache", nginx.image, c, { startedAgo: created - 3 }),
              running("sdxl", image, c, { startedAgo: 200, restarts: 4, last: terminated(c, 1, "Error", 1065, 205) }),
            ],
            qosClass: "Burstable",
          },
          c,
        ),
        logs: cudaOomLogs(c.at(1065), c.at(200)),
        events: [
          scheduled(name, GPU_NODE_B, created),
          ...lifecycle("sdxl", image, 5, created - 3, 200, GPU_NODE_B),
          { type: "Warning", reason: "Unhealthy", message: `Readiness probe failed: Get "http://${ip}:7860/health": dial tcp ${ip}:7860: connect: connection refused`, component: "kubelet", host: GPU_NODE_B, count: 9, firstSecondsAgo: created - 5, lastSecondsAgo: 190, fieldPath: "spec.containers{sdxl}" },
          backoff("sdxl", 3, 1500, 210, GPU_NODE_B),
          ...ownerEvents(name, created + 1, "1"),
        ],
      };
    }
  }
}

function seedOf(s: DemoScenario): number {
  let h = 2166136261;
  for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

/**
 * The demo cluster as of `now`: every demo incident's pod, logs and events (pod's and owners'), and its
 * neighbourhood: Deployment, ReplicaSet revisions, other replicas, HPA and nodes.
 */
export function buildDemoCluster(now: Date = new Date()): DemoClusterState {
  const c = clock(now);
  const pods: DemoPod[] = [];
  const events: Json[] = [];
  const objects: Json[] = demoNodes(c);
  for (const incident of demoIncidents) {
    const rand = rng(seedOf(incident.scenario));
    const podUid = uid(rand);
    const rsUid = uid(rand);
    const deployUid = uid(rand);
    const built = build(incident, c, podUid, rsUid);
    const name = incident.labels.pod ?? "";
    pods.push({ namespace: DEMO_NAMESPACE, name, pod: built.pod, logs: built.logs });
    const workload = buildDemoWorkload(incident, built.pod, { replicaSetUid: rsUid, deploymentUid: deployUid }, c, rng(seedOf(incident.scenario) ^ 0x5bd1e995));
    pods.push(...workload.siblings.map((s) => ({ namespace: DEMO_NAMESPACE, name: s.name, pod: s.pod, logs: {} })));
    objects.push(...workload.objects);
    for (const e of built.events) {
      const { on, ...rest } = e;
      const rs = replicaSetOf(name);
      const owner =
        on === "ReplicaSet"
          ? { kind: "ReplicaSet" as const, name: rs, uid: rsUid }
          : on === "Deployment"
            ? { kind: "Deployment" as const, name: rs.replace(/-[a-z0-9]+$/, ""), uid: deployUid }
            : { kind: "Pod" as const, name, uid: podUid };
      events.push(eventJson({ ...rest, namespace: DEMO_NAMESPACE, ...owner }, c, rand));
    }
  }
  return { pods, events, objects };
}
