import type { Target } from "@/lib/alerts/types";
import type { AlertSnapshot, AlertSnapshotInput } from "@/lib/alerts/snapshot";
import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { ClusterReader, ClusterReaders, GatheredEvidence, GatherOptions } from "@/lib/cluster/reader";
import { gatherNeighbourhood, withNeighbourhood, type WorkloadEvidence } from "@/lib/cluster/workload";
import { metaOf, newestPod } from "@/lib/cluster/workload-view";
import { describeError, isAppError } from "@/lib/errors";
import type { VitalsResult, VitalsSource } from "@/lib/prometheus/vitals";

export interface GatherEvidenceOptions extends GatherOptions {
  /** Where the metrics part comes from; without one (or when it serves no Prometheus) the bundle has none. */
  vitals?: VitalsSource;
}

/**
 * Gather a pod's evidence from the cluster its target names and join it to the alert. Unredacted: the
 * pipeline redacts next. A cluster that cannot be reached at all still yields a bundle, with the reason
 * in `errors`, so the report can say what is missing. The metrics part is read in parallel.
 */
export async function gatherEvidence(
  readers: ClusterReaders,
  target: Target,
  alert: AlertSnapshotInput,
  options: GatherEvidenceOptions = {},
): Promise<EvidenceBundle> {
  const { vitals, ...clusterOptions } = options;
  const vitalsP: Promise<VitalsResult | undefined> = vitals
    ? Promise.resolve()
        .then(() => vitals.read(target, alert))
        .catch((e: unknown) => ({
          errors: [{ part: "metrics", code: "internal", message: `reading metrics failed: ${describeError(e)}` }],
          absent: [],
        }))
    : Promise.resolve(undefined);
  const bundle = await gatherCluster(readers, target, alert, clusterOptions);
  const v = await vitalsP;
  if (!v) return bundle;
  return { ...bundle, errors: [...bundle.errors, ...v.errors], ...(v.metrics ? { metrics: v.metrics } : {}) };
}

async function gatherCluster(
  readers: ClusterReaders,
  target: Target,
  alert: AlertSnapshotInput,
  options: GatherOptions,
): Promise<EvidenceBundle> {
  const bundleAlert: AlertSnapshot = { ...alert, labels: { ...alert.labels }, annotations: { ...(alert.annotations ?? {}) } };
  try {
    const reader = readers.forCluster(target.cluster);
    const workloadP = gatherNeighbourhood(reader, target, alert, options);
    const gathered = await reader.gather(target, options);
    const neighbourhood = await workloadP;
    const replacement = await gatherReplacement(reader, target, alert, options, gathered, neighbourhood);
    return { alert: bundleAlert, ...(replacement ?? withNeighbourhood(gathered, neighbourhood)) };
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

/**
 * The alert's pod is gone (404) but its owner is known and has pods: gather the newest of them (its
 * evidence and its own neighbourhood) so the analysis has a live pod to read. The bundle then names the
 * gone pod in `gonePod`, and keeps the owner's events the gone pod's read found. Undefined when the pod
 * exists, no owner pod is left, or the replacement cannot be read either.
 */
async function gatherReplacement(
  reader: ClusterReader,
  target: Target,
  alert: AlertSnapshotInput,
  options: GatherOptions,
  gathered: GatheredEvidence,
  neighbourhood: WorkloadEvidence | undefined,
): Promise<GatheredEvidence | undefined> {
  if (gathered.pod !== null || !neighbourhood?.siblings?.length) return undefined;
  const name = metaOf(newestPod(neighbourhood.siblings)).name;
  if (!name || name === target.pod) return undefined;
  const next: Target = { ...target, pod: name };
  const [evidence, around] = await Promise.all([reader.gather(next, options), gatherNeighbourhood(reader, next, alert, options)]);
  if (!evidence.pod) return undefined;
  const seen = new Set(evidence.events.map((e) => metaOf(e).uid).filter(Boolean));
  const ownerEvents = gathered.events.filter((e) => !seen.has(metaOf(e).uid));
  const merged = withNeighbourhood({ ...evidence, events: [...evidence.events, ...ownerEvents] }, around?.workload ? around : neighbourhood);
  return { ...merged, gonePod: { namespace: target.namespace, pod: target.pod } };
}

/**
 * Why a bundle holds no evidence at all (no pod, no logs, no events: the cluster could not be read,
 * e.g. no kubeconfig, unreachable, 401), or undefined when it holds some. A pod that is gone (null) is
 * an answer, not a failure.
 */
export function missingEvidence(bundle: EvidenceBundle): string | undefined {
  const some = bundle.pod !== undefined || bundle.logs !== undefined || bundle.previousLogs !== undefined || bundle.events.length > 0;
  if (some) return undefined;
  const first = bundle.errors.find((e) => e.part === "pod") ?? bundle.errors[0];
  return first ? first.message : "it holds no pod, logs or events";
}
