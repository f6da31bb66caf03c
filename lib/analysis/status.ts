import { z } from "zod";

/**
 * A compact, human-readable pod-status summary for the prompt, the offline report and the grounding
 * check. The pod is wire JSON from the API (or a fixture), so every field is optional and a field of
 * the wrong type is dropped rather than failing the summary.
 */

const str = z.string().optional().catch(undefined);
const num = z.number().optional().catch(undefined);
const bool = z.boolean().optional().catch(undefined);
const quantities = z.record(z.string(), z.union([z.string(), z.number()])).optional().catch(undefined);

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

const containerSpecSchema = z.object({
  name: str,
  image: str,
  resources: z.object({ requests: quantities, limits: quantities }).optional().catch(undefined),
  startupProbe: probeSchema,
  livenessProbe: probeSchema,
  readinessProbe: probeSchema,
});

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

const containerStatusSchema = z.object({
  name: str,
  image: str,
  ready: bool,
  started: bool,
  restartCount: num,
  state: stateSchema,
  lastState: stateSchema,
});

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
    .object({ nodeName: str, containers: list(containerSpecSchema), initContainers: list(containerSpecSchema) })
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

export type ParsedPod = z.infer<typeof podSchema>;

/** The fields of a v1 Pod the analysis reads, leniently parsed; undefined when the pod is missing or unreadable. */
export function parsePod(pod: Record<string, unknown> | null | undefined): ParsedPod | undefined {
  if (!pod) return undefined;
  const r = podSchema.safeParse(pod);
  return r.success ? r.data : undefined;
}

type ContainerSpec = z.infer<typeof containerSpecSchema>;
type ContainerStatus = z.infer<typeof containerStatusSchema>;
type Probe = z.infer<typeof probeSchema>;

const MAX_TEXT = 400;
const MAX_CONTAINERS = 12;

function clip(s: string, max = MAX_TEXT): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

function fmtQuantities(q: Record<string, string | number> | undefined): string {
  if (!q) return "none";
  const entries = Object.entries(q);
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(" ") : "none";
}

function fmtProbe(name: string, p: Probe): string | undefined {
  if (!p) return undefined;
  const how = p.httpGet
    ? `httpGet ${p.httpGet.path ?? "/"}:${p.httpGet.port ?? "?"}`
    : p.tcpSocket
      ? `tcpSocket :${p.tcpSocket.port ?? "?"}`
      : p.grpc
        ? `grpc :${p.grpc.port ?? "?"}`
        : p.exec
          ? `exec ${clip((p.exec.command ?? []).join(" "), 120)}`
          : "probe";
  const params = [
    `initialDelaySeconds=${p.initialDelaySeconds ?? 0}`,
    `periodSeconds=${p.periodSeconds ?? 10}`,
    `timeoutSeconds=${p.timeoutSeconds ?? 1}`,
    `failureThreshold=${p.failureThreshold ?? 3}`,
  ];
  return `${name}: ${how} ${params.join(" ")}`;
}

function fmtState(label: string, s: z.infer<typeof stateSchema>): string | undefined {
  if (!s) return undefined;
  if (s.waiting) return `${label}: waiting ${s.waiting.reason ?? ""}${s.waiting.message ? ` — ${clip(s.waiting.message)}` : ""}`.trimEnd();
  if (s.running) return `${label}: running since ${s.running.startedAt ?? "?"}`;
  if (s.terminated) {
    const t = s.terminated;
    const parts = [`${label}: terminated ${t.reason ?? ""}`.trimEnd()];
    if (t.exitCode !== undefined) parts.push(`exitCode=${t.exitCode}`);
    if (t.signal !== undefined) parts.push(`signal=${t.signal}`);
    if (t.finishedAt) parts.push(`finishedAt=${t.finishedAt}`);
    if (t.message) parts.push(`— ${clip(t.message)}`);
    return parts.join(" ");
  }
  return undefined;
}

function fmtContainer(kind: string, spec: ContainerSpec | undefined, st: ContainerStatus | undefined): string[] {
  const name = st?.name ?? spec?.name ?? "?";
  const lines = [`${kind} ${name}: image=${st?.image ?? spec?.image ?? "?"} ready=${st?.ready ?? "?"} restartCount=${st?.restartCount ?? 0}`];
  const state = fmtState("  state", st?.state);
  if (state) lines.push(state);
  const last = fmtState("  lastState", st?.lastState);
  if (last) lines.push(last);
  if (spec) {
    lines.push(`  requests: ${fmtQuantities(spec.resources?.requests)}; limits: ${fmtQuantities(spec.resources?.limits)}`);
    const probes = [
      fmtProbe("startupProbe", spec.startupProbe),
      fmtProbe("livenessProbe", spec.livenessProbe),
      fmtProbe("readinessProbe", spec.readinessProbe),
    ].filter((p): p is string => !!p);
    lines.push(...(probes.length ? probes.map((p) => `  ${p}`) : ["  probes: none"]));
  }
  return lines;
}

function containers(kind: string, specList: ContainerSpec[] = [], statusList: ContainerStatus[] = []): string[] {
  const names = [...new Set([...specList.map((s) => s.name), ...statusList.map((s) => s.name)])].slice(0, MAX_CONTAINERS);
  return names.flatMap((n) =>
    fmtContainer(
      kind,
      specList.find((s) => s.name === n),
      statusList.find((s) => s.name === n),
    ),
  );
}

/** A compact, line-oriented summary of a v1 Pod's status and spec; says so when the pod is gone. */
export function summarizePodStatus(pod: Record<string, unknown> | null | undefined): string {
  if (!pod) return "Pod not found: it was deleted, evicted and replaced, or never existed.";
  const parsed = parsePod(pod);
  if (!parsed) return "Pod status unreadable.";
  const { metadata, spec, status } = parsed;
  const head = [
    `pod ${metadata?.namespace ?? "?"}/${metadata?.name ?? "?"}`,
    `phase=${status?.phase ?? "?"}`,
    `node=${spec?.nodeName ?? status?.nominatedNodeName ?? "none (not scheduled)"}`,
    `qos=${status?.qosClass ?? "?"}`,
  ];
  if (status?.startTime) head.push(`startTime=${status.startTime}`);
  const lines = [head.join(" ")];
  if (status?.reason || status?.message) {
    lines.push(`status: ${status.reason ?? ""}${status.message ? ` — ${clip(status.message)}` : ""}`.trim());
  }
  const failing = (status?.conditions ?? []).filter((c) => c.status !== "True");
  for (const c of failing.slice(0, 6)) {
    lines.push(`condition ${c.type ?? "?"}=${c.status ?? "?"}${c.reason ? ` (${c.reason})` : ""}${c.message ? ` — ${clip(c.message)}` : ""}`);
  }
  lines.push(...containers("initContainer", spec?.initContainers, status?.initContainerStatuses));
  lines.push(...containers("container", spec?.containers, status?.containerStatuses));
  return lines.join("\n");
}
