import { z } from "zod";
import { DEMO_NAMESPACE, type DemoIncident, type DemoScenario } from "@/lib/demo/incidents";
import { replicaSetOf, uid, type clock, type Json } from "@/lib/demo/k8s-objects";
import { CPU_NODE, GPU_NODE_A, GPU_NODE_B } from "@/lib/demo/nodes";
import { summarizePod } from "@/lib/cluster/workload-view";

/**
 * The owners and neighbours of each demo pod, in wire JSON: its Deployment, the Deployment's ReplicaSets
 * (revision history, `deployment.kubernetes.io/revision` and change-cause annotations, ownerReferences), the
 * other replicas, and an HPA where one scales the workload. Each older revision's pod template is the newer
 * one with one change undone, so the diff between revisions is exactly the story the incident tells:
 * - oom-killed: revision 7 raised vLLM's `--max-model-len` 8192 → 32768 six minutes before the alert (the cause);
 * - cpu-throttling: the last rollout, days before, only renamed OTEL_SERVICE_NAME (unrelated); its HPA is at max;
 * - liveness-slow-load: one replica of four fails, the other three are healthy;
 * - kv-cache-memory: its node reports MemoryPressure (lib/demo/nodes).
 */

type Clock = ReturnType<typeof clock>;
type Container = z.infer<typeof containerSchema>;

const containerSchema = z
  .object({
    name: z.string(),
    image: z.string(),
    args: z.array(z.string()).optional(),
    env: z.array(z.object({ name: z.string(), value: z.string().optional() }).loose()).optional(),
    volumeMounts: z.array(z.object({ name: z.string() }).loose()).optional(),
  })
  .loose();

const podSchema = z
  .object({
    metadata: z.object({ name: z.string(), labels: z.record(z.string(), z.string()), creationTimestamp: z.string() }).loose(),
    spec: z
      .object({
        containers: z.array(containerSchema),
        nodeName: z.string().optional(),
        volumes: z.array(z.object({ name: z.string() }).loose()).optional(),
        tolerations: z.array(z.object({ tolerationSeconds: z.number().optional() }).loose()).optional(),
      })
      .loose(),
    status: z.object({}).loose(),
  })
  .loose();

interface Revision {
  revision: number;
  secondsAgo: number;
  changeCause?: string;
  /** Turns the next newer revision's main container into this revision's (undefined for the newest). */
  undo?: (c: Container) => Container;
}

interface Sibling {
  node: string;
  createdSecondsAgo: number;
  /** A crashing replica: OOMKilled, in CrashLoopBackOff. */
  crashing?: boolean;
}

export interface DemoNeighbourhood {
  /** Newest first; the first is the revision the incident's pod runs. */
  revisions: Revision[];
  /** The other replicas of the workload (the incident's pod is one more). */
  siblings: Sibling[];
  hpa?: { min: number; max: number; current: number; desired: number };
}

const setArg = (flag: string, value: string) => (c: Container): Container => {
  const args = [...(c.args ?? [])];
  const i = args.indexOf(flag);
  if (i >= 0) args[i + 1] = value;
  else args.push(flag, value);
  return { ...c, args };
};
const setEnv = (name: string, value: string) => (c: Container): Container => ({
  ...c,
  env: (c.env ?? []).map((e) => (e.name === name ? { name, value } : e)),
});
const setImage = (image: string) => (c: Container): Container => ({ ...c, image });

const DAY = 86_400;

/** Each incident's history and neighbours. */
export const DEMO_NEIGHBOURHOODS: Record<DemoScenario, DemoNeighbourhood> = {
  "oom-killed": {
    revisions: [
      { revision: 7, secondsAgo: 1200, changeCause: "raise the context window to 32k for long-document chat (CHG-2291)" },
      { revision: 6, secondsAgo: 2 * DAY + 3600, changeCause: "upgrade vLLM to v0.6.3.post1", undo: setArg("--max-model-len", "8192") },
      { revision: 5, secondsAgo: 9 * DAY, undo: setImage("vllm/vllm-openai:v0.6.2") },
    ],
    siblings: [{ node: GPU_NODE_B, createdSecondsAgo: 1185, crashing: true }],
  },
  "image-pull": {
    revisions: [
      { revision: 3, secondsAgo: 600, changeCause: "fraud-scorer v2.4.1" },
      { revision: 2, secondsAgo: 6 * DAY, changeCause: "fraud-scorer v2.4.0", undo: setImage("registry.acme.internal/ml/fraud-scorer-triton:v2.4.0") },
    ],
    siblings: [],
  },
  "unschedulable-gpu": {
    revisions: [
      { revision: 5, secondsAgo: 4 * DAY },
      { revision: 4, secondsAgo: 11 * DAY, undo: setArg("--max-batch-tokens", "8192") },
    ],
    siblings: [{ node: GPU_NODE_A, createdSecondsAgo: 4 * DAY - 60 }],
    hpa: { min: 1, max: 4, current: 2, desired: 2 },
  },
  "liveness-slow-load": {
    revisions: [
      { revision: 4, secondsAgo: 6 * DAY, changeCause: "whisper-asr 2.3.1" },
      { revision: 3, secondsAgo: 20 * DAY, changeCause: "whisper-asr 2.3.0", undo: setImage("registry.acme.internal/speech/whisper-asr:2.3.0") },
    ],
    siblings: [
      { node: GPU_NODE_A, createdSecondsAgo: 6 * DAY - 120 },
      { node: GPU_NODE_A, createdSecondsAgo: 6 * DAY - 300 },
      { node: GPU_NODE_B, createdSecondsAgo: 6 * DAY - 480 },
    ],
  },
  "hf-unauthorized": {
    revisions: [
      { revision: 6, secondsAgo: 3010, changeCause: "summarizer: switch to Mistral-7B-Instruct v0.3" },
      { revision: 5, secondsAgo: 15 * DAY, undo: setEnv("MODEL_ID", "mistralai/Mistral-7B-Instruct-v0.2") },
    ],
    siblings: [],
  },
  "cpu-throttling": {
    revisions: [
      { revision: 12, secondsAgo: 3 * DAY + 7200, changeCause: "tracing: rename the OTEL service" },
      { revision: 11, secondsAgo: 12 * DAY, undo: setEnv("OTEL_SERVICE_NAME", "reranker") },
    ],
    siblings: [
      { node: CPU_NODE, createdSecondsAgo: DAY + 4000 },
      { node: CPU_NODE, createdSecondsAgo: 780 },
    ],
    hpa: { min: 2, max: 3, current: 3, desired: 3 },
  },
  "kv-cache-memory": {
    revisions: [
      { revision: 9, secondsAgo: 5 * DAY },
      { revision: 8, secondsAgo: 13 * DAY, undo: setImage("registry.acme.internal/devprod/code-assist:3.1.4") },
    ],
    siblings: [{ node: GPU_NODE_A, createdSecondsAgo: 5 * DAY - 200 }],
  },
  "cuda-oom": {
    revisions: [
      { revision: 3, secondsAgo: 2 * DAY, changeCause: "raise MAX_BATCH to 4 for throughput" },
      { revision: 2, secondsAgo: 9 * DAY, undo: setEnv("MAX_BATCH", "2") },
    ],
    siblings: [],
  },
};

const NODE_IPS: Record<string, string> = { [GPU_NODE_A]: "10.128.0.41", [GPU_NODE_B]: "10.128.0.42", [CPU_NODE]: "10.128.0.57" };
const HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

function safeString(rand: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += HASH_ALPHABET[Math.floor(rand() * HASH_ALPHABET.length)] ?? "b";
  return s;
}

type Pod = z.infer<typeof podSchema>;

/** The pod template a ReplicaSet keeps: the pod spec without what the scheduler and admission added. */
function templateOf(pod: Pod): { metadata: Json; spec: Json } {
  const { nodeName: _node, volumes, tolerations, containers, ...spec } = pod.spec;
  const injected = (v: { name: string }) => v.name.startsWith("kube-api-access-");
  return {
    metadata: { labels: { ...pod.metadata.labels } },
    spec: {
      ...(volumes?.some((v) => !injected(v)) ? { volumes: volumes.filter((v) => !injected(v)) } : {}),
      containers: containers.map((c) => ({ ...c, volumeMounts: (c.volumeMounts ?? []).filter((m) => !injected(m)) })),
      ...spec,
      tolerations: (tolerations ?? []).filter((t) => t.tolerationSeconds === undefined),
    },
  };
}

function siblingStatus(pod: Pod, s: Sibling, main: string, c: Clock, index: number): Json {
  const ready = !s.crashing;
  const statuses = pod.spec.containers.map((k) => {
    const bad = s.crashing && k.name === main;
    return {
      name: k.name,
      state: bad
        ? { waiting: { reason: "CrashLoopBackOff", message: `back-off 40s restarting failed container=${k.name} pod=${pod.metadata.name}` } }
        : { running: { startedAt: c.rfc(s.createdSecondsAgo - 6) } },
      lastState: bad ? { terminated: { exitCode: 137, reason: "OOMKilled", startedAt: c.rfc(300), finishedAt: c.rfc(95), containerID: "containerd://7d3a9e1c5b2f8a4d0e6c9b3f1a7d5e2c8b4f0a6d3e9c1b7f5a2d8e4c0b6f3a9d" } } : {},
      ready: !bad,
      restartCount: bad ? 3 : 0,
      image: k.image,
      imageID: `${k.image.split(":")[0] ?? k.image}@sha256:4f2a9c1e7b3d5f8a0c6e2b9d4a1f7c3e5b8d0a2c4e6f8b1d3a5c7e9f0b2d4a6c`,
      containerID: `containerd://${(index + 1).toString(16).repeat(64).slice(0, 64)}`,
      started: !bad,
    };
  });
  const unready = s.crashing ? [main] : [];
  const msg = `containers with unready status: [${unready.join(" ")}]`;
  const readySince = s.crashing ? 95 : s.createdSecondsAgo - 60;
  return {
    phase: "Running",
    conditions: [
      { type: "PodReadyToStartContainers", status: "True", lastProbeTime: null, lastTransitionTime: c.rfc(s.createdSecondsAgo - 3) },
      { type: "Initialized", status: "True", lastProbeTime: null, lastTransitionTime: c.rfc(s.createdSecondsAgo - 1) },
      { type: "Ready", status: ready ? "True" : "False", lastProbeTime: null, lastTransitionTime: c.rfc(readySince), ...(ready ? {} : { reason: "ContainersNotReady", message: msg }) },
      { type: "ContainersReady", status: ready ? "True" : "False", lastProbeTime: null, lastTransitionTime: c.rfc(readySince), ...(ready ? {} : { reason: "ContainersNotReady", message: msg }) },
      { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: c.rfc(s.createdSecondsAgo) },
    ],
    hostIP: NODE_IPS[s.node] ?? "10.128.0.40",
    hostIPs: [{ ip: NODE_IPS[s.node] ?? "10.128.0.40" }],
    podIP: `10.0.${6 + index}.${20 + index * 7}`,
    podIPs: [{ ip: `10.0.${6 + index}.${20 + index * 7}` }],
    startTime: c.rfc(s.createdSecondsAgo - 1),
    containerStatuses: statuses,
    qosClass: "Burstable",
  };
}

export interface DemoWorkload {
  /** The other replicas, as v1 Pods. */
  siblings: Array<{ name: string; pod: Json }>;
  /** The Deployment, its ReplicaSets and the HPA. */
  objects: Json[];
}

/**
 * The Deployment around one demo incident's pod (whose ReplicaSet name and uid its ownerReference gives),
 * its revision history, its other replicas and its HPA.
 * @throws Error when the pod is not a Deployment pod of the demo's shape (a bug in the demo data).
 */
export function buildDemoWorkload(incident: DemoIncident, podJson: Json, ids: { replicaSetUid: string; deploymentUid: string }, c: Clock, rand: () => number): DemoWorkload {
  const hood = DEMO_NEIGHBOURHOODS[incident.scenario];
  const pod = podSchema.parse(podJson);
  const main = incident.labels.container ?? pod.spec.containers[0]?.name ?? "";
  const rsName = replicaSetOf(pod.metadata.name);
  const hash = pod.metadata.labels["pod-template-hash"] ?? "";
  const name = rsName.slice(0, -hash.length - 1);
  const replicas = hood.siblings.length + 1;
  const pods = [{ ready: summarizePod(podJson).ready }, ...hood.siblings.map((s) => ({ ready: !s.crashing }))];
  const ready = pods.filter((p) => p.ready).length;
  const { "pod-template-hash": _hash, ...labels } = pod.metadata.labels;
  const deploymentOwner = { apiVersion: "apps/v1", kind: "Deployment", name, uid: ids.deploymentUid, controller: true, blockOwnerDeletion: true };

  let template = templateOf(pod);
  const replicaSets: Json[] = [];
  hood.revisions.forEach((r, i) => {
    if (r.undo) {
      const spec = z.object({ containers: z.array(containerSchema) }).loose().parse(template.spec);
      template = { ...template, spec: { ...spec, containers: spec.containers.map((k) => (k.name === main && r.undo ? r.undo(k) : k)) } };
    }
    const current = i === 0;
    const h = current ? hash : safeString(rand, 10);
    const n = current ? replicas : 0;
    replicaSets.push({
      kind: "ReplicaSet",
      apiVersion: "apps/v1",
      metadata: {
        name: `${name}-${h}`,
        namespace: DEMO_NAMESPACE,
        uid: current ? ids.replicaSetUid : uid(rand),
        resourceVersion: String(48_391_000 + r.revision * 37),
        generation: current ? 2 : 3,
        creationTimestamp: c.rfc(r.secondsAgo),
        labels: { ...labels, "pod-template-hash": h },
        annotations: {
          "deployment.kubernetes.io/desired-replicas": String(replicas),
          "deployment.kubernetes.io/max-replicas": String(replicas + 1),
          "deployment.kubernetes.io/revision": String(r.revision),
          ...(r.changeCause ? { "kubernetes.io/change-cause": r.changeCause } : {}),
        },
        ownerReferences: [deploymentOwner],
      },
      spec: {
        replicas: n,
        selector: { matchLabels: { app: labels.app ?? name, "pod-template-hash": h } },
        template: { metadata: { labels: { ...labels, "pod-template-hash": h } }, spec: template.spec },
      },
      status: current
        ? { replicas: n, fullyLabeledReplicas: n, readyReplicas: ready, availableReplicas: ready, observedGeneration: 2 }
        : { replicas: 0, observedGeneration: 3 },
    });
  });

  const newest = hood.revisions[0];
  const deployment: Json = {
    kind: "Deployment",
    apiVersion: "apps/v1",
    metadata: {
      name,
      namespace: DEMO_NAMESPACE,
      uid: ids.deploymentUid,
      resourceVersion: "48391102",
      generation: newest?.revision ?? 1,
      creationTimestamp: c.rfc(30 * 86_400),
      labels: { app: labels.app ?? name },
      annotations: { "deployment.kubernetes.io/revision": String(newest?.revision ?? 1), ...(newest?.changeCause ? { "kubernetes.io/change-cause": newest.changeCause } : {}) },
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: labels.app ?? name } },
      template: { metadata: { labels }, spec: templateOf(pod).spec },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {
      observedGeneration: newest?.revision ?? 1,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: ready,
      availableReplicas: ready,
      ...(ready < replicas ? { unavailableReplicas: replicas - ready } : {}),
      conditions: [
        ready === replicas
          ? { type: "Available", status: "True", lastUpdateTime: c.rfc(DAY), lastTransitionTime: c.rfc(DAY), reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability." }
          : { type: "Available", status: "False", lastUpdateTime: c.rfc(240), lastTransitionTime: c.rfc(240), reason: "MinimumReplicasUnavailable", message: "Deployment does not have minimum availability." },
        { type: "Progressing", status: "True", lastUpdateTime: c.rfc(Math.max(60, (newest?.secondsAgo ?? 120) - 90)), lastTransitionTime: c.rfc(newest?.secondsAgo ?? 120), reason: "NewReplicaSetAvailable", message: `ReplicaSet "${rsName}" has successfully progressed.` },
      ],
    },
  };

  const siblings = hood.siblings.map((s, i) => {
    const siblingName = `${rsName}-${safeString(rand, 5)}`;
    const json: Json = {
      ...pod,
      metadata: { ...pod.metadata, name: siblingName, uid: uid(rand), creationTimestamp: c.rfc(s.createdSecondsAgo) },
      spec: { ...pod.spec, nodeName: s.node },
      status: siblingStatus({ ...pod, metadata: { ...pod.metadata, name: siblingName } }, s, main, c, i),
    };
    return { name: siblingName, pod: json };
  });

  const objects: Json[] = [deployment, ...replicaSets];
  if (hood.hpa) {
    const h = hood.hpa;
    const limited = h.desired >= h.max;
    objects.push({
      kind: "HorizontalPodAutoscaler",
      apiVersion: "autoscaling/v2",
      metadata: { name, namespace: DEMO_NAMESPACE, uid: uid(rand), resourceVersion: "48391170", creationTimestamp: c.rfc(20 * DAY) },
      spec: {
        scaleTargetRef: { kind: "Deployment", name, apiVersion: "apps/v1" },
        minReplicas: h.min,
        maxReplicas: h.max,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
      },
      status: {
        lastScaleTime: c.rfc(780),
        currentReplicas: h.current,
        desiredReplicas: h.desired,
        currentMetrics: [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: limited ? 97 : 55, averageValue: limited ? "1940m" : "1100m" } } }],
        conditions: [
          { type: "AbleToScale", status: "True", lastTransitionTime: c.rfc(780), reason: "ReadyForNewScale", message: "recommended size matches current size" },
          { type: "ScalingActive", status: "True", lastTransitionTime: c.rfc(20 * DAY), reason: "ValidMetricFound", message: "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)" },
          limited
            ? { type: "ScalingLimited", status: "True", lastTransitionTime: c.rfc(760), reason: "TooManyReplicas", message: "the desired replica count is more than the maximum replica count" }
            : { type: "ScalingLimited", status: "False", lastTransitionTime: c.rfc(20 * DAY), reason: "DesiredWithinRange", message: "the desired count is within the acceptable range" },
        ],
      },
    });
  }
  return { siblings, objects };
}
