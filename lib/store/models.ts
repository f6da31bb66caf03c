import { z } from "zod";
import { alertSnapshotSchema, targetSchema } from "@/lib/alerts/types";
import { evidenceBundleSchema } from "@/lib/cluster/bundle";
import { likelihoodSchema, reportSchema } from "@/lib/analysis/types";
import { issueStateSchema, signaturePartsSchema, storedSignatureSchema } from "@/lib/analysis/similar";

/** Domain objects of the store: what callers get back, in camelCase, with JSON columns parsed. */

export const analysisStatusSchema = z.enum(["queued", "running", "done", "failed"]);
export type AnalysisStatus = z.infer<typeof analysisStatusSchema>;

export const analysisTriggerSchema = z.enum(["manual", "webhook", "cli", "deeplink"]);
export type AnalysisTrigger = z.infer<typeof analysisTriggerSchema>;

export const issueActionSchema = z.enum(["created", "commented"]);
export type IssueAction = z.infer<typeof issueActionSchema>;

/** The alert as the analysis saw it: the one alert snapshot (lib/alerts/snapshot.ts). */
export const analysisAlertSchema = alertSnapshotSchema;
export type AnalysisAlert = z.infer<typeof analysisAlertSchema>;

/** The last progress event of a running analysis; its shape belongs to the pipeline. */
export const progressSchema = z.record(z.string(), z.unknown());
/** Milliseconds per pipeline step (pod, logs, gemini, ...). */
export const timingsSchema = z.record(z.string().max(64), z.number().nonnegative());

const isoInput = z.union([z.date(), z.string()]).transform((v, ctx) => {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) {
    ctx.addIssue({ code: "custom", message: `"${String(v)}" is not a date; use ISO 8601 such as 2026-01-31T10:00:00Z` });
    return z.NEVER;
  }
  return d.toISOString();
});

const short = z.string().max(256);

export const newAnalysisSchema = z.object({
  id: z.uuid().optional(),
  fingerprint: z.string().min(1).max(256),
  alertname: short.optional(),
  severity: z.string().max(64).optional(),
  target: targetSchema.optional(),
  /** The firing episode: the alert's startsAt. A new startsAt is a new episode. */
  episode: isoInput.optional(),
  alert: analysisAlertSchema.optional(),
  status: analysisStatusSchema.default("queued"),
  trigger: analysisTriggerSchema,
  startedBy: short.optional(),
});
export type NewAnalysis = z.input<typeof newAnalysisSchema>;

export const analysisPatchSchema = z
  .object({
    status: analysisStatusSchema,
    bundle: evidenceBundleSchema,
    report: reportSchema,
    markdown: z.string().max(1_000_000),
    source: z.enum(["gemini", "offline"]),
    model: z.string().max(128).nullable(),
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    durationMs: z.number().nonnegative(),
    timings: timingsSchema,
    progress: progressSchema,
    error: z.string().max(4000).nullable(),
    issueNumber: z.number().int().positive().nullable(),
    issueUrl: z.string().max(2048).nullable(),
    issueAction: issueActionSchema.nullable(),
    filedBy: short.nullable(),
    filedAt: isoInput.nullable(),
    startedAt: isoInput.nullable(),
    finishedAt: isoInput.nullable(),
    resolvedAt: isoInput.nullable(),
    /** The failure signature (lib/analysis/signature.ts); null clears it. */
    signature: storedSignatureSchema.nullable(),
  })
  .partial();
export type AnalysisPatch = z.input<typeof analysisPatchSchema>;

/** What lists show: everything but the bundle, the full report and the markdown. */
export const analysisSummarySchema = z.object({
  id: z.string(),
  fingerprint: z.string(),
  alertname: z.string().optional(),
  severity: z.string().optional(),
  target: targetSchema.optional(),
  episode: z.string().optional(),
  status: analysisStatusSchema,
  trigger: analysisTriggerSchema,
  startedBy: z.string().optional(),
  source: z.enum(["gemini", "offline"]).optional(),
  model: z.string().optional(),
  inputTokens: z.number().optional(),
  outputTokens: z.number().optional(),
  durationMs: z.number().optional(),
  topHypothesis: z.object({ title: z.string(), likelihood: likelihoodSchema }).optional(),
  progress: progressSchema.optional(),
  error: z.string().optional(),
  issueNumber: z.number().optional(),
  issueUrl: z.string().optional(),
  issueAction: issueActionSchema.optional(),
  filedBy: z.string().optional(),
  filedAt: z.string().optional(),
  resolvedAt: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type AnalysisSummary = z.infer<typeof analysisSummarySchema>;

export const analysisSchema = analysisSummarySchema.extend({
  alert: analysisAlertSchema.optional(),
  bundle: evidenceBundleSchema.optional(),
  report: reportSchema.optional(),
  markdown: z.string().optional(),
  timings: timingsSchema.optional(),
  /** The failure signature's hash, its parts and the workload key, once done (absent when no cause was named). */
  signature: z.string().optional(),
  signatureParts: signaturePartsSchema.optional(),
  workloadKey: z.string().optional(),
});
export type Analysis = z.infer<typeof analysisSchema>;

/** An earlier analysis with the same signature, as the store finds it (lib/triage/similar-incidents adds issue states and resolutions). */
export interface SimilarAnalysis extends AnalysisSummary {
  workloadKey?: string;
  signatureParts?: z.infer<typeof signaturePartsSchema>;
  sameWorkload: boolean;
}

/** A GitHub issue's state as last fetched. */
export interface CachedIssueState {
  url: string;
  number: number;
  state: z.infer<typeof issueStateSchema>;
  checkedAt: string;
}

export const listAnalysesSchema = z.object({
  fingerprint: z.string().max(256).optional(),
  alertname: short.optional(),
  namespace: short.optional(),
  /** How alertname and namespace match: exactly (default) or as a prefix (the history's filters). */
  match: z.enum(["exact", "prefix"]).default("exact"),
  status: analysisStatusSchema.optional(),
  /** Who wrote the report: Gemini or the offline analyzer. */
  source: z.enum(["gemini", "offline"]).optional(),
  since: isoInput.optional(),
  until: isoInput.optional(),
  limit: z.number().int().min(1).max(500).default(50),
  /** Opaque, from a previous page's nextCursor. */
  cursor: z.string().max(512).optional(),
});
export type ListAnalysesFilter = z.input<typeof listAnalysesSchema>;

/** A history search: words to find (lib/store/search.ts says how they match) and the list's filters. */
export const searchAnalysesSchema = listAnalysesSchema.omit({ fingerprint: true }).extend({
  q: z.string().max(200),
});
export type SearchAnalysesFilter = z.input<typeof searchAnalysesSchema>;

/** A piece of a search hit's snippet: text, and whether it is a matched word. */
export const highlightPartSchema = z.object({ text: z.string(), hit: z.boolean() });

/** A search result: the summary and, when the words matched its text, a snippet of where. */
export const searchHitSchema = analysisSummarySchema.extend({ snippet: z.array(highlightPartSchema).optional() });
export type SearchHit = z.infer<typeof searchHitSchema>;

export interface SearchPage {
  /** Best match first: bm25 (SQLite) or ts_rank (PostgreSQL), halved for every 30 days of age. */
  items: SearchHit[];
  nextCursor?: string;
  /** The words searched for, as the query was understood (empty: it had no letters or digits). */
  terms: string[];
}

export interface AnalysisPage {
  items: AnalysisSummary[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

export const jobKindSchema = z.enum(["analyze", "resolve", "file_issue", "dispatch", "prune", "feedback_comment"]);
export type JobKind = z.infer<typeof jobKindSchema>;

export const jobStatusSchema = z.enum(["queued", "running", "done", "failed"]);
export type JobStatus = z.infer<typeof jobStatusSchema>;

const MAX_PAYLOAD_BYTES = 1024 * 1024;

export const newJobSchema = z.object({
  kind: jobKindSchema,
  /** Same key, same job: a redelivered webhook or a double click yields one row. */
  dedupKey: z.string().min(1).max(512),
  payload: z.unknown().refine((p) => {
    const s = JSON.stringify(p ?? null);
    return typeof s === "string" && s.length <= MAX_PAYLOAD_BYTES;
  }, `payload must be JSON of at most ${MAX_PAYLOAD_BYTES} characters`),
  analysisId: z.string().max(64).optional(),
  runAfter: isoInput.optional(),
  maxAttempts: z.number().int().min(1).max(20).default(3),
});
export type NewJob = z.input<typeof newJobSchema>;

export const jobSchema = z.object({
  id: z.string(),
  kind: jobKindSchema,
  dedupKey: z.string(),
  /** Untyped JSON: each handler validates its own payload. */
  payload: z.unknown(),
  status: jobStatusSchema,
  attempts: z.number(),
  maxAttempts: z.number(),
  lastError: z.string().optional(),
  runAfter: z.string(),
  /** The lease owner while running: the worker id, `host:pid:random`. */
  lockedBy: z.string().optional(),
  lockedAt: z.string().optional(),
  /** Until when the owner's lease holds; past it, another process may requeue the job. */
  leaseExpiresAt: z.string().optional(),
  analysisId: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Job = z.infer<typeof jobSchema>;

export interface JobCounts {
  queued: number;
  running: number;
  done: number;
  failed: number;
}

export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** A GitHub issue filed for a fingerprint. */
export interface IssueRef {
  number: number;
  url: string;
}

/** A webhook alert refused on its own (the rest of its notification was stored), as recorded. */
export const newRejectedAlertSchema = z.object({
  receiver: z.string().max(1024).optional(),
  requestId: z.string().max(128).optional(),
  fingerprint: z.string().max(128).optional(),
  labels: z.record(z.string().max(128), z.string().max(512)),
  reason: z.string().min(1).max(1024),
});
export type NewRejectedAlert = z.input<typeof newRejectedAlertSchema>;

export interface RejectedAlert {
  receivedAt: string;
  receiver?: string;
  requestId?: string;
  fingerprint?: string;
  labels: Record<string, string>;
  reason: string;
}

/** What pruning keeps: analyses (with their evidence bundles) and finished jobs by age and count, audit by age. 0 turns a limit off. */
export interface RetentionPolicy {
  /** Analyses, and jobs that are done or failed, older than this many days go. */
  days: number;
  /** Beyond the newest this many analyses, older ones go. */
  maxAnalyses: number;
  /** Audit entries older than this many days go. */
  auditDays: number;
  /** Alert history rows received more than this many days ago go (0: kept by age). */
  historyDays?: number;
  /** Beyond the newest this many alert history rows, older ones go (0: no count bound). */
  historyMaxRows?: number;
}

/** What one prune removed, and how many old analyses it kept because an issue that may be open links to them. */
export interface PruneResult {
  analyses: number;
  jobs: number;
  audit: number;
  keptForIssues: number;
  /** Alert history rows removed. */
  history: number;
}

/** One notification the webhook took for one alert: an episode (fingerprint + startsAt) firing or resolved. */
export interface NewAlertHistory {
  fingerprint: string;
  startsAt: string;
  status: "firing" | "resolved";
  endsAt?: string;
  labels: Record<string, string>;
}

/** A stored notification, with when the console received it. */
export interface AlertHistoryEntry extends NewAlertHistory {
  receivedAt: string;
}
