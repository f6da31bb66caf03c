import { z } from "zod";

/** Label and annotation maps: untrusted, size-bounded. */
export const labelMapSchema = z.record(z.string().max(256), z.string().max(16_384));

/** The console's one normalized alert, whatever Alertmanager (or the demo) it came from. */
export const alertSchema = z.object({
  fingerprint: z.string().min(1).max(128),
  labels: labelMapSchema,
  annotations: labelMapSchema,
  state: z.enum(["active", "suppressed", "unprocessed"]),
  startsAt: z.string(),
  updatedAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  silencedBy: z.array(z.string()).default([]),
  inhibitedBy: z.array(z.string()).default([]),
  receivers: z.array(z.string()).default([]),
  /** Name of the Alertmanager this alert was first read from. */
  source: z.string(),
  /** Every Alertmanager that reported it (an HA pair gives two). */
  sources: z.array(z.string()).default([]),
});
export type Alert = z.infer<typeof alertSchema>;

export interface SourceError {
  source: string;
  message: string;
  hint?: string;
}

export interface AlertListResult {
  alerts: Alert[];
  errors: SourceError[];
}

/** Anything that lists alerts: a real Alertmanager, several merged, or the demo. */
export interface AlertSource {
  readonly name: string;
  listAlerts(options?: { filter?: string[]; signal?: AbortSignal }): Promise<AlertListResult>;
  /** Forget cached answers, so the next read sees a change the console just made (a silence). */
  invalidate?(): void;
}

/** What an analysis is about. */
export const targetSchema = z.object({
  cluster: z.string().max(253).optional(),
  namespace: z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "namespace must be a DNS label"),
  pod: z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "pod must be a DNS subdomain name"),
  container: z.string().max(253).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "container must be a DNS label").optional(),
});
export type Target = z.infer<typeof targetSchema>;

/** The target an alert points at, or undefined when it lacks namespace and pod labels. */
export function targetFromLabels(labels: Record<string, string>): Target | undefined {
  const r = targetSchema.safeParse({
    cluster: labels.cluster || undefined,
    namespace: labels.namespace,
    pod: labels.pod,
    container: labels.container || undefined,
  });
  return r.success ? r.data : undefined;
}

/** The alert snapshot's shape (lib/alerts/snapshot.ts builds snapshots and their fingerprints). */
export const alertSnapshotSchema = z.object({
  labels: labelMapSchema,
  annotations: labelMapSchema.default({}),
  /** Alertmanager's fingerprint, or targetFingerprint() for a pod analyzed without an alert. */
  fingerprint: z.string().max(256).optional(),
  startsAt: z.string().optional(),
  generatorURL: z.string().optional(),
});
export type AlertSnapshot = z.infer<typeof alertSnapshotSchema>;
/** A snapshot as callers may write it (annotations optional). */
export type AlertSnapshotInput = z.input<typeof alertSnapshotSchema>;
