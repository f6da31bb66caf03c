import type { Logger } from "pino";
import { targetFromLabels } from "@/lib/alerts/types";
import type { Config } from "@/lib/config";
import type { ClusterReaders } from "@/lib/cluster/reader";
import { describeError } from "@/lib/errors";
import { runAnalysis, type GeminiDiagnoser, type ProgressEvent } from "@/lib/analysis/pipeline";
import { filingRefusal } from "@/lib/analysis/filing";
import type { ProgressMap } from "@/lib/analysis/api";
import type { FailureSignature, SimilarIncident } from "@/lib/analysis/similar";
import type { PayloadOf } from "@/lib/jobs/kinds";
import type { JobQueue } from "@/lib/jobs/queue";
import { getMetrics } from "@/lib/metrics";
import type { VitalsSource } from "@/lib/prometheus/vitals";
import type { Analysis, Job, Store } from "@/lib/store";
import { recreateAnalysis } from "@/lib/triage/create-analysis";

/** Where a running analysis announces its progress (the console's progress streams listen). */
export interface ProgressPublisher {
  publish(analysisId: string, event: { type: "progress"; progress: ProgressMap } | { type: "done"; status: string }): void;
}

export interface RunAnalysisDeps {
  store: Pick<Store, "getAnalysis" | "updateAnalysis" | "createAnalysis">;
  queue: Pick<JobQueue, "enqueue" | "kick">;
  bus: ProgressPublisher;
  readers: ClusterReaders;
  vitals?: VitalsSource;
  gemini?: GeminiDiagnoser;
  /** Why Gemini is not used, when it is not. */
  geminiMissing?: string;
  /** Earlier incidents with a signature, this analysis excluded (lib/triage/similar-incidents pastIncidentsLookup); none when absent. */
  pastIncidents?: (signature: FailureSignature, excludeId: string) => Promise<SimilarIncident[]>;
  config: { gemini: Pick<Config["gemini"], "logBudgetTokens">; kube: Pick<Config["kube"], "tailLines" | "limitBytes" | "timeoutMs"> };
  log: Pick<Logger, "child">;
}

/**
 * Run one analyze job: gather, redact, condense, diagnose, store the report, publish progress on the
 * way, and queue the issue filing when the webhook policy asked for it. A failed analysis is stored as
 * failed with its reason; the job itself then succeeds.
 * @throws what the store throws when it cannot record the outcome (the worker retries).
 */
export async function runAnalysisJob(d: RunAnalysisDeps, p: PayloadOf<"analyze">, job: Job): Promise<void> {
  const m = getMetrics();
  let analysis = await d.store.getAnalysis(p.analysisId);
  if (!analysis) {
    const created = await recreateFromJob(d, p);
    if (!created) return;
    analysis = created;
  }
  if (analysis.status === "done") return;
  if (!analysis.target) {
    await d.store.updateAnalysis(analysis.id, { status: "failed", error: "The analysis has no target pod.", finishedAt: new Date() });
    return;
  }
  const id = analysis.id;
  const log = d.log.child({ requestId: p.requestId ?? job.id, analysisId: id, fingerprint: analysis.fingerprint });
  const startedAt = new Date();
  const progress: ProgressMap = {};
  await d.store.updateAnalysis(id, { status: "running", startedAt, progress: {}, error: null });
  m.jobs.inc({ kind: "analyze", state: "running" });
  // Progress is stored for pages that open mid-run; writes are serialised and the newest snapshot wins.
  let pending: ProgressMap | undefined;
  let writing: Promise<void> | undefined;
  const persist = () => {
    writing ??= (async () => {
      while (pending) {
        const snapshot = pending;
        pending = undefined;
        await d.store.updateAnalysis(id, { progress: snapshot }).catch((err: unknown) => log.warn({ err: describeError(err) }, "progress write failed"));
      }
    })().finally(() => {
      writing = undefined;
      if (pending) persist();
    });
  };
  const onProgress = (e: ProgressEvent) => {
    // The first hypothesis stays on the gemini step while later progress (characters) updates it.
    const hypothesis = e.hypothesis ?? (e.status === "progress" ? progress[e.step]?.hypothesis : undefined);
    progress[e.step] = { status: e.status, detail: e.detail, ...(hypothesis ? { hypothesis } : {}) };
    pending = { ...progress };
    d.bus.publish(id, { type: "progress", progress: { ...progress } });
    persist();
  };
  try {
    const result = await runAnalysis(
      { target: analysis.target, alert: analysis.alert ?? { labels: {}, annotations: {} } },
      {
        readers: d.readers,
        vitals: d.vitals,
        gemini: d.gemini,
        offlineReason: d.geminiMissing,
        pastIncidents: d.pastIncidents && ((signature) => d.pastIncidents?.(signature, id) ?? Promise.resolve([])),
        budgetTokens: d.config.gemini.logBudgetTokens,
        tailLines: d.config.kube.tailLines,
        limitBytes: d.config.kube.limitBytes,
        timeoutMs: d.config.kube.timeoutMs,
      },
      { onProgress },
    );
    const r = result.report;
    await writing;
    await d.store.updateAnalysis(id, {
      status: "done",
      bundle: result.bundle,
      report: r,
      markdown: result.markdown,
      source: r.source,
      model: r.model,
      inputTokens: r.usage?.inputTokens ?? 0,
      outputTokens: r.usage?.outputTokens ?? 0,
      durationMs: Date.now() - startedAt.getTime(),
      timings: result.timings,
      progress: { ...progress },
      signature: result.signature ?? null,
      finishedAt: new Date(),
    });
    m.analysisDuration.observe({ source: r.source }, (Date.now() - startedAt.getTime()) / 1000);
    if (result.geminiOutcome !== "skipped") m.geminiCalls.inc({ outcome: result.geminiOutcome });
    if (r.usage) {
      m.geminiTokens.inc({ direction: "in" }, r.usage.inputTokens);
      m.geminiTokens.inc({ direction: "out" }, r.usage.outputTokens);
    }
    m.jobs.inc({ kind: "analyze", state: "done" });
    log.info({ event: "analysis.done", source: r.source, redactions: result.redactions, timings: result.timings }, "analysis finished");
    const refused = p.file ? filingRefusal(r) : undefined;
    if (refused) log.info({ event: "issue.refused", reason: refused }, "automatic filing refused");
    else if (p.file) {
      await d.queue.enqueue("file_issue", { analysisId: id, user: "webhook" }, { dedupKey: `file:${id}`, analysisId: id });
      d.queue.kick();
    }
  } catch (e) {
    m.jobs.inc({ kind: "analyze", state: "failed" });
    log.error({ err: describeError(e) }, "analysis failed");
    await writing;
    await d.store.updateAnalysis(id, { status: "failed", error: describeError(e).slice(0, 4000), progress: { ...progress }, finishedAt: new Date() });
  } finally {
    const final = await d.store.getAnalysis(id);
    d.bus.publish(id, { type: "done", status: final?.status ?? "failed" });
  }
}

/** A webhook job whose analysis row was never written (the process died in between): write it now from the alert the job carries. */
async function recreateFromJob(d: RunAnalysisDeps, p: PayloadOf<"analyze">): Promise<Analysis | undefined> {
  if (!p.alert) return undefined;
  const alert = p.alert;
  return recreateAnalysis(d.store, p.analysisId, {
    fingerprint: alert.fingerprint,
    alert,
    target: targetFromLabels(alert.labels),
    trigger: "webhook",
    startedBy: "alertmanager",
  });
}
