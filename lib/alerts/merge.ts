import { isAppError } from "@/lib/errors";
import type { Alert, AlertListResult, AlertSource, SourceError } from "@/lib/alerts/types";

const stateRank: Record<Alert["state"], number> = { active: 0, suppressed: 1, unprocessed: 2 };

function union(a: string[], b: string[]): string[] {
  return b.every((x) => a.includes(x)) ? a : [...new Set([...a, ...b])];
}

function earlier(a: string, b: string): string {
  return Date.parse(b) < Date.parse(a) ? b : a;
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** Merge the same alert (same fingerprint) seen by two Alertmanagers: active wins, as in Karma. */
export function mergeAlert(a: Alert, b: Alert): Alert {
  const state = stateRank[b.state] < stateRank[a.state] ? b.state : a.state;
  // Silences and inhibitions only describe the merged alert when it is suppressed; an HA peer that has
  // not yet seen a silence still makes it active.
  const suppressedBoth = state === "suppressed";
  return {
    ...a,
    state,
    startsAt: earlier(a.startsAt, b.startsAt),
    updatedAt: later(a.updatedAt, b.updatedAt),
    endsAt: later(a.endsAt, b.endsAt),
    generatorURL: a.generatorURL ?? b.generatorURL,
    silencedBy: suppressedBoth ? union(a.silencedBy, b.silencedBy) : [],
    inhibitedBy: suppressedBoth ? union(a.inhibitedBy, b.inhibitedBy) : [],
    receivers: union(a.receivers, b.receivers),
    sources: union(a.sources.length ? a.sources : [a.source], b.sources.length ? b.sources : [b.source]),
  };
}

/** Deduplicate alerts by fingerprint, keeping first-seen order. */
export function mergeAlertLists(lists: readonly Alert[][]): Alert[] {
  const byFingerprint = new Map<string, Alert>();
  for (const list of lists) {
    for (const alert of list) {
      const seen = byFingerprint.get(alert.fingerprint);
      byFingerprint.set(alert.fingerprint, seen ? mergeAlert(seen, alert) : { ...alert, sources: alert.sources.length ? alert.sources : [alert.source] });
    }
  }
  return [...byFingerprint.values()];
}

/**
 * One AlertSource over several: all are queried in parallel, identical alerts from an HA pair are merged
 * by fingerprint, and a failing source adds its error while the others' alerts still come back.
 */
export function createMultiSource(sources: readonly AlertSource[], name = "alertmanagers"): AlertSource {
  return {
    name,
    async listAlerts(options = {}): Promise<AlertListResult> {
      const settled = await Promise.allSettled(sources.map((s) => s.listAlerts(options)));
      const lists: Alert[][] = [];
      const errors: SourceError[] = [];
      settled.forEach((r, i) => {
        const source = sources[i]?.name ?? `source ${i + 1}`;
        if (r.status === "fulfilled") {
          lists.push(r.value.alerts);
          errors.push(...r.value.errors);
        } else {
          // Sources report failures as values; a rejection is a bug or a caller error (a bad filter) and is
          // the same for every source, so pass caller errors on.
          if (isAppError(r.reason)) throw r.reason;
          errors.push({ source, message: `Reading alerts from ${source} failed unexpectedly`, hint: "See the console's server log" });
        }
      });
      return { alerts: mergeAlertLists(lists), errors };
    },
  };
}
