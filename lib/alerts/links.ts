import type { Alert } from "@/lib/alerts/types";

/**
 * Links into Alertmanager's own UI (the Elm UI of 0.25 to 0.27). Browser-safe: the list and the alert page
 * build them from the public base URLs that GET /api/alerts sends per source.
 */

// Characters the UI's matcher parser (ui/app/src/Utils/Filter.elm, reservedChars) refuses in a label name:
// a filter with one of them does not parse at all and the UI would show every alert, so such a label is left out.
const RESERVED_IN_NAME = /[{}!=~,\\"'`\s\u0085\u00a0]/;

/**
 * One equality matcher per label, written as the UI writes them (Filter.elm stringifyMatcher: the value
 * JSON-encoded, so quotes and backslashes are escaped the way its parser reads them back; the UI sends each
 * one as it is to `GET /api/v2/alerts?filter=`). alertname first, the rest by name.
 */
export function alertmanagerMatchers(labels: Record<string, string>): string[] {
  return Object.keys(labels)
    .filter((n) => n !== "" && !RESERVED_IN_NAME.test(n))
    .sort((a, b) => (a === "alertname" ? -1 : b === "alertname" ? 1 : a < b ? -1 : a > b ? 1 : 0))
    .map((n) => `${n}=${JSON.stringify(labels[n])}`);
}

/** The UI's filter text for exactly these labels: `{alertname="X", pod="Y"}` (stringifyFilter: ", " between matchers). */
export function alertmanagerFilter(labels: Record<string, string>): string {
  return `{${alertmanagerMatchers(labels).join(", ")}}`;
}

/**
 * The alert in Alertmanager's UI: its alerts page filtered to the alert's labels, silenced and inhibited
 * alerts shown too (the UI hides them by default, and this alert may be one).
 */
export function alertmanagerAlertUrl(publicUrl: string, labels: Record<string, string>): string {
  const filter = encodeURIComponent(alertmanagerFilter(labels));
  return `${publicUrl.replace(/\/+$/, "")}/#/alerts?silenced=true&inhibited=true&active=true&filter=${filter}`;
}

/** One silence in Alertmanager's UI. */
export function alertmanagerSilenceUrl(publicUrl: string, silenceId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/#/silences/${encodeURIComponent(silenceId)}`;
}

/**
 * The public URL of the first Alertmanager that reported the alert and has one configured, or undefined
 * (no link is shown then: the in-cluster URL is usually not reachable from a browser).
 */
export function publicUrlFor(alert: Pick<Alert, "source" | "sources">, publicUrls: Readonly<Record<string, string>> | undefined): string | undefined {
  if (!publicUrls) return undefined;
  for (const s of [alert.source, ...alert.sources]) {
    const url = Object.hasOwn(publicUrls, s) ? publicUrls[s] : undefined;
    if (url && /^https?:\/\//i.test(url)) return url;
  }
  return undefined;
}
