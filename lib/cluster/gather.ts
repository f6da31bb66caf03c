import type { Target } from "@/lib/alerts/types";
import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { ClusterReaders, GatherOptions } from "@/lib/cluster/reader";
import { describeError, isAppError } from "@/lib/errors";
import type { VitalsResult, VitalsSource } from "@/lib/prometheus/vitals";

export interface BundleAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  fingerprint?: string;
  startsAt?: string;
  generatorURL?: string;
}

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
  alert: BundleAlert,
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
  alert: BundleAlert,
  options: GatherOptions,
): Promise<EvidenceBundle> {
  const bundleAlert = {
    labels: { ...alert.labels },
    annotations: { ...(alert.annotations ?? {}) },
    ...(alert.fingerprint ? { fingerprint: alert.fingerprint } : {}),
    ...(alert.startsAt ? { startsAt: alert.startsAt } : {}),
    ...(alert.generatorURL ? { generatorURL: alert.generatorURL } : {}),
  };
  try {
    const gathered = await readers.forCluster(target.cluster).gather(target, options);
    return { alert: bundleAlert, ...gathered };
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
