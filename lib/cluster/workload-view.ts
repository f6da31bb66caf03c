import { z } from "zod";

/**
 * Browser-safe readers of the raw workload objects the bundle keeps (apps/v1 ReplicaSets, Deployments,
 * StatefulSets, DaemonSets, ControllerRevisions, batch/v1 Jobs, autoscaling/v2 HPAs, v1 Pods). Each reads
 * the few fields it needs with a lenient schema: unknown fields are ignored, a malformed object reads as empty.
 */

/** The annotation a Deployment controller writes on each of its ReplicaSets. */
export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";
/** The annotation `kubectl rollout history` prints as CHANGE-CAUSE. */
export const CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause";
/** The label KServe puts on an InferenceService's pods. */
export const INFERENCE_SERVICE_LABEL = "serving.kserve.io/inferenceservice";

const stringMap = z.record(z.string(), z.string());

const ownerRefSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string(),
  name: z.string(),
  uid: z.string().optional(),
  controller: z.boolean().optional(),
});
export type OwnerReference = z.infer<typeof ownerRefSchema>;

const metaSchema = z.object({
  metadata: z
    .object({
      name: z.string().optional(),
      namespace: z.string().optional(),
      uid: z.string().optional(),
      creationTimestamp: z.string().optional(),
      labels: stringMap.optional(),
      annotations: stringMap.optional(),
      ownerReferences: z.array(ownerRefSchema).optional(),
    })
    .optional(),
});

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences: OwnerReference[];
}

/** The metadata of any wire object (empty names and maps when absent). */
export function metaOf(obj: unknown): ObjectMeta {
  const m = metaSchema.safeParse(obj).data?.metadata;
  return {
    name: m?.name ?? "",
    namespace: m?.namespace,
    uid: m?.uid,
    creationTimestamp: m?.creationTimestamp,
    labels: m?.labels ?? {},
    annotations: m?.annotations ?? {},
    ownerReferences: m?.ownerReferences ?? [],
  };
}

/** The managing controller of an object: the ownerReference with controller: true, else the first. */
export function controllerOf(obj: unknown): OwnerReference | undefined {
  const refs = metaOf(obj).ownerReferences;
  return refs.find((r) => r.controller) ?? refs[0];
}

const selectorSchema = z.object({
  matchLabels: stringMap.optional(),
  matchExpressions: z
    .array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }))
    .optional(),
});
export type LabelSelector = z.infer<typeof selectorSchema>;

/** `spec.selector` of a Deployment, ReplicaSet, StatefulSet, DaemonSet or Job. */
export function selectorOf(obj: unknown): LabelSelector | undefined {
  return z.object({ spec: z.object({ selector: selectorSchema }) }).safeParse(obj).data?.spec.selector;
}

/**
 * A LabelSelector as the `labelSelector` query parameter (`app=web,tier in (a,b),!canary`), or undefined
 * when it selects nothing or everything (an empty selector, an unknown operator): a list by it would be wrong.
 */
export function selectorString(selector: LabelSelector | undefined): string | undefined {
  if (!selector) return undefined;
  const terms = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = (e.values ?? []).join(",");
    if (e.operator === "In") terms.push(`${e.key} in (${values})`);
    else if (e.operator === "NotIn") terms.push(`${e.key} notin (${values})`);
    else if (e.operator === "Exists") terms.push(e.key);
    else if (e.operator === "DoesNotExist") terms.push(`!${e.key}`);
    else return undefined;
  }
  return terms.length > 0 ? terms.join(",") : undefined;
}

/** A ReplicaSet's `deployment.kubernetes.io/revision` or a ControllerRevision's `revision`; undefined if neither. */
export function revisionNumber(rev: unknown): number | undefined {
  const cr = z.object({ revision: z.number() }).safeParse(rev);
  if (cr.success) return cr.data.revision;
  const n = Number(metaOf(rev).annotations[REVISION_ANNOTATION]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The `kubernetes.io/change-cause` annotation of a revision, if any. */
export function changeCause(rev: unknown): string | undefined {
  return metaOf(rev).annotations[CHANGE_CAUSE_ANNOTATION] || undefined;
}

/** Revisions newest first (highest revision number; creation time breaks ties). */
export function sortRevisions<T>(revisions: T[]): T[] {
  const time = (r: T) => Date.parse(metaOf(r).creationTimestamp ?? "") || 0;
  return [...revisions].sort((a, b) => (revisionNumber(b) ?? 0) - (revisionNumber(a) ?? 0) || time(b) - time(a));
}

const templateSchema = z.object({ metadata: z.record(z.string(), z.unknown()).optional(), spec: z.record(z.string(), z.unknown()).optional() });
export type PodTemplate = z.infer<typeof templateSchema>;

/**
 * The pod template a revision applies: a ReplicaSet's `spec.template`, or a ControllerRevision's
 * `data.spec.template` (the strategic-merge patch the StatefulSet and DaemonSet controllers store, whose
 * `$patch: replace` marks it as the whole template).
 */
export function revisionTemplate(rev: unknown): PodTemplate | undefined {
  const rs = z.object({ spec: z.object({ template: templateSchema }) }).safeParse(rev);
  if (rs.success) return rs.data.spec.template;
  const cr = z.object({ data: z.object({ spec: z.object({ template: templateSchema }) }) }).safeParse(rev);
  if (!cr.success) return undefined;
  const { metadata, spec } = cr.data.data.spec.template;
  return { ...(metadata ? { metadata } : {}), ...(spec ? { spec } : {}) };
}

/** A summary of one pod, as a sibling table shows it: phase, ready containers, restarts, node. */
export interface PodSummary {
  name: string;
  phase?: string;
  ready: boolean;
  readyContainers: number;
  containers: number;
  restarts: number;
  node?: string;
  createdAt?: string;
  /** The waiting or last-terminated reason of a failing container (CrashLoopBackOff, OOMKilled, ...). */
  reason?: string;
}

const podSummarySchema = z.object({
  spec: z.object({ nodeName: z.string().optional() }).optional(),
  status: z
    .object({
      phase: z.string().optional(),
      reason: z.string().optional(),
      conditions: z.array(z.object({ type: z.string(), status: z.string() })).optional(),
      containerStatuses: z
        .array(
          z.object({
            ready: z.boolean().optional(),
            restartCount: z.number().optional(),
            state: z.object({ waiting: z.object({ reason: z.string().optional() }).optional() }).optional(),
            lastState: z.object({ terminated: z.object({ reason: z.string().optional() }).optional() }).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

/** The sibling-table view of a v1 Pod. */
export function summarizePod(pod: unknown): PodSummary {
  const meta = metaOf(pod);
  const p = podSummarySchema.safeParse(pod).data;
  const statuses = p?.status?.containerStatuses ?? [];
  const reason =
    p?.status?.reason ??
    statuses.map((s) => s.state?.waiting?.reason ?? s.lastState?.terminated?.reason).find((r) => r !== undefined);
  return {
    name: meta.name,
    phase: p?.status?.phase,
    ready: p?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    readyContainers: statuses.filter((s) => s.ready).length,
    containers: statuses.length,
    restarts: statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0),
    node: p?.spec?.nodeName,
    createdAt: meta.creationTimestamp,
    ...(reason ? { reason } : {}),
  };
}

/** The most recently created pod of a list (what to analyze when the alert's pod is gone). */
export function newestPod<T>(pods: T[]): T | undefined {
  let best: T | undefined;
  let bestTime = -Infinity;
  for (const p of pods) {
    const t = Date.parse(metaOf(p).creationTimestamp ?? "") || 0;
    if (best === undefined || t > bestTime) [best, bestTime] = [p, t];
  }
  return best;
}

const scaleTargetSchema = z.object({
  spec: z.object({ scaleTargetRef: z.object({ kind: z.string(), name: z.string(), apiVersion: z.string().optional() }) }),
});

/** Whether an autoscaling/v2 HPA scales the named workload. */
export function scalesTarget(hpa: unknown, kind: string, name: string): boolean {
  const ref = scaleTargetSchema.safeParse(hpa).data?.spec.scaleTargetRef;
  return Boolean(ref && ref.kind === kind && ref.name === name && (!ref.apiVersion || ref.apiVersion.startsWith("apps/") || ref.apiVersion.startsWith("batch/")));
}
