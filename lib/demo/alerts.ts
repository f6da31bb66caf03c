import type { Alert, AlertListResult, AlertSource } from "@/lib/alerts/types";
import { parseFilters, matchAlert } from "@/lib/alerts/matchers";
import { demoIncidents, type DemoIncident } from "@/lib/demo/incidents";

const SOURCE = "demo";

/** The demo incident as Alertmanager API v2 would list it, with times relative to `now`. */
export function demoAlert(incident: DemoIncident, now: Date = new Date()): Alert {
  const startsAt = new Date(now.getTime() - incident.startedMinutesAgo * 60_000);
  return {
    fingerprint: incident.fingerprint,
    labels: { ...incident.labels },
    annotations: { ...incident.annotations },
    state: "active",
    startsAt: startsAt.toISOString(),
    updatedAt: new Date(now.getTime() - 30_000).toISOString(),
    // Alertmanager sets endsAt to now + resolve_timeout for alerts that are still firing.
    endsAt: new Date(now.getTime() + 5 * 60_000).toISOString(),
    generatorURL: incident.generatorURL,
    silencedBy: [],
    inhibitedBy: [],
    receivers: ["triage-console"],
    source: SOURCE,
    sources: [SOURCE],
  };
}

/**
 * The built-in demo alert source (`source: "demo"`), listing every demo incident as firing, filtered
 * with Alertmanager matcher syntax.
 * @throws AppError unprocessable for an invalid filter.
 */
export function createDemoAlertSource(): AlertSource {
  return {
    name: SOURCE,
    async listAlerts(options?: { filter?: string[]; signal?: AbortSignal }): Promise<AlertListResult> {
      const now = new Date();
      const matchers = parseFilters(options?.filter ?? []);
      const alerts = demoIncidents.map((i) => demoAlert(i, now)).filter((a) => matchAlert(a, matchers));
      return { alerts, errors: [] };
    },
  };
}
