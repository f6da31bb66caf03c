import { z } from "zod";

/**
 * The few Pod fields the reader decides with. The bundle keeps the pod as returned; this schema only
 * reads it, so unknown fields are ignored rather than rejected.
 */
const stateSchema = z
  .object({
    waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
    running: z.object({ startedAt: z.string().optional() }).optional(),
    terminated: z.object({ exitCode: z.number().optional(), reason: z.string().optional() }).optional(),
  })
  .optional();

const containerStatusSchema = z.object({
  name: z.string(),
  ready: z.boolean().optional(),
  restartCount: z.number().optional(),
  state: stateSchema,
  lastState: stateSchema,
});
export type ContainerStatus = z.infer<typeof containerStatusSchema>;

const podViewSchema = z.object({
  metadata: z
    .object({
      name: z.string().optional(),
      ownerReferences: z.array(z.object({ kind: z.string(), name: z.string() })).optional(),
    })
    .optional(),
  spec: z
    .object({
      containers: z.array(z.object({ name: z.string() })).default([]),
      initContainers: z.array(z.object({ name: z.string() })).optional(),
    })
    .optional(),
  status: z
    .object({
      containerStatuses: z.array(containerStatusSchema).optional(),
      initContainerStatuses: z.array(containerStatusSchema).optional(),
    })
    .optional(),
});
export type PodView = z.infer<typeof podViewSchema>;

/** The decision-relevant view of a wire Pod, or undefined when it is not shaped like one. */
export function viewPod(pod: unknown): PodView | undefined {
  const r = podViewSchema.safeParse(pod);
  return r.success ? r.data : undefined;
}

function isFailing(s: ContainerStatus): boolean {
  if (s.state?.terminated) return true;
  if (s.state?.waiting) return true;
  return s.ready === false || (s.restartCount ?? 0) > 0;
}

// An init container that finished with exit 0 is done, not failing.
function isFailingInit(s: ContainerStatus): boolean {
  if (s.state?.terminated) return s.state.terminated.exitCode !== 0;
  return Boolean(s.state?.waiting && s.state.waiting.reason !== "PodInitializing") || (s.restartCount ?? 0) > 0;
}

/**
 * The container whose logs to read: the hint when the pod has it, else the failing one (most restarts
 * first; a failing init container blocks the rest, so it wins), else the first.
 */
export function chooseContainer(pod: PodView, hint?: string): string | undefined {
  const names = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map((c) => c.name);
  if (hint && names.includes(hint)) return hint;
  const failingInit = (pod.status?.initContainerStatuses ?? []).find(isFailingInit);
  if (failingInit) return failingInit.name;
  const failing = (pod.status?.containerStatuses ?? [])
    .filter(isFailing)
    .sort((a, b) => (b.restartCount ?? 0) - (a.restartCount ?? 0));
  return failing[0]?.name ?? pod.spec?.containers[0]?.name ?? hint;
}

/** The status of a named container (regular or init). */
export function containerStatus(pod: PodView, name: string): ContainerStatus | undefined {
  return [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((s) => s.name === name);
}

/** True when a previous container instance exists whose logs the kubelet may still hold. */
export function hasPreviousContainer(status: ContainerStatus | undefined): boolean {
  return Boolean(status && ((status.restartCount ?? 0) > 0 || status.lastState?.terminated));
}

export interface OwnerRef {
  kind: string;
  name: string;
}

// kube-controller-manager's pod-template-hash and generated-name suffixes use this alphabet
// (k8s.io/apimachinery/pkg/util/rand: consonants and digits without vowels, 0, 1 and 3).
const SAFE = "[bcdfghjklmnpqrstvwxz2456789]";
const replicaSetPod = new RegExp(`^(.+)-(${SAFE}{5,10})-${SAFE}{5}$`);
const replicaSetName = new RegExp(`^(.+)-${SAFE}{5,10}$`);
const statefulSetPod = /^(.+)-(\d+)$/;
const generatedPod = new RegExp(`^(.+)-${SAFE}{5}$`);
const cronJobJob = /^(.+)-\d{8,}$/;

function expand(ref: OwnerRef): OwnerRef[] {
  if (ref.kind === "ReplicaSet") {
    const m = replicaSetName.exec(ref.name);
    return m?.[1] ? [ref, { kind: "Deployment", name: m[1] }] : [ref];
  }
  if (ref.kind === "Job") {
    const m = cronJobJob.exec(ref.name);
    return m?.[1] ? [ref, { kind: "CronJob", name: m[1] }] : [ref];
  }
  return [ref];
}

/**
 * The workload objects whose events may explain a pod: its owners from ownerReferences (and the
 * Deployment or CronJob above them) or, for a pod that is gone, owners inferred from its generated name.
 */
export function ownerCandidates(pod: PodView | undefined, podName: string): OwnerRef[] {
  const refs = pod?.metadata?.ownerReferences ?? [];
  if (refs.length > 0) return refs.flatMap((r) => expand({ kind: r.kind, name: r.name }));
  const rs = replicaSetPod.exec(podName);
  if (rs?.[1] && rs[2]) return expand({ kind: "ReplicaSet", name: `${rs[1]}-${rs[2]}` });
  const sts = statefulSetPod.exec(podName);
  if (sts?.[1]) return [{ kind: "StatefulSet", name: sts[1] }];
  const gen = generatedPod.exec(podName);
  if (gen?.[1]) return [...expand({ kind: "Job", name: gen[1] }), { kind: "DaemonSet", name: gen[1] }];
  return [];
}
