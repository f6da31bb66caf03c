import { z } from "zod";
import { alertSnapshotSchema, targetSchema } from "@/lib/alerts/types";
import { bundleMetricsSchema } from "@/lib/prometheus/schema";

/**
 * The evidence bundle: everything gathered about one failing pod, in one serializable JSON shape.
 * `pod` and `events` are kept exactly as the Kubernetes API returns them (wire JSON, string times).
 * Every later step (signals, reduce, prompt, report, issue) and the CLI's --input read this shape.
 */

export const evidencePartSchema = z.enum(["pod", "logs", "previousLogs", "events", "ownerEvents", "workload", "siblings", "node", "hpa", "metrics"]);
export type EvidencePart = z.infer<typeof evidencePartSchema>;
/** The parts read from the Kubernetes API (metrics come from Prometheus). */
export type ClusterPart = Exclude<EvidencePart, "metrics">;

export const evidenceErrorSchema = z.object({
  part: evidencePartSchema,
  /** HTTP status or a short code (timeout, unreachable, not_configured). */
  code: z.union([z.number(), z.string()]).optional(),
  /** A sentence a person can act on. */
  message: z.string(),
});
export type EvidenceError = z.infer<typeof evidenceErrorSchema>;

const looseObject = z.record(z.string(), z.unknown());

/** At most this many revisions (newest first) and sibling pods are gathered and accepted. */
export const MAX_REVISIONS = 5;
export const MAX_SIBLINGS = 50;

/** The controllers whose objects the gatherer reads (lib/cluster/workload.ts). */
export const workloadKindSchema = z.enum(["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"]);
export type WorkloadKind = z.infer<typeof workloadKindSchema>;

/**
 * The workload that owns the pod. `object` is the apps/v1 (or batch/v1) object as the API returns it (status
 * conditions included); `revisions` are its ReplicaSets (Deployment) or ControllerRevisions (StatefulSet,
 * DaemonSet), newest first, as returned. `owners` is the chain from the pod upward, e.g. ReplicaSet then
 * Deployment, or Job then CronJob (a CronJob is named from the Job's ownerReferences, not read).
 */
export const bundleWorkloadSchema = z.object({
  kind: workloadKindSchema,
  name: z.string().max(253),
  object: looseObject,
  revisions: z.array(looseObject).max(MAX_REVISIONS).default([]),
  owners: z.array(z.object({ kind: z.string().max(100), name: z.string().max(253) })).max(8).default([]),
});
export type BundleWorkload = z.infer<typeof bundleWorkloadSchema>;

export const evidenceBundleSchema = z.object({
  alert: alertSnapshotSchema,
  target: targetSchema.partial().optional(),
  /** v1 Pod as the API returns it; null when the pod is gone. */
  pod: looseObject.nullable().optional(),
  /** core/v1 Events as the API returns them (pod's, then owner's). */
  events: z.array(looseObject).default([]),
  logs: z.string().optional(),
  previousLogs: z.string().optional(),
  /** The container whose logs were read. */
  container: z.string().optional(),
  /** Tail size requested for the logs (so readers can say "last N lines"). */
  tailLines: z.number().int().optional(),
  errors: z.array(evidenceErrorSchema).default([]),
  /** Prometheus series of the pod (lib/prometheus); absent when no Prometheus serves the alert. */
  metrics: bundleMetricsSchema.optional(),
  /** The pod's owning workload and its newest revisions; absent for a bare pod or when nothing was readable. */
  workload: bundleWorkloadSchema.optional(),
  /** v1 Pods of the same owner (the target included, when it exists), as returned; for a gone pod, the owner's current pods. */
  siblings: z.array(looseObject).max(MAX_SIBLINGS).optional(),
  /** The v1 Node the pod runs or ran on, as returned (without managedFields and status.images). */
  node: looseObject.optional(),
  /** The autoscaling/v2 HorizontalPodAutoscaler whose scaleTargetRef is the workload, as returned. */
  hpa: looseObject.optional(),
  /** The KServe InferenceService (serving.kserve.io/v1beta1) the pod's label names, as returned. */
  inferenceService: looseObject.optional(),
  /**
   * The alert's pod when it no longer existed (404) and its owner's newest pod was analyzed instead: then
   * `target`, `pod`, `logs` and `events` are that pod's, and this names the one the alert was about.
   */
  gonePod: z.object({ namespace: z.string().max(253), pod: z.string().max(253) }).optional(),
  gatheredAt: z.string().optional(),
  /** True once secrets were replaced; the pipeline redacts before anything leaves the process. */
  redacted: z.boolean().optional(),
});
export type EvidenceBundle = z.infer<typeof evidenceBundleSchema>;
