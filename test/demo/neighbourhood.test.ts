import { describe, expect, it } from "vitest";
import { targetFromLabels } from "@/lib/alerts/types";
import { evidenceBundleSchema, type EvidenceBundle } from "@/lib/cluster/bundle";
import { gatherEvidence } from "@/lib/cluster/gather";
import { replicaHealth, viewNode } from "@/lib/cluster/neighbourhood-view";
import { ClusterApiError } from "@/lib/cluster/pod-reader";
import { diffWorkload } from "@/lib/cluster/revision-diff";
import { controllerOf, metaOf, REVISION_ANNOTATION, sortRevisions } from "@/lib/cluster/workload-view";
import { createDemoClusterReaders, createDemoWorkloadApi, matchesLabelSelector } from "@/lib/demo/cluster";
import { buildDemoCluster } from "@/lib/demo/evidence";
import { demoIncidents, type DemoScenario } from "@/lib/demo/incidents";

/** Issue 16, item 9: every demo incident has a revision history and a neighbourhood, served through the WorkloadApi. */

const readers = createDemoClusterReaders();

async function gathered(scenario: DemoScenario): Promise<EvidenceBundle> {
  const incident = demoIncidents.find((i) => i.scenario === scenario);
  const target = incident && targetFromLabels(incident.labels);
  if (!incident || !target) throw new Error(`no demo incident ${scenario}`);
  const startsAt = new Date(Date.now() - incident.startedMinutesAgo * 60_000).toISOString();
  return evidenceBundleSchema.parse(await gatherEvidence(readers, target, { labels: incident.labels, annotations: incident.annotations, fingerprint: incident.fingerprint, startsAt }));
}

describe("demo neighbourhoods", () => {
  it.each(demoIncidents.map((i) => [i.scenario] as const))("%s: a Deployment with ReplicaSet revisions in the apps/v1 wire format", async (scenario) => {
    const b = await gathered(scenario);
    const w = b.workload;
    expect(w?.kind).toBe("Deployment");
    expect(w?.owners.map((o) => o.kind)).toEqual(["ReplicaSet", "Deployment"]);
    expect(w?.revisions.length).toBeGreaterThanOrEqual(2);
    const deploymentUid = metaOf(w?.object).uid;
    for (const rs of w?.revisions ?? []) {
      // List items come without kind and apiVersion, as the API server sends them.
      expect(rs.kind).toBeUndefined();
      expect(metaOf(rs).annotations[REVISION_ANNOTATION]).toMatch(/^\d+$/);
      expect(controllerOf(rs)).toMatchObject({ kind: "Deployment", name: w?.name, uid: deploymentUid, controller: true });
    }
    const [newest] = sortRevisions(w?.revisions ?? []);
    expect(controllerOf(b.pod)).toMatchObject({ kind: "ReplicaSet", name: metaOf(newest).name, uid: metaOf(newest).uid });
    expect(metaOf(w?.object).annotations[REVISION_ANNOTATION]).toBe(metaOf(newest).annotations[REVISION_ANNOTATION]);
    expect(b.siblings?.map((p) => metaOf(p).name)).toContain(b.target?.pod);
    expect(b.errors.filter((e) => ["workload", "siblings", "node", "hpa"].includes(e.part))).toEqual([]);
  });

  it("oom-killed was caused by a rollout: --max-model-len 8192 → 32768, 6 minutes before the alert", async () => {
    const b = await gathered("oom-killed");
    const diff = diffWorkload(b.workload, b.alert.startsAt);
    expect(diff?.minutesBeforeAlert).toBe(6);
    expect(diff?.changes).toEqual([expect.objectContaining({ container: "vllm", field: "--max-model-len", before: "8192", after: "32768" })]);
    expect(diff?.summary[0]).toBe("revision 7, 6 min before the alert: --max-model-len 8192 → 32768");
    expect(diff?.current.changeCause).toMatch(/32k/);
    expect(replicaHealth(b.siblings ?? [], b.target?.pod).line).toBe("2 of 2 replicas unhealthy");
  });

  it("cpu-throttling has a rollout days before that only renamed an unrelated env var, and an HPA at its maximum", async () => {
    const b = await gathered("cpu-throttling");
    const diff = diffWorkload(b.workload, b.alert.startsAt);
    expect(diff?.minutesBeforeAlert).toBeGreaterThan(24 * 60);
    expect(diff?.changes.map((c) => [c.category, c.field])).toEqual([["env", "env OTEL_SERVICE_NAME"]]);
    expect(b.hpa).toMatchObject({ spec: { maxReplicas: 3, scaleTargetRef: { kind: "Deployment", name: "reranker-api" } }, status: { currentReplicas: 3, desiredReplicas: 3 } });
  });

  it("liveness-slow-load fails on one replica of four; the others are healthy", async () => {
    const b = await gathered("liveness-slow-load");
    const health = replicaHealth(b.siblings ?? [], b.target?.pod);
    expect(health.line).toBe("1 of 4 replicas unhealthy");
    expect(health.rows.filter((r) => r.unhealthy).map((r) => r.name)).toEqual([b.target?.pod]);
  });

  it("kv-cache-memory runs on a node under memory pressure, tainted by the kubelet", async () => {
    const b = await gathered("kv-cache-memory");
    const node = viewNode(b.node);
    expect(node?.conditions.find((c) => c.type === "MemoryPressure")).toMatchObject({ status: "True", reason: "KubeletHasInsufficientMemory", troubled: true });
    expect(node?.taints).toContainEqual({ key: "node.kubernetes.io/memory-pressure", effect: "NoSchedule" });
    // The other incidents' nodes are fine, so the pressure points at this one.
    const other = viewNode((await gathered("oom-killed")).node);
    expect(other?.conditions.filter((c) => c.troubled)).toEqual([]);
  });

  it("answers like the API server: 404 Status messages for what is not there, and no KServe CRD", async () => {
    const api = createDemoWorkloadApi(() => buildDemoCluster());
    const signal = new AbortController().signal;
    await expect(api.readWorkload("Deployment", "ml-serving", "nope", signal)).rejects.toEqual(new ClusterApiError(404, 'deployments.apps "nope" not found', "NotFound"));
    await expect(api.readNode("gone", signal)).rejects.toMatchObject({ status: 404, message: 'nodes "gone" not found' });
    await expect(api.readInferenceService("ml-serving", "x", signal)).rejects.toMatchObject({ status: 404 });
    expect(await api.listPods("ml-serving", "app=whisper-asr-large-v3", 2, signal)).toHaveLength(2);
  });

  it("matches label selectors as the API server does", () => {
    const obj = { metadata: { labels: { app: "web", tier: "gpu" } } };
    expect(matchesLabelSelector(obj, "app=web,tier in (gpu,cpu)")).toBe(true);
    expect(matchesLabelSelector(obj, "app==web,!canary")).toBe(true);
    expect(matchesLabelSelector(obj, "app!=web")).toBe(false);
    expect(matchesLabelSelector(obj, "tier notin (gpu)")).toBe(false);
    expect(matchesLabelSelector(obj, "tier")).toBe(true);
    expect(matchesLabelSelector(obj, "")).toBe(true);
  });
});
