import { z } from "zod";

/**
 * Where a piece of evidence was found. `metrics` quotes a line of the bundle's metrics summary
 * (lib/prometheus/reading metricsSummaryLines), never a raw sample; `changes` quotes the workload's revision
 * diff and `neighbourhood` the sibling pods, node and HPA, both as their summary lines (lib/analysis/context.ts)
 * show them.
 */
export const evidenceSourceSchema = z.enum(["status", "events", "logs", "previousLogs", "metrics", "changes", "neighbourhood"]);
export type EvidenceSource = z.infer<typeof evidenceSourceSchema>;

export const signalCategorySchema = z.enum([
  "oom_killed",
  "app_crash",
  "gpu_oom",
  "model_load_failure",
  "image_pull",
  "probe_failure",
  "unschedulable",
  "config_error",
  "evicted",
  "cpu_throttling",
  "memory_leak",
  "load_surge",
  "dependency_unreachable",
  "bad_rollout",
  "node_pressure",
  "overload",
  "unknown",
]);
export type SignalCategory = z.infer<typeof signalCategorySchema>;

export const signalEvidenceSchema = z.object({
  source: evidenceSourceSchema,
  /** 1-based line number in the source text (logs), when it has lines. */
  line: z.number().int().positive().optional(),
  /** A verbatim excerpt of the source. */
  text: z.string(),
});
export type SignalEvidence = z.infer<typeof signalEvidenceSchema>;

/** One deterministic finding of the offline analyzer. */
export const signalSchema = z.object({
  category: signalCategorySchema,
  title: z.string(),
  confidence: z.number().min(0).max(1),
  evidence: z.array(signalEvidenceSchema),
  suggestion: z.string(),
});
export type Signal = z.infer<typeof signalSchema>;

export const likelihoodSchema = z.enum(["high", "medium", "low"]);

export const reportEvidenceSchema = z.object({
  source: evidenceSourceSchema.optional(),
  line: z.number().int().min(1).optional(),
  text: z.string().max(2000),
  /** Set by the grounding check: the quote was found verbatim (whitespace aside) in the gathered evidence. */
  verified: z.boolean().default(false),
});
export type ReportEvidence = z.infer<typeof reportEvidenceSchema>;

export const hypothesisSchema = z.object({
  title: z.string().max(300),
  category: signalCategorySchema.optional(),
  likelihood: likelihoodSchema,
  explanation: z.string().max(4000).default(""),
  evidence: z.array(reportEvidenceSchema).max(20),
});
export type Hypothesis = z.infer<typeof hypothesisSchema>;

export const actionSchema = z.object({
  step: z.string().max(2000),
  command: z.string().max(2000).optional(),
  /** The 1-based hypothesis this action belongs to; none for steps that apply whatever the cause. */
  hypothesis: z.number().int().min(1).max(5).optional(),
});
export type Action = z.infer<typeof actionSchema>;

/** Whether the fix of an earlier incident with the same failure signature applies to this one. */
export const pastIncidentVerdictSchema = z.object({
  /** The earlier analysis's id, as the "Seen before" context named it. */
  analysisId: z.string().max(64),
  applies: z.boolean(),
  /** One or two sentences: why the earlier fix applies or not, and what to do the same way or differently. */
  note: z.string().max(1000),
});
export type PastIncidentVerdict = z.infer<typeof pastIncidentVerdictSchema>;

/** The report: one schema for UI, issue and CLI. Markdown is derived from it in lib/analysis/report-markdown. */
export const reportSchema = z.object({
  source: z.enum(["gemini", "offline"]),
  model: z.string().nullable(),
  /** Why Gemini was not used, for offline reports ("no GEMINI_API_KEY", "quota exhausted", ...). */
  offlineReason: z.string().optional(),
  summary: z.string().max(4000),
  hypotheses: z.array(hypothesisSchema).max(5),
  impact: z.string().max(4000),
  immediateActions: z.array(actionSchema).max(20),
  prevention: z.array(z.string().max(2000)).max(20),
  /** True when the model said the evidence is not enough to decide. */
  insufficientEvidence: z.boolean().default(false),
  /** The pod whose evidence was analyzed when it is not the alert's (the alert's pod was gone). */
  analyzedPod: z.object({ namespace: z.string().max(253), pod: z.string().max(253), alertPod: z.string().max(253) }).optional(),
  /** False when filing a GitHub issue for this report would be wrong (a pod that was not found), `notFileableReason` saying why; absent: fileable. */
  fileable: z.boolean().optional(),
  notFileableReason: z.string().max(1000).optional(),
  /** Earlier incidents with the same failure signature (lib/analysis/similar) and whether their fix applies; absent when none was known. */
  pastIncidents: z.array(pastIncidentVerdictSchema).max(5).optional(),
  usage: z
    .object({ inputTokens: z.number().int().nonnegative(), outputTokens: z.number().int().nonnegative() })
    .optional(),
  durationMs: z.number().nonnegative().optional(),
  generatedAt: z.string(),
});
export type Report = z.infer<typeof reportSchema>;
