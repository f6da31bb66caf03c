import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { buildDemoCluster, type DemoClusterState } from "@/lib/demo/evidence";
import { answerLog } from "@/lib/demo/kubelet";

/**
 * A loopback fake of the Kubernetes API server for the reads the triage reader makes (wire-facts.md §2):
 * pods, pods/log and core/v1 events with the real paths, query parameters, field-selector rules, bearer
 * token check, Status objects for 400/401/403/404 and content types. Seeded from the demo incidents.
 */

export type KubeResource = "pods" | "pods/log" | "events";

export interface FakeKubeOptions {
  /** Accepted bearer tokens. Default ["test-token"]. */
  tokens?: string[];
  /** Cluster contents. Default: the demo incidents as of now. */
  state?: DemoClusterState;
  /** The identity named in Forbidden messages. */
  user?: string;
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
  /** Answer 403 Forbidden for this resource from now on. */
  forbid(resource: KubeResource): void;
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

/** Start the fake on 127.0.0.1 and a free port. */
export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const tokens = new Set(options.tokens ?? ["test-token"]);
  const user = options.user ?? "system:serviceaccount:triage:triage-console";
  const state = options.state ?? buildDemoCluster();
  const forbidden = new Set<KubeResource>();
  const hanging = new Set<KubeResource>();
  const requests: RecordedKubeRequest[] = [];

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

    const pod = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(\/log)?$/.exec(url.pathname);
    const events = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(url.pathname);
    const resource: KubeResource | undefined = pod ? (pod[3] ? "pods/log" : "pods") : events ? "events" : undefined;
    if (!resource) return json(404, status(404, "NotFound", "the server could not find the requested resource", {}));
    if (hanging.has(resource)) return; // the socket stays open until the client gives up or close()

    const ns = (pod ?? events)?.[1] ?? "";
    if (forbidden.has(resource)) {
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
    forbid: (r) => void forbidden.add(r),
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
