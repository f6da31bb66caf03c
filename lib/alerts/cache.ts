import type { AlertListResult, AlertSource } from "@/lib/alerts/types";

export interface CachedSourceOptions {
  /** How long an answer is reused as it is. Shorter than the UI's 10 s refresh so every refresh sees new data. */
  ttlMs: number;
  /**
   * Past the TTL and up to this age, the last answer is still returned at once while one request in the
   * background replaces it (stale-while-revalidate). 0 turns this off.
   */
  staleMs?: number;
  /** Distinct filters remembered at once. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  at: number;
  result: Promise<AlertListResult>;
  /** The answer, once it arrived: what a stale read returns. */
  value?: AlertListResult;
  refreshing?: boolean;
}

/**
 * Reuse a source's answer per filter for a few seconds and share one in-flight request among concurrent
 * callers, as Karma does: with many browsers polling, Alertmanager sees one request per filter per TTL
 * instead of one per browser, and a 10,000-alert list is not re-read and re-validated for each of them.
 * Past the TTL, an answer younger than `staleMs` is returned at once and refreshed in the background,
 * so opening the page never waits for Alertmanager to encode 10,000 alerts; the next refresh shows the
 * new answer (Alertmanager failures included: they are part of the answer).
 */
export function createCachedSource(inner: AlertSource, options: CachedSourceOptions): AlertSource {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 50;
  const staleMs = options.staleMs ?? 0;
  const entries = new Map<string, Entry>();

  function fetchInto(key: string, filter: string[] | undefined): Entry {
    // The shared request must not die with the first caller's aborted signal; the client's own timeout bounds it.
    const entry: Entry = { at: now(), result: inner.listAlerts({ filter }) };
    entry.result.then(
      (value) => {
        entry.value = value;
      },
      // A rejection (a bad filter) is the caller's error: do not keep it.
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
    return entry;
  }

  function remember(key: string, entry: Entry): void {
    entries.delete(key);
    entries.set(key, entry);
    if (entries.size > maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
  }

  return {
    name: inner.name,
    async listAlerts(opts = {}) {
      const key = JSON.stringify(opts.filter ?? []);
      const hit = entries.get(key);
      const age = hit ? now() - hit.at : Infinity;
      if (hit && age < options.ttlMs) return hit.result;
      if (hit?.value && age < staleMs) {
        if (!hit.refreshing) {
          hit.refreshing = true;
          const next = fetchInto(key, opts.filter);
          next.result.then(
            () => {
              if (entries.get(key) === hit) remember(key, next);
            },
            () => {
              hit.refreshing = false;
            },
          );
        }
        return hit.value;
      }
      const entry = fetchInto(key, opts.filter);
      remember(key, entry);
      return entry.result;
    },
    invalidate() {
      // A request already in flight may predate the change: drop it too, the next read starts a fresh one.
      entries.clear();
    },
  };
}
