import type { Sample } from "@/lib/prometheus/schema";

/**
 * Numeric building blocks of the series reading: parsing Prometheus's value strings, gaps, least squares,
 * step changes and counter increases. All linear in the number of points, except one median over the
 * (bounded) point differences.
 */

export interface Point {
  /** Unix seconds. */
  t: number;
  v: number;
}

/** A Prometheus value string as a number: `"NaN"` and unparsable text are NaN, `"+Inf"`/`"-Inf"` infinite. */
export function parseValue(s: string): number {
  if (s === "+Inf" || s === "Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  // Number() ignores surrounding blanks but reads "" and "  " as 0.
  return s.trim() === "" ? NaN : Number(s);
}

export interface ParsedSeries {
  /** Finite samples, in time order. */
  points: Point[];
  /** Samples that were NaN or ±Inf. */
  nonFinite: number;
}

/** The finite points of a matrix series, sorted by time (Prometheus sends them sorted; a hand-made bundle may not). */
export function parseSamples(values: Sample[]): ParsedSeries {
  const points: Point[] = [];
  let nonFinite = 0;
  let sorted = true;
  for (const [t, s] of values) {
    const v = parseValue(s);
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    const last = points.at(-1);
    if (last && t < last.t) sorted = false;
    points.push({ t, v });
  }
  if (!sorted) points.sort((a, b) => a.t - b.t);
  return { points, nonFinite };
}

export interface Gap {
  /** Last point before and first point after the gap (unix seconds). */
  from: number;
  to: number;
}

/** Stretches longer than 1.5 steps between two neighbouring sample times (sorted). */
export function findGaps(times: number[], stepSeconds: number): Gap[] {
  const gaps: Gap[] = [];
  for (let i = 1; i < times.length; i++) {
    const a = times[i - 1];
    const b = times[i];
    if (a !== undefined && b !== undefined && b - a > 1.5 * stepSeconds) gaps.push({ from: a, to: b });
  }
  return gaps;
}

export interface Fit {
  /** Change per second. */
  slope: number;
  /** The fitted value at `t`. */
  at(t: number): number;
  /** Coefficient of determination, 0..1 (1 for a series with no variance). */
  r2: number;
}

/** Least-squares line through the points; undefined with fewer than two distinct times. */
export function leastSquares(points: Point[]): Fit | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  // Centred on the first time: unix seconds squared would lose the slope's digits.
  const t0 = points[0]?.t ?? 0;
  let st = 0;
  let sv = 0;
  for (const p of points) {
    st += p.t - t0;
    sv += p.v;
  }
  const mt = st / n;
  const mv = sv / n;
  let stt = 0;
  let stv = 0;
  let svv = 0;
  for (const p of points) {
    const dt = p.t - t0 - mt;
    const dv = p.v - mv;
    stt += dt * dt;
    stv += dt * dv;
    svv += dv * dv;
  }
  if (stt === 0) return undefined;
  const slope = stv / stt;
  const r2 = svv === 0 ? 1 : Math.min(1, (stv * stv) / (stt * svv));
  return { slope, r2, at: (t) => mv + slope * (t - t0 - mt) };
}

/** Pearson correlation of two equally long value lists (0 when either is constant). */
export function correlation(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  if (n < 3) return 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] ?? 0;
    mb += b[i] ?? 0;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] ?? 0) - ma;
    const db = (b[i] ?? 0) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

export interface Step {
  /** Time of the first point at the new level. */
  t: number;
  /** Mean level just before and just after. */
  from: number;
  to: number;
}

function median(xs: Float64Array): number {
  if (xs.length === 0) return 0;
  // A typed array sorts numerically without a comparator call per pair.
  const s = xs.slice().sort();
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/**
 * Level shifts: a jump between two neighbouring points far larger than the series' usual point-to-point
 * change (8 × the median) and at least 10 % of its largest magnitude, after which the level stays (the
 * means of up to 5 points either side differ by at least half the jump). A steady ramp has no step;
 * a one-point spike is not one. At most `max`, the largest, in time order.
 */
export function findSteps(points: Point[], max = 3): Step[] {
  const n = points.length;
  if (n < 4) return [];
  const diffs = new Float64Array(n - 1);
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const p = points[i];
    if (!p) continue;
    scale = Math.max(scale, Math.abs(p.v));
    const q = points[i - 1];
    if (q) diffs[i - 1] = Math.abs(p.v - q.v);
  }
  const threshold = Math.max(8 * median(diffs), 0.1 * scale);
  if (threshold === 0) return [];
  // Prefix sums make each before/after mean O(1).
  const prefix = [0];
  for (const p of points) prefix.push((prefix.at(-1) ?? 0) + p.v);
  const mean = (from: number, to: number) => ((prefix[to] ?? 0) - (prefix[from] ?? 0)) / Math.max(1, to - from);
  const k = 5;
  const found: Array<Step & { size: number; i: number }> = [];
  for (let i = 1; i < n; i++) {
    const p = points[i];
    const q = points[i - 1];
    if (!p || !q) continue;
    const jump = p.v - q.v;
    if (Math.abs(jump) < threshold) continue;
    const before = mean(Math.max(0, i - k), i);
    const after = mean(i, Math.min(n, i + k));
    const shift = after - before;
    if (Math.sign(shift) !== Math.sign(jump) || Math.abs(shift) < Math.abs(jump) / 2) continue;
    found.push({ t: p.t, from: q.v, to: p.v, size: Math.abs(jump), i });
  }
  // Largest first, none within k points of a larger one.
  found.sort((a, b) => b.size - a.size || a.i - b.i);
  const kept: typeof found = [];
  for (const s of found) {
    if (kept.length >= max) break;
    if (kept.every((o) => Math.abs(o.i - s.i) > k)) kept.push(s);
  }
  return kept.sort((a, b) => a.t - b.t).map(({ t, from, to }) => ({ t, from, to }));
}

export interface Increase {
  /** Time of the point where the counter had grown. */
  t: number;
  by: number;
}

/**
 * Where a counter grew, with resets handled as Prometheus's increase() does: a drop means the counter
 * restarted from zero, so the new value is the increase.
 */
export function counterIncreases(points: Point[]): Increase[] {
  const out: Increase[] = [];
  for (let i = 1; i < points.length; i++) {
    const p = points[i];
    const q = points[i - 1];
    if (!p || !q) continue;
    const by = p.v >= q.v ? p.v - q.v : p.v;
    if (by > 0) out.push({ t: p.t, by });
  }
  return out;
}
