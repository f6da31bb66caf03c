import { z } from "zod";

/**
 * The evidence bundle's `metrics` part: what Prometheus said about the alert's pod, in Prometheus's own
 * matrix form so a bundle can be checked against the server by hand. The CLI's `--input` and the
 * evaluation read these names; change them only together with the README's bundle section.
 */

/** Every series the console reads, in the order the reading and the charts present them. */
export const SERIES_IDS = [
  "memory_working_set",
  "memory_limit",
  "memory_request",
  "cpu_usage",
  "cpu_limit",
  "cpu_request",
  "cpu_throttled_ratio",
  "restarts",
  "gpu_memory_used",
  "gpu_memory_free",
  "gpu_util",
  "gpu_xid",
  "requests_running",
  "requests_waiting",
  "kv_cache_usage",
  "request_rate",
  "request_errors",
  "alert_expr",
] as const;

export const seriesIdSchema = z.enum(SERIES_IDS);
export type SeriesId = z.infer<typeof seriesIdSchema>;

/**
 * `requests` is a count of requests for the gauges (running, waiting) and requests per second for the
 * rates (request_rate, request_errors); `ratio` is 0..1, `percent` 0..100.
 */
export const seriesUnitSchema = z.enum(["bytes", "cores", "ratio", "count", "percent", "seconds", "requests"]);
export type SeriesUnit = z.infer<typeof seriesUnitSchema>;

/** Bounds on a bundle's metrics: a gathered bundle stays well inside them; a hand-made one is refused past them. */
export const METRICS_LIMITS = {
  series: 64,
  pointsPerSeries: 1200,
  labelsPerSeries: 24,
  labelNameLength: 128,
  labelValueLength: 256,
  queryLength: 4096,
  sourceLength: 2048,
} as const;

/**
 * One sample exactly as Prometheus sends it: `[unixSeconds, "value"]`, the value a Go float string
 * (`"0.5"`, `"1e+21"`, `"NaN"`, `"+Inf"`, `"-Inf"`).
 */
export const sampleSchema = z.tuple([z.number().finite(), z.string().max(40)]);
export type Sample = z.infer<typeof sampleSchema>;

export const metricsSeriesSchema = z.object({
  id: seriesIdSchema,
  /** The PromQL that produced it, so a reader can rerun it. */
  query: z.string().max(METRICS_LIMITS.queryLength),
  unit: seriesUnitSchema,
  /** The series' labels (container, gpu, model_name...); bounded, untrusted like logs. */
  labels: z
    .record(z.string().max(METRICS_LIMITS.labelNameLength), z.string().max(METRICS_LIMITS.labelValueLength))
    .refine((l) => Object.keys(l).length <= METRICS_LIMITS.labelsPerSeries, {
      message: `a series has at most ${METRICS_LIMITS.labelsPerSeries} labels`,
    }),
  values: z.array(sampleSchema).max(METRICS_LIMITS.pointsPerSeries),
});
export type MetricsSeries = z.infer<typeof metricsSeriesSchema>;

export const bundleMetricsSchema = z.object({
  /** The Prometheus base URL the series came from (or `demo`). */
  source: z.string().max(METRICS_LIMITS.sourceLength),
  /** Window, unix seconds. */
  start: z.number().finite(),
  end: z.number().finite(),
  stepSeconds: z.number().positive().finite(),
  series: z.array(metricsSeriesSchema).max(METRICS_LIMITS.series),
});
export type BundleMetrics = z.infer<typeof bundleMetricsSchema>;
