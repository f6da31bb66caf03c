import { z } from "zod";
import { metaOf, summarizePod, type PodSummary } from "@/lib/cluster/workload-view";

/**
 * Browser-safe readers of the neighbourhood the bundle keeps raw: the v1 Node (conditions, allocatable,
 * taints), the autoscaling/v2 HPA (replica counts, conditions) and the sibling pods as "N of M replicas
 * unhealthy". The console's Neighbourhood panel and the GitHub issue read them the same way. Lenient: a
 * field of the wrong type is left out, a malformed object reads as undefined.
 */

const str = z.string().optional().catch(undefined);
const num = z.number().optional().catch(undefined);

const conditionSchema = z.object({ type: z.string(), status: z.string(), reason: str, message: str, lastTransitionTime: str });
export interface ConditionView {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  /** The condition says something is wrong: a pressure or NetworkUnavailable that is True, a Ready that is not. */
  troubled: boolean;
}

const conditions = z
  .array(z.unknown())
  .optional()
  .catch(undefined)
  .transform((arr) => (arr ?? []).flatMap((c) => conditionSchema.safeParse(c).data ?? []));

/** Whether a node, deployment or HPA condition reports trouble. */
export function isTroubled(type: string, status: string, reason?: string): boolean {
  if (/Pressure$|^NetworkUnavailable$|^ReplicaFailure$|^ScalingLimited$/.test(type)) return status === "True";
  if (type === "Ready" || type === "Available" || type === "AbleToScale" || type === "ScalingActive") return status !== "True";
  if (type === "Progressing") return status !== "True" || reason === "ProgressDeadlineExceeded";
  return false;
}

const withTrouble = (c: z.infer<typeof conditionSchema>): ConditionView => ({ ...c, troubled: isTroubled(c.type, c.status, c.reason) });

const nodeSchema = z.object({
  spec: z
    .object({
      unschedulable: z.boolean().optional().catch(undefined),
      taints: z
        .array(z.unknown())
        .optional()
        .catch(undefined)
        .transform((arr) => (arr ?? []).flatMap((t) => z.object({ key: z.string(), value: str, effect: z.string() }).safeParse(t).data ?? [])),
    })
    .optional()
    .catch(undefined),
  status: z
    .object({ conditions, allocatable: z.record(z.string(), z.union([z.string(), z.number()])).optional().catch(undefined) })
    .optional()
    .catch(undefined),
});

export interface NodeView {
  name: string;
  conditions: ConditionView[];
  allocatable: Array<[string, string]>;
  taints: Array<{ key: string; value?: string; effect: string }>;
  unschedulable: boolean;
}

/** The node view of a wire v1 Node; undefined when absent or not an object. */
export function viewNode(node: unknown): NodeView | undefined {
  if (!node || typeof node !== "object") return undefined;
  const n = nodeSchema.safeParse(node).data;
  return {
    name: metaOf(node).name,
    conditions: (n?.status?.conditions ?? []).map(withTrouble),
    allocatable: Object.entries(n?.status?.allocatable ?? {}).map(([k, v]) => [k, String(v)]),
    taints: n?.spec?.taints ?? [],
    unschedulable: n?.spec?.unschedulable ?? false,
  };
}

/** A taint as kubectl prints it: `key=value:Effect`. */
export const taintText = (t: NodeView["taints"][number]) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`;

const hpaSchema = z.object({
  spec: z
    .object({ minReplicas: num, maxReplicas: num, scaleTargetRef: z.object({ kind: z.string(), name: z.string() }).optional().catch(undefined) })
    .optional()
    .catch(undefined),
  status: z.object({ currentReplicas: num, desiredReplicas: num, conditions }).optional().catch(undefined),
});

export interface HpaView {
  name: string;
  target?: string;
  min?: number;
  max?: number;
  current?: number;
  desired?: number;
  conditions: ConditionView[];
}

/** The HPA view of a wire autoscaling/v2 HorizontalPodAutoscaler; undefined when absent. */
export function viewHpa(hpa: unknown): HpaView | undefined {
  if (!hpa || typeof hpa !== "object") return undefined;
  const h = hpaSchema.safeParse(hpa).data;
  const ref = h?.spec?.scaleTargetRef;
  return {
    name: metaOf(hpa).name,
    ...(ref ? { target: `${ref.kind}/${ref.name}` } : {}),
    min: h?.spec?.minReplicas ?? 1,
    max: h?.spec?.maxReplicas,
    current: h?.status?.currentReplicas,
    desired: h?.status?.desiredReplicas,
    conditions: (h?.status?.conditions ?? []).map(withTrouble),
  };
}

/** `HPA web: 3 current, 5 desired, min 2, max 3`. */
export function hpaLine(h: HpaView): string {
  const n = (v: number | undefined) => (v === undefined ? "?" : String(v));
  return `HPA ${h.name}: ${n(h.current)} current, ${n(h.desired)} desired, min ${n(h.min)}, max ${n(h.max)}`;
}

/** A pod that is not serving: not Running (or Succeeded), not Ready, or waiting/terminated with a reason. */
export function isUnhealthy(p: PodSummary): boolean {
  if (p.phase === "Succeeded") return false;
  return p.phase !== "Running" || !p.ready || p.reason !== undefined;
}

export interface ReplicaRow extends PodSummary {
  unhealthy: boolean;
  /** The alert's pod. */
  target: boolean;
}

export interface ReplicaHealth {
  rows: ReplicaRow[];
  unhealthy: number;
  total: number;
  /** `1 of 4 replicas unhealthy`. */
  line: string;
}

/** The sibling pods as table rows (the target first) and how many of them are unhealthy. */
export function replicaHealth(siblings: readonly unknown[], targetPod: string | undefined): ReplicaHealth {
  const rows = siblings
    .map((p): ReplicaRow => {
      const s = summarizePod(p);
      return { ...s, unhealthy: isUnhealthy(s), target: s.name === targetPod };
    })
    .sort((a, b) => Number(b.target) - Number(a.target) || Number(b.unhealthy) - Number(a.unhealthy) || a.name.localeCompare(b.name));
  const unhealthy = rows.filter((r) => r.unhealthy).length;
  const total = rows.length;
  return { rows, unhealthy, total, line: `${unhealthy} of ${total} replica${total === 1 ? "" : "s"} unhealthy` };
}

/** `status.conditions` of any object (Deployment, StatefulSet, Node, HPA), each marked troubled or not. */
export function viewConditions(obj: unknown): ConditionView[] {
  const s = z.object({ status: z.object({ conditions }).optional().catch(undefined) }).safeParse(obj).data;
  return (s?.status?.conditions ?? []).map(withTrouble);
}

/** A condition as one line: `MemoryPressure=True (KubeletHasInsufficientMemory): kubelet has insufficient memory available`. */
export function conditionLine(c: ConditionView): string {
  return `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ""}${c.message ? `: ${c.message}` : ""}`;
}
