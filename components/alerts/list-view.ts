import type { Alert } from "@/lib/alerts/types";
import { compareAlerts, type AlertGroup } from "@/lib/alerts/group";
import { formatMatcher, parseMatchers, type Matcher } from "@/lib/alerts/matchers";

/** Pure parts of the list's Karma-like controls (chip filters, sort, suppressed toggle, keys, history); tested in test/components. */

export const sortOptions = ["severity", "start", "name"] as const;
export type SortBy = (typeof sortOptions)[number];

/** A valid SortBy from a URL parameter, else the default (severity, the list's own order). */
export function parseSortBy(v: string | null | undefined): SortBy {
  return sortOptions.find((o) => o === v) ?? "severity";
}

/** `?suppressed=hide` hides silenced and inhibited alerts; anything else shows them (marked). */
export function parseHideSuppressed(v: string | null | undefined): boolean {
  return v === "hide";
}

/**
 * The filter with a chip's matcher added: `label="value"`, or `label!="value"` to exclude (alt-click).
 * A matcher already there is not repeated; its opposite on the same label and value is replaced. A filter
 * that does not parse is kept as typed, with the matcher appended, so the server names what is wrong.
 */
export function addChipFilter(filter: string, name: string, value: string, exclude: boolean): string {
  const m: Matcher = { name, op: exclude ? "!=" : "=", value };
  let current: Matcher[];
  try {
    current = filter.trim() ? parseMatchers(filter) : [];
  } catch {
    return `${filter.trim()}, ${formatMatcher(m)}`;
  }
  const opposite = exclude ? "=" : "!=";
  if (current.some((c) => c.name === name && c.op === m.op && c.value === value)) return current.map(formatMatcher).join(", ");
  const kept = current.filter((c) => !(c.name === name && c.op === opposite && c.value === value));
  return [...kept, m].map(formatMatcher).join(", ");
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function byName(a: Alert, b: Alert): number {
  return cmp(a.labels.alertname ?? "", b.labels.alertname ?? "") || cmp(a.labels.namespace ?? "", b.labels.namespace ?? "") || cmp(a.labels.pod ?? a.labels.instance ?? "", b.labels.pod ?? b.labels.instance ?? "") || cmp(a.fingerprint, b.fingerprint);
}

/** Newest first; ties by the default order. */
function byStart(a: Alert, b: Alert): number {
  return cmp(b.startsAt, a.startsAt) || compareAlerts(a, b);
}

/**
 * Groups and their rows in the chosen order. severity: as groupAlerts orders them. start: newest alert
 * first, groups by their newest alert. name: alertname, namespace, pod; groups by title. O(n log n).
 */
export function sortGroups(groups: readonly AlertGroup[], sort: SortBy): AlertGroup[] {
  if (sort === "severity") return [...groups];
  const rows = sort === "start" ? byStart : byName;
  const sorted = groups.map((g) => ({ ...g, alerts: [...g.alerts].sort(rows) }));
  if (sort === "start") return sorted.sort((a, b) => cmp(b.alerts[0]?.startsAt ?? "", a.alerts[0]?.startsAt ?? "") || cmp(a.key, b.key));
  return sorted.sort((a, b) => (a.key === "" ? 1 : 0) - (b.key === "" ? 1 : 0) || cmp(a.title, b.title));
}

/** Active and unprocessed alerts only, when silenced and inhibited ones are hidden. */
export function visibleAlerts(alerts: readonly Alert[], hideSuppressed: boolean): readonly Alert[] {
  return hideSuppressed ? alerts.filter((a) => a.state !== "suppressed") : alerts;
}

export type ListKeyAction = "focusFilter" | "next" | "previous" | "open" | "analyze" | "help" | "closeHelp";

/** What a key event needs to be read; a subset of KeyboardEvent so tests need no DOM. */
export interface KeyInput {
  key: string;
  altKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
  target?: { tagName?: string; isContentEditable?: boolean } | null;
}

const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);

/** The list's shortcut for a key press, or undefined: none while typing in a field or with a modifier (browser shortcuts stay). */
export function listKeyAction(e: KeyInput): ListKeyAction | undefined {
  if (e.ctrlKey || e.metaKey || e.altKey) return undefined;
  const t = e.target;
  if (t && (t.isContentEditable || TYPING.has((t.tagName ?? "").toUpperCase()))) return undefined;
  switch (e.key) {
    case "/":
      return "focusFilter";
    case "j":
      return "next";
    case "k":
      return "previous";
    case "Enter":
      return "open";
    case "a":
      return "analyze";
    case "?":
      return "help";
    case "Escape":
      return "closeHelp";
    default:
      return undefined;
  }
}

/** The shortcuts as the help overlay lists them. */
export const LIST_SHORTCUTS: readonly (readonly [string, string])[] = [
  ["/", "Focus the filter"],
  ["j", "Next alert"],
  ["k", "Previous alert"],
  ["Enter", "Open the focused alert"],
  ["a", "Analyze the focused alert"],
  ["?", "Show or hide this help"],
  ["Esc", "Close this help"],
];

/** The next row index for j/k: clamped to the list, starting at the first (j) or last (k) row. */
export function moveRow(current: number, count: number, action: "next" | "previous"): number {
  if (count === 0) return -1;
  if (current < 0 || current >= count) return action === "next" ? 0 : count - 1;
  return action === "next" ? Math.min(count - 1, current + 1) : Math.max(0, current - 1);
}

export const HISTORY_SIZE = 10;
export const HISTORY_KEY = "triage.alerts.filterHistory";
export const COLLAPSED_KEY = "triage.alerts.collapsed";

/** The filter history with `filter` first, without repeats, at most HISTORY_SIZE entries. */
export function pushHistory(history: readonly string[], filter: string): string[] {
  const f = filter.trim();
  if (!f) return [...history].slice(0, HISTORY_SIZE);
  return [f, ...history.filter((h) => h !== f)].slice(0, HISTORY_SIZE);
}

/** A stored string list (localStorage), tolerating anything: bad JSON or wrong shapes read as empty. Bounded. */
export function readStoredList(raw: string | null, max: number): string[] {
  if (!raw || raw.length > 100_000) return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && x.length <= 2000).slice(0, max) : [];
  } catch {
    return [];
  }
}

/** `label="value"` suggestions from the labels present, most common first, at most `max` (one pass, then a sort of the distinct pairs). */
export function labelSuggestions(alerts: readonly Alert[], max = 200): string[] {
  const counts = new Map<string, number>();
  for (const a of alerts) {
    for (const [k, v] of Object.entries(a.labels)) {
      if (v.length > 200) continue;
      const s = formatMatcher({ name: k, op: "=", value: v });
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0])).slice(0, max).map(([s]) => s);
}

/** Stored group open/shut choices (`by:key` → expanded), tolerating anything; at most `max` entries. */
export function readStoredFlags(raw: string | null, max = 500): Record<string, boolean> {
  if (!raw || raw.length > 200_000) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (!v || typeof v !== "object" || Array.isArray(v)) return {};
    const out: Record<string, boolean> = {};
    for (const [k, b] of Object.entries(v).slice(-max)) if (typeof b === "boolean" && k.length <= 600) out[k] = b;
    return out;
  } catch {
    return {};
  }
}

/** The choices with one group's set, the newest last and the oldest dropped beyond `max`. */
export function setFlag(flags: Record<string, boolean>, key: string, value: boolean, max = 500): Record<string, boolean> {
  const rest = Object.entries(flags).filter(([k]) => k !== key);
  return Object.fromEntries([...rest, [key, value] as const].slice(-max));
}
