import { ClusterApiError, createPodReader, type PodApi, type WireObject } from "@/lib/cluster/pod-reader";
import type { ClusterReader, ClusterReaders } from "@/lib/cluster/reader";
import { createWorkloadGatherer, type WorkloadApi } from "@/lib/cluster/workload";
import { metaOf } from "@/lib/cluster/workload-view";
import { buildDemoCluster, type DemoClusterState } from "@/lib/demo/evidence";
import { answerLog } from "@/lib/demo/kubelet";

// The demo's times are relative to when it was built; rebuild now and then so "restarted 4 minutes ago" stays true.
const REBUILD_MS = 5 * 60_000;

function parseSelector(selector: string): Array<[string, string]> {
  return selector
    .split(",")
    .map((term) => term.split(/==?/))
    .filter((kv): kv is [string, string] => kv.length === 2 && Boolean(kv[0]) && kv[1] !== undefined);
}

function fieldOf(event: Record<string, unknown>, path: string): unknown {
  let v: unknown = event;
  for (const key of path.split(".")) v = v && typeof v === "object" ? Object.entries(v).find(([k]) => k === key)?.[1] : undefined;
  return v;
}

/** A PodApi over demo state, answering like the API server (same 404 and 400 Status messages). */
export function createDemoPodApi(state: () => DemoClusterState): PodApi {
  const find = (namespace: string, name: string) => {
    const p = state().pods.find((x) => x.namespace === namespace && x.name === name);
    if (!p) throw new ClusterApiError(404, `pods "${name}" not found`, "NotFound");
    return p;
  };
  return {
    async readPod(namespace, name) {
      return structuredClone(find(namespace, name).pod);
    },
    async readLog(namespace, name, request) {
      const p = find(namespace, name);
      const answer = answerLog(p.pod, p.logs, request);
      if (!answer.ok) throw new ClusterApiError(answer.code, answer.message, answer.reason);
      return answer.text;
    },
    async listEvents(namespace, fieldSelector) {
      const terms = parseSelector(fieldSelector);
      return state()
        .events.filter((e) => fieldOf(e, "metadata.namespace") === namespace)
        .filter((e) => terms.every(([k, v]) => fieldOf(e, k) === v))
        .map((e) => structuredClone(e));
    },
  };
}

/** One label-selector term (`k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`) as a test. */
function selectorTerm(term: string): (labels: Record<string, string>) => boolean {
  const set = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const [, key = "", op, list = ""] = set;
    const values = list.split(",").map((v) => v.trim());
    return (l) => (op === "in" ? l[key] !== undefined && values.includes(l[key]) : l[key] === undefined || !values.includes(l[key]));
  }
  const cmp = /^([^\s!=]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (cmp) {
    const [, key = "", op, value] = cmp;
    return (l) => (op === "!=" ? l[key] !== value : l[key] === value);
  }
  if (term.startsWith("!")) return (l) => l[term.slice(1)] === undefined;
  return (l) => l[term] !== undefined;
}

/** Whether an object's labels match a `labelSelector` query value (an empty selector matches everything). */
export function matchesLabelSelector(obj: unknown, selector: string): boolean {
  const terms = selector.split(/,(?![^(]*\))/).map((t) => t.trim()).filter(Boolean);
  const labels = metaOf(obj).labels;
  return terms.every((t) => selectorTerm(t)(labels));
}

/** A list item as the API server sends it: without kind and apiVersion. */
function listItem(obj: WireObject): WireObject {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = structuredClone(obj);
  return rest;
}

const RESOURCE: Record<string, string> = {
  Deployment: "deployments.apps",
  ReplicaSet: "replicasets.apps",
  StatefulSet: "statefulsets.apps",
  DaemonSet: "daemonsets.apps",
  Job: "jobs.batch",
  Node: "nodes",
};

/** A WorkloadApi over demo state, answering like the API server (404 Status messages, list items without kind). */
export function createDemoWorkloadApi(state: () => DemoClusterState): WorkloadApi {
  const objects = (kind: string, namespace?: string) => (state().objects ?? []).filter((o) => o.kind === kind && (namespace === undefined || metaOf(o).namespace === namespace));
  const get = (kind: string, namespace: string | undefined, name: string) => {
    const found = objects(kind, namespace).find((o) => metaOf(o).name === name);
    if (!found) throw new ClusterApiError(404, `${RESOURCE[kind] ?? kind.toLowerCase()} "${name}" not found`, "NotFound");
    return structuredClone(found);
  };
  const list = (kind: string, namespace: string, selector: string) => objects(kind, namespace).filter((o) => matchesLabelSelector(o, selector)).map(listItem);
  return {
    async readPod(namespace, name) {
      const p = state().pods.find((x) => x.namespace === namespace && x.name === name);
      if (!p) throw new ClusterApiError(404, `pods "${name}" not found`, "NotFound");
      return structuredClone(p.pod);
    },
    async readWorkload(kind, namespace, name) {
      return get(kind, namespace, name);
    },
    async listReplicaSets(namespace, labelSelector) {
      return list("ReplicaSet", namespace, labelSelector);
    },
    async listControllerRevisions(namespace, labelSelector) {
      return list("ControllerRevision", namespace, labelSelector);
    },
    async listPods(namespace, labelSelector, limit) {
      return state()
        .pods.filter((p) => p.namespace === namespace && matchesLabelSelector(p.pod, labelSelector))
        .slice(0, limit)
        .map((p) => listItem(p.pod));
    },
    async readNode(name) {
      return get("Node", undefined, name);
    },
    async listHorizontalPodAutoscalers(namespace) {
      return list("HorizontalPodAutoscaler", namespace, "");
    },
    async readInferenceService() {
      // The demo cluster has no KServe: its CRD's path is unknown to the API server.
      throw new ClusterApiError(404, "the server could not find the requested resource", "NotFound");
    },
  };
}

/** ClusterReaders for `npm run demo`: every cluster name reads the built-in demo incidents. */
export function createDemoClusterReaders(): ClusterReaders {
  let state: DemoClusterState | undefined;
  let builtAt = 0;
  const current = () => {
    if (!state || Date.now() - builtAt > REBUILD_MS) {
      state = buildDemoCluster(new Date());
      builtAt = Date.now();
    }
    return state;
  };
  const pods = createPodReader(createDemoPodApi(current), { context: "demo" });
  const workload = createWorkloadGatherer(createDemoWorkloadApi(current), { context: "demo" });
  const reader: ClusterReader = { gather: pods.gather, gatherWorkload: workload.gather };
  return { forCluster: () => reader };
}
