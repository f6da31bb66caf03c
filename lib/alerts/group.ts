import type { Alert } from "@/lib/alerts/types";

/** Pure grouping and ordering for the alert list; safe in client components. */

export const groupByOptions = ["alertname", "namespace", "cluster", "severity"] as const;
export type GroupBy = (typeof groupByOptions)[number];

/** A valid GroupBy from untrusted input (a URL parameter), else the default. */
export function parseGroupBy(v: string | null | undefined): GroupBy {
  return groupByOptions.find((o) => o === v) ?? "alertname";
}

const SEVERITY_ORDER = ["critical", "error", "warning", "info", "none"];

/** Lower is more urgent: critical 0, error 1, warning 2, info 3, none 4, anything else 5. */
export function severityRank(severity: string | undefined): number {
  const i = SEVERITY_ORDER.indexOf((severity ?? "").toLowerCase());
  return i === -1 ? SEVERITY_ORDER.length : i;
}

// Plain code-unit order: localeCompare is ~10x slower and sorting 10,000 alerts is on the page's critical path.
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const stateRank: Record<Alert["state"], number> = { active: 0, unprocessed: 1, suppressed: 2 };

/** Most urgent first: severity, then active before suppressed, then longest firing, then fingerprint (stable). */
export function compareAlerts(a: Alert, b: Alert): number {
  return (
    severityRank(a.labels.severity) - severityRank(b.labels.severity) ||
    stateRank[a.state] - stateRank[b.state] ||
    cmp(a.startsAt, b.startsAt) ||
    cmp(a.fingerprint, b.fingerprint)
  );
}

export interface GroupCounts {
  total: number;
  active: number;
  suppressed: number;
  /** Alerts per severity label value ("" when unlabelled). */
  bySeverity: Record<string, number>;
}

export interface AlertGroup {
  /** The label value shared by the group ("" when the label is missing). */
  key: string;
  /** What to show: the value, or "(no <label>)". */
  title: string;
  by: GroupBy;
  alerts: Alert[];
  counts: GroupCounts;
  /** The most urgent severity in the group. */
  topSeverity: string;
}

/** Count alerts by state and severity. */
export function countAlerts(alerts: readonly Alert[]): GroupCounts {
  const c: GroupCounts = { total: alerts.length, active: 0, suppressed: 0, bySeverity: {} };
  for (const a of alerts) {
    if (a.state === "active") c.active++;
    else if (a.state === "suppressed") c.suppressed++;
    const s = a.labels.severity ?? "";
    c.bySeverity[s] = (c.bySeverity[s] ?? 0) + 1;
  }
  return c;
}

/**
 * Group alerts by one label; groups are ordered most urgent first (critical first, then groups with more
 * active alerts, then by name) and alerts within a group by compareAlerts.
 */
export function groupAlerts(alerts: readonly Alert[], by: GroupBy = "alertname"): AlertGroup[] {
  const buckets = new Map<string, Alert[]>();
  for (const a of alerts) {
    const k = a.labels[by] ?? "";
    const list = buckets.get(k);
    if (list) list.push(a);
    else buckets.set(k, [a]);
  }
  const groups: AlertGroup[] = [...buckets].map(([key, list]) => {
    const sorted = list.sort(compareAlerts);
    const counts = countAlerts(sorted);
    const topSeverity = sorted[0]?.labels.severity ?? "";
    return { key, title: key === "" ? `(no ${by})` : key, by, alerts: sorted, counts, topSeverity };
  });
  return groups.sort(
    (a, b) =>
      severityRank(a.topSeverity) - severityRank(b.topSeverity) ||
      b.counts.active - a.counts.active ||
      (a.key === "" ? 1 : 0) - (b.key === "" ? 1 : 0) ||
      a.key.localeCompare(b.key),
  );
}

/** The number of alerts that were added, removed or changed state between two lists. */
export function countChanges(before: readonly Alert[], after: readonly Alert[]): number {
  const old = new Map(before.map((a) => [a.fingerprint, a]));
  let changes = 0;
  for (const a of after) {
    const o = old.get(a.fingerprint);
    if (!o) changes++;
    else {
      if (o.state !== a.state || o.startsAt !== a.startsAt) changes++;
      old.delete(a.fingerprint);
    }
  }
  return changes + old.size;
}

/** "12m", "3h 5m", "2d 4h": a compact duration for "firing for …". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** "firing for 12m" / "suppressed for 3h" relative to `now`. */
export function describeAge(alert: Pick<Alert, "state" | "startsAt">, now: number): string {
  const started = Date.parse(alert.startsAt);
  if (Number.isNaN(started)) return alert.state;
  const verb = alert.state === "suppressed" ? "suppressed, firing" : alert.state === "unprocessed" ? "unprocessed" : "firing";
  return `${verb} for ${formatDuration(now - started)}`;
}
