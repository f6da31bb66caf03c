import type { ContainerStatusView, PodView } from "@/lib/cluster/view";

/**
 * The reader's decisions about a pod, made on the pod view (lib/cluster/view): which container's logs
 * to read, whether a previous instance exists, and which owners' events may explain it.
 */
type ContainerStatus = ContainerStatusView;

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
  const failingInit = (pod.status?.initContainerStatuses ?? []).find((s) => s.name && isFailingInit(s));
  if (failingInit) return failingInit.name;
  const failing = (pod.status?.containerStatuses ?? [])
    .filter((s) => s.name && isFailing(s))
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
  const named = refs.flatMap((r) => (r.kind && r.name ? [{ kind: r.kind, name: r.name }] : []));
  if (named.length > 0) return named.flatMap(expand);
  const rs = replicaSetPod.exec(podName);
  if (rs?.[1] && rs[2]) return expand({ kind: "ReplicaSet", name: `${rs[1]}-${rs[2]}` });
  const sts = statefulSetPod.exec(podName);
  if (sts?.[1]) return [{ kind: "StatefulSet", name: sts[1] }];
  const gen = generatedPod.exec(podName);
  if (gen?.[1]) return [...expand({ kind: "Job", name: gen[1] }), { kind: "DaemonSet", name: gen[1] }];
  return [];
}
