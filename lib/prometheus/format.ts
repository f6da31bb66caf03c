import type { SeriesUnit } from "@/lib/prometheus/schema";

/**
 * How numbers read in the metrics summary. The summary's lines are quoted by reports and checked by the
 * grounding step, so these formats are part of its contract: change them only with their tests.
 */

function trim(x: number, digits: number): string {
  const s = x.toFixed(digits).replace(/\.0+$/, "").replace(/(\.\d*?)0+$/, "$1");
  return s === "-0" ? "0" : s;
}

const BINARY = [
  ["TiB", 2 ** 40],
  ["GiB", 2 ** 30],
  ["MiB", 2 ** 20],
  ["KiB", 2 ** 10],
] as const;

/** `30.1 GiB`, `32 GiB`, `512 MiB`, `0 B`. */
export function formatBytes(v: number): string {
  const a = Math.abs(v);
  for (const [name, size] of BINARY) {
    if (a >= size) {
      const x = v / size;
      return `${trim(x, Math.abs(x) >= 100 ? 0 : 1)} ${name}`;
    }
  }
  return `${Math.round(v)} B`;
}

/** `1.95 cores`, `1 core`, `0.25 cores`. */
export function formatCores(v: number): string {
  const s = trim(v, Math.abs(v) >= 10 ? 1 : 2);
  return `${s} ${s === "1" ? "core" : "cores"}`;
}

/** A 0..1 ratio as a percentage: `94%`, `0.5%`. */
export function formatRatio(v: number): string {
  return formatPercent(v * 100);
}

/** A 0..100 value: `94%`, `0.5%`. */
export function formatPercent(p: number): string {
  const a = Math.abs(p);
  return `${trim(p, a > 0 && a < 1 ? 1 : 0)}%`;
}

/**
 * One value in its unit. `rate` marks `requests` as per second (request_rate, request_errors) rather
 * than a count of requests (running, waiting).
 */
export function formatValue(v: number, unit: SeriesUnit, rate = false): string {
  switch (unit) {
    case "bytes":
      return formatBytes(v);
    case "cores":
      return formatCores(v);
    case "ratio":
      return formatRatio(v);
    case "percent":
      return formatPercent(v);
    case "seconds":
      return `${trim(v, Math.abs(v) >= 10 ? 0 : 2)} s`;
    case "requests":
      return rate ? `${trim(v, Math.abs(v) >= 10 ? 1 : 2)} req/s` : trim(v, Math.abs(v) >= 10 ? 0 : 1);
    case "count":
      return trim(v, Math.abs(v) >= 10 ? 0 : 2);
  }
}

/** A change per hour in the series' unit: `1.2 GiB/h`, `5%/h` (percentage points), `0.1 req/s per hour`. */
export function formatPerHour(v: number, unit: SeriesUnit, rate = false): string {
  const s = formatValue(v, unit, rate);
  return rate && unit === "requests" ? `${s} per hour` : `${s}/h`;
}

/** `HH:MM` in UTC (the summary's header says so). */
export function formatClock(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(11, 16);
}

/** `YYYY-MM-DD HH:MM` in UTC. */
export function formatDateTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 16).replace("T", " ");
}

/** `25 min`, `1.6 h`, `3 days`. */
export function formatDuration(seconds: number): string {
  const m = Math.round(seconds / 60);
  if (m < 90) return `${m} min`;
  const h = seconds / 3600;
  if (h < 48) return `${trim(h, 1)} h`;
  return `${trim(h / 24, 1)} days`;
}
