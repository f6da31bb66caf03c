import type { Target } from "@/lib/alerts/types";
import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { ClusterReaders, GatherOptions } from "@/lib/cluster/reader";
import { gatherNeighbourhood, withNeighbourhood } from "@/lib/cluster/workload";
import { describeError, isAppError } from "@/lib/errors";

export interface BundleAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  fingerprint?: string;
  startsAt?: string;
  generatorURL?: string;
}

/**
 * Gather a pod's evidence from the cluster its target names and join it to the alert. Unredacted: the
 * pipeline redacts next. A cluster that cannot be reached at all still yields a bundle, with the reason
 * in `errors`, so the report can say what is missing.
 */
export async function gatherEvidence(
  readers: ClusterReaders,
  target: Target,
  alert: BundleAlert,
  options: GatherOptions = {},
): Promise<EvidenceBundle> {
  const bundleAlert = {
    labels: { ...alert.labels },
    annotations: { ...(alert.annotations ?? {}) },
    ...(alert.fingerprint ? { fingerprint: alert.fingerprint } : {}),
    ...(alert.startsAt ? { startsAt: alert.startsAt } : {}),
    ...(alert.generatorURL ? { generatorURL: alert.generatorURL } : {}),
  };
  try {
    const reader = readers.forCluster(target.cluster);
    const workloadP = gatherNeighbourhood(reader, target, alert, options);
    const gathered = await reader.gather(target, options);
    return { alert: bundleAlert, ...withNeighbourhood(gathered, await workloadP) };
  } catch (e) {
    const message = isAppError(e) ? describeError(e) : `the cluster reader failed: ${describeError(e)}`;
    return {
      alert: bundleAlert,
      target,
      events: [],
      errors: [{ part: "pod", code: isAppError(e) ? e.code : "internal", message }],
      gatheredAt: new Date().toISOString(),
    };
  }
}
