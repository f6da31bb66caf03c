import type { Target } from "@/lib/alerts/types";
import {
  MAX_REVISIONS,
  MAX_SIBLINGS,
  type BundleWorkload,
  type EvidenceBundle,
  type EvidenceError,
  type ClusterPart,
  type WorkloadKind,
} from "@/lib/cluster/bundle";
import { ownerCandidates } from "@/lib/cluster/pod";
import { bounded, describeFailure, type ClusterApiError, type Outcome, type ReaderContext, type WireObject } from "@/lib/cluster/pod-reader";
import { DEFAULT_TIMEOUT_MS, type ClusterReader, type GatheredEvidence, type GatherOptions } from "@/lib/cluster/reader";
import { describeError } from "@/lib/errors";
import { controllerOf, INFERENCE_SERVICE_LABEL, metaOf, selectorOf, selectorString, scalesTarget, sortRevisions } from "@/lib/cluster/workload-view";

/**
 * The neighbourhood of a failing pod: its owning workload (pod → ReplicaSet → Deployment; StatefulSet,
 * DaemonSet, Job), the workload's newest revisions, the owner's other pods, the node, the HPA scaling the
 * workload and a KServe InferenceService. Every read has its own timeout; a failed read becomes an
 * EvidenceError naming the RBAC rule to add, and the others still arrive.
 */

/**
 * The reads the neighbourhood needs, over any transport (the real API client, or a demo). Implementations
 * return objects as the API sends them, throw ClusterApiError for anything but success, and stop when
 * `signal` aborts.
 */
export interface WorkloadApi {
  readPod(namespace: string, name: string, signal: AbortSignal): Promise<WireObject>;
  readWorkload(kind: WorkloadKind, namespace: string, name: string, signal: AbortSignal): Promise<WireObject>;
  listReplicaSets(namespace: string, labelSelector: string, signal: AbortSignal): Promise<WireObject[]>;
  listControllerRevisions(namespace: string, labelSelector: string, signal: AbortSignal): Promise<WireObject[]>;
  listPods(namespace: string, labelSelector: string, limit: number, signal: AbortSignal): Promise<WireObject[]>;
  readNode(name: string, signal: AbortSignal): Promise<WireObject>;
  listHorizontalPodAutoscalers(namespace: string, signal: AbortSignal): Promise<WireObject[]>;
  /** serving.kserve.io/v1beta1 inferenceservices/{name}. */
  readInferenceService(namespace: string, name: string, signal: AbortSignal): Promise<WireObject>;
}

/** What the neighbourhood adds to a bundle. */
export type WorkloadEvidence = Pick<EvidenceBundle, "workload" | "siblings" | "node" | "hpa" | "inferenceService"> & {
  errors: EvidenceError[];
};

/** One RBAC rule the reads need: the resource as `kubectl auth can-i` names it and the verbs the Roles grant. */
interface Rule {
  resource: string;
  verbs: string;
  clusterScoped?: boolean;
}

/** The rules of deploy/kubernetes that each read relies on (test/deploy/kubernetes.test.ts checks the Roles). */
export const WORKLOAD_RULES = {
  pods: { resource: "pods", verbs: "get, list" },
  ReplicaSet: { resource: "replicasets.apps", verbs: "get, list" },
  Deployment: { resource: "deployments.apps", verbs: "get" },
  StatefulSet: { resource: "statefulsets.apps", verbs: "get" },
  DaemonSet: { resource: "daemonsets.apps", verbs: "get" },
  Job: { resource: "jobs.batch", verbs: "get" },
  controllerrevisions: { resource: "controllerrevisions.apps", verbs: "list" },
  nodes: { resource: "nodes", verbs: "get", clusterScoped: true },
  hpa: { resource: "horizontalpodautoscalers.autoscaling", verbs: "list" },
  inferenceservices: { resource: "inferenceservices.serving.kserve.io", verbs: "get" },
} satisfies Record<string, Rule>;

/** The ClusterRole that grants the one cluster-scoped read (deploy/kubernetes/node-reader.yaml). */
export const NODE_CLUSTER_ROLE = "triage-console-nodes";

interface Where extends ReaderContext {
  namespace: string;
  pod: string;
  timeoutMs: number;
}

/**
 * A sentence a person can act on for one failed neighbourhood read; a 403 names the rule to add, in the
 * wording of the pod reader's ("lacks get on pods in namespace X (add it to the triage Role ...)").
 */
export function describeWorkloadFailure(part: ClusterPart, rule: Rule, verb: "get" | "list", error: ClusterApiError, where: Where): EvidenceError {
  if (error.status === 403) {
    const who = /User "([^"]+)"/.exec(error.message)?.[1];
    const subject = !who || who.startsWith("system:serviceaccount:") ? "the service account" : `user ${who}`;
    const message = rule.clusterScoped
      ? `${subject} lacks ${verb} on ${rule.resource}, which are cluster-scoped (add ${rule.verbs} on ${rule.resource} to the ClusterRole ${NODE_CLUSTER_ROLE} and bind it, deploy/kubernetes/node-reader.yaml)`
      : `${subject} lacks ${verb} on ${rule.resource} in namespace ${where.namespace} (add ${rule.verbs} on ${rule.resource} to the triage Role in that namespace, deploy/kubernetes/watched-namespaces)`;
    return { part, code: 403, message };
  }
  if (error.status === 404) {
    return { part, code: 404, message: `${rule.resource} not found: ${error.message}` };
  }
  return describeFailure(part, error, { ...where, container: undefined });
}

const READABLE = new Set<string>(["ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job"]);
const isReadable = (kind: string): kind is WorkloadKind => READABLE.has(kind);

interface Owner {
  kind: WorkloadKind;
  name: string;
}

/** Owners an alert's labels name (kube-state-metrics: owner_kind/owner_name, deployment, statefulset, ...). */
function ownersFromLabels(labels: Record<string, string>): Owner[] {
  const out: Owner[] = [];
  const kind = labels.owner_kind;
  if (kind && labels.owner_name && isReadable(kind)) out.push({ kind, name: labels.owner_name });
  const byLabel: Array<[string, WorkloadKind]> = [
    ["deployment", "Deployment"],
    ["statefulset", "StatefulSet"],
    ["daemonset", "DaemonSet"],
    ["replicaset", "ReplicaSet"],
    ["job_name", "Job"],
  ];
  for (const [label, k] of byLabel) {
    const name = labels[label];
    if (name) out.push({ kind: k, name });
  }
  return out;
}

/** Objects as kept in the bundle: without managedFields (and a Node without its image list), else as returned. */
function trim(obj: WireObject, dropImages = false): WireObject {
  const metadata = obj.metadata;
  let out = obj;
  if (metadata && typeof metadata === "object" && !Array.isArray(metadata) && "managedFields" in metadata) {
    const { managedFields: _dropped, ...rest } = metadata;
    out = { ...obj, metadata: rest };
  }
  const status = out.status;
  if (dropImages && status && typeof status === "object" && !Array.isArray(status) && "images" in status) {
    const { images: _images, ...rest } = status;
    out = { ...out, status: rest };
  }
  return out;
}

function nodeNameOf(pod: WireObject | undefined): string | undefined {
  const spec = pod?.spec;
  if (!spec || typeof spec !== "object" || !("nodeName" in spec)) return undefined;
  return typeof spec.nodeName === "string" && spec.nodeName ? spec.nodeName : undefined;
}

// A Deployment's ReplicaSet is named <deployment>-<pod-template-hash>.
function deploymentOfReplicaSet(rsName: string, hash: string | undefined): string | undefined {
  return hash && rsName.endsWith(`-${hash}`) ? rsName.slice(0, -hash.length - 1) : undefined;
}

/**
 * Gathers the neighbourhood of pods through a WorkloadApi. `gather` never throws: failures are in `errors`.
 * Without a readable pod (gone, or forbidden), the owner is looked up from the alert's labels and the pod's
 * generated name, so the owner's current pods arrive as `siblings`.
 */
export function createWorkloadGatherer(api: WorkloadApi, defaults: { timeoutMs?: number } & ReaderContext = {}) {
  return {
    async gather(target: Target, alert: { labels?: Record<string, string> } = {}, options: GatherOptions = {}): Promise<WorkloadEvidence> {
      const timeoutMs = options.timeoutMs ?? defaults.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const { namespace } = target;
      const labels = alert.labels ?? {};
      const where: Where = { namespace, pod: target.pod, timeoutMs, server: defaults.server, context: defaults.context };
      const errors: EvidenceError[] = [];
      const failed = new Set<string>();
      // One sentence per missing rule: a forbidden get and list of the same resource need the same fix.
      const fail = (part: ClusterPart, rule: Rule, verb: "get" | "list", error: ClusterApiError) => {
        const key = `${part} ${rule.resource} ${String(error.status)}`;
        if (failed.has(key)) return;
        failed.add(key);
        errors.push(describeWorkloadFailure(part, rule, verb, error, where));
      };
      const run = <T>(what: string, read: (signal: AbortSignal) => Promise<T>): Promise<Outcome<T>> => bounded(timeoutMs, what, read);
      const readKind = (kind: WorkloadKind, name: string) => run(`${kind} read`, (s) => api.readWorkload(kind, namespace, name, s));

      const podP = run("pod read", (s) => api.readPod(namespace, target.pod, s));
      const hpasP = run("HPA list", (s) => api.listHorizontalPodAutoscalers(namespace, s));
      const podOutcome = await podP;
      const pod = podOutcome.ok ? podOutcome.value : undefined;

      const nodeName = nodeNameOf(pod) ?? labels.node;
      const nodeP = nodeName ? run("node read", (s) => api.readNode(nodeName, s)) : undefined;
      const isvcName = pod ? metaOf(pod).labels[INFERENCE_SERVICE_LABEL] : labels.label_serving_kserve_io_inferenceservice;
      const isvcP = isvcName ? run("InferenceService read", (s) => api.readInferenceService(namespace, isvcName, s)) : undefined;

      /** The Deployment above a ReplicaSet (read or not), else the ReplicaSet itself. */
      const followReplicaSet = async (rsName: string, rs: Outcome<WireObject>, hash: string | undefined): Promise<BundleWorkload | undefined> => {
        const owners = [{ kind: "ReplicaSet", name: rsName }];
        let deploymentName: string | undefined;
        if (rs.ok) {
          const ref = controllerOf(rs.value);
          if (ref?.kind !== "Deployment") return { kind: "ReplicaSet", name: rsName, object: rs.value, revisions: [], owners };
          deploymentName = ref.name;
        } else {
          if (rs.error.status !== 404) fail("workload", WORKLOAD_RULES.ReplicaSet, "get", rs.error);
          deploymentName = deploymentOfReplicaSet(rsName, hash);
          if (!deploymentName) return undefined;
        }
        const d = await readKind("Deployment", deploymentName);
        if (d.ok) return { kind: "Deployment", name: deploymentName, object: d.value, revisions: [], owners: [...owners, { kind: "Deployment", name: deploymentName }] };
        if (d.error.status !== 404 || rs.ok) fail("workload", WORKLOAD_RULES.Deployment, "get", d.error);
        return rs.ok ? { kind: "ReplicaSet", name: rsName, object: rs.value, revisions: [], owners } : undefined;
      };

      const fromOwner = async (owner: Owner, read: Outcome<WireObject>, hash?: string): Promise<BundleWorkload | undefined> => {
        if (owner.kind === "ReplicaSet") return followReplicaSet(owner.name, read, hash);
        if (!read.ok) return undefined;
        const owners: BundleWorkload["owners"] = [{ kind: owner.kind, name: owner.name }];
        const above = owner.kind === "Job" ? controllerOf(read.value) : undefined;
        if (above) owners.push({ kind: above.kind, name: above.name });
        return { kind: owner.kind, name: owner.name, object: read.value, revisions: [], owners };
      };

      let workload: BundleWorkload | undefined;
      if (pod) {
        const ref = controllerOf(pod);
        if (ref && isReadable(ref.kind)) {
          const owner = { kind: ref.kind, name: ref.name };
          const read = await readKind(owner.kind, owner.name);
          if (!read.ok && owner.kind !== "ReplicaSet") fail("workload", WORKLOAD_RULES[owner.kind], "get", read.error);
          workload = await fromOwner(owner, read, metaOf(pod).labels["pod-template-hash"]);
        }
      } else {
        // The pod is gone (or unreadable): the alert's labels, then the pod's generated name, may name its owner.
        const seen = new Set<string>();
        const candidates = [...ownersFromLabels(labels), ...ownerCandidates(undefined, target.pod).flatMap((o) => (isReadable(o.kind) ? [{ kind: o.kind, name: o.name }] : []))].filter(
          (o) => !seen.has(`${o.kind}/${o.name}`) && Boolean(seen.add(`${o.kind}/${o.name}`)),
        );
        for (const owner of candidates) {
          const read = await readKind(owner.kind, owner.name);
          if (!read.ok && read.error.status === 404) continue;
          if (!read.ok) {
            fail("workload", WORKLOAD_RULES[owner.kind], "get", read.error);
            continue;
          }
          workload = await fromOwner(owner, read);
          if (workload) break;
        }
      }

      const selector = workload ? selectorString(selectorOf(workload.object)) : undefined;
      const uid = workload ? metaOf(workload.object).uid : undefined;
      const ownedByWorkload = (o: WireObject) => {
        const ref = controllerOf(o);
        return Boolean(workload && ref && ref.kind === workload.kind && (uid && ref.uid ? ref.uid === uid : ref.name === workload.name));
      };
      const revisionsP: Promise<Outcome<WireObject[]>> | undefined =
        workload && selector
          ? workload.kind === "Deployment"
            ? run("ReplicaSet list", (s) => api.listReplicaSets(namespace, selector, s))
            : workload.kind === "StatefulSet" || workload.kind === "DaemonSet"
              ? run("ControllerRevision list", (s) => api.listControllerRevisions(namespace, selector, s))
              : undefined
          : undefined;
      const siblingsP = selector ? run("pod list", (s) => api.listPods(namespace, selector, MAX_SIBLINGS, s)) : undefined;

      const [revisions, siblings, hpas, node, isvc] = await Promise.all([revisionsP, siblingsP, hpasP, nodeP, isvcP]);

      if (workload && revisions) {
        if (revisions.ok) workload.revisions = sortRevisions(revisions.value.filter(ownedByWorkload)).slice(0, MAX_REVISIONS).map((r) => trim(r));
        else fail("workload", workload.kind === "Deployment" ? WORKLOAD_RULES.ReplicaSet : WORKLOAD_RULES.controllerrevisions, "list", revisions.error);
      }
      const out: WorkloadEvidence = { errors };
      if (workload) out.workload = { ...workload, object: trim(workload.object) };
      if (siblings?.ok) out.siblings = siblings.value.slice(0, MAX_SIBLINGS).map((p) => trim(p));
      else if (siblings) fail("siblings", WORKLOAD_RULES.pods, "list", siblings.error);

      if (workload) {
        if (hpas.ok) {
          const hpa = hpas.value.find((h) => scalesTarget(h, workload.kind, workload.name));
          if (hpa) out.hpa = trim(hpa);
        } else if (hpas.error.status !== 404) {
          fail("hpa", WORKLOAD_RULES.hpa, "list", hpas.error);
        }
      }
      if (node?.ok) out.node = trim(node.value, true);
      else if (node?.error.status === 404) errors.push({ part: "node", code: 404, message: `the node ${nodeName ?? ""} no longer exists (scaled down, replaced or deleted)` });
      else if (node) fail("node", WORKLOAD_RULES.nodes, "get", node.error);

      // No InferenceService, or no KServe CRD at all (404 either way): nothing to say.
      if (isvc?.ok) out.inferenceService = trim(isvc.value);
      else if (isvc && isvc.error.status !== 404) fail("workload", WORKLOAD_RULES.inferenceservices, "get", isvc.error);
      return out;
    },
  };
}

export type WorkloadGatherer = ReturnType<typeof createWorkloadGatherer>;

/**
 * The reader's neighbourhood read, started beside its pod read; undefined for a reader without one (the
 * demo). A gatherer that throws after all becomes a `workload` error instead of failing the bundle.
 */
export function gatherNeighbourhood(
  reader: ClusterReader,
  target: Target,
  alert: { labels?: Record<string, string> },
  options: GatherOptions = {},
): Promise<WorkloadEvidence | undefined> {
  if (!reader.gatherWorkload) return Promise.resolve(undefined);
  return reader.gatherWorkload(target, alert, options).catch(
    (e: unknown): WorkloadEvidence => ({
      errors: [{ part: "workload", code: "internal", message: `reading the pod's owner failed: ${describeError(e)}` }],
    }),
  );
}

/** The pod reader's evidence with the neighbourhood's parts and errors added. */
export function withNeighbourhood(gathered: GatheredEvidence, neighbourhood: WorkloadEvidence | undefined): GatheredEvidence {
  if (!neighbourhood) return gathered;
  const { errors, ...parts } = neighbourhood;
  return { ...gathered, ...parts, errors: [...gathered.errors, ...errors] };
}
