import { z } from "zod";
import { targetSchema } from "@/lib/alerts/types";
import { alertSnapshotSchema } from "@/lib/alerts/snapshot";
import { bundleMetricsSchema } from "@/lib/prometheus/schema";

/**
 * The evidence bundle: everything gathered about one failing pod, in one serializable JSON shape.
 * `pod` and `events` are kept exactly as the Kubernetes API returns them (wire JSON, string times).
 * Every later step (signals, reduce, prompt, report, issue) and the CLI's --input read this shape.
 */

export const evidencePartSchema = z.enum(["pod", "logs", "previousLogs", "events", "ownerEvents", "metrics"]);
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
  gatheredAt: z.string().optional(),
  /** True once secrets were replaced; the pipeline redacts before anything leaves the process. */
  redacted: z.boolean().optional(),
});
export type EvidenceBundle = z.infer<typeof evidenceBundleSchema>;
