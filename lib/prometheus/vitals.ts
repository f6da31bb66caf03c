import type { Target } from "@/lib/alerts/types";
import type { EvidenceError } from "@/lib/cluster/bundle";
import type { Config } from "@/lib/config";
import { describeError } from "@/lib/errors";
import {
  chooseStep,
  createPrometheusClient,
  prometheusFailureKind,
  type MatrixSeries,
  type PrometheusClient,
} from "@/lib/prometheus/client";
import { alertExpression, prometheusFromGeneratorURL, vitalsQueries, type SeriesQuery, type VitalsTarget } from "@/lib/prometheus/queries";
import { METRICS_LIMITS, SERIES_IDS, type BundleMetrics, type MetricsSeries, type SeriesId } from "@/lib/prometheus/schema";

/**
 * The metrics part of an analysis: every series of the alert's pod read in parallel from one Prometheus,
 * bounded and in the bundle's shape. Nothing here throws: failures become sentences in `errors`
 * (part `metrics`), and a metric nobody exports is listed in `absent`, never invented.
 */

/** Failures that every other query would repeat: after the first query, the rest are not sent. */
const STOP_KINDS: ReadonlySet<string> = new Set(["unreachable", "timeout", "unauthorized", "not_found", "not_ready", "invalid_response", "server_error"]);

function settle<T>(p: Promise<T>): Promise<PromiseSettledResult<T>> {
  return p.then(
    (value): PromiseFulfilledResult<T> => ({ status: "fulfilled", value }),
    (reason: unknown): PromiseRejectedResult => ({ status: "rejected", reason }),
  );
}

/** Points per series the step is chosen for. */
export const MAX_POINTS = 300;
/** Series kept per query (a pod's containers, a node's GPUs). */
export const MAX_SERIES_PER_QUERY = 8;
const MAX_WARNINGS = 3;

export interface VitalsWindow {
  /** Unix seconds. */
  start: number;
  end: number;
}

export interface VitalsResult {
  /** Absent when no query could be answered at all. */
  metrics?: BundleMetrics;
  errors: EvidenceError[];
  /** Series Prometheus answered with nothing: not exported for this pod (no GPU, no kube-state-metrics...). */
  absent: SeriesId[];
}

/**
 * The window read for an alert: `hours` before the alert started (or before now, when it started
 * later than that) until now, never reaching back more than 4 × `hours`.
 */
export function vitalsWindow(options: { nowMs: number; hours: number; startsAt?: string }): VitalsWindow {
  const end = Math.floor(options.nowMs / 1000);
  const span = options.hours * 3600;
  const started = options.startsAt ? Math.floor(Date.parse(options.startsAt) / 1000) : NaN;
  const from = Number.isFinite(started) ? Math.min(started, end) : end;
  return { start: Math.max(from - span, end - 4 * span), end };
}

function boundLabels(metric: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const names = Object.keys(metric)
    .filter((k) => k !== "__name__" && k.length <= METRICS_LIMITS.labelNameLength)
    .sort()
    .slice(0, METRICS_LIMITS.labelsPerSeries);
  for (const k of names) out[k] = (metric[k] ?? "").slice(0, METRICS_LIMITS.labelValueLength);
  return out;
}

/** An alert expression covers every pod its rule watches: keep the series of this pod (by its labels). */
function ofTarget(series: MatrixSeries[], target: VitalsTarget): MatrixSeries[] {
  return series.filter((s) => {
    const ns = s.metric.namespace ?? s.metric.exported_namespace;
    const pod = s.metric.pod ?? s.metric.exported_pod;
    if (ns !== undefined && ns !== target.namespace) return false;
    if (pod !== undefined && pod !== target.pod) return false;
    const c = s.metric.container;
    if (target.container && c !== undefined && c !== "" && c !== target.container) return false;
    return ns !== undefined || pod !== undefined;
  });
}

function toSeries(q: SeriesQuery, s: MatrixSeries): MetricsSeries {
  return {
    id: q.id,
    query: q.query,
    unit: q.unit,
    labels: boundLabels(s.metric),
    values: s.values.slice(-METRICS_LIMITS.pointsPerSeries),
  };
}

function plural(ids: string[]): string {
  return ids.length > 4 ? `${ids.slice(0, 4).join(", ")} and ${ids.length - 4} more` : ids.join(", ");
}

/**
 * Read every series of `target` over `window` in parallel, each query with the client's own timeout.
 * Never throws; Prometheus down is one sentence, not eighteen.
 */
export async function readVitals(
  client: PrometheusClient,
  target: VitalsTarget,
  window: VitalsWindow,
  options: { alertExpr?: string; signal?: AbortSignal } = {},
): Promise<VitalsResult> {
  const stepSeconds = chooseStep(window.end - window.start, MAX_POINTS);
  // Aligned to the step, so two reads of one incident ask Prometheus the same question.
  const end = Math.floor(window.end / stepSeconds) * stepSeconds;
  const start = Math.min(end, Math.floor(window.start / stepSeconds) * stepSeconds);
  const queries = vitalsQueries(target, { stepSeconds, alertExpr: options.alertExpr });
  const ask = (q: SeriesQuery) => client.queryRange({ query: q.query, start, end, stepSeconds, signal: options.signal });
  // One query first: a Prometheus that is unreachable, locked or missing costs one attempt (one DNS
  // lookup, one timeout), not one per series; then the rest in parallel.
  const [first, ...rest] = queries;
  const firstOutcome = first ? await settle(ask(first)) : undefined;
  const fatal = firstOutcome?.status === "rejected" && STOP_KINDS.has(prometheusFailureKind(firstOutcome.reason) ?? "");
  const outcomes = firstOutcome
    ? [firstOutcome, ...(fatal ? [] : await Promise.allSettled(rest.map(ask)))]
    : [];

  const series: MetricsSeries[] = [];
  const absent: SeriesId[] = [];
  const failures = new Map<string, { ids: SeriesId[]; error: unknown }>();
  const warnings = new Set<string>();
  let answered = 0;
  outcomes.forEach((o, i) => {
    const q = queries[i];
    if (!q) return;
    if (o.status === "rejected") {
      const kind = prometheusFailureKind(o.reason) ?? "internal";
      const f: { ids: SeriesId[]; error: unknown } = failures.get(kind) ?? { ids: [], error: o.reason };
      f.ids.push(q.id);
      failures.set(kind, f);
      return;
    }
    answered++;
    for (const w of o.value.warnings) warnings.add(w);
    const found = q.id === "alert_expr" ? ofTarget(o.value.series, target) : o.value.series;
    const kept = found.slice(0, MAX_SERIES_PER_QUERY).filter((s) => s.values.length > 0);
    if (kept.length === 0) absent.push(q.id);
    for (const s of kept) if (series.length < METRICS_LIMITS.series) series.push(toSeries(q, s));
  });

  const errors: EvidenceError[] = [];
  for (const [kind, f] of failures) {
    const all = f.ids.length === outcomes.length;
    const what = all ? "" : ` (${plural(f.ids)})`;
    errors.push({ part: "metrics", code: kind, message: `metrics could not be read${what}: ${describeError(f.error)}` });
  }
  if (answered > 0 && series.length === 0) {
    errors.push({
      part: "metrics",
      code: "no_data",
      message: `Prometheus at ${client.url} has no series for pod ${target.namespace}/${target.pod} in the window: check that it scrapes the kubelet's cAdvisor and kube-state-metrics, and that PROMETHEUS_URL names the Prometheus of this cluster`,
    });
  }
  const warned = [...warnings];
  if (warned.length > 0) {
    const more = warned.length > MAX_WARNINGS ? ` (and ${warned.length - MAX_WARNINGS} more)` : "";
    errors.push({ part: "metrics", code: "warning", message: `Prometheus warned: ${warned.slice(0, MAX_WARNINGS).join("; ")}${more}` });
  }

  if (answered === 0) return { errors, absent: [] };
  const order = new Map(SERIES_IDS.map((id, i) => [id, i]));
  series.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  return { metrics: { source: client.url, start, end, stepSeconds, series }, errors, absent };
}

/** The alert fields the metrics part needs. */
export interface VitalsAlert {
  labels: Record<string, string>;
  startsAt?: string;
  generatorURL?: string;
}

/**
 * Where an analysis gets its metrics part. The gatherer calls it beside the Kubernetes reads; the demo
 * (lib/demo) provides its own implementation with canned series, a real deployment
 * `createPrometheusVitals`.
 */
export interface VitalsSource {
  /**
   * The metrics part for the alert's pod, or undefined when no Prometheus serves this alert (the bundle
   * then has no metrics part and is analyzed as before). Never throws.
   */
  read(target: Target, alert: VitalsAlert, options?: { signal?: AbortSignal }): Promise<VitalsResult | undefined>;
}

export type PrometheusSettings = Config["prometheus"];

/** Which Prometheus serves an alert: the chosen endpoint, an error sentence, or none at all. */
export type ResolvedPrometheus =
  | { kind: "endpoint"; url: string; origin: "config" | "generatorURL" }
  | { kind: "error"; message: string }
  | { kind: "none" };

/**
 * The Prometheus for an alert: the PROMETHEUS_URL entry named by its `cluster` label (or the entry
 * without a cluster), else, when PROMETHEUS_URL is unset (not `none`), the one that evaluated the rule
 * (generatorURL).
 */
export function resolvePrometheus(settings: PrometheusSettings, cluster: string | undefined, generatorURL: string | undefined): ResolvedPrometheus {
  const { endpoints } = settings;
  if (endpoints.length === 0) {
    const derived = settings.fromGeneratorURL ? prometheusFromGeneratorURL(generatorURL) : undefined;
    return derived ? { kind: "endpoint", url: derived, origin: "generatorURL" } : { kind: "none" };
  }
  const named = cluster ? endpoints.find((e) => e.cluster === cluster) : undefined;
  const chosen = named ?? endpoints.find((e) => e.cluster === undefined) ?? (endpoints.length === 1 && !cluster ? endpoints[0] : undefined);
  if (chosen) return { kind: "endpoint", url: chosen.url, origin: "config" };
  const names = endpoints.map((e) => e.cluster).filter((c): c is string => !!c);
  return {
    kind: "error",
    message: cluster
      ? `no Prometheus for cluster "${cluster}": add ${cluster}=<url> to PROMETHEUS_URL (it names ${plural(names)}), or an entry without cluster= for every other cluster`
      : `the alert has no cluster label and PROMETHEUS_URL names only clusters ${plural(names)}: add an entry without cluster= for such alerts`,
  };
}

/** The real VitalsSource: one client per Prometheus, credentials only for configured ones. */
export function createPrometheusVitals(settings: PrometheusSettings, deps: { fetch?: typeof fetch; now?: () => number } = {}): VitalsSource {
  const clients = new Map<string, PrometheusClient>();
  const clientFor = (url: string, origin: "config" | "generatorURL") => {
    const key = `${origin} ${url}`;
    let c = clients.get(key);
    if (!c) {
      c = createPrometheusClient({
        url,
        origin,
        timeoutMs: settings.timeoutMs,
        maxSeries: MAX_SERIES_PER_QUERY,
        fetch: deps.fetch,
        ...(origin === "config" ? { bearerToken: settings.bearerToken, basicAuth: settings.basicAuth } : {}),
      });
      clients.set(key, c);
    }
    return c;
  };
  return {
    async read(target, alert, options = {}) {
      const resolved = resolvePrometheus(settings, target.cluster ?? alert.labels.cluster, alert.generatorURL);
      if (resolved.kind === "none") return undefined;
      if (resolved.kind === "error") return { errors: [{ part: "metrics", code: "not_configured", message: resolved.message }], absent: [] };
      const window = vitalsWindow({ nowMs: (deps.now ?? Date.now)(), hours: settings.windowHours, startsAt: alert.startsAt });
      try {
        return await readVitals(clientFor(resolved.url, resolved.origin), target, window, {
          alertExpr: alertExpression(alert.generatorURL),
          signal: options.signal,
        });
      } catch (e) {
        return { errors: [{ part: "metrics", code: "internal", message: `reading metrics failed: ${describeError(e)}` }], absent: [] };
      }
    },
  };
}
