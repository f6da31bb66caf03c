import { z } from "zod";
import type { ContainerLogs } from "@/lib/demo/evidence";
import type { Json } from "@/lib/demo/k8s-objects";

/**
 * How the API server and kubelet answer a pod log request, reproduced for the demo cluster and the
 * test fake: which container instance is read, and the exact 400 messages when none can be
 * (kubelet validateContainerLogStatus, apiserver pod LogLocation).
 */

export type LogAnswer = { ok: true; text: string } | { ok: false; code: number; reason: string; message: string };

export interface LogQuery {
  container?: string;
  previous?: boolean;
  tailLines?: number;
  limitBytes?: number;
}

const stateSchema = z
  .object({
    waiting: z.object({ reason: z.string().optional() }).optional(),
    running: z.object({}).loose().optional(),
    terminated: z.object({ containerID: z.string().optional() }).loose().optional(),
  })
  .optional();

const podSchema = z.object({
  metadata: z.object({ name: z.string() }),
  spec: z.object({
    nodeName: z.string().optional(),
    containers: z.array(z.object({ name: z.string() })),
    initContainers: z.array(z.object({ name: z.string() })).optional(),
  }),
  status: z
    .object({
      containerStatuses: z.array(z.object({ name: z.string(), state: stateSchema, lastState: stateSchema })).optional(),
      initContainerStatuses: z.array(z.object({ name: z.string(), state: stateSchema, lastState: stateSchema })).optional(),
    })
    .optional(),
});

const bad = (message: string): LogAnswer => ({ ok: false, code: 400, reason: "BadRequest", message });

function tail(text: string, q: LogQuery): string {
  let out = text;
  if (q.tailLines !== undefined && q.tailLines >= 0) {
    const lines = out.split("\n");
    const trailing = lines[lines.length - 1] === "" ? lines.pop() : undefined;
    out = lines.slice(Math.max(0, lines.length - q.tailLines)).join("\n") + (trailing !== undefined && q.tailLines > 0 ? "\n" : "");
  }
  if (q.limitBytes !== undefined && q.limitBytes >= 0) {
    const buf = Buffer.from(out, "utf8");
    if (buf.length > q.limitBytes) out = buf.subarray(0, q.limitBytes).toString("utf8");
  }
  return out;
}

/** The answer to `GET .../pods/{name}/log` for a pod and its recorded container logs. */
export function answerLog(podJson: Json, logs: ContainerLogs, q: LogQuery): LogAnswer {
  const parsed = podSchema.safeParse(podJson);
  if (!parsed.success) return { ok: false, code: 500, reason: "InternalError", message: "malformed pod" };
  const pod = parsed.data;
  const name = pod.metadata.name;
  const containers = pod.spec.containers.map((c) => c.name);
  const inits = (pod.spec.initContainers ?? []).map((c) => c.name);
  let container = q.container;
  if (!container) {
    if (containers.length !== 1 || inits.length > 0) {
      const initPart = inits.length ? ` or one of the init containers: [${inits.join(" ")}]` : "";
      return bad(`a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]${initPart}`);
    }
    container = containers[0];
  }
  if (!container || ![...containers, ...inits].includes(container)) return bad(`container ${container ?? ""} is not valid for pod ${name}`);
  // An unscheduled pod has no kubelet to ask: the API server answers with an empty body.
  if (!pod.spec.nodeName) return { ok: true, text: "" };

  const status = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((s) => s.name === container);
  const recorded = logs[container] ?? {};
  const state = status?.state;
  const last = status?.lastState;
  if (q.previous) {
    if (!last?.terminated) return bad(`previous terminated container "${container}" in pod "${name}" not found`);
    return { ok: true, text: tail(recorded.previous ?? "", q) };
  }
  if (state?.running || state?.terminated) return { ok: true, text: tail(recorded.current ?? "", q) };
  if (last?.terminated) return { ok: true, text: tail(recorded.previous ?? recorded.current ?? "", q) };
  const reason = state?.waiting?.reason ?? "ContainerCreating";
  if (reason === "ErrImagePull") return bad(`container "${container}" in pod "${name}" is waiting to start: image can't be pulled`);
  if (reason === "ImagePullBackOff") return bad(`container "${container}" in pod "${name}" is waiting to start: trying and failing to pull image`);
  return bad(`container "${container}" in pod "${name}" is waiting to start: ${reason}`);
}
