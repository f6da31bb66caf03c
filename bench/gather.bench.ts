import { targetFromLabels } from "@/lib/alerts/types";
import { gatherEvidence } from "@/lib/cluster/gather";
import { createKubeClusterReaders } from "@/lib/cluster/kube";
import { buildDemoCluster } from "@/lib/demo/evidence";
import { demoIncidents } from "@/lib/demo/incidents";
import { surroundPod } from "../test/fixtures/workloads";
import { startFakeKube } from "../test/fakes/kube-server";

export const name = "gather";

const RUNS = 60;
const WARMUP = 5;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/**
 * The whole bundle of a restarting pod from the loopback fake through the real client: pod, logs, previous
 * logs and events, and beside them its neighbourhood (ReplicaSet → Deployment, two revisions, sibling pods,
 * node, HPA).
 */
export async function run(): Promise<void> {
  const incident = demoIncidents.find((i) => i.scenario === "oom-killed");
  const target = incident && targetFromLabels(incident.labels);
  if (!incident || !target) throw new Error("demo incident oom-killed is missing");
  const state = buildDemoCluster();
  const pod = state.pods.find((p) => p.name === target.pod);
  if (!pod) throw new Error(`demo pod ${target.pod} is missing`);
  const world = surroundPod(new Date(), pod.pod);
  const fake = await startFakeKube({ state: { pods: [...state.pods, ...world.pods], events: state.events }, objects: world.objects });
  try {
    const readers = createKubeClusterReaders({
      kubeconfig: fake.writeKubeconfig(),
      clusterContexts: { demo: "fake" },
      timeoutMs: 10_000,
      tailLines: 1000,
      limitBytes: 2 * 1024 * 1024,
    });
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const t0 = performance.now();
      const out = await gatherEvidence(readers, target, { labels: incident.labels });
      const ms = performance.now() - t0;
      if (out.errors.length || out.previousLogs === undefined || out.workload?.revisions.length !== 2 || !out.node || !out.hpa || out.siblings?.length !== 4) {
        throw new Error(`incomplete gather: ${JSON.stringify(out.errors)}`);
      }
      if (i >= WARMUP) times.push(ms);
      bytes = JSON.stringify(out).length;
    }
    times.sort((a, b) => a - b);
    console.log(`gather x${RUNS} (pod + logs + previous logs + events + owner, 2 revisions, 4 pods, node, HPA: ${(bytes / 1024).toFixed(0)} KiB bundle per run)`);
    console.log(`p50 ${percentile(times, 50).toFixed(1)} ms  p95 ${percentile(times, 95).toFixed(1)} ms  max ${(times.at(-1) ?? NaN).toFixed(1)} ms  (target p50 < 100 ms)`);
  } finally {
    await fake.close();
  }
}
