import type { Config } from "@/lib/config";
import type { AlertSource } from "@/lib/alerts/types";
import { createAlertmanagerSource } from "@/lib/alerts/client";
import { createMultiSource } from "@/lib/alerts/merge";
import { createCachedSource } from "@/lib/alerts/cache";
import { matchAlert, parseFilters } from "@/lib/alerts/matchers";

const sources = new Map<string, AlertSource>();

/** Answers from Alertmanager are reused this long (see createCachedSource). */
export const ALERT_CACHE_TTL_MS = 5_000;
/** ...and returned while a background request refreshes them, up to this age. */
export const ALERT_CACHE_STALE_MS = 60_000;

function unconfiguredSource(): AlertSource {
  return {
    name: "configuration",
    async listAlerts() {
      return {
        alerts: [],
        errors: [
          {
            source: "configuration",
            message: "No Alertmanager configured",
            hint: "Set ALERTMANAGER_URL=http://alertmanager:9093 (comma-separate several, name=url to name them), or run npm run demo",
          },
        ],
      };
    },
  };
}

/**
 * A source that lists everything and filters here with Alertmanager's matcher semantics, so a source
 * without a matcher engine of its own (the demo) filters exactly like a real Alertmanager.
 * @throws AppError unprocessable for an invalid filter.
 */
export function withLocalFilter(inner: AlertSource): AlertSource {
  return {
    name: inner.name,
    async listAlerts(options = {}) {
      const matchers = parseFilters(options.filter ?? []);
      const r = await inner.listAlerts({ signal: options.signal });
      return { alerts: r.alerts.filter((a) => matchAlert(a, matchers)), errors: r.errors };
    },
  };
}

/** The process's alert source for this configuration: the merged Alertmanagers, or one that says none is configured (the demo is chosen in lib/server/services). */
export function getAlertSource(config: Config): AlertSource {
  const key = JSON.stringify([config.alertmanagers, config.alertmanagerTimeoutMs]);
  let source = sources.get(key);
  if (!source) {
    if (config.alertmanagers.length === 0) source = unconfiguredSource();
    else {
      const timeoutMs = config.alertmanagerTimeoutMs;
      source = createCachedSource(createMultiSource(config.alertmanagers.map((e) => createAlertmanagerSource(e, { timeoutMs }))), {
        ttlMs: ALERT_CACHE_TTL_MS,
        staleMs: ALERT_CACHE_STALE_MS,
      });
    }
    sources.set(key, source);
  }
  return source;
}
