import type { AlertListResult, AlertSource } from "@/lib/alerts/types";

export interface CachedSourceOptions {
  /** How long an answer is reused. Shorter than the UI's 10 s refresh so every refresh sees new data. */
  ttlMs: number;
  /** Distinct filters remembered at once. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Reuse a source's answer per filter for a few seconds and share one in-flight request among concurrent
 * callers, as Karma does: with many browsers polling, Alertmanager sees one request per filter per TTL
 * instead of one per browser, and a 10,000-alert list is not re-read and re-validated for each of them.
 */
export function createCachedSource(inner: AlertSource, options: CachedSourceOptions): AlertSource {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 50;
  const entries = new Map<string, { at: number; result: Promise<AlertListResult> }>();
  return {
    name: inner.name,
    async listAlerts(opts = {}) {
      const key = JSON.stringify(opts.filter ?? []);
      const hit = entries.get(key);
      if (hit && now() - hit.at < options.ttlMs) return hit.result;
      // The shared request must not die with the first caller's aborted signal; the client's own timeout bounds it.
      const result = inner.listAlerts({ filter: opts.filter });
      const entry = { at: now(), result };
      entries.delete(key);
      entries.set(key, entry);
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      // A rejection (a bad filter) is the caller's error: do not keep it.
      result.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      return result;
    },
  };
}
