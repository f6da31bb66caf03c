import type { Target } from "@/lib/alerts/types";
import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { WorkloadEvidence } from "@/lib/cluster/workload";

/** What a ClusterReader returns: the evidence bundle without its alert. */
export type GatheredEvidence = Omit<EvidenceBundle, "alert">;

export interface GatherOptions {
  /** Lines of log tail to read (default 1000). */
  tailLines?: number;
  /** Byte cap per log read (default 2 MiB). */
  limitBytes?: number;
  /** Per-request timeout in milliseconds (default 10 s). */
  timeoutMs?: number;
  /** Container to read when the target names none (e.g. the alert's container label). */
  container?: string;
}

export const DEFAULT_TAIL_LINES = 1000;
export const DEFAULT_LIMIT_BYTES = 2 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Reads the evidence of one pod from one cluster. Never throws for a failing part: it records it in `errors`. */
export interface ClusterReader {
  gather(target: Target, options?: GatherOptions): Promise<GatheredEvidence>;
  /**
   * The pod's neighbourhood (lib/cluster/workload.ts): owner, revisions, sibling pods, node, HPA, KServe
   * InferenceService. Optional: a reader without it gathers no workload. Never throws.
   */
  gatherWorkload?(target: Target, alert: { labels?: Record<string, string> }, options?: GatherOptions): Promise<WorkloadEvidence>;
}

/** One ClusterReader per cluster name (an alert's `cluster` label); undefined means the default cluster. */
export interface ClusterReaders {
  /** @throws AppError("not_configured") when no kubeconfig context serves this cluster. */
  forCluster(cluster?: string): ClusterReader;
}
