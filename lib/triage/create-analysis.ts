import { createHash, randomUUID } from "node:crypto";
import type { Target } from "@/lib/alerts/types";
import type { AlertSnapshot } from "@/lib/alerts/snapshot";
import { checkedJob, type PayloadInput } from "@/lib/jobs/kinds";
import type { Analysis, AnalysisTrigger, NewAnalysis, Store } from "@/lib/store";

/**
 * The one place an analysis row is written: with its analyze job (a click, a deep link, a webhook), or
 * alone for a webhook job whose row was lost. Names, episode and target come from the alert snapshot the
 * same way for every entry point.
 */

/** What an analysis is of and who started it. */
export interface AnalysisSeed {
  fingerprint: string;
  alert: AlertSnapshot;
  /** The pod; undefined when the alert has no namespace and pod labels (the job then fails the analysis). */
  target: Target | undefined;
  trigger: AnalysisTrigger;
  startedBy: string;
}

/** One analysis to create with its job: the job's dedup key and what the analyze payload carries besides the id. */
export interface NewAnalysisWithJob {
  /** Given for webhook analyses (derived from the delivery, uuidFromKey); a fresh UUID otherwise. */
  id?: string;
  seed: AnalysisSeed;
  /** Same key, same job: a redelivered webhook yields one analysis. Default `analyze:<id>`. */
  dedupKey?: string;
  job: Omit<PayloadInput<"analyze">, "analysisId">;
}

/** A deterministic UUID (version 8) from a key: the same webhook delivery always names the same analysis. */
export function uuidFromKey(key: string): string {
  const h = createHash("sha256").update(key).digest("hex").slice(0, 32).split("");
  h[12] = "8";
  h[16] = ((parseInt(h[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

/** The row of an analysis of this seed: alert name and severity within the store's column limits (label values may be 16 KiB). */
function analysisRow(id: string, seed: AnalysisSeed): NewAnalysis & { id: string } {
  return {
    id,
    fingerprint: seed.fingerprint,
    alertname: seed.alert.labels.alertname?.slice(0, 256),
    severity: seed.alert.labels.severity?.slice(0, 64),
    target: seed.target,
    episode: seed.alert.startsAt,
    alert: seed.alert,
    trigger: seed.trigger,
    startedBy: seed.startedBy,
  };
}

/**
 * Create analyses with their analyze jobs, each pair in one transaction (a job never exists without its
 * analysis); a job whose dedupKey exists is skipped with its analysis. Returns the ids created.
 * @throws AppError unprocessable when a row or payload is out of bounds (nothing is written then), or what the store throws.
 */
export async function createAnalyses(store: Pick<Store, "enqueueAnalyses">, items: readonly NewAnalysisWithJob[]): Promise<Set<string>> {
  if (!items.length) return new Set();
  const rows = items.map((i) => {
    const id = i.id ?? randomUUID();
    const dedupKey = i.dedupKey ?? `analyze:${id}`;
    return {
      id,
      dedupKey,
      job: checkedJob({ kind: "analyze", dedupKey, analysisId: id, payload: { ...i.job, analysisId: id } }),
      analysis: analysisRow(id, i.seed),
    };
  });
  const created = await store.enqueueAnalyses(rows.map(({ job, analysis }) => ({ job, analysis })));
  return new Set(rows.filter((r) => created.has(r.dedupKey)).map((r) => r.id));
}

/**
 * Write the row of a webhook analysis whose job exists but whose row does not (the process died in
 * between), from the alert its job carries.
 * @throws what the store throws.
 */
export function recreateAnalysis(store: Pick<Store, "createAnalysis">, id: string, seed: AnalysisSeed): Promise<Analysis> {
  return store.createAnalysis(analysisRow(id, seed));
}
