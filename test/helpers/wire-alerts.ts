import { createHash } from "node:crypto";
import { demoIncidents } from "@/lib/demo/incidents";

/** A firing alert as Alertmanager's webhook sends it (version 4), for the replica test and bench. */
export interface WireAlert {
  status: "firing";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

const startsAt = new Date(Date.now() - 10 * 60_000).toISOString();

/** One distinct firing alert on a demo pod (critical ones are filed automatically). */
export function wireAlert(id: string, n: number, severity?: string): WireAlert {
  const base = demoIncidents[n % demoIncidents.length]?.labels ?? {};
  const labels: Record<string, string> = { ...base, ...(severity ? { severity } : {}), alert_id: id };
  return {
    status: "firing",
    labels,
    annotations: { summary: `${labels.namespace}/${labels.pod} needs attention` },
    startsAt,
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus:9090/graph?g0.expr=up",
    fingerprint: createHash("sha256").update(id).digest("hex").slice(0, 16),
  };
}

/** A version 4 webhook body, byte for byte the same whichever Alertmanager of a pair sends it. */
export function webhookBody(alerts: WireAlert[], group: string): string {
  return (
    JSON.stringify({
      receiver: "triage-console",
      status: "firing",
      alerts,
      notification_reason: "first notification",
      groupLabels: { group },
      commonLabels: {},
      commonAnnotations: {},
      routeLabels: {},
      externalURL: "http://alertmanager:9093",
      version: "4",
      groupKey: `{}:{group="${group}"}`,
      truncatedAlerts: 0,
    }) + "\n"
  );
}
