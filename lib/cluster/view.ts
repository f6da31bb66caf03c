import { z } from "zod";

/**
 * Raw Kubernetes JSON read once: the pod view and the event rows that the status summary, the offline
 * signals, the prompt, the issue builder and the events table all use. The bundle keeps the objects as
 * the API returned them (the grounding check quotes them verbatim); this module only reads them.
 * Every field is optional and a field of the wrong type is dropped rather than failing the whole view,
 * because a pod from a fixture, an older API server or a CLI `--input` file may be partial.
 * Browser-safe: zod only.
 */

const str = z.string().optional().catch(undefined);
const num = z.number().optional().catch(undefined);
const bool = z.boolean().optional().catch(undefined);
const quantities = z.record(z.string(), z.union([z.string(), z.number()])).optional().catch(undefined);

/** An array whose malformed items are dropped instead of failing the whole pod. */
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(z.unknown())
    .optional()
    .catch(undefined)
    .transform((arr) =>
      (arr ?? []).flatMap((x): z.infer<T>[] => {
        const r = item.safeParse(x);
        return r.success ? [r.data] : [];
      }),
    );

const probeSchema = z
  .object({
    httpGet: z.object({ path: str, port: z.union([z.string(), z.number()]).optional().catch(undefined) }).optional().catch(undefined),
    tcpSocket: z.object({ port: z.union([z.string(), z.number()]).optional().catch(undefined) }).optional().catch(undefined),
    exec: z.object({ command: z.array(z.string()).optional().catch(undefined) }).optional().catch(undefined),
    grpc: z.object({ port: num }).optional().catch(undefined),
    initialDelaySeconds: num,
    periodSeconds: num,
    timeoutSeconds: num,
    failureThreshold: num,
  })
  .optional()
  .catch(undefined);
export type ProbeView = z.infer<typeof probeSchema>;

const containerSpecSchema = z.object({
  name: str,
  image: str,
  resources: z.object({ requests: quantities, limits: quantities }).optional().catch(undefined),
  startupProbe: probeSchema,
  livenessProbe: probeSchema,
  readinessProbe: probeSchema,
});
export type ContainerSpecView = z.infer<typeof containerSpecSchema>;

const terminatedSchema = z
  .object({ reason: str, message: str, exitCode: num, signal: num, startedAt: str, finishedAt: str })
  .optional()
  .catch(undefined);

const stateSchema = z
  .object({
    waiting: z.object({ reason: str, message: str }).optional().catch(undefined),
    running: z.object({ startedAt: str }).optional().catch(undefined),
    terminated: terminatedSchema,
  })
  .optional()
  .catch(undefined);
export type ContainerStateView = z.infer<typeof stateSchema>;

const containerStatusSchema = z.object({
  name: str,
  image: str,
  ready: bool,
  started: bool,
  restartCount: num,
  state: stateSchema,
  lastState: stateSchema,
});
export type ContainerStatusView = z.infer<typeof containerStatusSchema>;

const podSchema = z.object({
  metadata: z
    .object({
      name: str,
      namespace: str,
      labels: z.record(z.string(), z.string()).optional().catch(undefined),
      ownerReferences: list(z.object({ kind: str, name: str, controller: bool })),
    })
    .optional()
    .catch(undefined),
  spec: z
    .object({ nodeName: str, restartPolicy: str, containers: list(containerSpecSchema), initContainers: list(containerSpecSchema) })
    .optional()
    .catch(undefined),
  status: z
    .object({
      phase: str,
      reason: str,
      message: str,
      qosClass: str,
      startTime: str,
      nominatedNodeName: str,
      conditions: list(z.object({ type: str, status: str, reason: str, message: str })),
      containerStatuses: list(containerStatusSchema),
      initContainerStatuses: list(containerStatusSchema),
    })
    .optional()
    .catch(undefined),
});

/** The fields of a v1 Pod that anything downstream reads. */
export type PodView = z.infer<typeof podSchema>;

/** The pod view of a wire Pod; undefined when the pod is missing or not an object. */
export function viewPod(pod: unknown): PodView | undefined {
  if (!pod) return undefined;
  const r = podSchema.safeParse(pod);
  return r.success ? r.data : undefined;
}

/** One named container with its status: what happened to it now and the last time it ended. */
export interface ContainerView {
  name: string;
  init: boolean;
  ready?: boolean;
  restartCount: number;
  waiting?: { reason?: string; message?: string };
  terminated?: NonNullable<ContainerStateView>["terminated"];
  /** `lastState.terminated`: how the previous instance ended (exit code, OOMKilled...). */
  lastTerminated?: NonNullable<ContainerStateView>["terminated"];
}

/** The named container statuses of a pod, init containers first, in API order. */
export function containerViews(pod: PodView | undefined): ContainerView[] {
  const out: ContainerView[] = [];
  for (const [items, init] of [
    [pod?.status?.initContainerStatuses ?? [], true],
    [pod?.status?.containerStatuses ?? [], false],
  ] as const) {
    for (const cs of items) {
      if (!cs.name) continue;
      out.push({
        name: cs.name,
        init,
        ready: cs.ready,
        restartCount: cs.restartCount ?? 0,
        waiting: cs.state?.waiting,
        terminated: cs.state?.terminated,
        lastTerminated: cs.lastState?.terminated,
      });
    }
  }
  return out;
}

/** The spec of a named container (regular first, then init). */
export function containerSpec(pod: PodView | undefined, name: string | undefined): ContainerSpecView | undefined {
  return [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? [])].find((c) => c.name === name);
}

/* ---------- events ---------- */

const objectRefSchema = z.object({ kind: str, name: str }).optional().catch(undefined);

const eventSchema = z.object({
  type: str,
  reason: str,
  message: str,
  note: str,
  count: num,
  series: z.object({ count: num, lastObservedTime: str }).optional().catch(undefined),
  lastTimestamp: str,
  eventTime: str,
  metadata: z.object({ creationTimestamp: str }).optional().catch(undefined),
  involvedObject: objectRefSchema,
  regarding: objectRefSchema,
});

/** One core/v1 or events.k8s.io/v1 Event, flattened. */
export interface EventRow {
  /** "Warning" or "Normal" ("Normal" when the event has no type). */
  type: string;
  reason: string;
  /** `message` (core/v1), else `note` (events.k8s.io/v1); the text evidence quotes. */
  message: string;
  count: number;
  /** When it was last seen: lastTimestamp, series.lastObservedTime, eventTime, then creationTimestamp; "" when none. */
  lastSeen: string;
  /** "Kind/name" of the object it is about; "" when not given. */
  object: string;
}

/** One event as a row; an event that is not an object gives an empty row. */
export function viewEvent(raw: unknown): EventRow {
  const r = eventSchema.safeParse(raw);
  const e: Partial<z.infer<typeof eventSchema>> = r.success ? r.data : {};
  const obj = e.involvedObject ?? e.regarding;
  return {
    type: e.type || "Normal",
    reason: e.reason ?? "",
    message: e.message ?? e.note ?? "",
    count: e.count ?? e.series?.count ?? 1,
    lastSeen: e.lastTimestamp || e.series?.lastObservedTime || e.eventTime || e.metadata?.creationTimestamp || "",
    object: obj ? `${obj.kind ?? ""}/${obj.name ?? ""}` : "",
  };
}

/** Events as rows in the bundle's order (signals cite them by position). */
export function viewEvents(events: readonly unknown[]): EventRow[] {
  return events.map(viewEvent);
}

/** Events as rows, warnings first, then the most recently seen first. */
export function eventRows(events: readonly unknown[]): EventRow[] {
  return viewEvents(events).sort(
    (a, b) => Number(b.type === "Warning") - Number(a.type === "Warning") || b.lastSeen.localeCompare(a.lastSeen),
  );
}

