import { viewPod, type ContainerSpecView, type ContainerStateView, type ContainerStatusView, type ProbeView } from "@/lib/cluster/view";

/**
 * A compact, human-readable pod-status summary for the prompt, the offline report and the grounding
 * check, written from the pod view (lib/cluster/view), so a field of the wrong type is left out rather
 * than failing the summary.
 */

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

function fmtProbe(name: string, p: ProbeView): string | undefined {
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

function fmtState(label: string, s: ContainerStateView): string | undefined {
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

function fmtContainer(kind: string, spec: ContainerSpecView | undefined, st: ContainerStatusView | undefined): string[] {
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

function containers(kind: string, specList: ContainerSpecView[] = [], statusList: ContainerStatusView[] = []): string[] {
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
  const parsed = viewPod(pod);
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
