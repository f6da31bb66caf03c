import { ClusterApiError, createPodReader, type PodApi } from "@/lib/cluster/pod-reader";
import type { ClusterReader, ClusterReaders } from "@/lib/cluster/reader";
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
  const reader: ClusterReader = createPodReader(createDemoPodApi(current), { context: "demo" });
  return { forCluster: () => reader };
}
