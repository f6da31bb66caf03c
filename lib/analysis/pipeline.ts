import type { Target } from "@/lib/alerts/types";
import type { AlertSnapshot } from "@/lib/alerts/snapshot";
import type { ClusterPart, EvidenceBundle, EvidencePart } from "@/lib/cluster/bundle";
import type { ClusterReaders } from "@/lib/cluster/reader";
import { gatherEvidence } from "@/lib/cluster/gather";
import type { VitalsSource } from "@/lib/prometheus/vitals";
import { diagnose } from "@/lib/analysis/offline/diagnose";
import { redactBundle } from "@/lib/analysis/redact";
import { condenseLogs, type CondensedLog, type CondensedLogs } from "@/lib/analysis/reduce";
import { buildPrompt } from "@/lib/analysis/prompt";
import { groundReport } from "@/lib/analysis/grounding";
import { summarizePodStatus } from "@/lib/analysis/pod-summary";
import { offlineReport, pastIncidentVerdicts } from "@/lib/analysis/offline/report";
import { failureSignature, type FailureSignature } from "@/lib/analysis/signature";
import type { SimilarIncident } from "@/lib/analysis/similar";
import { renderReportMarkdown } from "@/lib/analysis/report-markdown";
import type { Report, Signal } from "@/lib/analysis/types";
import { geminiFailureReason, type createGeminiDiagnoser, type StreamedHypothesis } from "@/lib/analysis/gemini";
import { isAppError } from "@/lib/errors";
import { withFilingVerdict } from "@/lib/analysis/filing";

export type GeminiDiagnoser = ReturnType<typeof createGeminiDiagnoser>;

/** One step of the pipeline, as shown to the user while an analysis runs. */
export type PipelineStep = ClusterPart | "metrics" | "redact" | "signals" | "reduce" | "gemini" | "report";

export interface ProgressEvent {
  step: PipelineStep;
  status: "started" | "done" | "failed" | "skipped" | "progress";
  detail?: string;
  /** On a gemini progress event: the first hypothesis, as soon as the model has streamed it whole. */
  hypothesis?: StreamedHypothesis;
}

export interface PipelineDeps {
  /** Where evidence comes from; not needed when the input carries a bundle. */
  readers?: ClusterReaders;
  /** Where the metrics part comes from (Prometheus, or the demo's series); none: no metrics part. */
  vitals?: VitalsSource;
  /** Undefined when Gemini is not configured; `offlineReason` then says why. */
  gemini?: GeminiDiagnoser;
  offlineReason?: string;
  /**
   * Earlier incidents with this signature (the store's, lib/triage/similar-incidents), asked once with the
   * offline diagnosis's signature before the diagnosis; they reach Gemini as fenced context and the report
   * as `pastIncidents`. Must not throw: it logs its own failures and answers none.
   */
  pastIncidents?: (signature: FailureSignature) => Promise<SimilarIncident[]>;
  budgetTokens: number;
  tailLines?: number;
  limitBytes?: number;
  timeoutMs?: number;
}

export interface PipelineInput {
  target?: Target;
  alert: AlertSnapshot;
  /** A bundle gathered earlier (CLI --input); otherwise the cluster is read. */
  bundle?: EvidenceBundle;
}

export interface PipelineOptions {
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Skip Gemini on purpose (CLI --offline). */
  offline?: boolean;
}

export interface AnalysisResult {
  /** The redacted evidence: the only form that is stored, shown or sent anywhere. */
  bundle: EvidenceBundle;
  report: Report;
  markdown: string;
  signals: Signal[];
  /** The logs as Gemini sees them (the CLI's `reduce` prints the same). */
  condensed: CondensedLogs;
  redactions: number;
  timings: Record<string, number>;
  /** How the Gemini call went: ok, skipped (not configured or --offline), or the error code. */
  geminiOutcome: string;
  /** The failure signature of the report's top cause; undefined when it names none. */
  signature?: FailureSignature;
}

/** At most this many earlier incidents are given to the diagnosis. */
const MAX_PAST_INCIDENTS = 5;

const PARTS: ClusterPart[] = ["pod", "logs", "previousLogs", "events"];

/**
 * The analysis pipeline every entry point uses: gather (cluster and metrics) → redact → signals → reduce → Gemini (or
 * offline) → grounding → markdown. It degrades instead of failing: missing evidence and Gemini errors
 * end up in the report.
 * @throws AppError only when there is neither a bundle nor a way to gather one.
 */
export async function runAnalysis(input: PipelineInput, deps: PipelineDeps, options: PipelineOptions = {}): Promise<AnalysisResult> {
  const emit = options.onProgress ?? (() => {});
  const timings: Record<string, number> = {};
  const time = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round((performance.now() - t0) * 10) / 10;
    }
  };

  let raw: EvidenceBundle;
  if (input.bundle) {
    raw = input.bundle;
  } else {
    if (!deps.readers || !input.target) throw new Error("runAnalysis needs a bundle or a target with cluster readers");
    for (const p of PARTS) emit({ step: p, status: "started" });
    if (deps.vitals) emit({ step: "metrics", status: "started" });
    const readers = deps.readers;
    const target = input.target;
    raw = await time("gather", () =>
      gatherEvidence(readers, target, input.alert, {
        tailLines: deps.tailLines,
        limitBytes: deps.limitBytes,
        timeoutMs: deps.timeoutMs,
        container: target.container,
        vitals: deps.vitals,
      }),
    );
  }
  for (const p of PARTS) {
    const err = raw.errors.find((e) => e.part === p);
    if (err) emit({ step: p, status: "failed", detail: err.message });
    else if (p === "previousLogs" && raw.previousLogs === undefined) emit({ step: p, status: "skipped", detail: "no previous container" });
    else emit({ step: p, status: "done", detail: partDetail(raw, p) });
  }
  emit(metricsProgress(raw, { gathered: !input.bundle, configured: !!deps.vitals }));

  emit({ step: "redact", status: "started", detail: "looking for secrets" });
  const { bundle, count: redactions } = await time("redact", () => redactBundle(raw));
  emit({ step: "redact", status: "done", detail: `${redactions} secret${redactions === 1 ? "" : "s"} redacted` });

  emit({ step: "signals", status: "started", detail: "matching known failure signals" });
  const diagnosis = await time("signals", () => diagnose(bundle));
  emit({ step: "signals", status: "done", detail: `${diagnosis.signals.length} signal(s)` });

  emit({ step: "reduce", status: "started", detail: `condensing logs to ${deps.budgetTokens} tokens` });
  const condensed = await time("reduce", () => condenseLogs(bundle, diagnosis.signals, deps.budgetTokens));
  emit({ step: "reduce", status: "done", detail: condensedDetail(condensed) });

  // The offline diagnosis's quotes stand for its causes in every signature (lib/analysis/signature proofLines).
  const proofSignals = [...diagnosis.hypotheses, ...diagnosis.signals];
  const provisional = failureSignature({ report: { hypotheses: diagnosis.hypotheses.slice(0, 1).map((h) => ({ category: h.category, evidence: h.evidence })) }, bundle, signals: proofSignals });
  const past = provisional && deps.pastIncidents ? (await time("history", () => deps.pastIncidents?.(provisional).catch(() => []) ?? [])).slice(0, MAX_PAST_INCIDENTS) : [];

  const statusSummary = summarizePodStatus(bundle.pod);
  let report: Report;
  let geminiOutcome = "skipped";
  if (options.offline || !deps.gemini) {
    const reason = options.offline ? undefined : (deps.offlineReason ?? "GEMINI_API_KEY is not set");
    emit({ step: "gemini", status: "skipped", detail: reason ?? "offline analysis requested" });
    report = offlineReport(diagnosis, reason, bundle, past);
  } else {
    emit({ step: "gemini", status: "started", detail: deps.gemini.model });
    const prompt = buildPrompt({
      bundle,
      condensedLogs: condensed.logs?.text,
      condensedPreviousLogs: condensed.previousLogs?.text,
      signals: diagnosis.signals,
      pastIncidents: past,
    });
    try {
      const gemini = deps.gemini;
      const r = await time("gemini", () =>
        gemini.diagnose(prompt, {
          signal: options.signal,
          onProgress: (p) =>
            emit({
              step: "gemini",
              status: "progress",
              hypothesis: p.hypothesis,
              detail: p.phase === "hypothesis" ? "first hypothesis received" : p.phase === "retry" ? `retrying (attempt ${p.attempt ?? "?"})${p.message ? `: ${p.message}` : ""}` : p.phase === "streaming" ? `${p.chars ?? 0} characters received` : "request sent",
            }),
        }),
      );
      report = withPastVerdicts(r.report, past);
      geminiOutcome = "ok";
      emit({ step: "gemini", status: "done", detail: `${r.usage.inputTokens} tokens in, ${r.usage.outputTokens} out` });
    } catch (e) {
      const reason = geminiFailureReason(e);
      geminiOutcome = isAppError(e) ? e.code : "error";
      emit({ step: "gemini", status: "failed", detail: reason });
      report = offlineReport(diagnosis, reason, bundle, past);
    }
  }

  emit({ step: "report", status: "started", detail: "grounding quotes in the evidence" });
  report = withFilingVerdict(withAnalyzedPod(groundReport(report, bundle, { statusSummary }), bundle), bundle);
  const markdown = renderReportMarkdown(report);
  const quotes = report.hypotheses.flatMap((h) => h.evidence);
  emit({ step: "report", status: "done", detail: `${quotes.filter((q) => q.verified).length} of ${quotes.length} quote(s) found in the evidence` });
  const signature = failureSignature({ report, bundle, signals: proofSignals });
  return { bundle, report, markdown, signals: diagnosis.signals, condensed, redactions, timings, geminiOutcome, ...(signature ? { signature } : {}) };
}

/** Gemini's verdicts on the earlier incidents it was shown (others dropped); the plain offline ones when it gave none. */
function withPastVerdicts(report: Report, past: readonly SimilarIncident[]): Report {
  if (past.length === 0) {
    const { pastIncidents: _dropped, ...rest } = report;
    return rest;
  }
  const known = new Set(past.map((p) => p.analysisId));
  const seen = new Set<string>();
  const given = (report.pastIncidents ?? []).filter((v) => known.has(v.analysisId) && !seen.has(v.analysisId) && seen.add(v.analysisId));
  return { ...report, pastIncidents: given.length ? given : pastIncidentVerdicts(past) };
}

/** The metrics step's outcome: done (with any partial failure), failed, or skipped with the reason. */
export function metricsProgress(b: EvidenceBundle, how: { gathered: boolean; configured: boolean }): ProgressEvent {
  const errors = b.errors.filter((e) => e.part === "metrics");
  const problems = errors.map((e) => e.message).join("; ");
  if (b.metrics) {
    const n = b.metrics.series.length;
    return { step: "metrics", status: "done", detail: `${n} series${problems ? `; ${problems}` : ""}` };
  }
  if (errors.length) return { step: "metrics", status: "failed", detail: problems };
  if (!how.gathered) return { step: "metrics", status: "skipped", detail: "the bundle has no metrics part" };
  return {
    step: "metrics",
    status: "skipped",
    detail: how.configured
      ? "no Prometheus serves this alert: set PROMETHEUS_URL (or let the alert's generatorURL name it)"
      : "no Prometheus configured: set PROMETHEUS_URL",
  };
}

/**
 * A report about a pod that is gone says so first, whoever wrote it: which pod the alert named, and which
 * one was analyzed instead, if any. (The offline report words its own verdict.)
 */
function withAnalyzedPod(report: Report, bundle: EvidenceBundle): Report {
  const gone = bundle.gonePod;
  const pod = bundle.target?.pod;
  if (!gone && bundle.pod === null && report.source !== "offline") {
    const id = `${bundle.target?.namespace ?? bundle.alert.labels.namespace ?? "<namespace>"}/${pod ?? bundle.alert.labels.pod ?? "<pod>"}`;
    return { ...report, summary: `Pod ${id} no longer exists: it was not found when the evidence was gathered. ${report.summary}`.slice(0, 4000) };
  }
  if (!gone || !pod || report.analyzedPod) return report;
  const summary = `Pod ${gone.namespace}/${gone.pod} no longer exists; this analysis is of ${bundle.target?.namespace ?? gone.namespace}/${pod}, the newest pod of its owner. ${report.summary}`;
  return { ...report, summary: summary.slice(0, 4000), analyzedPod: { namespace: bundle.target?.namespace ?? gone.namespace, pod, alertPod: gone.pod } };
}

function partDetail(b: EvidenceBundle, p: EvidencePart): string | undefined {
  if (p === "logs" && b.logs !== undefined) return `${countLines(b.logs)} lines`;
  if (p === "previousLogs" && b.previousLogs !== undefined) return `${countLines(b.previousLogs)} lines`;
  if (p === "events") return `${b.events.length} events`;
  if (p === "pod" && b.gonePod) return `${b.gonePod.pod} no longer exists; analyzing ${b.target?.pod ?? "its owner's newest pod"}`;
  if (p === "pod") return b.pod ? "found" : "not found";
  return undefined;
}

function condensedDetail(c: AnalysisResult["condensed"]): string {
  const parts = [c.logs, c.previousLogs].filter((x): x is CondensedLog => !!x);
  if (!parts.length) return "no logs";
  return parts
    .map((r) => `${r.keptLines}/${r.totalLines} lines, ~${r.tokens} tokens${r.droppedCitedLines ? ` (${r.droppedCitedLines} cited lines over the budget left out)` : ""}`)
    .join("; ");
}

function countLines(s: string): number {
  if (!s) return 0;
  let n = 1;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) n++;
  return s.endsWith("\n") ? n - 1 : n;
}
