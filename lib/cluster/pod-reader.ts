import type { Target } from "@/lib/alerts/types";
import { hasBrand, setBrand } from "@/lib/errors";
import type { ClusterPart, EvidenceError } from "@/lib/cluster/bundle";
import {
  chooseContainer,
  containerStatus,
  hasPreviousContainer,
  ownerCandidates,
  type OwnerRef,
} from "@/lib/cluster/pod";
import { viewEvent, viewPod, type PodView } from "@/lib/cluster/view";
import {
  DEFAULT_LIMIT_BYTES,
  DEFAULT_TAIL_LINES,
  DEFAULT_TIMEOUT_MS,
  type ClusterReader,
  type GatheredEvidence,
  type GatherOptions,
} from "@/lib/cluster/reader";

export type WireObject = Record<string, unknown>;

export interface LogRequest {
  container?: string;
  previous: boolean;
  tailLines: number;
  limitBytes: number;
}

/**
 * The three Kubernetes reads the evidence needs, over any transport (the real API client or the demo).
 * Implementations throw ClusterApiError for anything but success, and stop when `signal` aborts.
 */
export interface PodApi {
  readPod(namespace: string, name: string, signal: AbortSignal): Promise<WireObject>;
  readLog(namespace: string, name: string, request: LogRequest, signal: AbortSignal): Promise<string>;
  listEvents(namespace: string, fieldSelector: string, signal: AbortSignal): Promise<WireObject[]>;
}

const CLUSTER_API_ERROR = Symbol.for("triage.ClusterApiError");

/** A failed Kubernetes read: the HTTP status (or timeout/unreachable) and the Status object's reason and message. */
export class ClusterApiError extends Error {
  constructor(
    readonly status: number | "timeout" | "unreachable" | "not_configured",
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = "ClusterApiError";
    setBrand(this, CLUSTER_API_ERROR);
  }
}

/** Whether e is a ClusterApiError from any copy of this module (see setBrand in lib/errors.ts). */
export function isClusterApiError(e: unknown): e is ClusterApiError {
  return hasBrand(e, CLUSTER_API_ERROR) && "status" in e;
}

/** Where a reader is pointed, for error sentences ("cannot reach https://…"). */
export interface ReaderContext {
  server?: string;
  context?: string;
}

/** A read's result: the value, or the ClusterApiError it failed with. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ClusterApiError };

/** Run one read with its own timeout; never rejects. */
export function bounded<T>(timeoutMs: number, what: string, run: (signal: AbortSignal) => Promise<T>): Promise<Outcome<T>> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // The race guarantees an answer even from a transport that ignores the abort.
  const timeout = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ ok: false, error: new ClusterApiError("timeout", `${what} timed out after ${timeoutMs} ms`) });
    }, timeoutMs);
  });
  const work = run(controller.signal).then(
    (value): Outcome<T> => ({ ok: true, value }),
    (e: unknown): Outcome<T> => ({
      ok: false,
      error: isClusterApiError(e) ? e : new ClusterApiError("unreachable", e instanceof Error ? e.message : String(e)),
    }),
  );
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const verbFor: Record<ClusterPart, string> = {
  pod: "get on pods",
  logs: "get on pods/log",
  previousLogs: "get on pods/log",
  events: "list on events",
  ownerEvents: "list on events",
  workload: "get on the pod's owner",
  siblings: "list on pods",
  node: "get on nodes",
  hpa: "list on horizontalpodautoscalers.autoscaling",
};

const partNoun: Record<ClusterPart, string> = {
  pod: "the pod",
  logs: "the current logs",
  previousLogs: "the previous container's logs",
  events: "the pod's events",
  ownerEvents: "the owner's events",
  workload: "the pod's owner and its revisions",
  siblings: "the owner's pods",
  node: "the node",
  hpa: "the HorizontalPodAutoscaler",
};

/** A sentence a person can act on for one failed read. */
export function describeFailure(
  part: ClusterPart,
  error: ClusterApiError,
  where: { namespace: string; pod: string; container?: string; timeoutMs: number } & ReaderContext,
): EvidenceError {
  const { status } = error;
  const ns = where.namespace;
  const target = where.context ? ` (context ${where.context})` : "";
  let message: string;
  if (status === 401) {
    message = `the cluster${target} rejected the credentials: refresh the kubeconfig/token and retry`;
  } else if (status === 403) {
    const who = /User "([^"]+)"/.exec(error.message)?.[1];
    const subject = !who || who.startsWith("system:serviceaccount:") ? "the service account" : `user ${who}`;
    message = `${subject} lacks ${verbFor[part]} in namespace ${ns} (add it to the triage Role in that namespace, deploy/kubernetes/watched-namespaces)`;
  } else if (status === 404) {
    message =
      part === "pod"
        ? `the pod ${ns}/${where.pod} no longer exists; showing its owner's events instead`
        : `${partNoun[part]} could not be read: the pod ${ns}/${where.pod} no longer exists`;
  } else if (status === 400 && /waiting to start/.test(error.message)) {
    const why = /waiting to start:?\s*(.*)$/.exec(error.message)?.[1]?.trim() || "not started";
    message = `${where.container ? `container ${where.container}` : "the container"} has not started yet (${why}), so no logs exist yet: the pod's status and events explain why`;
  } else if (status === 400 && /previous terminated container/.test(error.message)) {
    message = `no previous container logs: ${where.container ? `container ${where.container}` : "the container"} has not terminated before (or the kubelet already discarded it)`;
  } else if (status === "timeout") {
    message = `reading ${partNoun[part]} timed out after ${where.timeoutMs} ms: the API server or kubelet is slow; retry, or raise KUBE_TIMEOUT_MS`;
  } else if (status === "unreachable") {
    message = `cannot reach the Kubernetes API${where.server ? ` at ${where.server}` : ""}${target}: check the kubeconfig context and the network (${error.message})`;
  } else if (status === "not_configured") {
    message = error.message;
  } else if (status === 429 || (typeof status === "number" && status >= 500)) {
    message = `the API server answered ${status} reading ${partNoun[part]}: retry in a minute (${error.message})`;
  } else {
    message = `reading ${partNoun[part]} failed with ${status}: ${error.message}`;
  }
  return { part, code: status, message };
}

function eventTime(e: WireObject): number {
  return Date.parse(viewEvent(e).lastSeen) || 0;
}

/** Events oldest first, by lastTimestamp, then series.lastObservedTime, eventTime, creationTimestamp. */
export function sortEvents(events: WireObject[]): WireObject[] {
  return [...events].sort((a, b) => eventTime(a) - eventTime(b));
}

const FEW_EVENTS = 3;

/**
 * A ClusterReader over any PodApi: pod and events in parallel, then the chosen container's current and
 * previous logs, and the owners' events when the pod is gone or has few events of its own.
 */
export function createPodReader(
  api: PodApi,
  defaults: { timeoutMs?: number; tailLines?: number; limitBytes?: number } & ReaderContext = {},
): ClusterReader {
  return {
    async gather(target: Target, options: GatherOptions = {}): Promise<GatheredEvidence> {
      const timeoutMs = options.timeoutMs ?? defaults.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const tailLines = options.tailLines ?? defaults.tailLines ?? DEFAULT_TAIL_LINES;
      const limitBytes = options.limitBytes ?? defaults.limitBytes ?? DEFAULT_LIMIT_BYTES;
      const { namespace, pod: name } = target;
      const hint = target.container ?? options.container;
      const errors: EvidenceError[] = [];
      const where = (container?: string) => ({ namespace, pod: name, container, timeoutMs, ...defaults });
      const readLog = (container: string | undefined, previous: boolean) =>
        bounded(timeoutMs, "log read", (s) => api.readLog(namespace, name, { container, previous, tailLines, limitBytes }, s));
      const listEvents = (kind: string, objectName: string) =>
        bounded(timeoutMs, "event list", (s) =>
          api.listEvents(namespace, `involvedObject.kind=${kind},involvedObject.name=${objectName}`, s),
        );

      const podP = bounded(timeoutMs, "pod read", (s) => api.readPod(namespace, name, s));
      const eventsP = listEvents("Pod", name);
      // With a known container the current logs need not wait for the pod.
      const earlyLogsP = hint ? readLog(hint, false) : undefined;

      const podOutcome = await podP;
      const podGone = !podOutcome.ok && podOutcome.error.status === 404;
      const view: PodView | undefined = podOutcome.ok ? viewPod(podOutcome.value) : undefined;
      if (!podOutcome.ok) errors.push(describeFailure("pod", podOutcome.error, where(hint)));

      const container = view ? chooseContainer(view, hint) : hint;
      const logsP = podGone
        ? undefined
        : earlyLogsP && container === hint
          ? earlyLogsP
          : readLog(container, false);
      const status = view && container ? containerStatus(view, container) : undefined;
      const previousP = !podGone && hasPreviousContainer(status) ? readLog(container, true) : undefined;

      const [eventsOutcome, logsOutcome, previousOutcome] = await Promise.all([eventsP, logsP, previousP]);
      let events: WireObject[] = [];
      if (eventsOutcome.ok) events = sortEvents(eventsOutcome.value);
      else if (!podGone) errors.push(describeFailure("events", eventsOutcome.error, where(container)));

      let logs: string | undefined;
      if (logsOutcome?.ok) logs = logsOutcome.value;
      else if (logsOutcome) errors.push(describeFailure("logs", logsOutcome.error, where(container)));
      let previousLogs: string | undefined;
      if (previousOutcome?.ok) previousLogs = previousOutcome.value;
      else if (previousOutcome) errors.push(describeFailure("previousLogs", previousOutcome.error, where(container)));

      if (podGone || events.length < FEW_EVENTS) {
        const owners = ownerCandidates(view, name);
        const ownerOutcomes = await Promise.all(owners.map((o) => listEvents(o.kind, o.name)));
        const found: OwnerRef[] = [];
        const ownerEvents: WireObject[] = [];
        ownerOutcomes.forEach((o, i) => {
          const owner = owners[i];
          if (o.ok && owner && o.value.length > 0) {
            found.push(owner);
            ownerEvents.push(...o.value);
          }
        });
        const failed = ownerOutcomes.find((o) => !o.ok);
        if (failed && !failed.ok && ownerEvents.length === 0) {
          errors.push(describeFailure("ownerEvents", failed.error, where(container)));
        }
        events = [...events, ...sortEvents(ownerEvents)];
        if (podGone) {
          const podError = errors.find((e) => e.part === "pod");
          if (podError) {
            podError.message =
              found.length > 0
                ? `the pod ${namespace}/${name} no longer exists; showing its ${found.map((o) => o.kind).join(" and ")}'s events`
                : `the pod ${namespace}/${name} no longer exists, and no events of its owners remain`;
          }
          errors.push({ part: "logs", code: 404, message: "no logs: they were deleted with the pod" });
        }
      }

      return {
        target,
        pod: podOutcome.ok ? podOutcome.value : podGone ? null : undefined,
        events,
        logs,
        previousLogs,
        container,
        tailLines,
        errors,
        gatheredAt: new Date().toISOString(),
      };
    },
  };
}
