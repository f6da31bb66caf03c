import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { buildDemoCluster, type DemoClusterState } from "@/lib/demo/evidence";
import { answerLog } from "@/lib/demo/kubelet";
import { node } from "@/test/fixtures/workloads";

/**
 * A loopback fake of the Kubernetes API server for the reads the triage reader makes (wire-facts.md §2,
 * wire-facts-2.md §4): pods, pods/log and core/v1 events with the real paths, query parameters, field-selector
 * rules, bearer token check, Status objects for 400/401/403/404 and content types. Seeded from the demo
 * incidents. It also serves the pod's neighbourhood from `objects`: apps/v1 (replicasets, deployments,
 * statefulsets, daemonsets, controllerrevisions), batch/v1 jobs, autoscaling/v2 horizontalpodautoscalers,
 * nodes and KServe's serving.kserve.io/v1beta1 inferenceservices, get and list (label selectors, `limit` with
 * a continue token), with list items lacking kind and apiVersion as the API server sends them.
 */

export type KubeResource =
  | "pods"
  | "pods/log"
  | "events"
  | "replicasets"
  | "deployments"
  | "statefulsets"
  | "daemonsets"
  | "controllerrevisions"
  | "jobs"
  | "horizontalpodautoscalers"
  | "nodes"
  | "inferenceservices";

/** Where each served kind lives: API group, version, plural, and whether it is namespaced. */
export const SERVED_KINDS: Record<string, { group: string; version: string; resource: KubeResource; namespaced: boolean }> = {
  ReplicaSet: { group: "apps", version: "v1", resource: "replicasets", namespaced: true },
  Deployment: { group: "apps", version: "v1", resource: "deployments", namespaced: true },
  StatefulSet: { group: "apps", version: "v1", resource: "statefulsets", namespaced: true },
  DaemonSet: { group: "apps", version: "v1", resource: "daemonsets", namespaced: true },
  ControllerRevision: { group: "apps", version: "v1", resource: "controllerrevisions", namespaced: true },
  Job: { group: "batch", version: "v1", resource: "jobs", namespaced: true },
  HorizontalPodAutoscaler: { group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers", namespaced: true },
  Node: { group: "", version: "v1", resource: "nodes", namespaced: false },
  InferenceService: { group: "serving.kserve.io", version: "v1beta1", resource: "inferenceservices", namespaced: true },
};

export interface FakeKubeOptions {
  /** Accepted bearer tokens. Default ["test-token"]. */
  tokens?: string[];
  /** Cluster contents. Default: the demo incidents as of now. */
  state?: DemoClusterState;
  /** The identity named in Forbidden messages. */
  user?: string;
  /** Objects of SERVED_KINDS (wire JSON with kind and metadata), served beside the demo pods. Default: the demo pods' nodes. */
  objects?: Array<Record<string, unknown>>;
  /** Whether KServe's CRD is installed; without it its path is unknown to the server (404). Default true. */
  kserve?: boolean;
}

export interface RecordedKubeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
}

export interface FakeKube {
  url: string;
  requests: RecordedKubeRequest[];
  state: DemoClusterState;
  /** The neighbourhood objects served (mutable: push or splice to change the cluster). */
  objects: Array<Record<string, unknown>>;
  /** Answer 403 Forbidden for this resource from now on: every verb, or only `verb` (get or list). */
  forbid(resource: KubeResource, verb?: "get" | "list"): void;
  /** Never answer requests for this resource (to test timeouts). */
  hang(resource: KubeResource): void;
  /** Delete a pod (its events stay, as in a real cluster until their TTL). */
  deletePod(namespace: string, name: string): void;
  /**
   * Write a kubeconfig pointing at this fake, one context per entry (each with its own user and token),
   * and return its path.
   */
  writeKubeconfig(contexts?: Array<{ name: string; token: string }>, current?: string): string;
  close(): Promise<void>;
}

// core/v1 Event field labels the API server accepts (AddFieldLabelConversionsForEvent).
const EVENT_FIELDS: Record<string, string> = {
  "involvedObject.kind": "involvedObject.kind",
  "involvedObject.namespace": "involvedObject.namespace",
  "involvedObject.name": "involvedObject.name",
  "involvedObject.uid": "involvedObject.uid",
  "involvedObject.apiVersion": "involvedObject.apiVersion",
  "involvedObject.resourceVersion": "involvedObject.resourceVersion",
  "involvedObject.fieldPath": "involvedObject.fieldPath",
  reason: "reason",
  reportingComponent: "reportingComponent",
  source: "source.component",
  type: "type",
  "metadata.name": "metadata.name",
  "metadata.namespace": "metadata.namespace",
};

type Term = { field: string; op: "=" | "!="; value: string };

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "\\" && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** fields.ParseSelector: terms joined by ",", each `key=value`, `key==value` or `key!=value`. */
function parseFieldSelector(selector: string): Term[] | { error: string } {
  if (selector.trim() === "") return [];
  const terms: Term[] = [];
  for (const raw of splitUnescaped(selector, ",")) {
    const m = /^([^=!]+)(!=|==|=)(.*)$/.exec(raw);
    if (!m?.[1] || !m[2] || m[3] === undefined || /(!=|==|=)/.test(m[3].replace(/\\./g, ""))) {
      return { error: `invalid selector: '${selector}'; can't understand '${raw}'` };
    }
    const value = m[3].replace(/\\(.)/g, "$1");
    terms.push({ field: m[1].trim(), op: m[2] === "!=" ? "!=" : "=", value });
  }
  return terms;
}

function getPath(obj: unknown, dotted: string): string {
  let v: unknown = obj;
  for (const key of dotted.split(".")) v = v && typeof v === "object" ? Object.entries(v).find(([k]) => k === key)?.[1] : undefined;
  return typeof v === "string" ? v : "";
}

function status(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code };
}

type Requirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!" };

/** labels.Parse: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by commas outside parentheses. */
function parseLabelSelector(selector: string): Requirement[] | { error: string } {
  const terms: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of selector) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      terms.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur.trim() !== "" || terms.length > 0) terms.push(cur);
  const key = "([A-Za-z0-9][-A-Za-z0-9_./]*)";
  const out: Requirement[] = [];
  for (const raw of terms) {
    const t = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^${key}\\s+(in|notin)\\s*\\(([^()]*)\\)$`).exec(t)) && m[1] && m[2]) {
      out.push({ key: m[1], op: m[2] === "in" ? "in" : "notin", values: (m[3] ?? "").split(",").map((v) => v.trim()) });
    } else if ((m = new RegExp(`^${key}\\s*(!=|==|=)\\s*([-A-Za-z0-9_.]*)$`).exec(t)) && m[1] && m[2]) {
      out.push({ key: m[1], op: m[2] === "!=" ? "!=" : "=", value: m[3] ?? "" });
    } else if ((m = new RegExp(`^!${key}$`).exec(t)) && m[1]) {
      out.push({ key: m[1], op: "!" });
    } else if ((m = new RegExp(`^${key}$`).exec(t)) && m[1]) {
      out.push({ key: m[1], op: "exists" });
    } else {
      return { error: `unable to parse requirement: found '${t}', expected: identifier` };
    }
  }
  return out;
}

function labelsOf(obj: unknown): Record<string, string> {
  const labels = obj && typeof obj === "object" && "metadata" in obj && obj.metadata && typeof obj.metadata === "object" && "labels" in obj.metadata ? obj.metadata.labels : undefined;
  if (!labels || typeof labels !== "object") return {};
  return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === "string"));
}

function matchesSelector(obj: unknown, reqs: Requirement[]): boolean {
  const labels = labelsOf(obj);
  return reqs.every((r) => {
    const v = labels[r.key];
    if (r.op === "=") return v === r.value;
    if (r.op === "!=") return v !== r.value;
    if (r.op === "in") return v !== undefined && r.values.includes(v);
    if (r.op === "notin") return v === undefined || !r.values.includes(v);
    if (r.op === "exists") return v !== undefined;
    return v === undefined;
  });
}

/** A list item as the API server sends it: without kind and apiVersion. */
function listItem(obj: Record<string, unknown>): Record<string, unknown> {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = obj;
  return rest;
}

const KIND_BY_RESOURCE = new Map(Object.entries(SERVED_KINDS).map(([kind, k]) => [`${k.group}/${k.resource}`, { kind, ...k }]));

/** A Node for every node the cluster's pods run on. */
function nodesOf(state: DemoClusterState): Array<Record<string, unknown>> {
  const names = new Set(state.pods.map((p) => getPath(p.pod, "spec.nodeName")).filter((n) => n !== ""));
  return [...names].map((n) => node(new Date(), n));
}

/** Start the fake on 127.0.0.1 and a free port. */
export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const tokens = new Set(options.tokens ?? ["test-token"]);
  const user = options.user ?? "system:serviceaccount:triage:triage-console";
  const state = options.state ?? buildDemoCluster();
  const forbidden = new Set<string>();
  const objects = options.objects ?? nodesOf(state);
  const kserve = options.kserve ?? true;
  const hanging = new Set<KubeResource>();
  const requests: RecordedKubeRequest[] = [];

  const forbiddenBody = (resource: KubeResource, group: string, verb: string, ns: string | undefined, name?: string) => {
    const qualified = group ? `${resource}.${group}` : resource;
    const scope = ns ? `in the namespace "${ns}"` : "at the cluster scope";
    return status(
      403,
      "Forbidden",
      `${qualified}${name ? ` "${name}"` : ""} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`,
      { ...(name ? { name } : {}), ...(group ? { group } : {}), kind: resource },
    );
  };

  /** pods (list), nodes, apps/v1, batch/v1, autoscaling/v2 and KServe; undefined for any other path. */
  const serveNeighbourhood = (pathname: string, query: Record<string, string>): { code: number; body: unknown } | "hang" | undefined => {
    const core = /^\/api\/v1\/(?:namespaces\/([^/]+)\/(pods)|(nodes)(?:\/([^/]+))?)$/.exec(pathname);
    const grouped = /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(pathname);
    let group = "";
    let version = "v1";
    let resource: KubeResource;
    let ns: string | undefined;
    let name: string | undefined;
    if (core) {
      resource = core[2] ? "pods" : "nodes";
      ns = core[1];
      name = core[4];
    } else if (grouped?.[1] && grouped[2] && grouped[4]) {
      [group, version] = [grouped[1], grouped[2]];
      const known = KIND_BY_RESOURCE.get(`${group}/${grouped[4]}`);
      if (!known || known.version !== version || (group === "serving.kserve.io" && !kserve)) {
        return { code: 404, body: status(404, "NotFound", "the server could not find the requested resource", {}) };
      }
      resource = known.resource;
      ns = grouped[3];
      name = grouped[5];
    } else {
      return undefined;
    }
    if (hanging.has(resource)) return "hang";
    const verb = name ? "get" : "list";
    if (forbidden.has(resource) || forbidden.has(`${resource}:${verb}`)) return { code: 403, body: forbiddenBody(resource, group, verb, ns, name) };

    const entry = [...KIND_BY_RESOURCE.values()].find((k) => k.resource === resource);
    const kind = resource === "pods" ? "Pod" : (entry?.kind ?? "");
    const pool: Array<Record<string, unknown>> =
      resource === "pods"
        ? state.pods.filter((p) => p.namespace === ns).map((p) => p.pod)
        : objects.filter((o) => o.kind === kind && (!ns || getPath(o, "metadata.namespace") === ns));
    if (name) {
      const found = pool.find((o) => getPath(o, "metadata.name") === name);
      const qualified = group ? `${resource}.${group}` : resource;
      if (!found) return { code: 404, body: status(404, "NotFound", `${qualified} "${name}" not found`, { name, ...(group ? { group } : {}), kind: resource }) };
      return { code: 200, body: found };
    }
    const reqs = parseLabelSelector(query.labelSelector ?? "");
    if ("error" in reqs) return { code: 400, body: status(400, "BadRequest", reqs.error) };
    const matched = pool.filter((o) => matchesSelector(o, reqs));
    const limit = query.limit === undefined ? undefined : Number(query.limit);
    const page = limit && limit > 0 ? matched.slice(0, limit) : matched;
    const remaining = matched.length - page.length;
    const apiVersion = group ? `${group}/${version}` : "v1";
    return {
      code: 200,
      body: {
        kind: `${kind}List`,
        apiVersion,
        metadata: { resourceVersion: "48391207", ...(remaining > 0 ? { continue: "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDgzOTEyMDd9", remainingItemCount: remaining } : {}) },
        items: page.map(listItem),
      },
    };
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const query = Object.fromEntries(url.searchParams.entries());
    requests.push({ method: req.method ?? "GET", path: url.pathname, query, authorization: req.headers.authorization });
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    if (!auth?.[1] || !tokens.has(auth[1])) return json(401, status(401, "Unauthorized", "Unauthorized"));
    if (req.method !== "GET") return json(405, status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));

    const served = serveNeighbourhood(url.pathname, query);
    if (served) return served === "hang" ? undefined : json(served.code, served.body);

    const pod = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(\/log)?$/.exec(url.pathname);
    const events = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(url.pathname);
    const resource: KubeResource | undefined = pod ? (pod[3] ? "pods/log" : "pods") : events ? "events" : undefined;
    if (!resource) return json(404, status(404, "NotFound", "the server could not find the requested resource", {}));
    if (hanging.has(resource)) return; // the socket stays open until the client gives up or close()

    const ns = (pod ?? events)?.[1] ?? "";
    if (forbidden.has(resource) || forbidden.has(`${resource}:${resource === "events" ? "list" : "get"}`)) {
      const verb = resource === "events" ? "list" : "get";
      const subject = resource === "events" ? "events" : `pods "${pod?.[2] ?? ""}"`;
      return json(
        403,
        status(403, "Forbidden", `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "" in the namespace "${ns}"`, {
          ...(pod ? { name: pod[2] } : {}),
          kind: resource === "events" ? "events" : "pods",
        }),
      );
    }

    if (events) {
      const terms = parseFieldSelector(query.fieldSelector ?? "");
      if ("error" in terms) return json(400, status(400, "BadRequest", terms.error));
      const unsupported = terms.find((t) => !EVENT_FIELDS[t.field]);
      if (unsupported) return json(400, status(400, "BadRequest", `field label not supported: ${unsupported.field}`));
      const items = state.events
        .filter((e) => getPath(e, "metadata.namespace") === ns)
        .filter((e) => terms.every((t) => (getPath(e, EVENT_FIELDS[t.field] ?? "") === t.value) === (t.op === "=")));
      return json(200, { kind: "EventList", apiVersion: "v1", metadata: { resourceVersion: "48391207" }, items });
    }

    const name = pod?.[2] ?? "";
    const found = state.pods.find((p) => p.namespace === ns && p.name === name);
    if (!found) return json(404, status(404, "NotFound", `pods "${name}" not found`, { name, kind: "pods" }));
    if (resource === "pods") return json(200, found.pod);

    const int = (k: string) => (query[k] === undefined ? undefined : Number(query[k]));
    for (const k of ["tailLines", "limitBytes", "sinceSeconds"]) {
      const v = int(k);
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
        return json(400, status(400, "BadRequest", `PodLogOptions "${name}" is invalid: ${k}: Invalid value: ${query[k]}: must be greater than or equal to 0`));
      }
    }
    const answer = answerLog(found.pod, found.logs, {
      container: query.container,
      previous: query.previous === "true",
      tailLines: int("tailLines"),
      limitBytes: int("limitBytes"),
    });
    if (!answer.ok) return json(answer.code, status(answer.code, answer.reason, answer.message));
    let text = answer.text;
    if (query.timestamps === "true") {
      const stamp = new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
      text = text.replace(/^(?=.)/gm, `${stamp} `);
    }
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end(text);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    requests,
    state,
    objects,
    forbid: (r, verb) => void forbidden.add(verb ? `${r}:${verb}` : r),
    hang: (r) => void hanging.add(r),
    deletePod(namespace, name) {
      state.pods = state.pods.filter((p) => !(p.namespace === namespace && p.name === name));
    },
    writeKubeconfig(contexts = [{ name: "fake", token: [...tokens][0] ?? "test-token" }], current) {
      const dir = mkdtempSync(path.join(tmpdir(), "fake-kube-"));
      const file = path.join(dir, "kubeconfig");
      const doc = {
        apiVersion: "v1",
        kind: "Config",
        clusters: contexts.map((c) => ({ name: `${c.name}-cluster`, cluster: { server: url, "insecure-skip-tls-verify": true } })),
        users: contexts.map((c) => ({ name: `${c.name}-user`, user: { token: c.token } })),
        contexts: contexts.map((c) => ({ name: c.name, context: { cluster: `${c.name}-cluster`, user: `${c.name}-user`, namespace: "default" } })),
        "current-context": current ?? contexts[0]?.name ?? "fake",
        preferences: {},
      };
      writeFileSync(file, stringify(doc), { mode: 0o600 });
      return file;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
