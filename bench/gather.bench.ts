import { targetFromLabels } from "@/lib/alerts/types";
import { createKubeClusterReaders } from "@/lib/cluster/kube";
import { demoIncidents } from "@/lib/demo/incidents";
import { startFakeKube } from "../test/fakes/kube-server";

export const name = "gather";

const RUNS = 60;
const WARMUP = 5;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Gather pod, logs, previous logs and events of a restarting pod from the loopback fake through the real client. */
export async function run(): Promise<void> {
  const fake = await startFakeKube();
  try {
    const incident = demoIncidents.find((i) => i.scenario === "oom-killed");
    const target = incident && targetFromLabels(incident.labels);
    if (!target) throw new Error("demo incident oom-killed is missing");
    const readers = createKubeClusterReaders({
      kubeconfig: fake.writeKubeconfig(),
      clusterContexts: { demo: "fake" },
      timeoutMs: 10_000,
      tailLines: 1000,
      limitBytes: 2 * 1024 * 1024,
    });
    const reader = readers.forCluster(target.cluster);
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const t0 = performance.now();
      const out = await reader.gather(target);
      const ms = performance.now() - t0;
      if (out.errors.length || out.previousLogs === undefined) throw new Error(`incomplete gather: ${JSON.stringify(out.errors)}`);
      if (i >= WARMUP) times.push(ms);
      bytes = (out.logs?.length ?? 0) + (out.previousLogs?.length ?? 0);
    }
    times.sort((a, b) => a - b);
    console.log(`gather x${RUNS} (pod + logs + previous logs + events, ${(bytes / 1024).toFixed(0)} KiB of logs per run)`);
    console.log(`p50 ${percentile(times, 50).toFixed(1)} ms  p95 ${percentile(times, 95).toFixed(1)} ms  max ${(times.at(-1) ?? NaN).toFixed(1)} ms  (target p50 < 100 ms)`);
  } finally {
    await fake.close();
  }
}
