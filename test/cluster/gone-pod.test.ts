import { afterEach, describe, expect, it } from "vitest";
import { runAnalysis } from "@/lib/analysis/pipeline";
import { filingRefusal } from "@/lib/analysis/filing";
import { evidenceBundleSchema } from "@/lib/cluster/bundle";
import { gatherEvidence } from "@/lib/cluster/gather";
import { createKubeClusterReaders } from "@/lib/cluster/kube";
import { metaOf } from "@/lib/cluster/workload-view";
import { startFakeKube, type FakeKube } from "@/test/fakes/kube-server";
import { deploymentWorld, node, NS, type World } from "@/test/fixtures/workloads";

/**
 * An alert for a pod that no longer exists (issue 16, item 5), through the real client against the
 * loopback fake: the verdict says so, names the owner's current pods, and analyzes the newest one.
 */

const now = new Date();
const NODE = "gke-ml-demo-l4-pool-3f2a1b7c-9xkq";
const GONE = "asr-84c7b9d5f6-m9zpl";

function world(): World {
  return deploymentWorld(now, {
    name: "asr",
    revisions: [{ revision: 3, hash: "84c7b9d5f6", container: { image: "registry.acme.io/ml/asr:3.0.1" }, createdSecondsAgo: 86400 }],
    pods: [
      { name: GONE, node: NODE, createdSecondsAgo: 5000 },
      { name: "asr-84c7b9d5f6-k2hvd", node: NODE, ready: false, restarts: 3, createdSecondsAgo: 300 },
      { name: "asr-84c7b9d5f6-a1b2c", node: NODE, createdSecondsAgo: 4000 },
    ],
    nodes: [node(now, NODE)],
  });
}

let fake: FakeKube | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function readersFor(w: World) {
  fake = await startFakeKube({ state: { pods: w.pods, events: [] }, objects: w.objects });
  return { fake, readers: createKubeClusterReaders({ kubeconfig: fake.writeKubeconfig(), clusterContexts: {}, timeoutMs: 5000, tailLines: 1000, limitBytes: 2 * 1024 * 1024 }) };
}

const alert = (pod: string, labels: Record<string, string> = {}) => ({ labels: { alertname: "ModelPodFrequentRestarts", severity: "warning", namespace: NS, pod, ...labels }, annotations: {}, startsAt: new Date(now.getTime() - 120_000).toISOString() });

describe("a pod that is gone", () => {
  it("gathers the owner's newest pod instead, and the bundle names both", async () => {
    const { fake, readers } = await readersFor(world());
    fake.deletePod(NS, GONE);
    const bundle = evidenceBundleSchema.parse(await gatherEvidence(readers, { namespace: NS, pod: GONE }, alert(GONE)));
    expect(bundle.gonePod).toEqual({ namespace: NS, pod: GONE });
    expect(bundle.target?.pod).toBe("asr-84c7b9d5f6-k2hvd");
    expect(metaOf(bundle.pod).name).toBe("asr-84c7b9d5f6-k2hvd");
    expect(bundle.workload).toMatchObject({ kind: "Deployment", name: "asr" });
    expect((bundle.siblings ?? []).map((p) => metaOf(p).name).sort()).toEqual(["asr-84c7b9d5f6-a1b2c", "asr-84c7b9d5f6-k2hvd"]);
    expect(metaOf(bundle.node).name).toBe(NODE);
    expect(bundle.errors.filter((e) => e.part === "pod")).toEqual([]);
  });

  it("the report's verdict says the pod is gone, names the current pods and the one analyzed", async () => {
    const { fake, readers } = await readersFor(world());
    fake.deletePod(NS, GONE);
    const progress: string[] = [];
    const r = await runAnalysis({ target: { namespace: NS, pod: GONE }, alert: alert(GONE) }, { readers, budgetTokens: 20_000 }, { offline: true, onProgress: (e) => e.step === "pod" && progress.push(`${e.status}: ${e.detail ?? ""}`) });
    expect(r.report.summary).toMatch(new RegExp(`^Pod ${NS}/${GONE} no longer exists: it was deleted or replaced by its deployment, or the alert names a pod that never existed\\. Its owner deployment/asr has 2 pods now: `));
    expect(r.report.summary).toContain("asr-84c7b9d5f6-k2hvd (Running, not ready, 3 restarts)");
    expect(r.report.summary).toContain("asr-84c7b9d5f6-a1b2c (Running, ready)");
    expect(r.report.summary).toContain(`The evidence below is from ${NS}/asr-84c7b9d5f6-k2hvd, the newest of them.`);
    expect(r.report.analyzedPod).toEqual({ namespace: NS, pod: "asr-84c7b9d5f6-k2hvd", alertPod: GONE });
    expect(r.report.hypotheses[0]?.category).toBe("oom_killed");
    expect(r.report.fileable).toBeUndefined();
    expect(progress).toContain(`done: ${GONE} no longer exists; analyzing asr-84c7b9d5f6-k2hvd`);
    expect(r.markdown).toContain(`no longer exists`);
  });

  it("a gone pod with no owner to follow is the verdict, and never an issue about 'no known failure signature'", async () => {
    const { readers } = await readersFor(world());
    const r = await runAnalysis({ target: { namespace: NS, pod: "asr-typo" }, alert: alert("asr-typo") }, { readers, budgetTokens: 20_000 }, { offline: true });
    expect(r.bundle.pod).toBeNull();
    expect(r.bundle.gonePod).toBeUndefined();
    expect(r.report.summary).toMatch(/^Pod ml-serving\/asr-typo no longer exists: .*Its owner could not be determined/);
    expect(r.report.summary).not.toMatch(/no known failure/i);
    expect(r.report.hypotheses).toEqual([]);
    expect(r.report.fileable).toBe(false);
    expect(filingRefusal(r.report)).toMatch(/^The pod ml-serving\/asr-typo was not found when the evidence was gathered/);
  });

  it("with the owner named in the alert's labels, the typo still reaches the live pods", async () => {
    const { readers } = await readersFor(world());
    const r = await runAnalysis({ target: { namespace: NS, pod: "asr-typo" }, alert: alert("asr-typo", { deployment: "asr" }) }, { readers, budgetTokens: 20_000 }, { offline: true });
    expect(r.bundle.gonePod).toEqual({ namespace: NS, pod: "asr-typo" });
    expect(r.report.analyzedPod?.pod).toMatch(/^asr-84c7b9d5f6-/);
  });
});
