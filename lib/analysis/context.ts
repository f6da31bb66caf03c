import { z } from "zod";
import type { EvidenceBundle } from "@/lib/cluster/bundle";
import { diffWorkload, type RevisionDiff } from "@/lib/cluster/revision-diff";
import { metaOf, revisionNumber, sortRevisions, summarizePod, type PodSummary } from "@/lib/cluster/workload-view";

/**
 * The `changes` and `neighbourhood` evidence sources as summary lines: what the offline analyzer quotes,
 * what the prompt shows Gemini and what grounding checks quotes against. One builder for all three, so a
 * quote taken from one is found by the others. Pure and browser-safe; bounded in lines and line length.
 */

/** At most this many sibling pods get a line of their own (the count line covers all of them). */
export const MAX_SIBLING_LINES = 12;
const MAX_LINE = 300;

const cut = (s: string) => {
  const one = s.replace(/[\r\n\t]+/g, " ").trim();
  return one.length > MAX_LINE ? `${one.slice(0, MAX_LINE - 1)}…` : one;
};

/** The newest revision against the one before, relative to the alert start; undefined without revisions. */
export function workloadDiff(bundle: Pick<EvidenceBundle, "workload" | "alert">): RevisionDiff | undefined {
  return diffWorkload(bundle.workload, bundle.alert.startsAt);
}

/** The `changes` source: the revision diff's summary lines ("revision 7, 6 min before the alert: …"). */
export function changesLines(bundle: Pick<EvidenceBundle, "workload" | "alert">): string[] {
  return (workloadDiff(bundle)?.summary ?? []).map(cut);
}

const conditionSchema = z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional() });
const nodeSchema = z.object({
  metadata: z.object({ name: z.string() }),
  spec: z.object({ unschedulable: z.boolean().optional(), taints: z.array(z.object({ key: z.string(), value: z.string().optional(), effect: z.string() })).optional() }).optional(),
  status: z.object({ conditions: z.array(conditionSchema).optional(), allocatable: z.record(z.string(), z.string()).optional() }).optional(),
});
const hpaSchema = z.object({
  metadata: z.object({ name: z.string() }),
  spec: z.object({ minReplicas: z.number().optional(), maxReplicas: z.number() }),
  status: z.object({ currentReplicas: z.number().optional(), desiredReplicas: z.number().optional(), conditions: z.array(conditionSchema).optional() }).optional(),
});
const workloadStatusSchema = z.object({
  spec: z.object({ replicas: z.number().optional() }).optional(),
  status: z
    .object({
      replicas: z.number().optional(),
      updatedReplicas: z.number().optional(),
      readyReplicas: z.number().optional(),
      unavailableReplicas: z.number().optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .optional(),
});

/** Node conditions that mean the kubelet is short of a resource. */
export const PRESSURE_CONDITIONS = ["MemoryPressure", "DiskPressure", "PIDPressure"] as const;

export interface NodeReading {
  name: string;
  ready?: boolean;
  /** Pressure conditions that are True, with the kubelet's reason and message. */
  pressure: Array<{ type: string; text: string }>;
  unschedulable: boolean;
  taints: string[];
}

function conditionText(c: z.infer<typeof conditionSchema>): string {
  const why = [c.reason, c.message].filter(Boolean).join(": ");
  return `${c.type}=${c.status}${why ? ` (${why})` : ""}`;
}

/** What the node object says about pressure, readiness and taints. */
export function readNode(node: unknown): NodeReading | undefined {
  const n = nodeSchema.safeParse(node).data;
  if (!n) return undefined;
  const conditions = n.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === "Ready");
  return {
    name: n.metadata.name,
    ready: ready ? ready.status === "True" : undefined,
    pressure: conditions.filter((c) => (PRESSURE_CONDITIONS as readonly string[]).includes(c.type) && c.status === "True").map((c) => ({ type: c.type, text: conditionText(c) })),
    unschedulable: n.spec?.unschedulable === true,
    taints: (n.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`),
  };
}

export interface HpaReading {
  name: string;
  min: number;
  max: number;
  current?: number;
  desired?: number;
  /** At its maximum and wanting more (or saying ScalingLimited because of the maximum). */
  atMax: boolean;
  text: string;
}

/** The HPA's replica counts and limiting conditions. */
export function readHpa(hpa: unknown): HpaReading | undefined {
  const h = hpaSchema.safeParse(hpa).data;
  if (!h) return undefined;
  const min = h.spec.minReplicas ?? 1;
  const max = h.spec.maxReplicas;
  const current = h.status?.currentReplicas;
  const desired = h.status?.desiredReplicas;
  const limited = (h.status?.conditions ?? []).find((c) => c.type === "ScalingLimited" && c.status === "True");
  const atMax = current !== undefined && current >= max && ((desired ?? 0) >= max || /TooManyReplicas|maximum/i.test(`${limited?.reason ?? ""} ${limited?.message ?? ""}`));
  const counts = [current !== undefined ? `${current} current` : undefined, desired !== undefined ? `${desired} desired` : undefined, `min ${min}`, `max ${max}`].filter(Boolean).join(", ");
  const conds = (h.status?.conditions ?? []).filter((c) => (c.type === "ScalingLimited" && c.status === "True") || (c.type !== "ScalingLimited" && c.status === "False")).map(conditionText);
  return { name: h.metadata.name, min, max, current, desired, atMax, text: `hpa ${h.metadata.name}: ${counts}${conds.length ? `; ${conds.join("; ")}` : ""}` };
}

export interface ReplicaReading {
  total: number;
  failing: PodSummary[];
  /** The alert's pod among the siblings, when it is there. */
  self?: PodSummary;
  /** Revision number per pod name (from the pod-template-hash of the owner's ReplicaSets). */
  revisionOf: Map<string, number>;
}

/** A pod counts as failing when it is not Running and Ready. */
export function isFailing(p: PodSummary): boolean {
  return p.phase !== "Succeeded" && (p.phase !== "Running" || !p.ready);
}

/** How many of the owner's pods fail, and which revision each runs. */
export function readReplicas(bundle: Pick<EvidenceBundle, "siblings" | "workload" | "target">): ReplicaReading | undefined {
  if (!bundle.siblings || bundle.siblings.length === 0) return undefined;
  const hashToRevision = new Map<string, number>();
  for (const rev of bundle.workload?.revisions ?? []) {
    const hash = metaOf(rev).labels["pod-template-hash"];
    const n = revisionNumber(rev);
    if (n === undefined) continue;
    if (hash) hashToRevision.set(hash, n);
    // A StatefulSet's or DaemonSet's pods carry their ControllerRevision's name as controller-revision-hash.
    hashToRevision.set(metaOf(rev).name, n);
  }
  const revisionOf = new Map<string, number>();
  for (const p of bundle.siblings) {
    const meta = metaOf(p);
    const n = hashToRevision.get(meta.labels["pod-template-hash"] ?? "") ?? hashToRevision.get(meta.labels["controller-revision-hash"] ?? "");
    if (n !== undefined) revisionOf.set(meta.name, n);
  }
  const pods = bundle.siblings.map(summarizePod);
  return { total: pods.length, failing: pods.filter(isFailing), self: pods.find((p) => p.name === bundle.target?.pod), revisionOf };
}

function podLine(p: PodSummary, revision: number | undefined): string {
  const parts = [
    p.phase ?? "phase unknown",
    p.ready ? "ready" : "not ready",
    `${p.restarts} restart${p.restarts === 1 ? "" : "s"}`,
    ...(p.reason ? [p.reason] : []),
    ...(p.node ? [`node ${p.node}`] : []),
    ...(revision !== undefined ? [`revision ${revision}`] : []),
  ];
  return `pod ${p.name}: ${parts.join(", ")}`;
}

/** The owner as `kubectl` names it: `deployment/x`, or undefined without a workload. */
export function workloadRef(bundle: Pick<EvidenceBundle, "workload">): string | undefined {
  const w = bundle.workload;
  if (!w) return undefined;
  return `${w.kind.toLowerCase()}/${w.name}`;
}

/** The replica count line: "1 of 4 pods of deployment/x are failing". */
export function replicaLine(bundle: Pick<EvidenceBundle, "siblings" | "workload" | "target">): string | undefined {
  const r = readReplicas(bundle);
  if (!r) return undefined;
  const owner = workloadRef(bundle) ?? "the owner";
  if (r.failing.length === 0) return `replicas: all ${r.total} pods of ${owner} are Running and Ready`;
  return `replicas: ${r.failing.length} of ${r.total} pods of ${owner} ${r.failing.length === 1 ? "is" : "are"} failing`;
}

/**
 * The `neighbourhood` source: the replica count, one line per sibling pod (bounded), the owner's rollout
 * state, the node's conditions and taints, and the HPA.
 */
export function neighbourhoodLines(bundle: Pick<EvidenceBundle, "siblings" | "workload" | "target" | "node" | "hpa">): string[] {
  const out: string[] = [];
  const replicas = readReplicas(bundle);
  const count = replicaLine(bundle);
  if (count) out.push(count);
  if (replicas && bundle.siblings) {
    const pods = bundle.siblings.map(summarizePod);
    // Failing pods first, so the bound never hides them.
    const ordered = [...pods.filter(isFailing), ...pods.filter((p) => !isFailing(p))];
    for (const p of ordered.slice(0, MAX_SIBLING_LINES)) out.push(podLine(p, replicas.revisionOf.get(p.name)));
    if (ordered.length > MAX_SIBLING_LINES) out.push(`… and ${ordered.length - MAX_SIBLING_LINES} more pods`);
  }
  const w = bundle.workload;
  if (w) {
    const s = workloadStatusSchema.safeParse(w.object).data;
    const st = s?.status;
    if (st) {
      const counts = [
        s.spec?.replicas !== undefined ? `${s.spec.replicas} desired` : undefined,
        st.updatedReplicas !== undefined ? `${st.updatedReplicas} updated` : undefined,
        `${st.readyReplicas ?? 0} ready`,
        st.unavailableReplicas ? `${st.unavailableReplicas} unavailable` : undefined,
      ].filter(Boolean);
      out.push(`${w.kind.toLowerCase()} ${w.name}: ${counts.join(", ")}`);
      for (const c of st.conditions ?? []) {
        if (c.status === "False" || c.reason === "ProgressDeadlineExceeded" || c.type === "ReplicaFailure") out.push(`${w.kind.toLowerCase()} ${w.name}: ${conditionText(c)}`);
      }
    }
  }
  const node = readNode(bundle.node);
  if (node) {
    const state = [node.ready === undefined ? undefined : `Ready=${node.ready ? "True" : "False"}`, node.unschedulable ? "cordoned" : undefined].filter(Boolean);
    out.push(`node ${node.name}: ${[...state, ...(node.pressure.length ? [] : ["no memory, disk or PID pressure"])].join(", ")}`);
    for (const p of node.pressure) out.push(`node ${node.name}: ${p.text}`);
    if (node.taints.length) out.push(`node ${node.name} taints: ${node.taints.join(", ")}`);
    if (replicas) {
      const here = replicas.failing.filter((p) => p.node === node.name).map((p) => p.name);
      if (here.length) out.push(`failing pods on node ${node.name}: ${here.join(", ")}`);
    }
  }
  const hpa = readHpa(bundle.hpa);
  if (hpa) out.push(hpa.text);
  return out.map(cut);
}

/** The revision numbers a rollback can go to: the newest and the one before it. */
export function rollbackRevisions(bundle: Pick<EvidenceBundle, "workload">): { current?: number; previous?: number } {
  const [current, previous] = sortRevisions(bundle.workload?.revisions ?? []);
  return { current: current === undefined ? undefined : revisionNumber(current), previous: previous === undefined ? undefined : revisionNumber(previous) };
}
