import { afterEach, describe, expect, it } from "vitest";
import { redactBundle } from "@/lib/analysis/redact";
import { evidenceBundleSchema } from "@/lib/cluster/bundle";
import { gatherEvidence } from "@/lib/cluster/gather";
import { createKubeClusterReaders } from "@/lib/cluster/kube";
import { changeCause, metaOf, newestPod, revisionNumber, summarizePod } from "@/lib/cluster/workload-view";
import type { Config } from "@/lib/config";
import { createDemoClusterReaders } from "@/lib/demo/cluster";
import { startFakeKube, type FakeKube } from "@/test/fakes/kube-server";
import { cronJobWorld, deploymentWorld, hpa, merge, node, NS, statefulSetWorld, type World } from "@/test/fixtures/workloads";

const now = new Date("2026-12-06T10:00:00Z");
const NODE_A = "gke-ml-demo-l4-pool-3f2a1b7c-9xkq";
const NODE_B = "gke-ml-demo-l4-pool-3f2a1b7c-t2mz";

function chatWorld(o: { inferenceService?: string } = {}): World {
  const args = (len: string) => ["--model", "/models/llama-3.1-8b-instruct", "--max-model-len", len];
  return deploymentWorld(now, {
    name: "vllm-chat",
    revisions: [
      { revision: 5, hash: "6b8d9c7f45", container: { image: "vllm/vllm-openai:v0.6.2", args: args("8192") }, createdSecondsAgo: 9 * 86400 },
      { revision: 6, hash: "7d9f8b6c5d", container: { image: "vllm/vllm-openai:v0.6.3", args: args("8192") }, createdSecondsAgo: 2 * 86400, changeCause: "kubectl set image deployment/vllm-chat server=vllm/vllm-openai:v0.6.3" },
      {
        revision: 7,
        hash: "5c4b8f9d7b",
        container: { image: "vllm/vllm-openai:v0.6.4", args: args("32768"), env: [{ name: "HF_TOKEN", value: "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789" }] },
        createdSecondsAgo: 720,
        changeCause: "helm upgrade chat --set maxModelLen=32768",
      },
    ],
    pods: [
      { name: "vllm-chat-5c4b8f9d7b-x2x9z", node: NODE_A, ready: false, restarts: 4, createdSecondsAgo: 700 },
      { name: "vllm-chat-5c4b8f9d7b-q7vnm", node: NODE_B, createdSecondsAgo: 650 },
      { name: "vllm-chat-5c4b8f9d7b-t2mzk", node: NODE_B, createdSecondsAgo: 600 },
    ],
    nodes: [node(now, NODE_A, { memoryPressure: true }), node(now, NODE_B)],
    hpa: { min: 2, max: 3, current: 3, desired: 5, limited: true },
    ...o,
  });
}

function kubeConfig(kubeconfig: string): Config["kube"] {
  return { kubeconfig, clusterContexts: {}, timeoutMs: 5000, tailLines: 1000, limitBytes: 2 * 1024 * 1024 };
}

let fake: FakeKube | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(world: World, options: { kserve?: boolean; timeoutMs?: number } = {}) {
  fake = await startFakeKube({ state: { pods: world.pods, events: [] }, objects: world.objects, kserve: options.kserve });
  const readers = createKubeClusterReaders({ ...kubeConfig(fake.writeKubeconfig()), timeoutMs: options.timeoutMs ?? 5000 });
  const reader = readers.forCluster();
  const gatherWorkload = reader.gatherWorkload;
  if (!gatherWorkload) throw new Error("the kube reader has no workload gatherer");
  return { fake, readers, gather: (pod: string, labels: Record<string, string> = {}) => gatherWorkload({ namespace: NS, pod }, { labels }) };
}

const names = (objs: unknown[] | undefined) => (objs ?? []).map((o) => metaOf(o).name);

describe("workload gathering through @kubernetes/client-node", () => {
  it("follows pod → ReplicaSet → Deployment and brings revisions, siblings, node, HPA and the InferenceService", async () => {
    const { fake, gather } = await start(chatWorld({ inferenceService: "chat" }));
    const out = await gather("vllm-chat-5c4b8f9d7b-x2x9z");

    expect(out.errors).toEqual([]);
    expect(out.workload?.kind).toBe("Deployment");
    expect(out.workload?.name).toBe("vllm-chat");
    expect(out.workload?.owners).toEqual([
      { kind: "ReplicaSet", name: "vllm-chat-5c4b8f9d7b" },
      { kind: "Deployment", name: "vllm-chat" },
    ]);
    expect(out.workload?.object).toMatchObject({ kind: "Deployment", status: { conditions: expect.arrayContaining([expect.objectContaining({ type: "Progressing", reason: "NewReplicaSetAvailable" })]) } });
    expect((out.workload?.revisions ?? []).map(revisionNumber)).toEqual([7, 6, 5]);
    expect(changeCause(out.workload?.revisions[0])).toBe("helm upgrade chat --set maxModelLen=32768");
    expect(names(out.siblings).sort()).toEqual(["vllm-chat-5c4b8f9d7b-q7vnm", "vllm-chat-5c4b8f9d7b-t2mzk", "vllm-chat-5c4b8f9d7b-x2x9z"]);
    expect(out.siblings?.map(summarizePod).find((p) => !p.ready)).toMatchObject({ name: "vllm-chat-5c4b8f9d7b-x2x9z", restarts: 4, node: NODE_A, phase: "Running", reason: "CrashLoopBackOff" });
    expect(metaOf(out.node).name).toBe(NODE_A);
    expect(out.node).toMatchObject({ status: { conditions: expect.arrayContaining([expect.objectContaining({ type: "MemoryPressure", status: "True" })]) } });
    expect(out.hpa).toMatchObject({ spec: { scaleTargetRef: { kind: "Deployment", name: "vllm-chat" }, maxReplicas: 3 }, status: { desiredReplicas: 5 } });
    expect(out.inferenceService).toMatchObject({ kind: "InferenceService", metadata: { name: "chat" } });

    // Size bounds: no managedFields anywhere, no image list on the node.
    const text = JSON.stringify(out);
    expect(text).not.toContain("managedFields");
    expect(out.node).not.toHaveProperty("status.images");

    const rsList = fake.requests.find((r) => r.path === `/apis/apps/v1/namespaces/${NS}/replicasets`);
    expect(rsList?.query.labelSelector).toBe("app=vllm-chat");
    const podList = fake.requests.find((r) => r.path === `/api/v1/namespaces/${NS}/pods`);
    expect(podList?.query).toMatchObject({ labelSelector: "app=vllm-chat", limit: "50" });
    expect(fake.requests.some((r) => r.path === `/apis/serving.kserve.io/v1beta1/namespaces/${NS}/inferenceservices/chat`)).toBe(true);
    expect(fake.requests.every((r) => r.method === "GET")).toBe(true);
  });

  it("names the missing rule when a list is forbidden, and still brings the rest", async () => {
    const { fake, gather } = await start(chatWorld());
    fake.forbid("replicasets", "list");
    const out = await gather("vllm-chat-5c4b8f9d7b-x2x9z");
    expect(out.errors).toEqual([
      {
        part: "workload",
        code: 403,
        message: `the service account lacks list on replicasets.apps in namespace ${NS} (add get, list on replicasets.apps to the triage Role in that namespace, deploy/kubernetes/watched-namespaces)`,
      },
    ]);
    expect(out.workload?.name).toBe("vllm-chat");
    expect(out.workload?.revisions).toEqual([]);
    expect(out.siblings).toHaveLength(3);
    expect(out.hpa).toBeDefined();
  });

  it("points a forbidden node read at the cluster-scoped ClusterRole, and a forbidden pod list at the Role", async () => {
    const { fake, gather } = await start(chatWorld());
    fake.forbid("nodes");
    fake.forbid("pods", "list");
    fake.forbid("horizontalpodautoscalers");
    const out = await gather("vllm-chat-5c4b8f9d7b-x2x9z");
    const byPart = Object.fromEntries(out.errors.map((e) => [e.part, e.message]));
    expect(byPart.node).toBe(
      "the service account lacks get on nodes, which are cluster-scoped (add get on nodes to the ClusterRole triage-console-nodes and bind it, deploy/kubernetes/node-reader.yaml)",
    );
    expect(byPart.siblings).toContain("lacks list on pods in namespace ml-serving (add get, list on pods to the triage Role");
    expect(byPart.hpa).toContain("lacks list on horizontalpodautoscalers.autoscaling in namespace ml-serving");
    expect(out.workload?.revisions).toHaveLength(3);
  });

  it("finds the Deployment of a pod that is gone from its generated name, and brings the owner's current pods", async () => {
    const { fake, gather } = await start(chatWorld());
    fake.deletePod(NS, "vllm-chat-5c4b8f9d7b-x2x9z");
    const out = await gather("vllm-chat-5c4b8f9d7b-x2x9z");
    expect(out.errors).toEqual([]);
    expect(out.workload).toMatchObject({ kind: "Deployment", name: "vllm-chat" });
    expect(names(out.siblings).sort()).toEqual(["vllm-chat-5c4b8f9d7b-q7vnm", "vllm-chat-5c4b8f9d7b-t2mzk"]);
    expect(metaOf(newestPod(out.siblings ?? [])).name).toBe("vllm-chat-5c4b8f9d7b-t2mzk");
    expect(out.node).toBeUndefined();
  });

  it("finds the owner of a gone pod from the alert's labels when its name says nothing (a typo in a deep link)", async () => {
    const { gather } = await start(chatWorld());
    const out = await gather("vllm-chat-typo", { deployment: "vllm-chat", node: NODE_B });
    expect(out.workload?.name).toBe("vllm-chat");
    expect(out.siblings).toHaveLength(3);
    expect(metaOf(out.node).name).toBe(NODE_B);
    const none = await gather("nothing-here");
    expect(none).toEqual({ errors: [] });
  });

  it("reads a StatefulSet's ControllerRevisions newest first", async () => {
    const world = statefulSetWorld(
      now,
      "triton",
      [
        { revision: 3, hash: "6c8f9d7b4", container: { image: "nvcr.io/nvidia/tritonserver:24.08-py3" }, createdSecondsAgo: 86400 },
        { revision: 4, hash: "7f5d8c9b6", container: { image: "nvcr.io/nvidia/tritonserver:24.09-py3" }, createdSecondsAgo: 1800 },
      ],
      2,
      NODE_B,
    );
    const { fake, gather } = await start(merge(world, { pods: [], objects: [node(now, NODE_B), hpa(now, "other", "Deployment", { min: 1, max: 2, current: 1, desired: 1 })] }));
    const out = await gather("triton-1");
    expect(out.errors).toEqual([]);
    expect(out.workload).toMatchObject({ kind: "StatefulSet", name: "triton", owners: [{ kind: "StatefulSet", name: "triton" }] });
    expect(out.workload?.revisions.map(revisionNumber)).toEqual([4, 3]);
    expect(out.workload?.revisions[0]).toMatchObject({ data: { spec: { template: { $patch: "replace" } } } });
    expect(names(out.siblings)).toEqual(["triton-0", "triton-1"]);
    // The HPA in the namespace scales another workload.
    expect(out.hpa).toBeUndefined();
    expect(fake.requests.some((r) => r.path.endsWith("/controllerrevisions") && r.query.labelSelector === "app=triton")).toBe(true);
  });

  it("reads a DaemonSet's ControllerRevisions through its selector and ownerReferences", async () => {
    const sts = statefulSetWorld(
      now,
      "dcgm-exporter",
      [
        { revision: 1, hash: "5b7c9d8f6", container: { image: "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.7-3.5.0-ubuntu22.04" }, createdSecondsAgo: 86400 },
        { revision: 2, hash: "8d6f5c7b9", container: { image: "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.8-3.6.0-ubuntu22.04" }, createdSecondsAgo: 600 },
      ],
      1,
      NODE_B,
    );
    // The same objects, owned by a DaemonSet instead.
    const asDaemonSet = JSON.parse(JSON.stringify(sts).replaceAll('"StatefulSet"', '"DaemonSet"')) as World;
    // A revision of another DaemonSet that matches the selector is not this one's.
    const stray = structuredClone(asDaemonSet.objects.find((o) => o.kind === "ControllerRevision"));
    if (!stray) throw new Error("no ControllerRevision");
    Object.assign(stray, { revision: 9, metadata: { ...metaOf(stray), name: "other-1", ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "other", uid: "x", controller: true }] } });
    const { gather } = await start(merge(asDaemonSet, { pods: [], objects: [stray, node(now, NODE_B)] }));
    const out = await gather("dcgm-exporter-0");
    expect(out.errors).toEqual([]);
    expect(out.workload).toMatchObject({ kind: "DaemonSet", name: "dcgm-exporter" });
    expect(out.workload?.revisions.map(revisionNumber)).toEqual([2, 1]);
  });

  it("reads a Job and names the CronJob above it", async () => {
    const { gather } = await start(cronJobWorld(now, "nightly-eval", "nightly-eval-29001234", "nightly-eval-29001234-x7k2q"));
    const out = await gather("nightly-eval-29001234-x7k2q");
    expect(out.workload).toMatchObject({ kind: "Job", name: "nightly-eval-29001234", revisions: [] });
    expect(out.workload?.owners).toEqual([
      { kind: "Job", name: "nightly-eval-29001234" },
      { kind: "CronJob", name: "nightly-eval" },
    ]);
    expect(names(out.siblings)).toEqual(["nightly-eval-29001234-x7k2q"]);
    // The node is not in this cluster any more.
    expect(out.errors).toEqual([{ part: "node", code: 404, message: "the node gke-ml-demo-cpu-pool-8d1e4f20-q7vn no longer exists (scaled down, replaced or deleted)" }]);
  });

  it("skips a missing InferenceService or a cluster without KServe quietly, and reports a forbidden one", async () => {
    const absent = await start(chatWorld({ inferenceService: "chat" }), { kserve: false });
    const out = await absent.gather("vllm-chat-5c4b8f9d7b-x2x9z");
    expect(out.inferenceService).toBeUndefined();
    expect(out.errors).toEqual([]);
    await absent.fake.close();

    const forbidden = await start(chatWorld({ inferenceService: "chat" }));
    forbidden.fake.forbid("inferenceservices");
    const denied = await forbidden.gather("vllm-chat-5c4b8f9d7b-x2x9z");
    expect(denied.errors.map((e) => e.message)).toEqual([
      `the service account lacks get on inferenceservices.serving.kserve.io in namespace ${NS} (add get on inferenceservices.serving.kserve.io to the triage Role in that namespace, deploy/kubernetes/watched-namespaces)`,
    ]);
  });

  it("times out one hanging read and still returns the others", async () => {
    const { fake, gather } = await start(chatWorld(), { timeoutMs: 300 });
    fake.hang("nodes");
    const out = await gather("vllm-chat-5c4b8f9d7b-x2x9z");
    expect(out.errors).toEqual([expect.objectContaining({ part: "node", code: "timeout" })]);
    expect(out.errors[0]?.message).toContain("KUBE_TIMEOUT_MS");
    expect(out.workload?.revisions).toHaveLength(3);
  });

  it("puts the neighbourhood into the bundle beside the pod reads, and redaction covers it", async () => {
    const { readers } = await start(chatWorld({ inferenceService: "chat" }));
    const bundle = await gatherEvidence(readers, { namespace: NS, pod: "vllm-chat-5c4b8f9d7b-x2x9z" }, { labels: { alertname: "KubePodCrashLooping" } });
    const parsed = evidenceBundleSchema.parse(bundle);
    expect(parsed.pod).toMatchObject({ metadata: { name: "vllm-chat-5c4b8f9d7b-x2x9z" } });
    expect(parsed.workload?.revisions).toHaveLength(3);
    expect(parsed.siblings).toHaveLength(3);
    expect(parsed.node && parsed.hpa && parsed.inferenceService).toBeTruthy();

    const secret = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    expect(JSON.stringify(parsed.workload)).toContain(secret);
    const { bundle: redacted } = redactBundle(parsed);
    for (const part of [redacted.workload, redacted.siblings, redacted.pod]) {
      const text = JSON.stringify(part);
      expect(text).not.toContain(secret);
      expect(text).toContain("[REDACTED:");
    }
  });

  it("keeps demo mode working: its reader has no neighbourhood yet", async () => {
    const readers = createDemoClusterReaders();
    const bundle = await gatherEvidence(readers, { namespace: "ml-serving", pod: "nope-7d9f8b6c5d-x2x9z" }, { labels: {} });
    expect(bundle.workload).toBeUndefined();
    expect(evidenceBundleSchema.safeParse(bundle).success).toBe(true);
  });
});
