import { MAX_CONFIRMED_RANK } from "@/lib/feedback/types";

/**
 * How often the reports are right, computed from the engineers' feedback. Pure: the accuracy page and
 * `triage stats` both call computeAccuracy on the cases the store returns, so they cannot disagree.
 *
 * top-1: the confirmed hypothesis is the report's first. top-3: it is one of the first three. "none"
 * (no hypothesis was right) counts as a miss for both. A case's category is the confirmed hypothesis's,
 * else the engineer's, else "uncategorised".
 */

/** One analysis with feedback (its latest), as accuracy needs it. */
export interface FeedbackCase {
  rank: number | null;
  category?: string;
  /** Which analyzer wrote the report; absent for a report stored without one. */
  source?: "gemini" | "offline";
}

export interface AccuracyRow {
  /** The category, the source, or "all". */
  key: string;
  cases: number;
  top1: number;
  top3: number;
  none: number;
  /** top1 / cases, or null without cases. */
  top1Rate: number | null;
  top3Rate: number | null;
}

export interface Accuracy {
  overall: AccuracyRow;
  /** Most cases first, then by name. */
  byCategory: AccuracyRow[];
  bySource: AccuracyRow[];
}

/** Below this many cases a rate is shown with a "small sample" note. */
export const SMALL_SAMPLE = 10;

export const UNCATEGORISED = "uncategorised";

function tally(key: string, cases: readonly FeedbackCase[]): AccuracyRow {
  let top1 = 0;
  let top3 = 0;
  let none = 0;
  for (const c of cases) {
    if (c.rank === null) none++;
    else {
      if (c.rank === 1) top1++;
      if (c.rank >= 1 && c.rank <= MAX_CONFIRMED_RANK) top3++;
    }
  }
  const n = cases.length;
  return { key, cases: n, top1, top3, none, top1Rate: n ? top1 / n : null, top3Rate: n ? top3 / n : null };
}

function grouped(cases: readonly FeedbackCase[], keyOf: (c: FeedbackCase) => string): AccuracyRow[] {
  const groups = new Map<string, FeedbackCase[]>();
  for (const c of cases) {
    const k = keyOf(c);
    const g = groups.get(k);
    if (g) g.push(c);
    else groups.set(k, [c]);
  }
  return [...groups].map(([k, g]) => tally(k, g)).sort((a, b) => b.cases - a.cases || a.key.localeCompare(b.key));
}

/** Top-1 and top-3 accuracy overall, per category and per source, with counts. Linear in the cases. */
export function computeAccuracy(cases: readonly FeedbackCase[]): Accuracy {
  return {
    overall: tally("all", cases),
    byCategory: grouped(cases, (c) => c.category || UNCATEGORISED),
    bySource: grouped(cases, (c) => c.source ?? "unknown"),
  };
}

const SINCE_UNITS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * The start of a period: "30d", "12h", "2w", "all" (undefined: no start), or an ISO date.
 * @throws Error whose message says what forms are accepted.
 */
export function parseSince(text: string | undefined, now = Date.now()): Date | undefined {
  const s = (text ?? "").trim();
  if (!s || s === "all") return undefined;
  const m = /^(\d{1,5})([hdw])$/.exec(s);
  if (m) return new Date(now - Number(m[1]) * (SINCE_UNITS[m[2] ?? "d"] ?? 0));
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const d = new Date(s);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new Error(`"${s.slice(0, 40)}" is not a period: use 30d, 12h, 2w, all, or a date such as 2026-01-31`);
}

/** A rate as a whole percentage, "—" without cases. */
export function percent(rate: number | null): string {
  return rate === null ? "—" : `${Math.round(rate * 100)}%`;
}

/** The accuracy as plain text, one row per line: what `triage stats` prints. */
export function accuracyText(a: Accuracy, period: string): string {
  const row = (r: AccuracyRow) =>
    `  ${r.key.padEnd(24)} ${String(r.cases).padStart(5)}  ${percent(r.top1Rate).padStart(5)} (${r.top1})  ${percent(r.top3Rate).padStart(5)} (${r.top3})  ${String(r.none).padStart(5)}${r.cases < SMALL_SAMPLE && r.cases > 0 ? "  small sample" : ""}`;
  const head = `  ${"".padEnd(24)} ${"cases".padStart(5)}  ${"top-1".padStart(5)}      ${"top-3".padStart(5)}      ${"none".padStart(5)}`;
  if (a.overall.cases === 0) return `Accuracy over ${period}: no analyses with feedback yet.\n`;
  return [
    `Accuracy over ${period}: ${a.overall.cases} analyses with feedback`,
    head,
    row(a.overall),
    "By category",
    ...a.byCategory.map(row),
    "By source",
    ...a.bySource.map(row),
  ].join("\n") + "\n";
}
