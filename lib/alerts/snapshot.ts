import { createHash } from "node:crypto";
import { targetFromLabels, type AlertSnapshot, type Target } from "@/lib/alerts/types";

/**
 * The alert snapshot: the alert as an analysis saw it, and the fingerprint that names its incident.
 * Every entry point (webhook, console click, deep link, CLI, a bundle file) builds it here, so the same
 * pod gets the same fingerprint, and so the same GitHub issue, whichever way it was analyzed.
 */

// The schema lives with the other alert shapes in lib/alerts/types.ts, which imports nothing from Node,
// so the store's models and the browser's API schemas can use it without pulling in node:crypto.
export { alertSnapshotSchema, type AlertSnapshot, type AlertSnapshotInput } from "@/lib/alerts/types";

/** What an analysis without a live alert names: the pod, and optionally the alert and severity it is about. */
export type SnapshotTarget = Target & { alertname?: string; severity?: string };

/** The fields of a live alert (console, webhook) the snapshot keeps. */
export interface AlertLike {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  fingerprint: string;
  startsAt?: string;
  generatorURL?: string;
}

/**
 * The fingerprint of a pod analyzed without an Alertmanager alert: cluster, namespace and pod (not the
 * container nor the alert name, which a deep link or a CLI call may or may not give).
 */
export function targetFingerprint(t: Pick<Target, "cluster" | "namespace" | "pod">): string {
  return `t${createHash("sha256").update([t.cluster ?? "", t.namespace, t.pod].join("/")).digest("hex").slice(0, 15)}`;
}

/** The snapshot of a live alert, keeping its Alertmanager fingerprint. */
export function snapshotFromAlert(a: AlertLike): AlertSnapshot {
  return {
    labels: { ...a.labels },
    annotations: { ...(a.annotations ?? {}) },
    fingerprint: a.fingerprint,
    ...(a.startsAt ? { startsAt: a.startsAt } : {}),
    ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
  };
}

/** The snapshot of a bare pod: its labels as an alert rule would set them, and the target fingerprint. */
export function snapshotFromTarget(t: SnapshotTarget): AlertSnapshot {
  return {
    labels: {
      ...(t.alertname ? { alertname: t.alertname } : {}),
      ...(t.severity ? { severity: t.severity } : {}),
      namespace: t.namespace,
      pod: t.pod,
      ...(t.container ? { container: t.container } : {}),
      ...(t.cluster ? { cluster: t.cluster } : {}),
    },
    annotations: {},
    fingerprint: targetFingerprint(t),
  };
}

/**
 * The fingerprint of a snapshot: its own, else the target fingerprint of the pod it (or `target`) names;
 * undefined when it names neither (a hand-written bundle without namespace and pod).
 */
export function snapshotFingerprint(s: Pick<AlertSnapshot, "labels" | "fingerprint">, target?: Partial<Target>): string | undefined {
  if (s.fingerprint) return s.fingerprint;
  const t = target?.namespace && target.pod ? { cluster: target.cluster, namespace: target.namespace, pod: target.pod } : targetFromLabels(s.labels);
  return t ? targetFingerprint(t) : undefined;
}
