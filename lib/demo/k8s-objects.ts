/**
 * Builders for demo Kubernetes objects in wire JSON (string times, API field names), so the demo
 * reader and the test fake serve exactly what an API server would.
 */

export type Json = Record<string, unknown>;

/** Deterministic PRNG (mulberry32), so demo logs are the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Clock helpers relative to one `now`. */
export function clock(now: Date) {
  const at = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000);
  return {
    at,
    /** metav1.Time: RFC 3339, whole seconds. */
    rfc: (secondsAgo: number) => at(secondsAgo).toISOString().replace(/\.\d{3}Z$/, "Z"),
    /** metav1.MicroTime: RFC 3339 with microseconds. */
    micro: (secondsAgo: number) => at(secondsAgo).toISOString().replace(/Z$/, "000Z"),
  };
}

export function hex(rand: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
}

export function uid(rand: () => number): string {
  return `${hex(rand, 8)}-${hex(rand, 4)}-4${hex(rand, 3)}-${"89ab"[Math.floor(rand() * 4)]}${hex(rand, 3)}-${hex(rand, 12)}`;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  port?: number;
  env?: Array<{ name: string; value?: string; valueFrom?: Json }>;
  requests: Record<string, string>;
  limits: Record<string, string>;
  livenessProbe?: Json;
  readinessProbe?: Json;
  startupProbe?: Json;
  volumeMounts?: Json[];
}

export function containerJson(c: ContainerSpec): Json {
  return {
    name: c.name,
    image: c.image,
    ...(c.command ? { command: c.command } : {}),
    ...(c.args ? { args: c.args } : {}),
    ...(c.port ? { ports: [{ name: "http", containerPort: c.port, protocol: "TCP" }] } : {}),
    ...(c.env ? { env: c.env } : {}),
    resources: { limits: c.limits, requests: c.requests },
    ...(c.livenessProbe ? { livenessProbe: c.livenessProbe } : {}),
    ...(c.readinessProbe ? { readinessProbe: c.readinessProbe } : {}),
    ...(c.startupProbe ? { startupProbe: c.startupProbe } : {}),
    volumeMounts: [
      ...(c.volumeMounts ?? []),
      { name: "kube-api-access-7xk2p", readOnly: true, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" },
    ],
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    imagePullPolicy: "IfNotPresent",
  };
}

export function httpProbe(path: string, port: number, o: { initialDelaySeconds?: number; periodSeconds?: number; timeoutSeconds?: number; failureThreshold?: number } = {}): Json {
  return {
    httpGet: { path, port, scheme: "HTTP" },
    initialDelaySeconds: o.initialDelaySeconds ?? 0,
    timeoutSeconds: o.timeoutSeconds ?? 1,
    periodSeconds: o.periodSeconds ?? 10,
    successThreshold: 1,
    failureThreshold: o.failureThreshold ?? 3,
  };
}

export interface PodSpecInput {
  namespace: string;
  name: string;
  app: string;
  labels?: Record<string, string>;
  uid: string;
  replicaSetUid: string;
  createdSecondsAgo: number;
  nodeName?: string;
  hostIP?: string;
  podIP?: string;
  containers: ContainerSpec[];
  nodeSelector?: Record<string, string>;
  gpu?: boolean;
  volumes?: Json[];
  phase: "Pending" | "Running" | "Failed" | "Succeeded";
  conditions: Json[];
  containerStatuses?: Json[];
  qosClass: "Guaranteed" | "Burstable" | "BestEffort";
}

/** The ReplicaSet a Deployment pod belongs to: the pod name without its 5-character suffix. */
export function replicaSetOf(podName: string): string {
  return podName.replace(/-[a-z0-9]{5}$/, "");
}

/** A v1 Pod as `GET /api/v1/namespaces/{ns}/pods/{name}` returns it. */
export function podJson(p: PodSpecInput, c: ReturnType<typeof clock>): Json {
  const rs = replicaSetOf(p.name);
  const hash = rs.slice(rs.lastIndexOf("-") + 1);
  return {
    kind: "Pod",
    apiVersion: "v1",
    metadata: {
      name: p.name,
      generateName: `${rs}-`,
      namespace: p.namespace,
      uid: p.uid,
      resourceVersion: String(48_210_000 + (p.uid.charCodeAt(0) * 131) % 9999),
      creationTimestamp: c.rfc(p.createdSecondsAgo),
      labels: { app: p.app, "app.kubernetes.io/name": p.app, "pod-template-hash": hash, ...p.labels },
      annotations: { "prometheus.io/scrape": "true", "kubectl.kubernetes.io/restartedAt": c.rfc(p.createdSecondsAgo + 120) },
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: rs, uid: p.replicaSetUid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      volumes: [
        ...(p.volumes ?? []),
        {
          name: "kube-api-access-7xk2p",
          projected: {
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
              { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
              { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
            ],
            defaultMode: 420,
          },
        },
      ],
      containers: p.containers.map(containerJson),
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      ...(p.nodeSelector ? { nodeSelector: p.nodeSelector } : {}),
      serviceAccountName: p.app,
      serviceAccount: p.app,
      ...(p.nodeName ? { nodeName: p.nodeName } : {}),
      securityContext: {},
      schedulerName: "default-scheduler",
      tolerations: [
        ...(p.gpu ? [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] : []),
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
    },
    status: {
      phase: p.phase,
      conditions: p.conditions,
      ...(p.hostIP ? { hostIP: p.hostIP, hostIPs: [{ ip: p.hostIP }] } : {}),
      ...(p.podIP ? { podIP: p.podIP, podIPs: [{ ip: p.podIP }] } : {}),
      ...(p.nodeName ? { startTime: c.rfc(p.createdSecondsAgo - 1) } : {}),
      ...(p.containerStatuses ? { containerStatuses: p.containerStatuses } : {}),
      qosClass: p.qosClass,
    },
  };
}

/** Pod conditions for a scheduled pod; `ready` false lists the unready containers. */
export function conditions(c: ReturnType<typeof clock>, createdSecondsAgo: number, ready: boolean, unready: string[] = [], readySince = createdSecondsAgo - 60): Json[] {
  const msg = `containers with unready status: [${unready.join(" ")}]`;
  return [
    { type: "PodReadyToStartContainers", status: "True", lastProbeTime: null, lastTransitionTime: c.rfc(createdSecondsAgo - 3) },
    { type: "Initialized", status: "True", lastProbeTime: null, lastTransitionTime: c.rfc(createdSecondsAgo - 1) },
    ready
      ? { type: "Ready", status: "True", lastProbeTime: null, lastTransitionTime: c.rfc(readySince) }
      : { type: "Ready", status: "False", lastProbeTime: null, lastTransitionTime: c.rfc(readySince), reason: "ContainersNotReady", message: msg },
    ready
      ? { type: "ContainersReady", status: "True", lastProbeTime: null, lastTransitionTime: c.rfc(readySince) }
      : { type: "ContainersReady", status: "False", lastProbeTime: null, lastTransitionTime: c.rfc(readySince), reason: "ContainersNotReady", message: msg },
    { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: c.rfc(createdSecondsAgo) },
  ];
}

export interface EventInput {
  namespace: string;
  kind: "Pod" | "ReplicaSet" | "Deployment" | "StatefulSet" | "Job";
  name: string;
  uid: string;
  fieldPath?: string;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  component: string;
  host?: string;
  firstSecondsAgo: number;
  lastSecondsAgo?: number;
  count?: number;
  /** Recorded through events.k8s.io (kube-scheduler does): core/v1 then shows null first/lastTimestamp and a series. */
  series?: boolean;
}

/** A core/v1 Event as `GET /api/v1/namespaces/{ns}/events` lists it. */
export function eventJson(e: EventInput, c: ReturnType<typeof clock>, rand: () => number): Json {
  const last = e.lastSecondsAgo ?? e.firstSecondsAgo;
  return {
    metadata: {
      name: `${e.name}.${hex(rand, 16)}`,
      namespace: e.namespace,
      uid: uid(rand),
      resourceVersion: String(48_300_000 + Math.floor(rand() * 90_000)),
      creationTimestamp: c.rfc(e.firstSecondsAgo),
    },
    involvedObject: {
      kind: e.kind,
      namespace: e.namespace,
      name: e.name,
      uid: e.uid,
      apiVersion: e.kind === "Pod" ? "v1" : e.kind === "Job" ? "batch/v1" : "apps/v1",
      resourceVersion: String(48_200_000 + Math.floor(rand() * 90_000)),
      ...(e.fieldPath ? { fieldPath: e.fieldPath } : {}),
    },
    reason: e.reason,
    message: e.message,
    ...(e.series ? seriesFields(e, c) : classicFields(e, c, last)),
  };
}

function classicFields(e: EventInput, c: ReturnType<typeof clock>, last: number): Json {
  return {
    source: e.host ? { component: e.component, host: e.host } : { component: e.component },
    firstTimestamp: c.rfc(e.firstSecondsAgo),
    lastTimestamp: c.rfc(last),
    count: e.count ?? 1,
    type: e.type,
    eventTime: null,
    reportingComponent: e.component,
    reportingInstance: e.host ?? "",
  };
}

function seriesFields(e: EventInput, c: ReturnType<typeof clock>): Json {
  return {
    source: {},
    firstTimestamp: null,
    lastTimestamp: null,
    ...((e.count ?? 1) > 1 ? { series: { count: e.count, lastObservedTime: c.micro(e.lastSecondsAgo ?? e.firstSecondsAgo) } } : {}),
    type: e.type,
    eventTime: c.micro(e.firstSecondsAgo),
    action: "Scheduling",
    reportingComponent: e.component,
    reportingInstance: `${e.component}-${e.host ?? "control-plane"}`,
  };
}
