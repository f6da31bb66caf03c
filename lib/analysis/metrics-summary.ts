import type { EvidenceBundle } from "@/lib/cluster/bundle";
import { readMetrics, renderMetricsSummary, type MetricsReading } from "@/lib/prometheus/reading";
import type { BundleMetrics } from "@/lib/prometheus/schema";

/**
 * The one reading of a bundle's metrics that the offline signals, the prompt's "metrics summary" block
 * and the grounding check share: a `metrics` evidence quote is checked against exactly the lines the
 * prompt showed. Cached per metrics object (a bundle's metrics are not mutated after redaction).
 */

const cache = new WeakMap<BundleMetrics, MetricsReading>();

/** The reading of the bundle's metrics part, or undefined when it has none. */
export function bundleMetricsReading(bundle: Pick<EvidenceBundle, "metrics">): MetricsReading | undefined {
  const m = bundle.metrics;
  if (!m) return undefined;
  let r = cache.get(m);
  if (!r) {
    r = readMetrics(m);
    cache.set(m, r);
  }
  return r;
}

/** The metrics summary block's text (header, then one `- ` line per finding), or undefined without metrics. */
export function bundleMetricsSummary(bundle: Pick<EvidenceBundle, "metrics">): string | undefined {
  const r = bundleMetricsReading(bundle);
  return r ? renderMetricsSummary(r) : undefined;
}

/** The lines a `metrics` quote may come from: the header and every summary line. */
export function metricsQuotableLines(bundle: Pick<EvidenceBundle, "metrics">): string[] {
  const r = bundleMetricsReading(bundle);
  return r ? [r.header, ...r.lines] : [];
}
